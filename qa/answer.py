"""Hits -> Answer: the top passages, their best sentences highlighted, and abstention."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from qa.corpus.sentences import sentence_spans
from qa.index.store import IndexStore
from qa.retrieval.hybrid import SearchResult
from qa.settings import Settings
from qa.types import Answer, Chunk, Hit, Passage, Span

Terms = Callable[[str], list[str]]

# Logistic model of "the best passage answers the question", on the top hit's evidence.
# Fitted on eval/questions.jsonl with cross-validation (README, "Abstention"); refit when the
# rankers change.
CALIBRATION = {"bias": -6.0, "dense": 4.0, "dense2": 4.0, "sentence": 4.0, "bm25_top3": 1.0}
LEXICAL_WEIGHT = 0.03  # a shared query term is worth this much sentence cosine
SECOND_HIGHLIGHT_WITHIN = 0.02  # highlight a second sentence only when it is nearly as good


def build_answer(question: str, result: SearchResult, *, k: int, settings: Settings,
                 terms: Terms, store: IndexStore, sentences_by_row: dict[int, list[int]],
                 row_of: dict[str, int]) -> Answer:
    started = time.perf_counter()
    query_terms = set(terms(question))
    passages = []
    for i, hit in enumerate(result.hits[:k]):
        candidates = [store.sentence_spans[j] for j in sentences_by_row.get(row_of[hit.chunk.chunk_id], [])]
        cosines = (
            [float(result.sentence_scores[j]) for j in sentences_by_row.get(row_of[hit.chunk.chunk_id], [])]
            if result.sentence_scores is not None
            else None
        )
        spans = highlight(hit.chunk, store.sources[hit.chunk.doc_id], candidates, cosines, query_terms, terms)
        passages.append(Passage(rank=i + 1, hit=hit, highlights=spans))
    confidence = answer_confidence(result.hits)
    return Answer(
        question=question,
        passages=tuple(passages),
        abstained=confidence < settings.abstain_below,
        confidence=confidence,
        timings_ms={"answer": (time.perf_counter() - started) * 1000},
    )


def confidence_features(hit: Hit) -> dict[str, float]:
    s = hit.scores
    return {
        "dense": s.get("dense", 0.0),
        "dense2": s.get("dense2", 0.0),
        "sentence": s.get("sentence", 0.0),
        "bm25_top3": float(s.get("bm25_rank", 99) <= 3),
    }


def answer_confidence(hits: list[Hit]) -> float:
    """Probability-like score (0..1) that the best passage answers the question."""
    if not hits:
        return 0.0
    features = confidence_features(hits[0])
    z = CALIBRATION["bias"] + sum(CALIBRATION[name] * value for name, value in features.items())
    return 1.0 / (1.0 + math.exp(-z))


def highlight(chunk: Chunk, source: str, candidates: list[Span], cosines: list[float] | None,
              query_terms: set[str], terms: Terms) -> tuple[Span, ...]:
    """The one or two sentences that best answer: query cosine plus shared terms."""
    if not candidates:  # sentences too short to index: fall back to splitting the chunk
        candidates = [s for span in chunk.spans for s in sentence_spans(source, span)]
        cosines = None
    if not candidates:
        return ()
    lexical = np.array([len(query_terms & set(terms(source[a:b]))) for a, b in candidates], dtype=float)
    score = lexical * LEXICAL_WEIGHT + (np.array(cosines) if cosines is not None else 0.0)
    order = np.argsort(-score, kind="stable")
    chosen = [int(order[0])]
    if len(order) > 1 and score[order[1]] >= score[order[0]] - SECOND_HIGHLIGHT_WITHIN:
        chosen.append(int(order[1]))
    return tuple(candidates[i] for i in sorted(chosen))
