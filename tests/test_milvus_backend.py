"""`QA_BACKEND=milvus`: the build writes the chunks to Milvus (embedded, inside the index
folder), the pipeline searches there, and the manifest says so (issue 14)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qa.errors import IndexMismatch
from qa.index.backends.faiss_files import FaissFilesBackend
from qa.index.backends.milvus import MilvusBackend
from qa.index.embedder import load_embedder
from qa.index.store import load_index
from qa.pipeline import Pipeline
from qa.settings import Settings
from tests.conftest import BRIDGES, PONDS, small_corpus_settings

QUESTIONS = ("Why do decks twist in the wind?", "What lives in open water?", "anchorages")


@pytest.fixture(scope="module")
def on_milvus(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    files = small_corpus_settings(
        tmp_path_factory.mktemp("milvus"), {"ponds.txt": PONDS, "bridges.txt": BRIDGES}
    )
    return Pipeline.open(files.model_copy(update={"backend": "milvus"}))


def passages(pipeline: Pipeline, question: str) -> list[tuple[str, float]]:
    answer = pipeline.ask(question, k=5)
    return [(p.hit.chunk.chunk_id, round(p.hit.score, 6)) for p in answer.passages]


def test_a_milvus_build_writes_the_collection_into_the_index_folder(on_milvus: Pipeline) -> None:
    manifest = on_milvus.store.manifest

    assert manifest["backend"] == "milvus"
    assert manifest["milvus"] == {"collection": "chunks", "embedded": True}
    assert (Path(on_milvus.store.path) / "milvus.db").is_dir()
    assert isinstance(on_milvus.retriever.backend, MilvusBackend)


def test_answers_on_milvus_are_the_answers_on_faiss(on_milvus: Pipeline, tiny_pipeline) -> None:
    assert isinstance(tiny_pipeline.retriever.backend, FaissFilesBackend)
    for question in QUESTIONS:
        assert passages(on_milvus, question) == passages(tiny_pipeline, question), question


def test_an_index_built_for_faiss_is_refused_for_milvus(tiny_settings: Settings) -> None:
    settings = tiny_settings.model_copy(update={"backend": "milvus"})

    with pytest.raises(IndexMismatch, match="backend is faiss, expected milvus"):
        load_index(settings, load_embedder(settings.embedder))


OPEN_ELSEWHERE = """
import sys
from pymilvus import MilvusClient
client = MilvusClient(sys.argv[1])
client.load_collection("chunks")
print(client.get_collection_stats("chunks")["row_count"])
"""


def other_process_opens(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", OPEN_ELSEWHERE, str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_embedded_index_is_free_for_another_process_once_closed(tmp_path: Path) -> None:
    files = small_corpus_settings(tmp_path, {"ponds.txt": PONDS, "bridges.txt": BRIDGES})
    pipeline = Pipeline.open(files.model_copy(update={"backend": "milvus"}))
    folder = Path(pipeline.store.path) / "milvus.db"

    assert other_process_opens(folder).returncode != 0  # one process at a time
    pipeline.close()
    opened = other_process_opens(folder)
    assert opened.returncode == 0, opened.stderr
    assert int(opened.stdout.strip()) == len(pipeline.store.chunks)


def test_health_says_which_backend_serves(on_milvus: Pipeline, tiny_pipeline) -> None:
    from fastapi.testclient import TestClient

    from qa.api import create_app

    assert on_milvus.health()["backend"] == "milvus"
    with TestClient(create_app(pipeline=tiny_pipeline)) as client:
        assert client.get("/health").json()["backend"] == "faiss"
