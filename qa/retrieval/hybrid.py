"""Several rankers over the same chunks, fused into one ranking with each ranker's evidence kept.

Rankers: "dense" (primary model, chunk vectors), "dense2" (second model, chunk vectors),
"sentence" (primary model, a chunk's best sentence) and "bm25". Mode "hybrid" fuses all that the
index has; "dense" and "bm25" are the single-ranker baselines the eval compares against.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from qa.index.embedder import Embedder
from qa.index.store import IndexStore
from qa.retrieval.dense import dense_search
from qa.retrieval.fusion import ranks, reciprocal_rank_fusion
from qa.settings import Settings
from qa.types import Hit


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[Hit]
    timings_ms: dict[str, float]
    sentence_scores: np.ndarray | None  # query cosine of every indexed sentence (for highlights)


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
        self.second = second if store.second is not None else None
        self.settings = settings
        self.bm25 = store.bm25

    def search(self, question: str, k: int, mode: str = "hybrid") -> SearchResult:
        """Ranked hits (at least k, up to the candidate pool) and per-stage timings in ms."""
        timings: dict[str, float] = {}
        pool = max(k, self.settings.candidates)
        scores: dict[str, dict[int, float]] = {}
        sentence_scores = None
        if mode in ("hybrid", "dense"):
            t = time.perf_counter()
            query = self.embedder.embed_query(question)
            query2 = self.second.embed_query(question) if self.second and mode == "hybrid" else None
            timings["embed"] = _ms(t)
            t = time.perf_counter()
            scores["dense"] = _top(*dense_search(self.store.faiss, query, pool))
            if query2 is not None:
                scores["dense2"] = _top(*dense_search(self.store.second, query2, pool))
            if self.store.sentence_vectors is not None and len(self.store.sentence_vectors):
                sentence_scores = self.store.sentence_vectors @ query
                if mode == "hybrid":
                    scores["sentence"] = _best_sentence_per_chunk(
                        sentence_scores, self.store.sentence_rows, len(self.store.chunks), pool
                    )
            timings["dense"] = _ms(t)
        if mode in ("hybrid", "bm25"):
            t = time.perf_counter()
            all_scores = self.bm25.scores(question)
            top = np.argsort(-all_scores, kind="stable")[:pool]
            scores["bm25"] = {int(i): float(all_scores[i]) for i in top if all_scores[i] > 0}
            timings["bm25"] = _ms(t)

        t = time.perf_counter()
        rank_lists = {name: ranks(s) for name, s in scores.items()}
        if mode == "hybrid":
            fused = reciprocal_rank_fusion(rank_lists, k=self.settings.rrf_k)
        else:  # a single ranker: its own scores
            fused = dict(scores["dense" if mode == "dense" else "bm25"])
        hits = []
        for row in sorted(fused, key=lambda i: -fused[i]):
            evidence: dict[str, float] = {"fused": fused[row]}
            for name, s in scores.items():
                if row in s:
                    evidence[name] = s[row]
                    evidence[f"{name}_rank"] = rank_lists[name][row]
            hits.append(Hit(chunk=self.store.chunks[row], score=fused[row], scores=evidence))
        timings["fuse"] = _ms(t)
        return SearchResult(hits, timings, sentence_scores)


def _top(ids: np.ndarray, scores: np.ndarray) -> dict[int, float]:
    return {int(i): float(s) for i, s in zip(ids, scores, strict=True)}


def _best_sentence_per_chunk(
    sentence_scores: np.ndarray, rows: np.ndarray, n_chunks: int, pool: int
) -> dict[int, float]:
    """Each chunk's best sentence score; the `pool` best chunks."""
    best = np.full(n_chunks, -np.inf, dtype=np.float32)
    np.maximum.at(best, rows, sentence_scores)
    top = np.argsort(-best, kind="stable")[:pool]
    return {int(i): float(best[i]) for i in top if np.isfinite(best[i])}


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
