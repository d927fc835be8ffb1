"""Hits -> Answer: the top passages, their best sentences highlighted, and abstention."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from qa.corpus.sentences import sentence_spans
from qa.corpus.spans import highlights_in_text
from qa.index.store import IndexStore
from qa.retrieval.dedupe import drop_near_duplicates
from qa.retrieval.hybrid import SearchResult
from qa.retrieval.merge import merge_adjacent
from qa.settings import Settings
from qa.types import Answer, Chunk, Hit, Passage, SourceText, Span

Terms = Callable[[str], list[str]]

# Logistic model of "the corpus answers this question" on two signals: the best sentence's
# cosine with the question, and the share of question terms the corpus never uses. Fitted by
# eval/calibrate.py on eval/questions.jsonl; refit (and update Settings.abstain_below from its
# output) whenever the rankers change.
CALIBRATION = {"bias": -0.946, "sentence": 3.2964, "unknown_terms": -2.5241}
# Logistic model of "the first passage answers" (the answer's `confidence`), fitted by
# eval/calibrate_confidence.py on the own set's questions, answerable or not; refit whenever the
# rankers change. Its calibration is checked on the locked split (README, "Confidence").
FIRST_PASSAGE = {
    "bias": -1.4645,
    "top_sentence": 2.1827,
    "top_firsts": 0.1301,
    "top_votes": -0.0469,
    "fused_margin": 2.2748,
    "unknown_terms": -3.3796,
    "unknown_name": -1.588,
}
# Chosen on the eval set (README, "Highlights"): cosine decides, shared terms break near-ties,
# and a second sentence is marked when it scores within 0.1 of the best (1.35 sentences a passage).
LEXICAL_WEIGHT = 0.01
SECOND_HIGHLIGHT_WITHIN = 0.1


def build_answer(
    question: str,
    result: SearchResult,
    *,
    k: int,
    settings: Settings,
    terms: Terms,
    store: IndexStore,
    sentence_terms: Callable[[int], frozenset[str]],
    features: dict[str, float],
    unknown_names: list[str],
) -> Answer:
    started = time.perf_counter()
    query_terms = set(terms(question))
    # An engine's source texts: the stretches the first hits cite, fetched in one request.
    store.prefetch_texts(hit.chunk for hit in result.hits[: max(settings.merge_window, 2 * k)])
    merged = merge_adjacent(
        result.hits,
        store.sources,
        window=settings.merge_window,
        most=settings.merge_most,
    )
    distinct = drop_near_duplicates(
        merged, lambda item: item[0].chunk.text, most=k, threshold=settings.duplicate_share
    )
    passages = []
    for i, (hit, rows) in enumerate(distinct):
        indices = [j for row in rows for j in store.sentences_of(row)]
        candidates = [(store.sentence_span(j), sentence_terms(j)) for j in indices]
        # Every hit is a candidate the retriever scored the sentences of.
        scored = result.sentence_scores
        cosines = [scored[j] for j in indices] if scored is not None else None
        source = store.sources[hit.chunk.doc_id]
        spans = highlight(hit.chunk, source, candidates, cosines, query_terms, terms)
        marks = highlights_in_text(hit.chunk.text, source, hit.chunk.spans, spans)
        passages.append(Passage(rank=i + 1, hit=hit, highlights=spans, text_highlights=marks))
    answerable = answer_confidence(features) if result.hits else 0.0
    reason = abstain_reason(answerable, unknown_names, settings.abstain_below)
    confidence = first_passage_confidence(features) if result.hits else 0.0
    return Answer(
        question=question,
        passages=tuple(passages),
        abstained=reason is not None,
        confidence=confidence,
        timings_ms={"answer": (time.perf_counter() - started) * 1000},
        unknown_names=tuple(unknown_names),
        abstain_reason=reason,
    )


def abstain_reason(confidence: float, unknown_names: list[str], threshold: float) -> str | None:
    """Why not to trust the passages, or None. A name no document mentions settles it: the
    nearest passages then match the question's topic, never the thing it asks about."""
    if unknown_names:
        return "unknown_names"
    if confidence < threshold:
        return "low_confidence"
    return None


def confidence_features(
    hits: list[Hit], unknown_terms: float, unknown_names: int = 0
) -> dict[str, float]:
    """The evidence abstention and confidence look at (all 0 where a ranker did not run).

    Abstention reads `sentence` and `unknown_terms`; confidence reads the names in
    FIRST_PASSAGE. The others are candidates eval/calibrate_confidence.py tried."""
    best_sentence = max((h.scores.get("sentence", 0.0) for h in hits[:5]), default=0.0)
    features = {"sentence": best_sentence, "unknown_terms": unknown_terms}
    top = hits[0].scores if hits else {}
    rankers = [name for name in ("dense", "dense2", "sentence", "bm25") if f"{name}_rank" in top]
    features["top_sentence"] = top.get("sentence", 0.0)
    features["top_dense"] = top.get("dense", 0.0)
    features["top_dense2"] = top.get("dense2", 0.0)
    # How many rankers put the first hit first, and within their top 3.
    features["top_firsts"] = float(sum(top[f"{name}_rank"] == 1 for name in rankers))
    features["top_votes"] = float(sum(top[f"{name}_rank"] <= 3 for name in rankers))
    # The first hit's lead over the second, relative (RRF scores are positive; a single
    # ranker's may be zero or negative, where the lead says nothing comparable).
    lead = hits[0].score if hits else 0.0
    second = hits[1].score if len(hits) > 1 else 0.0
    features["fused_margin"] = (lead - second) / lead if lead > 0 else 0.0
    features["unknown_name"] = float(unknown_names > 0)
    return features


def _logistic(coefficients: dict[str, float], features: dict[str, float]) -> float:
    z = coefficients["bias"] + sum(
        weight * features[name] for name, weight in coefficients.items() if name != "bias"
    )
    return 1.0 / (1.0 + math.exp(-z))


def answer_confidence(features: dict[str, float]) -> float:
    """Probability-like score (0..1) that the corpus answers the question (abstention)."""
    return _logistic(CALIBRATION, features)


def first_passage_confidence(features: dict[str, float]) -> float:
    """The answer's `confidence`: the probability that the first passage answers."""
    return _logistic(FIRST_PASSAGE, features)


def highlight(
    chunk: Chunk,
    source: SourceText,
    candidates: list[tuple[Span, frozenset[str]]],
    cosines: list[float] | None,
    query_terms: set[str],
    terms: Terms,
) -> tuple[Span, ...]:
    """The one or two sentences that best answer: query cosine plus shared terms.

    `candidates` are the passage's indexed sentences with their terms; `terms` tokenizes the
    fallback sentences of a passage whose sentences were all too short to index.
    """
    if not candidates:
        candidates = [
            (s, frozenset(terms(source[s[0] : s[1]])))
            for span in chunk.spans
            for s in sentence_spans(source, span)
        ]
        cosines = None
    if not candidates:
        return ()
    lexical = np.array([len(query_terms & words) for _, words in candidates], dtype=float)
    # Without sentence vectors (BM25 mode) shared terms are all the evidence there is.
    score = lexical * LEXICAL_WEIGHT + np.array(cosines) if cosines is not None else lexical
    order = np.argsort(-score, kind="stable")
    chosen = [int(order[0])]
    if len(order) > 1 and score[order[1]] >= score[order[0]] - SECOND_HIGHLIGHT_WITHIN:
        chosen.append(int(order[1]))
    return tuple(candidates[i][0] for i in sorted(chosen))
