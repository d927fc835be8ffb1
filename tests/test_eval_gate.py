"""The quality gate: the real pipeline over eval/questions.jsonl meets eval/thresholds.json.

Builds the real index under a temporary folder (a few minutes with the real model).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.evaluation.dataset import load_questions
from qa.evaluation.gate import gate_failures, load_thresholds
from qa.evaluation.runner import EvalReport, run_eval
from qa.index.build import build_index
from qa.index.fetched import FetchedChunks
from qa.index.store import load_index
from qa.pipeline import Pipeline
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


@pytest.fixture(scope="module")
def milvus_pipeline(real_pipeline, tmp_path_factory) -> Iterator[Pipeline]:
    """The bundled corpus indexed for Milvus (QA_BACKEND=milvus, embedded milvus-lite): a copy
    of the real index rebuilt for the other backend, so the build reuses its vectors."""
    folder = tmp_path_factory.mktemp("milvus-index") / "default"
    shutil.copytree(Path(real_pipeline.store.path).resolve(), folder)
    settings = real_pipeline.settings.model_copy(update={"index_dir": folder, "backend": "milvus"})
    embedder, second = real_pipeline.embedder, real_pipeline.second
    build_index(settings, embedder, second=second)
    pipeline = Pipeline(load_index(settings, embedder), embedder, settings, second=second)
    yield pipeline
    pipeline.close()


def test_the_gate_holds_on_milvus_as_on_faiss(questions, milvus_pipeline, hybrid_report):
    """Issue 14: the bundled corpus built for Milvus (chunks, vectors, BM25 terms and source
    texts in the engine, fetched from it per question) passes the gate and scores as FAISS +
    bm25s do (within 0.01)."""
    assert isinstance(milvus_pipeline.store.chunks, FetchedChunks)  # not held in this process
    report = run_eval(milvus_pipeline, questions, modes=("hybrid",), k=10)
    on_milvus = report.run("hybrid").metrics["overall"]
    on_files = hybrid_report.run("hybrid").metrics["overall"]

    assert not gate_failures(on_milvus, load_thresholds())
    for metric in ("R@5", "MRR@10"):
        assert on_milvus[metric] == pytest.approx(on_files[metric], abs=0.01), metric
