"""Fusion: a decisive BM25 match counts for more than its rank, and a chunk's kind can weigh
on its score (issue 13)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from qa.index.backends.faiss_files import FaissFilesBackend
from qa.retrieval.hybrid import HybridRetriever
from qa.settings import Settings
from qa.types import Chunk


def retriever(kinds: tuple[str, ...] = ("body",) * 3, **settings: object) -> HybridRetriever:
    chunks = [
        Chunk(f"d.txt#s/{i}", "d.txt", "D", (), None, ("S",), ((i * 10, i * 10 + 7),), "c", kind)
        for i, kind in enumerate(kinds)
    ]
    store = SimpleNamespace(chunks=chunks, second=None, bm25=None, manifest={})
    store.backend = FaissFilesBackend(store)  # type: ignore[arg-type]
    store.prefetch_chunks = lambda rows: None  # held in memory
    return HybridRetriever(store, embedder=None, settings=Settings(**settings))  # type: ignore[arg-type]


# Three dense rankers agree on chunk 0; BM25 puts chunk 2 first with three times its second.
DENSE_MAJORITY = {
    "dense": {0: 0.9, 1: 0.8, 2: 0.7},
    "dense2": {0: 0.9, 1: 0.8, 2: 0.7},
    "sentence": {0: 0.9, 1: 0.8, 2: 0.7},
}


def order(hits) -> list[str]:
    return [hit.chunk.chunk_id for hit in hits]


def test_a_decisive_bm25_match_outranks_the_dense_majority() -> None:
    scores = {**DENSE_MAJORITY, "bm25": {2: 9.0, 0: 3.0}}

    hits = retriever().fuse(scores)

    assert order(hits)[0] == "d.txt#s/2"
    assert hits[0].score == pytest.approx(1 / 23 * 3 + 1 / 21 + 1 / 21)


def test_a_close_bm25_lead_is_only_one_vote_among_four() -> None:
    scores = {**DENSE_MAJORITY, "bm25": {2: 4.0, 0: 3.0}}

    assert order(retriever().fuse(scores))[0] == "d.txt#s/0"


def test_the_margin_can_be_turned_off() -> None:
    scores = {**DENSE_MAJORITY, "bm25": {2: 9.0, 0: 3.0}}

    assert order(retriever(bm25_margin_votes=0).fuse(scores))[0] == "d.txt#s/0"


def test_a_kind_prior_scales_that_kinds_fused_score() -> None:
    scores = {**DENSE_MAJORITY, "bm25": {0: 4.0, 1: 3.0}}
    bio_first = retriever(("bio", "body", "body"), kind_priors={"bio": 0.5})

    hits = bio_first.fuse(scores)

    assert order(hits)[0] == "d.txt#s/1"
    assert hits[-1].chunk.kind == "bio"
    assert hits[-1].score == pytest.approx(0.5 * (3 / 21 + 1 / 21))
