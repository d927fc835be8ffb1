"""`qa eval --set both`: the own set and the locked split side by side, and the gap."""

from __future__ import annotations

from datetime import UTC, datetime

from click.testing import CliRunner

from qa.cli import main
from qa.evaluation.cli import split_gap
from qa.evaluation.runner import EvalReport, ModeRun


def report(**overall: float | None) -> EvalReport:
    metrics = {"overall": {"questions": 10.0, **overall}}
    return EvalReport(datetime.now(UTC), 10, (ModeRun("hybrid", (), metrics),))


def test_the_gap_is_locked_minus_own_for_every_metric_both_have() -> None:
    own = report(**{"R@5": 0.962, "MRR@10": 0.831, "page_accuracy": None})
    locked = report(**{"R@5": 0.928, "MRR@10": 0.843, "page_accuracy": None})

    assert split_gap(own, locked) == {
        "hybrid": {"R@5": -0.034, "MRR@10": 0.012, "page_accuracy": None}
    }


def test_one_questions_file_cannot_stand_for_both_sets(tmp_path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text("")

    result = CliRunner().invoke(main, ["eval", "--set", "both", "--questions", str(questions)])

    assert result.exit_code == 2
    assert "pick main or locked" in result.output
