"""Dense + BM25 candidates fused into one ranking, with each retriever's evidence kept."""

from __future__ import annotations

import time

import numpy as np

from qa.index.embedder import Embedder
from qa.index.store import IndexStore
from qa.retrieval.bm25 import BM25Retriever
from qa.retrieval.dense import dense_search
from qa.retrieval.fusion import ranks, reciprocal_rank_fusion
from qa.settings import Settings
from qa.types import Hit


class HybridRetriever:
    def __init__(self, store: IndexStore, embedder: Embedder, settings: Settings) -> None:
        import faiss

        faiss.omp_set_num_threads(1)  # one query at a time: FAISS threading only adds overhead here
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.bm25 = BM25Retriever([c.search_text for c in store.chunks])

    def search(self, question: str, k: int, mode: str = "hybrid") -> tuple[list[Hit], dict[str, float]]:
        """Ranked hits (at least k, up to the candidate pool) and per-stage timings in ms."""
        timings: dict[str, float] = {}
        pool = max(k, self.settings.candidates)
        dense_scores: dict[int, float] = {}
        bm25_scores: dict[int, float] = {}
        if mode in ("hybrid", "dense"):
            t = time.perf_counter()
            query = self.embedder.embed_query(question)
            timings["embed"] = _ms(t)
            t = time.perf_counter()
            ids, scores = dense_search(self.store.faiss, query, pool)
            dense_scores = {int(i): float(s) for i, s in zip(ids, scores, strict=True)}
            timings["dense"] = _ms(t)
        if mode in ("hybrid", "bm25"):
            t = time.perf_counter()
            all_scores = self.bm25.scores(question)
            top = np.argsort(-all_scores, kind="stable")[:pool]
            bm25_scores = {int(i): float(all_scores[i]) for i in top if all_scores[i] > 0}
            timings["bm25"] = _ms(t)

        t = time.perf_counter()
        dense_ranks, bm25_ranks = ranks(dense_scores), ranks(bm25_scores)
        if mode == "dense":
            fused = dict(dense_scores)
        elif mode == "bm25":
            fused = dict(bm25_scores)
        else:
            fused = reciprocal_rank_fusion({"dense": dense_ranks, "bm25": bm25_ranks}, k=self.settings.rrf_k)
        order = sorted(fused, key=lambda i: -fused[i])
        hits = []
        for row in order:
            evidence: dict[str, float] = {"fused": fused[row]}
            if row in dense_scores:
                evidence.update(dense=dense_scores[row], dense_rank=dense_ranks[row])
            if row in bm25_scores:
                evidence.update(bm25=bm25_scores[row], bm25_rank=bm25_ranks[row])
            hits.append(Hit(chunk=self.store.chunks[row], score=fused[row], scores=evidence))
        timings["fuse"] = _ms(t)
        return hits, timings


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
