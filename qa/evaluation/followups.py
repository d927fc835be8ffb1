"""Follow-ups measured: two-turn exchanges (eval/followups.jsonl, eval/FOLLOWUPS.md) through the
chat's own session, the second turn scored against its gold.

For each exchange the first question is asked in a fresh `ChatSession` (the real pipeline,
k=10), then the second line. A follow-up is scored as the chat searched it (with the question
before) and, as the baseline, searched as typed; a question about the last answer scores 1 when
the reply states the expected field of the expected document; a standalone second question
scores 1 for "resolved" only when the chat did not rewrite it.

    .venv/bin/python -m qa.evaluation.followups [--locked]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from qa.chat.service import LocalService
from qa.chat.session import ChatSession
from qa.evaluation.dataset import GoldRecord, QuestionRecord, locate
from qa.evaluation.metrics import first_hit, ranking_scores
from qa.pipeline import Pipeline
from qa.settings import REPO_ROOT, Settings

FILES = {"own": REPO_ROOT / "eval" / "followups.jsonl"}
FILES["locked"] = REPO_ROOT / "eval" / "locked" / "followups.jsonl"
K = 10


class Silent:
    """A ChatOutput that prints nothing: the eval reads the session's exchanges."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def golds(turn: dict[str, Any], corpus: Path) -> tuple[Any, ...]:
    record = QuestionRecord(
        id="x",
        question=turn["question"],
        gold=[GoldRecord(**g) for g in turn["gold"]],
        style="paraphrase",
        type="followup",
    )
    return locate([(1, record)], corpus)[0].gold


def judged(passages: list[Any], gold: tuple[Any, ...]) -> list[bool]:
    flags = []
    for p in passages:
        flags.append(first_hit([(p.doc_id, p.spans)], gold) is not None)
    return flags


def states(reply: str, field: str, document: Any) -> bool:
    """Whether a reply about the last answer gives the expected document's field."""
    if field == "authors":
        return bool(document.authors) and all(name in reply for name in document.authors)
    if field == "date":
        return bool(document.date) and document.date in reply
    return document.title in reply


def run(path: Path, pipeline: Pipeline) -> dict[str, dict[str, float]]:
    corpus = pipeline.settings.corpus_dir
    service = LocalService(pipeline)
    documents = {d.doc_id: d for d in service.documents()}
    typed: dict[str, list[bool]] = {}
    resolved: dict[str, list[bool]] = {}
    kinds: dict[str, str] = {}
    about: dict[str, float] = {}
    kept: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        exchange = json.loads(line)
        first, second = exchange["turns"]
        kinds[exchange["id"]] = exchange["kind"]
        session = ChatSession(service, Silent(), k=K)  # type: ignore[arg-type]
        session.handle(first["question"])
        session.handle(second["question"])
        last = session.exchanges[-1]
        if exchange["kind"] == "meta":
            expect = second["expect"]
            reply = last.reply or ""
            about[exchange["id"]] = float(states(reply, expect["field"], documents[expect["doc"]]))
            continue
        gold = golds(second, corpus)
        alone = service.ask(second["question"], K, "hybrid", None)
        typed[exchange["id"]] = judged(alone.passages, gold)
        resolved[exchange["id"]] = judged(last.passages, gold)
        if exchange["kind"] == "standalone":
            kept[exchange["id"]] = float(last.reading.kind == "question")
    typed_scores, resolved_scores = ranking_scores(typed), ranking_scores(resolved)
    out: dict[str, dict[str, float]] = {}
    for kind in ("ellipsis", "pronoun", "why", "standalone"):
        ids = [i for i in typed if kinds[i] == kind]
        if not ids:
            continue
        row = {"n": float(len(ids))}
        for metric in ("R@5", "MRR@10"):
            row[f"typed {metric}"] = statistics.mean(typed_scores[i][metric] for i in ids)
            row[f"chat {metric}"] = statistics.mean(resolved_scores[i][metric] for i in ids)
        if kind == "standalone":
            row["left as typed"] = statistics.mean(kept[i] for i in ids)
        out[kind] = row
    ids = [i for i in typed if kinds[i] != "standalone"]
    follow = {"n": float(len(ids))}
    for metric in ("R@5", "MRR@10"):
        follow[f"typed {metric}"] = statistics.mean(typed_scores[i][metric] for i in ids)
        follow[f"chat {metric}"] = statistics.mean(resolved_scores[i][metric] for i in ids)
    out["all follow-ups"] = follow
    if about:
        out["meta"] = {"n": float(len(about)), "answered": statistics.mean(about.values())}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locked", action="store_true", help="the locked split (report only)")
    args = parser.parse_args()
    pipeline = Pipeline.open(Settings())
    path = FILES["locked" if args.locked else "own"]
    results = run(path, pipeline)
    print(f"{path.relative_to(REPO_ROOT)}, k={K}")
    for kind, row in results.items():
        cells = ", ".join(f"{name} {value:.3f}" for name, value in row.items() if name != "n")
        print(f"  {kind} ({row['n']:.0f}): {cells}")


if __name__ == "__main__":
    main()
