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
def hybrid_report(questions, real_pipeline) -> EvalReport:
    return run_eval(real_pipeline, questions, modes=("hybrid",), k=10)


def test_hybrid_retrieval_meets_every_threshold(hybrid_report):
    thresholds = load_thresholds()
    metrics = hybrid_report.run(thresholds.mode).metrics["overall"]
    failures = gate_failures(metrics, thresholds)
    assert not failures, "below eval/thresholds.json:\n" + "\n".join(failures)


def test_gate_fails_when_retrieval_is_broken_on_purpose(questions, tmp_path_factory):
    """A check on the gate itself: meaningless (hash) embeddings must not pass it, even with
    BM25 still fused in."""
    from qa.pipeline import Pipeline

    settings = Settings(
        embedder="fake",
        second_embedder="fake2",
        index_dir=tmp_path_factory.mktemp("fake") / "default",
    )
    report = run_eval(Pipeline.open(settings), questions, modes=("hybrid",), k=10)
    failures = gate_failures(report.run("hybrid").metrics["overall"], load_thresholds())
    assert any(f.startswith("R@5") for f in failures), failures


def test_library_set_meets_its_thresholds(tmp_path_factory):
    """The second set: real PDF, HTML and Word files (eval/library), their own gate."""
    from qa.evaluation.sets import EVAL_SETS
    from qa.pipeline import Pipeline

    library = EVAL_SETS["library"]
    assert library.corpus is not None and library.thresholds is not None
    settings = Settings(
        corpus_dir=library.corpus, index_dir=tmp_path_factory.mktemp("library") / "index"
    )
    questions = load_questions(library.questions, library.corpus)
    report = run_eval(Pipeline.open(settings), questions, modes=("hybrid",), k=10)
    thresholds = load_thresholds(library.thresholds)
    failures = gate_failures(report.run(thresholds.mode).metrics["overall"], thresholds)
    assert not failures, "below eval/library/thresholds.json:\n" + "\n".join(failures)


def test_locked_split_meets_its_thresholds(real_pipeline):
    """The split no setting is chosen on (eval/locked): gated against regressions only."""
    from qa.evaluation.sets import EVAL_SETS

    locked = EVAL_SETS["locked"]
    assert locked.thresholds is not None
    questions = load_questions(locked.questions, Settings().corpus_dir)
    report = run_eval(real_pipeline, questions, modes=("hybrid",), k=10)
    thresholds = load_thresholds(locked.thresholds)
    failures = gate_failures(report.run(thresholds.mode).metrics["overall"], thresholds)
    assert not failures, "below eval/locked/thresholds.json:\n" + "\n".join(failures)


def test_the_gate_holds_on_milvus_as_on_faiss(questions, real_pipeline, hybrid_report, tmp_path):
    """Issue 14: the same index's chunks and vectors in Milvus (embedded milvus-lite), searched
    through the same pipeline, pass the gate and score as FAISS + bm25s do (within 0.01)."""
    from qa.index.backends.milvus import MilvusBackend

    store = real_pipeline.store
    vectors = {"dense": store.faiss.reconstruct_n(0, store.faiss.ntotal)}
    vectors["dense2"] = store.second.reconstruct_n(0, store.second.ntotal)
    milvus = MilvusBackend.create(
        str(tmp_path / "index.db"), "chunks", store.chunks, vectors, store.bm25.all_terms
    )
    files, real_pipeline.retriever.backend = real_pipeline.retriever.backend, milvus
    try:
        report = run_eval(real_pipeline, questions, modes=("hybrid",), k=10)
    finally:
        real_pipeline.retriever.backend = files
    on_milvus = report.run("hybrid").metrics["overall"]
    on_files = hybrid_report.run("hybrid").metrics["overall"]

    assert not gate_failures(on_milvus, load_thresholds())
    for metric in ("R@5", "MRR@10"):
        assert on_milvus[metric] == pytest.approx(on_files[metric], abs=0.01), metric
