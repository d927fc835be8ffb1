"""The quality gate: the real pipeline over eval/questions.jsonl meets eval/thresholds.json.

Builds the real index under a temporary folder (a few minutes with the real model).
"""

from __future__ import annotations

import pytest

from qa.evaluation.dataset import load_questions
from qa.evaluation.gate import gate_failures, load_thresholds
from qa.evaluation.runner import EvalReport, run_eval
from qa.settings import REPO_ROOT, Settings

pytestmark = pytest.mark.eval

QUESTIONS = REPO_ROOT / "eval" / "questions.jsonl"


@pytest.fixture(scope="module")
def questions():
    assert QUESTIONS.exists(), f"{QUESTIONS} is missing; the gate needs the full eval set"
    return load_questions(QUESTIONS, Settings().corpus_dir)


@pytest.fixture(scope="module")
def hybrid_report(questions, tmp_path_factory) -> EvalReport:
    from qa.pipeline import Pipeline

    settings = Settings(index_dir=tmp_path_factory.mktemp("index") / "default")
    return run_eval(Pipeline.open(settings), questions, modes=("hybrid",), k=10)


def test_hybrid_retrieval_meets_every_threshold(hybrid_report):
    thresholds = load_thresholds()
    metrics = hybrid_report.run(thresholds.mode).metrics["overall"]
    failures = gate_failures(metrics, thresholds)
    assert not failures, "below eval/thresholds.json:\n" + "\n".join(failures)


def test_dense_retrieval_with_hash_embeddings_falls_far_below_the_gate(questions, tmp_path_factory):
    """A sanity check on the gate itself: meaningless embeddings must not pass it."""
    from qa.pipeline import Pipeline

    settings = Settings(embedder="fake", second_embedder="fake2", index_dir=tmp_path_factory.mktemp("fake") / "default")
    report = run_eval(Pipeline.open(settings), questions, modes=("dense",), k=10)
    fake_r5 = report.run("dense").metrics["overall"]["R@5"]
    bar = load_thresholds().min["R@5"]
    assert fake_r5 is not None
    assert fake_r5 < bar, (
        f"dense retrieval with hash embeddings reaches R@5 {fake_r5:.3f}, not below the gate's "
        f"R@5 minimum {bar:.3f}: raise the thresholds in eval/thresholds.json"
    )
