"""Run the eval set through the pipeline, exactly as users get answers, and judge each response."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from qa.evaluation.dataset import EvalQuestion, read_source
from qa.evaluation.metrics import (
    WINDOW,
    Metrics,
    PassageBrief,
    QuestionResult,
    answers,
    first_hit,
    normalise_section,
    summarise,
)
from qa.schema import AskResponse
from qa.types import Answer

log = logging.getLogger(__name__)
TOP_IN_REPORT = 5


class AskingPipeline(Protocol):
    """What the runner needs of `qa.pipeline.Pipeline`."""

    @property
    def settings(self) -> Any: ...

    def ask(self, question: str, k: int = 5, mode: Any = "hybrid") -> Answer: ...


@dataclass(frozen=True, slots=True)
class ModeRun:
    mode: str
    results: tuple[QuestionResult, ...]
    metrics: dict[str, Metrics]  # group ("overall" or a style) -> metric name -> value


@dataclass(frozen=True, slots=True)
class EvalReport:
    created_at: datetime
    k: int
    runs: tuple[ModeRun, ...]
    info: dict[str, Any] = field(default_factory=dict)  # settings and eval-file provenance

    def run(self, mode: str) -> ModeRun:
        for run in self.runs:
            if run.mode == mode:
                return run
        raise KeyError(f"mode {mode!r} was not evaluated; ran {[r.mode for r in self.runs]}")


def judge(
    question: EvalQuestion,
    response: AskResponse,
    *,
    latency_ms: float,
    citations: Sequence[bool],
) -> QuestionResult:
    """Judge one response with the hit rule. `citations[i]`: passage i's text matches its spans."""
    passages = [(p.doc_id, p.spans) for p in response.passages]
    relevant = tuple(
        any(answers(doc_id, spans, gold) for gold in question.gold) for doc_id, spans in passages
    )
    section_ok = highlight_ok = page_ok = None
    hit = first_hit(passages[:WINDOW], question.gold)
    if hit is not None:
        rank, gold = hit
        passage = response.passages[rank - 1]
        section_ok = normalise_section(passage.section) == normalise_section(gold.section)
        highlight_ok = any(
            min(he, ge) > max(hs, gs) for hs, he in passage.highlights for gs, ge in gold.spans
        )
        if gold.page is not None:  # the passage's pages hold the page the quote starts on
            first, last = passage.page_start, passage.page_end
            page_ok = first is not None and last is not None and first <= gold.page <= last
    return QuestionResult(
        id=question.id,
        style=question.style,
        type=question.type,
        answerable=question.answerable,
        relevant=relevant,
        section_ok=section_ok,
        highlight_ok=highlight_ok,
        citations_ok=sum(bool(c) for c in citations),
        citations_total=len(citations),
        abstained=response.abstained,
        confidence=response.confidence,
        latency_ms=latency_ms,
        top=tuple(
            PassageBrief(p.doc_id, p.section, p.start, p.end, p.score)
            for p in response.passages[:TOP_IN_REPORT]
        ),
        page_ok=page_ok,
    )


def run_eval(
    pipeline: AskingPipeline,
    questions: Sequence[EvalQuestion],
    *,
    modes: Sequence[str] = ("hybrid",),
    k: int = 10,
    progress: Callable[[str, int, int], None] | None = None,
) -> EvalReport:
    """Ask every question in every mode and judge the `AskResponse` users would get."""
    from qa.corpus.spans import text_from_spans  # the core's own reconstruction of a citation

    corpus_dir = Path(pipeline.settings.corpus_dir)
    sources: dict[str, str] = {}

    def cited_exactly(doc_id: str, spans: list[tuple[int, int]], text: str) -> bool:
        if doc_id not in sources:
            sources[doc_id] = read_source(corpus_dir, doc_id)
        return text_from_spans(sources[doc_id], spans) == text

    runs = []
    for mode in modes:
        results = []
        for done, question in enumerate(questions):
            if progress:
                progress(mode, done, len(questions))
            started = time.perf_counter()
            answer = pipeline.ask(question.question, k=k, mode=mode)
            latency_ms = (time.perf_counter() - started) * 1000
            response = AskResponse.from_answer(answer)
            citations = [cited_exactly(p.doc_id, p.spans, p.text) for p in response.passages]
            results.append(judge(question, response, latency_ms=latency_ms, citations=citations))
        if progress:
            progress(mode, len(questions), len(questions))
        runs.append(ModeRun(mode, tuple(results), summarise(results)))
        log.info("mode %s: %s", mode, runs[-1].metrics["overall"])
    return EvalReport(
        created_at=datetime.now(UTC),
        k=k,
        runs=tuple(runs),
        info={"corpus_dir": str(corpus_dir), "settings": _settings_info(pipeline.settings)},
    )


def _settings_info(settings: Any) -> dict[str, Any]:
    dump = getattr(settings, "model_dump", None)
    if dump is None:
        return {}
    return {key: str(value) if isinstance(value, Path) else value for key, value in dump().items()}
