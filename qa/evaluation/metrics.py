"""The hit rule and the metrics: pure functions over judged rankings, one row per question.

A returned passage answers a gold item when it comes from the same document and its spans cover at
least half of the quote. The rule looks only at source offsets, so it does not depend on chunking.
Ranking metrics come from `ir_measures` (Success@k, RR@10, nDCG@10); the rest are plain rates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import ir_measures
import numpy as np
from ir_measures import RR, Qrel, ScoredDoc, Success, nDCG

from qa.evaluation.dataset import STYLES, Gold
from qa.types import Span

CUTOFFS: tuple[int, ...] = (1, 3, 5, 10)
RANKING_MEASURES = {
    **{f"R@{c}": Success @ c for c in CUTOFFS},  # success@k: an answer within the top k
    "MRR@10": RR @ 10,
    "nDCG@10": nDCG @ 10,
}
WINDOW = 10  # section and highlight accuracy look at the first hit within the top 10
Metrics = dict[str, float | None]


def covered(spans: Iterable[Span], target: Span) -> int:
    """How many characters of `target` the (possibly overlapping) `spans` cover.

    >>> covered([(0, 10), (5, 20), (30, 40)], (8, 35))
    17
    """
    lo, hi = target
    cuts = sorted((max(s, lo), min(e, hi)) for s, e in spans if min(e, hi) > max(s, lo))
    total, reach = 0, lo
    for start, end in cuts:
        start = max(start, reach)
        if end > start:
            total += end - start
            reach = end
    return total


def answers(doc_id: str, spans: Sequence[Span], gold: Gold) -> bool:
    """The hit rule: same document and at least half of one occurrence of the quote covered.

    >>> gold = Gold("a.txt", "q" * 40, "Intro", spans=((100, 140),))
    >>> answers("a.txt", [(0, 120)], gold), answers("a.txt", [(0, 119)], gold)
    (True, False)
    >>> answers("b.txt", [(0, 500)], gold)
    False
    """
    if doc_id != gold.doc:
        return False
    return any(2 * covered(spans, span) >= span[1] - span[0] for span in gold.spans)


def first_hit(
    passages: Sequence[tuple[str, Sequence[Span]]], golds: Sequence[Gold]
) -> tuple[int, Gold] | None:
    """1-based rank of the first passage answering any gold item, and that item; None if none.

    >>> g = Gold("a.txt", "q" * 40, "Intro", spans=((100, 140),))
    >>> first_hit([("a.txt", [(0, 50)]), ("a.txt", [(90, 200)])], [g])[0]
    2
    >>> first_hit([("b.txt", [(100, 140)])], [g]) is None
    True
    """
    for rank, (doc_id, spans) in enumerate(passages, start=1):
        for gold in golds:
            if answers(doc_id, spans, gold):
                return rank, gold
    return None


_MARKUP = re.compile(r"[*#]")
_SPACE = re.compile(r"\s+")


def normalise_section(heading: str) -> str:
    """Headings compare after removing markup (* and #) and collapsing whitespace.

    >>> normalise_section("## **Growing   ties?**\\n")
    'Growing ties?'
    """
    return _SPACE.sub(" ", _MARKUP.sub("", heading)).strip()


@dataclass(frozen=True, slots=True)
class PassageBrief:
    doc_id: str
    section: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """One question judged in one mode: everything the metrics and the report need."""

    id: str
    style: str
    type: str
    answerable: bool
    relevant: tuple[bool, ...]  # per returned passage, in rank order: does it answer?
    section_ok: bool | None  # None unless answerable with a hit in the top 10
    highlight_ok: bool | None  # likewise
    citations_ok: int  # passages whose text is reconstructed exactly from their spans
    citations_total: int
    abstained: bool
    confidence: float
    latency_ms: float
    top: tuple[PassageBrief, ...] = ()
    page_ok: bool | None = None  # None unless a top-10 hit's gold names a page

    @property
    def rank(self) -> int | None:
        return self.relevant.index(True) + 1 if True in self.relevant else None


def ranking_scores(judged: Mapping[str, Sequence[bool]]) -> dict[str, dict[str, float]]:
    """Per-question R@k, MRR@10 and nDCG@10 of judged rankings, computed with `ir_measures`.

    >>> s = ranking_scores({"q1": [False, True, False], "q2": [False]})
    >>> s["q1"]["R@1"], s["q1"]["R@3"], s["q1"]["MRR@10"], round(s["q1"]["nDCG@10"], 4)
    (0.0, 1.0, 0.5, 0.6309)
    >>> s["q2"]["R@10"], s["q2"]["nDCG@10"]
    (0.0, 0.0)
    """
    # The run is each question's ranked passages, named p01, p02, ... with strictly decreasing
    # scores, so trec_eval's sort (score, then doc id on ties) reproduces the pipeline's order.
    # The qrels are judged from that same run: a passage the hit rule accepts gets relevance 1,
    # every other returned passage is unjudged (= non-relevant). The ideal ranking for nDCG is
    # therefore "all answering passages first". A question with no answering passage gets one
    # qrel for a phantom passage "unretrieved-gold" that is never in the run: it keeps the
    # question in the evaluation (trec_eval skips queries without relevant documents) and scores
    # it 0, as a miss should. Unanswerable questions are not passed here.
    run: list[ScoredDoc] = []
    qrels: list[Qrel] = []
    for qid, flags in judged.items():
        for i, relevant in enumerate(flags, start=1):
            run.append(ScoredDoc(qid, f"p{i:02d}", float(len(flags) - i + 1)))
            if relevant:
                qrels.append(Qrel(qid, f"p{i:02d}", 1))
        if not any(flags):
            qrels.append(Qrel(qid, "unretrieved-gold", 1))
    names = {measure: name for name, measure in RANKING_MEASURES.items()}
    scores = {qid: dict.fromkeys(RANKING_MEASURES, 0.0) for qid in judged}
    for m in ir_measures.iter_calc(list(RANKING_MEASURES.values()), qrels, run):
        scores[m.query_id][names[m.measure]] = float(m.value)
    return scores


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile, linear interpolation between closest ranks (numpy's default).

    >>> percentile([10, 20, 30, 40], 50), percentile([10, 20, 30, 40], 95)
    (25.0, 38.5)
    """
    return float(np.percentile(values, q)) if len(values) else None


def mean(values: Iterable[float | bool]) -> float | None:
    """Arithmetic mean, None for no values (a rate over an empty group is undefined, not 0).

    >>> mean([True, False, True, True]), mean([])
    (0.75, None)
    """
    items = [float(v) for v in values]
    return sum(items) / len(items) if items else None


def expected_calibration_error(pairs: Sequence[tuple[float, bool]], bins: int = 10) -> float | None:
    """ECE of (confidence, outcome) pairs: the mean gap between confidence and the outcome
    rate in equal-width confidence bins, weighted by their sizes (Naeini et al. 2015; Guo et
    al. 2017, eq. 3). None for no pairs.

    >>> expected_calibration_error([(0.9, True), (0.9, False), (0.2, False), (0.2, False)])
    0.3
    >>> expected_calibration_error([]) is None
    True
    """
    if not pairs:
        return None
    grouped: dict[int, list[tuple[float, bool]]] = {}
    for confidence, outcome in pairs:
        grouped.setdefault(min(int(confidence * bins), bins - 1), []).append((confidence, outcome))
    gap = sum(
        abs(sum(c for c, _ in group) - sum(o for _, o in group)) for group in grouped.values()
    )
    return round(gap / len(pairs), 12)


def summarise(results: Sequence[QuestionResult]) -> dict[str, Metrics]:
    """Metrics overall and for each style present: {"overall": {...}, "paraphrase": {...}, ...}."""
    answerable = {r.id: r.relevant for r in results if r.answerable}
    per_question = ranking_scores(answerable)
    groups = {"overall": list(results)}
    for style in STYLES:
        members = [r for r in results if r.style == style]
        if members:
            groups[style] = members
    return {name: _group_metrics(members, per_question) for name, members in groups.items()}


def _group_metrics(
    results: Sequence[QuestionResult], per_question: Mapping[str, Mapping[str, float]]
) -> Metrics:
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    cited = sum(r.citations_total for r in results)
    latencies = [r.latency_ms for r in results]
    metrics: Metrics = {
        "questions": float(len(results)),
        "answerable": float(len(answerable)),
        "unanswerable": float(len(unanswerable)),
    }
    for name in RANKING_MEASURES:
        metrics[name] = mean(per_question[r.id][name] for r in answerable)
    metrics["section_accuracy"] = mean(r.section_ok for r in answerable if r.section_ok is not None)
    metrics["page_accuracy"] = mean(r.page_ok for r in answerable if r.page_ok is not None)
    metrics["highlight_accuracy"] = mean(
        r.highlight_ok for r in answerable if r.highlight_ok is not None
    )
    metrics["citation_fidelity"] = sum(r.citations_ok for r in results) / cited if cited else None
    metrics["abstain_unanswerable"] = mean(r.abstained for r in unanswerable)
    metrics["abstain_answerable"] = mean(r.abstained for r in answerable)
    # Confidence read as the probability that the first passage answers (unanswerable
    # questions: it never does).
    metrics["confidence_ece"] = expected_calibration_error(
        [(r.confidence, r.rank == 1) for r in results]
    )
    metrics["latency_p50_ms"] = percentile(latencies, 50)
    metrics["latency_p95_ms"] = percentile(latencies, 95)
    return metrics
