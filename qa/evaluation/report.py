"""Write an eval run to eval/reports/<UTC timestamp>/{report.json, report.md, questions.jsonl}."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qa.evaluation.metrics import Metrics
from qa.evaluation.runner import EvalReport
from qa.settings import REPO_ROOT

REPORTS_DIR = REPO_ROOT / "eval" / "reports"
COLUMNS = (
    "questions",
    "R@1",
    "R@3",
    "R@5",
    "R@10",
    "MRR@10",
    "nDCG@10",
    "section_accuracy",
    "page_accuracy",
    "highlight_accuracy",
    "citation_fidelity",
    "abstain_unanswerable",
    "abstain_answerable",
    "confidence_ece",
    "latency_p50_ms",
    "latency_p95_ms",
)


def report_dict(report: EvalReport, **extra: Any) -> dict[str, Any]:
    """The JSON form of a report: provenance and, per mode, metrics overall and by style."""
    return {
        "created_at": report.created_at.isoformat(timespec="seconds"),
        "k": report.k,
        **report.info,
        **extra,
        "modes": {run.mode: run.metrics for run in report.runs},
    }


def question_rows(report: EvalReport) -> list[dict[str, Any]]:
    rows = []
    for run in report.runs:
        for r in run.results:
            rows.append(
                {
                    "mode": run.mode,
                    "id": r.id,
                    "style": r.style,
                    "type": r.type,
                    "answerable": r.answerable,
                    "rank": r.rank,
                    "top": [asdict(p) for p in r.top],
                    "abstained": r.abstained,
                    "confidence": r.confidence,
                    "section_ok": r.section_ok,
                    "highlight_ok": r.highlight_ok,
                    "latency_ms": round(r.latency_ms, 2),
                }
            )
    return rows


def format_value(name: str, value: float | None) -> str:
    """Three decimals for rates, one for milliseconds, a dash for undefined.

    >>> format_value("R@5", 0.81234), format_value("latency_p95_ms", 41.26)
    ('0.812', '41.3')
    >>> format_value("R@1", None)
    '–'
    """
    if value is None:
        return "–"
    if name == "questions":
        return str(int(value))
    if name.endswith("_ms"):
        return f"{value:.1f}"
    return f"{value:.3f}"


def markdown_table(metrics: dict[str, Metrics]) -> str:
    """One row per group (overall, then each style), one column per metric."""
    lines = [
        "| group | " + " | ".join(COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]
    for group, values in metrics.items():
        cells = [format_value(name, values.get(name)) for name in COLUMNS]
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report_markdown(report: EvalReport, **extra: Any) -> str:
    head = [
        f"# Eval report {report.created_at.isoformat(timespec='seconds')}",
        "",
        f"k = {report.k}; " + "; ".join(f"{key} = {value}" for key, value in extra.items()),
        "",
        "R@k: an answering passage within the top k. Section and highlight accuracy: over "
        "answerable questions with a hit in the top 10. Citation fidelity: share of returned "
        "passages whose text is rebuilt exactly from their spans. Abstention: share abstained. "
        "confidence_ece: expected calibration error of confidence read as the probability that "
        "the first passage answers (10 bins).",
    ]
    body = []
    for run in report.runs:
        body += ["", f"## {run.mode}", "", markdown_table(run.metrics)]
    return "\n".join(head + body) + "\n"


def write_report(report: EvalReport, out_dir: Path = REPORTS_DIR, **extra: Any) -> Path:
    """Write the three files into a new <UTC timestamp> folder under `out_dir`; return it."""
    folder = out_dir / report.created_at.strftime("%Y%m%dT%H%M%SZ")
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = out_dir / f"{report.created_at.strftime('%Y%m%dT%H%M%SZ')}-{suffix}"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(
        json.dumps(report_dict(report, **extra), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    (folder / "report.md").write_text(report_markdown(report, **extra), encoding="utf-8")
    with (folder / "questions.jsonl").open("w", encoding="utf-8") as fh:
        for row in question_rows(report):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return folder
