"""`QA_BACKEND=milvus`: the build writes the chunks to Milvus (embedded, inside the index
folder), the pipeline searches there, and the manifest says so (issue 14)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.errors import IndexMismatch, UnsafeIndexPath
from qa.index.backends.choose import collection_prefix
from qa.index.backends.faiss_files import FaissFilesBackend
from qa.index.backends.milvus import MilvusBackend
from qa.index.build import build_index
from qa.index.embedder import load_embedder
from qa.index.fetched import FetchedChunks, FetchedSources
from qa.index.integrity import live_folder, read_manifest
from qa.index.ownership import check_index_location
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


def passages(pipeline: Pipeline, question: str) -> list[tuple[object, ...]]:
    """What a reader gets: passages, scores, text, pages and highlights."""
    answer = pipeline.ask(question, k=5)
    return [
        (p.hit.chunk, round(p.hit.score, 6), p.highlights, p.text_highlights)
        for p in answer.passages
    ]


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


def test_a_milvus_index_holds_no_chunks_texts_or_vectors_in_this_process(
    on_milvus: Pipeline, tiny_pipeline: Pipeline
) -> None:
    """The engine holds them; the server fetches what a question cites (qa/index/fetched.py)."""
    store = on_milvus.store

    assert isinstance(store.chunks, FetchedChunks) and isinstance(store.sources, FetchedSources)
    assert store.faiss is None and store.second is None
    assert list(store.chunks) == list(tiny_pipeline.store.chunks)
    for doc_id in ("ponds.txt", "bridges.txt"):
        for start, end in ((0, None), (30, 90)):
            served = on_milvus.document_text(doc_id, start, end)
            assert served == tiny_pipeline.document_text(doc_id, start, end)
    assert on_milvus.names.unknown_names("Why do Zebras cross Tacoma?") == ["Zebras"]


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
    cli = [str(Path(sys.executable).with_name("qa")), "--corpus", str(files.corpus_dir)]
    cli += ["--index", str(files.index_dir), "outline", "ponds.txt"]
    env = {
        **os.environ,
        "QA_BACKEND": "milvus",
        "QA_EMBEDDER": "fake",
        "QA_SECOND_EMBEDDER": "fake2",
    }
    env |= {"QA_CHUNK_TARGET_WORDS": "40", "QA_CHUNK_MAX_WORDS": "60", "QA_CHUNK_MIN_WORDS": "10"}
    refused = subprocess.run(cli, capture_output=True, text=True, timeout=120, env=env)
    assert refused.returncode != 0
    assert "--server URL" in refused.stderr and "Traceback" not in refused.stderr
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


@pytest.fixture
def milvus_server(tmp_path: Path) -> Iterator[str]:
    """A Milvus server in a process of its own on a free local port: `milvus-lite server`,
    which serves the gRPC API a Milvus cluster does, reached by URI as a cluster would be."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    command = [str(Path(sys.executable).with_name("milvus-lite")), "server", "--port", str(port)]
    command += ["--data-dir", str(tmp_path / "server-data"), "--host", "127.0.0.1"]
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(command, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while not listening(port):
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "milvus-lite server did not start in 60 s"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def collections(uri: str) -> set[str]:
    from pymilvus import MilvusClient

    client = MilvusClient(uri)
    try:
        return set(client.list_collections())
    finally:
        client.close()


def test_on_a_server_each_build_is_a_collection_and_replaced_ones_are_dropped_a_build_later(
    tmp_path: Path, milvus_server: str, tiny_pipeline: Pipeline
) -> None:
    """QA_MILVUS_URI names a server: a build's collections stay until the build after the one
    that replaced it (servers still answer from them until they reload); another index
    folder's collections on that server are never touched; answers equal FAISS's."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    files = small_corpus_settings(tmp_path / "a", {"ponds.txt": PONDS, "bridges.txt": BRIDGES})
    settings = files.model_copy(update={"backend": "milvus", "milvus_uri": milvus_server})
    other = small_corpus_settings(tmp_path / "b", {"ponds.txt": PONDS})
    other = other.model_copy(update={"backend": "milvus", "milvus_uri": milvus_server})
    embedder = load_embedder(settings.embedder)

    build_index(other, embedder)
    theirs = collections(milvus_server)
    made = []
    for _ in range(3):
        build_index(settings, embedder, force=True)
        manifest = read_manifest(live_folder(settings.index_dir))
        assert manifest["milvus"]["embedded"] is False
        made.append(manifest["milvus"]["collection"])

    assert len(set(made)) == 3
    assert all(name.startswith(collection_prefix(settings.index_dir)) for name in made)
    kept = {made[1], made[2], f"{made[1]}_text", f"{made[2]}_text"}
    assert collections(milvus_server) == theirs | kept
    pipeline = Pipeline.open(settings, build_if_missing=False)
    try:
        assert isinstance(pipeline.store.chunks, FetchedChunks)
        for question in QUESTIONS:
            assert passages(pipeline, question) == passages(tiny_pipeline, question), question
    finally:
        pipeline.close()


def test_a_plain_index_folder_holding_milvus_lite_is_an_index_a_build_may_replace(
    on_milvus: Pipeline, tmp_path: Path
) -> None:
    plain = tmp_path / "index"
    shutil.copytree(Path(on_milvus.store.path).resolve(), plain)
    corpus = on_milvus.settings.corpus_dir

    check_index_location(plain, corpus)  # milvus.db is a folder of the index's own
    (plain / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UnsafeIndexPath):
        check_index_location(plain, corpus)
