"""Sentence vectors from the chunk's own forward pass (qa/index/sentences.py).

Fast tests use the hashing fake, whose pooled part is its own words' vector; the `model` tests
check the real pooling against sentences encoded alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.index.build import build_index
from qa.index.embedder import HashEmbedder, load_embedder
from qa.index.sentences import embed_chunks_and_sentences, locate
from qa.index.store import load_index
from qa.settings import Settings
from tests.conftest import BRIDGES, PONDS, small_corpus_settings


class PlainEmbedder(HashEmbedder):
    """The fake without part pooling: every sentence must then be encoded alone."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded: list[str] = []

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.embedded += texts
        return super().embed_passages(texts)

    embed_with_parts = None  # type: ignore[assignment]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return small_corpus_settings(tmp_path, {"ponds.txt": PONDS, "bridges.txt": BRIDGES})


def test_locate_finds_each_sentence_after_the_previous_one() -> None:
    text = "Title › Head\nA cat sat. A dog ran. A cat sat."
    assert locate(text, ["A cat sat.", "A cat sat."]) == [(13, 23), (35, 45)]
    assert locate(text, ["A dog ran.", "A cat sat.", "missing words here"]) == [
        (24, 34),
        (35, 45),
        None,
    ]


def test_each_stored_sentence_vector_is_its_own_sentence_s(settings: Settings) -> None:
    build_index(settings, HashEmbedder("fake", salt="fake"), second=HashEmbedder("fake2", "fake2"))
    store = load_index(settings, HashEmbedder("fake", salt="fake"))
    assert len(store.sentence_vectors) > 10
    texts = [
        store.sources[store.chunks[int(store.sentence_rows[j])].doc_id][
            slice(*store.sentence_span(j))
        ]
        for j in range(len(store.sentence_spans))
    ]
    alone = HashEmbedder("fake", salt="fake").embed_passages(texts)
    # The fake's pooled part is its words' vector: row j must be sentence j's, in chunk order.
    np.testing.assert_allclose(np.asarray(store.sentence_vectors), alone, atol=1e-6)
    for row in range(len(store.chunks)):
        for j in store.sentences_of(row):
            start, end = store.sentence_span(j)
            assert store.chunks[row].start <= start < end <= store.chunks[row].end


def test_an_embedder_without_part_pooling_encodes_sentences_alone() -> None:
    chunks = ["T\nOne two three four. Five six seven eight.", "T\nNine ten eleven twelve."]
    sentences = [
        (0, (0, 20), "One two three four."),
        (0, (21, 43), "Five six seven eight."),
        (1, (0, 24), "Nine ten eleven twelve."),
    ]
    plain = PlainEmbedder()
    vectors, sentence_vectors, reused = embed_chunks_and_sentences(plain, chunks, sentences, {}, {})
    assert reused == 0
    assert plain.embedded == sorted(chunks) + [text for _, _, text in sentences]
    np.testing.assert_allclose(
        sentence_vectors, HashEmbedder().embed_passages([t for _, _, t in sentences]), atol=1e-6
    )
    np.testing.assert_allclose(vectors, HashEmbedder().embed_passages(chunks), atol=1e-6)


def test_known_chunks_and_their_sentences_are_not_embedded_again() -> None:
    chunks = ["T\nOne two three four.", "T\nFive six seven eight."]
    sentences = [(0, (0, 19), "One two three four."), (1, (0, 21), "Five six seven eight.")]
    first, first_sentences, _ = embed_chunks_and_sentences(
        HashEmbedder(), chunks, sentences, {}, {}
    )
    known_chunks = {chunks[0]: first[0]}
    known_sentences = {(chunks[0], 0, sentences[0][2]): first_sentences[0]}
    plain = PlainEmbedder()

    _, again, reused = embed_chunks_and_sentences(
        plain, chunks, sentences, known_chunks, known_sentences
    )

    assert reused == 1
    assert plain.embedded == [chunks[1], sentences[1][2]]
    np.testing.assert_allclose(again, first_sentences, atol=1e-6)


# --- the real model -------------------------------------------------------------------------


QUESTIONS = {  # a question -> the sentences of the chunk that answer it
    "What are the main cables made of?": {1},
    "How does the anchorage hold the cable?": {3, 4},
    "Why did engineers start testing decks in wind tunnels?": {6},
    "How are the cables checked for damage?": {8},
}


@pytest.mark.model
def test_pooled_sentences_rank_the_answering_sentence_of_a_chunk_first() -> None:
    model = load_embedder("all-MiniLM-L6-v2")
    body = BRIDGES.split("by Tomas Girder")[1].replace("## Wind and the deck", "")
    chunk = " ".join(body.split())
    sentences = [s if s.endswith(".") else s + "." for s in chunk.split(". ")]
    parts = locate(chunk, sentences)
    assert len(sentences) == 9 and all(part is not None for part in parts)

    (vector,), (pooled,) = model.embed_with_parts([chunk], [[p for p in parts if p]])  # type: ignore[attr-defined]

    np.testing.assert_allclose(vector, model.embed_passages([chunk])[0], atol=1e-5)
    alone = model.embed_passages(sentences)
    assert np.all(np.sum(pooled * alone, axis=1) > 0.4)  # near, not equal: they carry context
    for question, answer in QUESTIONS.items():
        scores = pooled @ model.embed_query(question)
        assert int(scores.argmax()) in answer, (question, sentences[int(scores.argmax())])


@pytest.mark.model
def test_a_sentence_past_the_model_window_is_encoded_alone() -> None:
    model = load_embedder("all-MiniLM-L6-v2")
    filler = "The delegation met again in the spring to review the terms. " * 40
    last = "Finally the treaty on the river border was signed in Beijing."
    chunk = filler + last
    sentences = [(0, (0, 0), last)]

    _, sentence_vectors, _ = embed_chunks_and_sentences(model, [chunk], sentences, {}, {})

    np.testing.assert_allclose(sentence_vectors[0], model.embed_passages([last])[0], atol=1e-5)
