"""Several rankers over the same chunks, fused into one ranking with each ranker's evidence kept.

Rankers: "dense" (primary model, chunk vectors), "dense2" (second model, chunk vectors),
"sentence" (primary model, a chunk's best sentence) and "bm25". Mode "hybrid" fuses all that the
index has; "dense" and "bm25" are the single-ranker baselines the eval compares against.

The sentence ranker re-scores only the other rankers' candidates: a question reads the vectors
of about 100 chunks' sentences, not all of them (at 20,000 chunks the full product took 214 ms).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.index.backends.faiss_files import FaissFilesBackend
from qa.index.backends.protocol import SearchBackend, Selection
from qa.index.embedder import Embedder
from qa.index.store import IndexStore
from qa.retrieval.fusion import decisive_lexical_bonus, ranks, reciprocal_rank_fusion
from qa.settings import Settings
from qa.types import Chunk, Hit


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]
    timings_ms: dict[str, float]
    # Query cosine of the candidate chunks' sentences, by sentence index (for highlights);
    # None without a query vector (BM25 mode).
    sentence_scores: dict[int, float] | None


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the rankers found for one question, before fusion."""

    scores: dict[str, dict[int, float]]  # ranker -> chunk row -> its score, its top rows only
    sentence_scores: dict[int, float] | None  # as in SearchResult
    timings_ms: dict[str, float]


class HybridRetriever:
    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        settings: Settings,
        second: Embedder | None = None,
    ) -> None:
        import faiss
        import threadpoolctl

        faiss.omp_set_num_threads(1)  # one query at a time: FAISS threading only adds overhead here
        # Likewise numpy's BLAS (the sentence scores): its idle threads spin after each product
        # and took the cores from the next question's embedding (hybrid embed 121 ms -> 50 ms).
        threadpoolctl.threadpool_limits(limits=1, user_api="blas")
        self.store = store
        self.embedder = embedder
        self.backend: SearchBackend = store.backend
        self.second = second if "dense2" in self.backend.fields() else None
        self.settings = settings
        self.bm25 = store.bm25

    def search(
        self, question: str, k: int, mode: str = "hybrid", selection: Selection | None = None
    ) -> SearchResult:
        """Ranked hits (at least k, up to the candidate pool) and per-stage timings in ms; only
        of the chunks in `selection` (the backend's `select(filters)`) when given."""
        evidence = self.rank(question, max(k, self.settings.candidates), mode, selection)
        t = time.perf_counter()
        fused = self.fused_scores(evidence.scores, mode)
        timings = {**evidence.timings_ms, "fuse": _ms(t)}
        t = time.perf_counter()
        hits = self.hits(fused, evidence.scores)
        if not isinstance(self.backend, FaissFilesBackend):
            timings["fetch"] = _ms(t)  # the hits' chunk records, from the engine
        return SearchResult(hits, timings, evidence.sentence_scores)

    def rank(
        self, question: str, pool: int, mode: str = "hybrid", selection: Selection | None = None
    ) -> Evidence:
        """Each ranker's top `pool` chunk rows with their scores (before fusion)."""
        timings: dict[str, float] = {}
        scores: dict[str, dict[int, float]] = {}
        sentence_scores = None
        query = None
        if mode in ("hybrid", "dense"):
            t = time.perf_counter()
            query = self.embedder.embed_query(question)
            query2 = self.second.embed_query(question) if self.second and mode == "hybrid" else None
            timings["embed"] = _ms(t)
            t = time.perf_counter()
            scores["dense"] = self.backend.dense_search("dense", query, pool, selection)
            if query2 is not None:
                scores["dense2"] = self.backend.dense_search("dense2", query2, pool, selection)
            timings["dense"] = _ms(t)
        if mode in ("hybrid", "bm25"):
            t = time.perf_counter()
            scores["bm25"] = self.backend.lexical_search(question, pool, selection)
            timings["bm25"] = _ms(t)
        if query is not None:
            t = time.perf_counter()
            candidates = sorted({row for ranked in scores.values() for row in ranked})
            sentence_scores, best = self._score_sentences(candidates, query)
            if mode == "hybrid" and best:
                scores["sentence"] = best
            timings["sentences"] = _ms(t)
        return Evidence(scores, sentence_scores, timings)

    def fuse(self, scores: dict[str, dict[int, float]], mode: str = "hybrid") -> list[Hit]:
        """One ranking from the rankers' scores, each hit keeping every ranker's evidence."""
        return self.hits(self.fused_scores(scores, mode), scores)

    def hits(self, fused: dict[int, float], scores: dict[str, dict[int, float]]) -> list[Hit]:
        """The hits of a fused ranking, their chunk records read (from an engine: at once)."""
        self.store.prefetch_chunks(fused)
        return hits_from(fused, scores, self.store.chunks)

    def fused_scores(
        self, scores: dict[str, dict[int, float]], mode: str = "hybrid"
    ) -> dict[int, float]:
        """Each candidate row's score in one ranking: RRF of the rankers (and the rules on
        it), or a single ranker's own scores."""
        if mode == "hybrid":
            k = self.settings.rrf_k
            fused = reciprocal_rank_fusion({name: ranks(s) for name, s in scores.items()}, k=k)
            priors = self.settings.kind_priors
            if priors:  # off unless set: cross-validation kept none (README, "Retrieval study")
                chunks = self.store.chunks
                self.store.prefetch_chunks(fused)
                fused = {row: v * priors.get(chunks[row].kind, 1.0) for row, v in fused.items()}
            margin, votes = self.settings.bm25_margin, self.settings.bm25_margin_votes
            decisive = decisive_lexical_bonus(scores.get("bm25", {}), margin, votes, k)
            if decisive is not None:
                row, extra = decisive
                fused[row] = fused.get(row, 0.0) + extra
        else:  # a single ranker: its own scores
            fused = dict(scores["dense" if mode == "dense" else "bm25"])
        return fused

    def _score_sentences(
        self, rows: list[int], query: np.ndarray
    ) -> tuple[dict[int, float], dict[int, float]]:
        """The query cosine of each sentence of the chunks `rows`, and each chunk's best."""
        store = self.store
        if store.sentence_vectors is None or not rows:
            return {}, {}
        indices = np.array([j for row in rows for j in store.sentences_of(row)], dtype=np.int64)
        if not len(indices):
            return {}, {}
        cosines = np.asarray(store.sentence_vectors[indices], dtype=np.float32) @ query
        by_sentence = dict(zip(indices.tolist(), cosines.tolist(), strict=True))
        best: dict[int, float] = {}
        for row, score in zip(store.sentence_rows[indices].tolist(), cosines.tolist(), strict=True):
            if score > best.get(row, -np.inf):
                best[row] = score
        return by_sentence, best


def hits_from(
    fused: dict[int, float], scores: dict[str, dict[int, float]], chunks: Sequence[Chunk]
) -> list[Hit]:
    """Hits in fused order, each keeping every ranker's score and rank as its evidence."""
    rank_lists = {name: ranks(s) for name, s in scores.items()}
    hits = []
    for row in sorted(fused, key=lambda i: -fused[i]):
        evidence: dict[str, float] = {"fused": fused[row]}
        for name, s in scores.items():
            if row in s:
                evidence[name] = s[row]
                evidence[f"{name}_rank"] = rank_lists[name][row]
        hits.append(Hit(chunk=chunks[row], score=fused[row], scores=evidence, row=row))
    return hits


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
