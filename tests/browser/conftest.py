"""Browser tests: a real `qa serve` over a small corpus, driven by Debian's Chromium through
Playwright.

One server (hashing fake embedder, so no model) and one Chromium serve the whole session; each
test gets a fresh browser context. Every page request to a host other than the server is refused
and fails the test: the page must work offline, nothing from a CDN. The final page of each test
is saved as a PNG under tests/browser/artifacts/ (or $QA_TEST_ARTIFACTS).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser.pages import PDF_ID, LiveServer
from tests.conftest import BRIDGES, PONDS, REAL_DOCUMENTS

CHROMIUM = Path(os.environ.get("QA_CHROMIUM", "/usr/bin/chromium"))
# Without the background-networking flags Chromium keeps trying to reach Google's hosts, which
# this closed network refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("QA_TEST_ARTIFACTS") or Path(__file__).parent / "artifacts")
HOST = "127.0.0.1"
WAIT_MS = 8_000  # Playwright's default wait: every page action is bounded
SERVER_START_S = 90.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _qa_command() -> list[str]:
    exe = Path(sys.executable).with_name("qa")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "qa.cli"]


def _wait_healthy(server: LiveServer, deadline: float) -> None:
    last = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(
                f"`qa serve` exited with {server.process.returncode} before it was healthy:\n"
                + server.log_tail()
            )
        try:
            response = httpx.get(server.url + "/health", timeout=2.0)
            if response.status_code == 200 and response.json().get("status") == "ok":
                return
            last = response.text
        except httpx.HTTPError as error:
            last = repr(error)
        time.sleep(0.2)
    pytest.fail(
        f"`qa serve` not healthy within {SERVER_START_S:.0f} s ({last}):\n{server.log_tail()}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real `qa serve` on a free loopback port over ponds, bridges and the sample PDF; writes
    are allowed (loopback, no API key), so a test that uploads must delete what it added."""
    root = tmp_path_factory.mktemp("browser-server")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "ponds.txt").write_text(PONDS, encoding="utf-8")
    (corpus / "bridges.txt").write_text(BRIDGES, encoding="utf-8")
    shutil.copy(REAL_DOCUMENTS / PDF_ID, corpus / PDF_ID)
    index, log = root / "index", root / "serve.log"
    port = _free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "QA_EMBEDDER": "fake",
        "QA_SECOND_EMBEDDER": "none",
        "QA_CHUNK_TARGET_WORDS": "40",
        "QA_CHUNK_MAX_WORDS": "60",
        "QA_CHUNK_MIN_WORDS": "10",
        "QA_RELOAD_INTERVAL_S": "0.5",
    }
    for name in ("QA_API_KEY", "QA_CORS_ORIGINS", "QA_CORPUS_DIR", "QA_INDEX_DIR", "PORT"):
        env.pop(name, None)
    command = [*_qa_command(), "--corpus", str(corpus), "--index", str(index), "serve"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--host", HOST, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    live = LiveServer(f"http://{HOST}:{port}", corpus, index, log, process)
    try:
        _wait_healthy(live, time.monotonic() + SERVER_START_S)
        yield live
    finally:
        _stop(process)


@pytest.fixture(scope="session", autouse=True)
def fresh_artifacts() -> None:
    """Only this run's screenshots in the artefacts folder, no stale failures."""
    for old in ARTIFACTS.glob("test_*.png"):
        old.unlink()


# One per test module, stopped at its end: Playwright's event loop, running while it lives,
# would make asyncio.run fail in the tests collected after these (session scope did).
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium; a clear failure (never a skip) when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make browser` (installs Debian's chromium) "
            "or set QA_CHROMIUM to a Chromium binary",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run `make install` (the dev extras)", False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Visit:
    """What the pages of one test did: requests beyond the server and uncaught script errors."""

    allowed_origin: str
    foreign: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    pages: list[Any] = field(default_factory=list)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _artifact_name(item: pytest.Item) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1]).strip("_")


@pytest.fixture
def new_page(
    browser: Any, server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Any]]:
    """Open a page in a fresh context (`new_page(viewport=..., permissions=...)`); after the
    test, save a screenshot of each page and fail if any page asked another host or threw."""
    visit = Visit(server.url)
    contexts: list[Any] = []

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:", "about:")) or urlsplit(url).hostname == HOST:
            route.continue_()
        else:
            visit.foreign.append(url)
            route.abort("blockedbyclient")

    def open_page(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(service_workers="block", **options)
        context.set_default_timeout(WAIT_MS)
        context.route("**/*", guard)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: visit.script_errors.append(str(error)))
        visit.pages.append(page)
        return page

    yield open_page

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failed = getattr(request.node, "report_call", None)
    suffix = "-failed" if failed is not None and failed.failed else ""
    name = _artifact_name(request.node)
    for number, page in enumerate(visit.pages):
        label = "" if number == 0 else f"-{number + 1}"
        try:
            # The whole page, unless it is a long document (a slow, huge picture): then the view.
            tall = page.evaluate("document.documentElement.scrollHeight") > 4000
            path = ARTIFACTS / f"{name}{label}{suffix}.png"
            page.screenshot(path=str(path), full_page=not tall)
        except Exception as error:  # a crashed page must not hide the test's own result
            print(f"no screenshot of {name}{label}: {error}")
    for context in contexts:
        context.close()
    problems = [f"request to another host (the page must work offline): {u}" for u in visit.foreign]
    problems += [f"uncaught script error: {e}" for e in visit.script_errors]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A desktop-sized page (1280x800) in a fresh context."""
    return new_page()
