"""Hits -> Answer: the top passages, their best sentences highlighted, and abstention."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

from qa.corpus.sentences import sentence_spans
from qa.settings import Settings
from qa.types import Answer, Chunk, Hit, Passage, Span

Terms = Callable[[str], list[str]]

# Logistic calibration of "does the top passage answer?" on the top hit's dense cosine and
# whether BM25 agrees. Fitted on eval/questions.jsonl (see README "Abstention").
CALIBRATION = {"bias": -6.0, "dense": 12.0, "bm25_agrees": 1.0}


def build_answer(
    question: str,
    hits: list[Hit],
    *,
    k: int,
    settings: Settings,
    terms: Terms,
    sources: Mapping[str, str],
) -> Answer:
    started = time.perf_counter()
    query_terms = set(terms(question))
    passages = tuple(
        Passage(rank=i + 1, hit=hit, highlights=highlight(hit.chunk, sources[hit.chunk.doc_id], query_terms, terms))
        for i, hit in enumerate(hits[:k])
    )
    confidence = answer_confidence(hits)
    return Answer(
        question=question,
        passages=passages,
        abstained=confidence < settings.abstain_below,
        confidence=confidence,
        timings_ms={"answer": (time.perf_counter() - started) * 1000},
    )


def answer_confidence(hits: list[Hit]) -> float:
    """Probability-like score that the best passage answers (0..1)."""
    if not hits:
        return 0.0
    top = hits[0].scores
    if "dense" not in top:  # BM25-only mode: only lexical evidence
        return 1.0 if top.get("bm25", 0.0) > 0 else 0.0
    z = (
        CALIBRATION["bias"]
        + CALIBRATION["dense"] * top["dense"]
        + CALIBRATION["bm25_agrees"] * (top.get("bm25_rank", 99) <= 3)
    )
    return 1.0 / (1.0 + math.exp(-z))


def highlight(chunk: Chunk, source: str, query_terms: set[str], terms: Terms, most: int = 2) -> tuple[Span, ...]:
    """The one or two sentences sharing the most query terms (source spans, in reading order)."""
    sentences = [s for span in chunk.spans for s in sentence_spans(source, span)]
    if not sentences or not query_terms:
        return tuple(sentences[:1])
    scored = [(len(query_terms & set(terms(source[a:b]))), i) for i, (a, b) in enumerate(sentences)]
    scored.sort(key=lambda x: (-x[0], x[1]))
    best = scored[0][0]
    if best == 0:
        return (sentences[0],)
    chosen = [i for score, i in scored[:most] if score >= max(1, 0.6 * best)]
    return tuple(sentences[i] for i in sorted(chosen))
