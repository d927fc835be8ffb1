"""Live reload: a running server serves a rebuilt index within a few polls, without a restart and
without failing a request, keeps the old index when the new one is broken, and says so (and
whether the corpus changed since) in /health."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient

import qa
from qa.api import create_app
from qa.corpus.spans import text_from_spans
from qa.index.build import build_index
from qa.index.embedder import load_embedder
from qa.pipeline import Pipeline
from qa.serving import ServedIndex, reload_on_sighup
from qa.settings import Settings
from tests.conftest import BRIDGES, PONDS, small_corpus_settings

T = TypeVar("T")

INTERVAL = 0.1  # the test servers look for a new index ten times a second
WAIT_S = 15.0  # generous: a tiny rebuild and reload take well under a second

LIGHTHOUSES = """\
# LIGHTHOUSES OF THE NORTHERN COAST

## Skerryvore

by Alan Keeper

The Skerryvore lighthouse stands on a reef far out in the Atlantic, eleven miles from the
nearest island. Its granite tower rises one hundred and fifty six feet above the rock, and its
walls are nine feet thick at the base so that winter seas cannot shift it.

## Keepers

Three keepers lived in the tower at a time. They trimmed the wicks, wound the clockwork that
turned the lens, and wrote the weather in the log every four hours.
"""
SKERRYVORE_QUESTION = "How tall is the Skerryvore lighthouse?"

BULLETIN_QUESTION = "What does the harbour bulletin report about the ships?"


def bulletin(edition: int) -> str:
    """A one-chunk document whose every version says which edition it is."""
    return (
        f"# HARBOUR BULLETIN\n\n## Edition {edition}\n\n"
        f"The harbour bulletin edition {edition} reports {edition} ships at anchor in the outer "
        "roads, waiting for the tide. The harbour master asks every ship at anchor to keep a "
        "lamp lit through the night and to answer the harbour radio on channel twelve.\n"
    )


def rebuild(settings: Settings, *, force: bool = False) -> None:
    build_index(settings, load_embedder("fake"), second=load_embedder("fake2"), force=force)


def wait_for(condition: Callable[[], T], what: str, timeout: float = WAIT_S) -> T:
    """The first truthy value of `condition()`, polled until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:.0f} s for {what}; last saw {value!r}")
        time.sleep(0.02)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A built two-document index whose server looks for a new one every INTERVAL seconds."""
    settings = small_corpus_settings(tmp_path, {"ponds.txt": PONDS, "bridges.txt": BRIDGES})
    settings = settings.model_copy(update={"reload_interval_s": INTERVAL})
    rebuild(settings)
    return settings


def health_when(client: TestClient, check: Callable[[dict[str, Any]], bool]) -> Any:
    def look() -> dict[str, Any] | None:
        health = client.get("/health").json()
        return health if check(health) else None

    return look


def publish_broken_copy(settings: Settings) -> Path:
    """Point the index at a copy of the live build whose chunks.jsonl lost its second half, as
    a build that went wrong would: the same atomic symlink swap `qa build` does."""
    live = settings.index_dir.resolve()
    broken = live.parent / f".{settings.index_dir.name}-build-broken0000"
    shutil.copytree(live, broken)
    chunks = broken / "chunks.jsonl"
    chunks.write_bytes(chunks.read_bytes()[: chunks.stat().st_size // 2])
    link = live.parent / "broken-link"
    os.symlink(broken.name, link)
    os.replace(link, settings.index_dir)
    return broken


def test_a_rebuilt_index_with_a_new_document_is_served_within_a_few_polls(
    settings: Settings,
) -> None:
    with TestClient(create_app(settings)) as client:
        before = client.post("/ask", json={"question": SKERRYVORE_QUESTION}).json()
        (settings.corpus_dir / "lighthouses.txt").write_text(LIGHTHOUSES, encoding="utf-8")
        rebuild(settings)
        wait_for(health_when(client, lambda h: h["documents"] == 3), "the new index to be served")
        after = client.post("/ask", json={"question": SKERRYVORE_QUESTION}).json()

    assert before["abstain_reason"] == "unknown_names"
    assert before["unknown_names"] == ["Skerryvore"]
    assert after["unknown_names"] == []
    assert after["abstain_reason"] != "unknown_names"
    assert after["passages"][0]["doc_id"] == "lighthouses.txt"


def test_requests_never_fail_while_the_index_is_rebuilt_and_each_answer_is_one_editions(
    settings: Settings,
) -> None:
    """Four clients ask without pause while the bulletin is rebuilt five times. Every answer is
    a 200 from exactly one edition (the passage is that edition's text at its own offsets), and
    no client ever sees an older edition after a newer one."""
    sources = {edition: bulletin(edition) for edition in range(6)}
    (settings.corpus_dir / "bulletin.txt").write_text(sources[0], encoding="utf-8")
    rebuild(settings)
    stop = threading.Event()
    seen: list[list[int]] = [[] for _ in range(4)]
    failures: list[str] = []

    def edition_of(body: dict[str, Any]) -> int:
        passages = [p for p in body["passages"] if p["doc_id"] == "bulletin.txt"]
        editions = {int(n) for p in passages for n in re.findall(r"edition (\d+)", p["text"])}
        if len(editions) != 1:
            raise AssertionError(f"bulletin passages of editions {sorted(editions)}: {passages}")
        edition = editions.pop()
        for passage in passages:
            spans = [tuple(span) for span in passage["spans"]]
            if passage["text"] != text_from_spans(sources[edition], spans):
                raise AssertionError(f"passage text is not edition {edition} at its spans")
        return edition

    def ask_until_stopped(client: TestClient, editions: list[int]) -> None:
        while not stop.is_set():
            try:
                response = client.post("/ask", json={"question": BULLETIN_QUESTION, "k": 3})
                if response.status_code != 200:
                    failures.append(f"{response.status_code}: {response.text}")
                    continue
                editions.append(edition_of(response.json()))
            except Exception as error:  # any failure at all is what this test looks for
                failures.append(repr(error))

    with TestClient(create_app(settings)) as client:
        askers = [
            threading.Thread(target=ask_until_stopped, args=(client, editions)) for editions in seen
        ]
        for asker in askers:
            asker.start()
        try:
            for edition in range(1, 6):
                time.sleep(3 * INTERVAL)  # questions on the current edition meanwhile
                (settings.corpus_dir / "bulletin.txt").write_text(
                    sources[edition], encoding="utf-8"
                )
                rebuild(settings)
                wait_for(lambda e=edition: any(s[-1:] == [e] for s in seen), f"edition {edition}")
        finally:
            stop.set()
            for asker in askers:
                asker.join(WAIT_S)

    assert failures == []
    for editions in seen:
        assert editions, "every client got answers"
        assert editions == sorted(editions), "no client saw an older edition after a newer one"
    assert {e for editions in seen for e in editions} == set(range(6))


def test_a_new_index_that_fails_to_load_leaves_the_old_one_served_and_health_says_why(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="qa.serving")
    with TestClient(create_app(settings)) as client:
        served = client.get("/health").json()
        broken = publish_broken_copy(settings)
        degraded = wait_for(
            health_when(client, lambda h: h["status"] == "degraded"), "/health to say degraded"
        )
        answer = client.post("/ask", json={"question": "What lives in a pond?"})
        time.sleep(5 * INTERVAL)  # five more polls: the broken index is not tried again
        attempts = [r for r in caplog.records if "failed to load" in r.getMessage()]

        rebuild(settings, force=True)
        repaired = wait_for(health_when(client, lambda h: h["status"] == "ok"), "a repaired index")

    assert str(broken) in degraded["reason"]
    assert "chunks.jsonl" in degraded["reason"]
    assert f"the one built {served['created_at']} is still served" in degraded["reason"]
    assert degraded["documents"] == served["documents"] == 2
    assert answer.status_code == 200
    assert answer.json()["passages"][0]["doc_id"] == "ponds.txt"
    assert len(attempts) == 1
    assert repaired["reason"] is None


def test_admin_reload_serves_the_index_on_disk_at_once_and_returns_the_new_health(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"reload_interval_s": 3600.0})  # no polling here
    with TestClient(create_app(settings)) as client:
        (settings.corpus_dir / "lighthouses.txt").write_text(LIGHTHOUSES, encoding="utf-8")
        rebuild(settings)
        before = client.get("/health").json()
        response = client.post("/admin/reload")
        after = client.post("/ask", json={"question": SKERRYVORE_QUESTION}).json()

    assert before["documents"] == 2
    assert response.status_code == 200
    assert response.json()["documents"] == 3
    assert response.json()["status"] == "ok"
    assert after["unknown_names"] == []


def test_admin_reload_of_a_broken_index_reports_it_and_keeps_serving_the_old_one(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"reload_interval_s": 3600.0})
    with TestClient(create_app(settings)) as client:
        broken = publish_broken_copy(settings)
        response = client.post("/admin/reload")
        documents = client.get("/documents").json()

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert str(broken) in response.json()["reason"]
    assert len(documents) == 2


def test_damage_to_the_served_index_found_by_a_forced_reload_stays_reported_until_rebuilt(
    settings: Settings,
) -> None:
    with TestClient(create_app(settings)) as client:
        chunks = settings.index_dir.resolve() / "chunks.jsonl"
        chunks.write_bytes(chunks.read_bytes()[:100])
        forced = client.post("/admin/reload").json()
        time.sleep(5 * INTERVAL)  # five polls of an unchanged index: the report stays
        later = client.get("/health").json()
        rebuild(settings, force=True)
        repaired = wait_for(health_when(client, lambda h: h["status"] == "ok"), "a rebuilt index")

    assert forced["status"] == "degraded"
    assert "chunks.jsonl" in forced["reason"]
    assert later == forced
    assert repaired["reason"] is None


def test_a_request_holding_the_old_pipeline_finishes_on_it_after_the_switch(
    settings: Settings,
) -> None:
    """Everything a pipeline needs is in memory: the build folder it came from may be gone."""
    served = ServedIndex(Pipeline.open(settings))
    old = served.pipeline
    old_folder = settings.index_dir.resolve()
    (settings.corpus_dir / "lighthouses.txt").write_text(LIGHTHOUSES, encoding="utf-8")
    rebuild(settings)

    assert served.reload() is True
    assert served.pipeline is not old
    assert not old_folder.exists()
    answer = old.ask("What lives in a pond?")
    assert answer.passages and answer.unknown_names == ()
    assert old.ask(SKERRYVORE_QUESTION).unknown_names == ("Skerryvore",)
    assert served.pipeline.ask(SKERRYVORE_QUESTION).unknown_names == ()


def test_reload_without_a_new_index_keeps_the_pipeline_and_force_loads_it_again(
    settings: Settings,
) -> None:
    served = ServedIndex(Pipeline.open(settings))
    served.start()
    try:
        first = served.pipeline
        assert served.reload() is False
        assert served.pipeline is first
        assert served.reload(force=True) is True
        assert served.pipeline is not first
    finally:
        served.stop()


def test_an_index_rebuilt_between_loading_and_serving_is_picked_up_by_the_first_look(
    settings: Settings,
) -> None:
    loaded = Pipeline.open(settings)
    (settings.corpus_dir / "lighthouses.txt").write_text(LIGHTHOUSES, encoding="utf-8")
    rebuild(settings)
    served = ServedIndex(loaded)
    served.start()
    try:
        wait_for(lambda: served.pipeline is not loaded, "the rebuilt index to be served")
    finally:
        served.stop()

    assert len(served.pipeline.documents()) == 3


def test_the_watcher_thread_ends_when_the_app_shuts_down(settings: Settings) -> None:
    running_before = set(threading.enumerate())
    with TestClient(create_app(settings)) as client:
        client.get("/health")
        watchers = [
            thread
            for thread in threading.enumerate()
            if thread.name == "qa-index-watcher" and thread not in running_before
        ]

    assert len(watchers) == 1
    assert not watchers[0].is_alive()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda c: (c / "ponds.txt").write_text(PONDS + "\nNewts.\n"), id="edited"),
        pytest.param(lambda c: (c / "lighthouses.txt").write_text(LIGHTHOUSES), id="added"),
        pytest.param(lambda c: (c / "bridges.txt").unlink(), id="removed"),
    ],
)
def test_health_is_stale_once_the_corpus_changes_and_fresh_again_after_a_rebuild(
    settings: Settings, change: Callable[[Path], object]
) -> None:
    with TestClient(create_app(settings)) as client:
        fresh = client.get("/health").json()
        change(settings.corpus_dir)
        stale = wait_for(health_when(client, lambda h: h["stale"]), "/health to say stale")
        rebuild(settings)
        rebuilt = wait_for(health_when(client, lambda h: not h["stale"]), "the rebuilt index")

    assert fresh["stale"] is False
    assert stale["status"] == "ok", "a stale index still answers: not degraded"
    assert stale["reason"] is None
    assert rebuilt["status"] == "ok"


def test_health_reports_the_same_build_time_under_both_names(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()

    assert health["created_at"] == health["index_created_at"]
    assert health["status"] == "ok" and health["reason"] is None and health["stale"] is False


def test_a_served_index_that_fails_its_own_checks_is_reported_degraded(settings: Settings) -> None:
    pipeline = Pipeline.open(settings)
    vectors = pipeline.store.sentence_vectors
    assert vectors is not None
    pipeline.store.sentence_vectors = vectors[:-1]  # as if a sentence vector went missing

    health = ServedIndex(pipeline).health()

    assert health["status"] == "degraded"
    assert str(health["reason"]).startswith("the served index is damaged: ")
    assert "sentence vectors" in str(health["reason"])


def test_sighup_asks_for_a_reload_while_serving_and_the_earlier_handler_is_back_after() -> None:
    reloads: list[str] = []
    earlier: list[int] = []

    class Served:
        def request_reload(self) -> None:
            reloads.append("reload")

    async def serve_briefly() -> None:
        restore = reload_on_sighup(Served())  # type: ignore[arg-type]
        signal.raise_signal(signal.SIGHUP)
        for _ in range(500):  # the loop runs the handler soon after the signal
            if reloads:
                break
            await asyncio.sleep(0.01)
        restore()

    def earlier_handler(signum: int, frame: object) -> None:
        earlier.append(signum)

    # Whatever happens, SIGHUP reaches a handler of this test's, never the default (exit).
    original = signal.signal(signal.SIGHUP, earlier_handler)
    try:
        asyncio.run(serve_briefly())
        after = signal.getsignal(signal.SIGHUP)
    finally:
        signal.signal(signal.SIGHUP, original)

    assert reloads == ["reload"]
    assert earlier == [], "the reload handler, not the earlier one, had the signal"
    assert after is earlier_handler


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sighup_makes_qa_serve_reload_the_index_instead_of_exiting(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "QA_CORPUS_DIR": str(settings.corpus_dir),
        "QA_INDEX_DIR": str(settings.index_dir),
        "QA_EMBEDDER": "fake",
        "QA_SECOND_EMBEDDER": "fake2",
        "QA_CHUNK_TARGET_WORDS": str(settings.chunk_target_words),
        "QA_CHUNK_MAX_WORDS": str(settings.chunk_max_words),
        "QA_CHUNK_MIN_WORDS": str(settings.chunk_min_words),
        "QA_RELOAD_INTERVAL_S": "3600",  # only SIGHUP reloads here
        # The server runs the qa under test, wherever this test imported it from.
        "PYTHONPATH": os.pathsep.join(
            [str(Path(qa.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]
        ),
    }
    log_path = tmp_path / "serve.log"
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "qa.cli", "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:

            def documents_served() -> int | None:
                if server.poll() is not None:
                    pytest.fail(f"qa serve exited ({server.returncode}):\n{log_path.read_text()}")
                try:
                    return int(httpx.get(f"{url}/health", timeout=5).json()["documents"])
                except httpx.TransportError:
                    return None

            started = wait_for(documents_served, "qa serve to answer", timeout=60)
            (settings.corpus_dir / "lighthouses.txt").write_text(LIGHTHOUSES, encoding="utf-8")
            rebuild(settings)
            server.send_signal(signal.SIGHUP)
            wait_for(lambda: documents_served() == 3, "qa serve to reload after SIGHUP")
            answer = httpx.post(f"{url}/ask", json={"question": SKERRYVORE_QUESTION}, timeout=10)
        finally:
            server.terminate()
            server.wait(WAIT_S)

    assert started == 2
    assert answer.json()["unknown_names"] == []
    assert "Traceback" not in log_path.read_text()


def test_the_pipeline_a_reload_replaced_is_closed_at_the_next_reload(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replaced index's engine is released (an embedded Milvus holds its folder's lock), but
    only once no question can still be using it."""
    closed: list[Pipeline] = []
    monkeypatch.setattr(Pipeline, "close", lambda self: closed.append(self))
    served = ServedIndex(Pipeline.open(settings))
    first = served.pipeline

    assert served.reload(force=True) is True
    assert closed == []
    assert served.reload(force=True) is True
    assert closed == [first]
