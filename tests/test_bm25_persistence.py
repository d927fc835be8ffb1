"""BM25 is built once, with the index, and loaded from it: the same scores as indexing anew."""

from __future__ import annotations

import numpy as np
import pytest

from qa.index.bm25 import SAVED, BM25Retriever
from qa.index.embedder import HashEmbedder
from qa.index.store import load_index
from qa.settings import REPO_ROOT, Settings

QUESTIONS = [
    "How are the cables of a suspension bridge anchored?",
    "What lives in a pond?",
    "Tacoma Narrows 1940 wind tunnels",
    "the and of",  # only stopwords: no term in the vocabulary
    "quokka",  # a word no chunk holds
]


def test_a_saved_bm25_index_loads_with_the_scores_and_vocabulary_of_a_fresh_one(
    tiny_settings: Settings, tiny_pipeline
) -> None:
    store = load_index(tiny_settings, HashEmbedder())
    assert set(store.manifest["files"]) >= SAVED, "the build saved BM25 beside the vectors"
    loaded = store.bm25
    fresh = BM25Retriever([c.lexical_text for c in store.chunks])

    for question in QUESTIONS:
        np.testing.assert_allclose(loaded.scores(question), fresh.scores(question), rtol=1e-6)
        assert loaded.terms(question) == fresh.terms(question)
        assert loaded.unknown_fraction(question) == fresh.unknown_fraction(question)


def test_a_bm25_index_for_another_number_of_chunks_is_refused(
    tiny_settings: Settings, tiny_pipeline
) -> None:
    store = load_index(tiny_settings, HashEmbedder())
    with pytest.raises(ValueError, match="chunks"):
        BM25Retriever.load(store.path.resolve(), len(store.chunks) + 1)


def test_question_terms_are_the_terms_bm25s_itself_makes() -> None:
    import bm25s
    import Stemmer

    texts = [
        *(
            paragraph
            for path in sorted((REPO_ROOT / "corpus").glob("*.txt"))
            for paragraph in path.read_text(encoding="utf-8").split("\n\n")
        ),
        "What's the SCO's 2001 charter? Xi–Putin talks, naïve façade, U.S.-China",
        "a an the of",
        "",
    ]
    stemmer = Stemmer.Stemmer("english")
    expected = bm25s.tokenize(
        texts, stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False
    )
    retriever = BM25Retriever(["one document"])

    assert len(texts) > 100
    assert [retriever.all_terms(text) for text in texts] == [list(t) for t in expected]
