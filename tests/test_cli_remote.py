"""`qa ask --server URL` and `qa chat --server URL`: the same output as the local commands, from a
real `qa serve` on 127.0.0.1 (fake embedders, the session's tiny index), and clear errors when
the server is not there, refuses the question, wants a key or is busy."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

import qa as qa_package
from qa.cli import main
from qa.settings import Settings
from tests.test_cli import BRIDGE_QUESTION, POND_QUESTION, rendered
from tests.test_cli import qa as local_qa

KEY = "s3cret-key"
START_S = 60.0  # generous: a server over the tiny index starts in a few seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def qa_serve(settings: Settings, log_path: Path, **env: str) -> Iterator[str]:
    """A real `qa serve` of `settings`' (already built) index on a free port; yields its URL."""
    port = free_port()
    server_env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "QA_CORPUS_DIR": str(settings.corpus_dir),
        "QA_INDEX_DIR": str(settings.index_dir),
        "QA_EMBEDDER": settings.embedder,
        "QA_SECOND_EMBEDDER": settings.second_embedder,
        "QA_CHUNK_TARGET_WORDS": str(settings.chunk_target_words),
        "QA_CHUNK_MAX_WORDS": str(settings.chunk_max_words),
        "QA_CHUNK_MIN_WORDS": str(settings.chunk_min_words),
        "QA_RELOAD_INTERVAL_S": "3600",
        # The server runs the qa under test, wherever this test imported it from.
        "PYTHONPATH": os.pathsep.join(
            [str(Path(qa_package.__file__).parent.parent), os.environ.get("PYTHONPATH", "")]
        ),
        **env,
    }
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "qa.cli", "serve", "--port", str(port)],
            env=server_env,
            cwd=log_path.parent,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + START_S
            while True:
                if server.poll() is not None:
                    pytest.fail(f"qa serve exited ({server.returncode}):\n{log_path.read_text()}")
                try:
                    if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"qa serve did not answer in {START_S} s:\n{log_path.read_text()}")
                time.sleep(0.1)
            yield url
        finally:
            server.terminate()
            server.wait(15)


@pytest.fixture(scope="module")
def server(
    tiny_settings: Settings, tiny_pipeline, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of a `qa serve` of the tiny index (built by `tiny_pipeline`), open to anyone."""
    with qa_serve(tiny_settings, tmp_path_factory.mktemp("serve") / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def keyed_server(
    tiny_settings: Settings, tiny_pipeline, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The URL of a `qa serve` of the tiny index that requires the API key KEY."""
    log_path = tmp_path_factory.mktemp("serve-keyed") / "serve.log"
    with qa_serve(tiny_settings, log_path, QA_API_KEY=KEY) as url:
        yield url


def qa(*args: str, input: str | None = None, **env: str | None) -> Result:
    """Run `qa ARGS` with no QA_* settings but `env` (no index, no corpus, no key, no server)."""
    clean = {name: None for name in os.environ if name.startswith("QA_")}
    return CliRunner().invoke(main, args, env={**clean, "COLUMNS": "1000", **env}, input=input)


def posted(url: str, body: dict[str, object], **headers: str) -> dict[str, object]:
    """The JSON of POST /ask, without the timings (they differ from one ask to the next)."""
    answer = httpx.post(f"{url}/ask", json=body, headers=headers, timeout=30).json()
    answer.pop("timings_ms")
    return answer


def without_timings(text: str) -> dict[str, object]:
    answer = json.loads(text)
    answer.pop("timings_ms")
    return answer


# Answers: the same as the server's, printed as the local commands print them


def test_ask_json_is_the_servers_ask_response(server: str) -> None:
    result = qa("ask", "--server", server, BRIDGE_QUESTION, "-k", "3", "--mode", "bm25", "--json")

    assert result.exit_code == 0, result.output
    assert without_timings(result.stdout) == posted(
        server, {"question": BRIDGE_QUESTION, "k": 3, "mode": "bm25"}
    )


def test_ask_json_from_a_server_prints_what_the_local_ask_json_prints(
    server: str, tiny_settings: Settings
) -> None:
    remote = qa("ask", "--server", server, POND_QUESTION, "--json")
    local = local_qa(tiny_settings, "ask", POND_QUESTION, "--json")

    assert remote.exit_code == local.exit_code == 0, remote.output + local.output
    timings = re.compile(r'"timings_ms": \{[^}]*\}')  # the one part that differs, text and all
    assert timings.sub("", remote.stdout) == timings.sub("", local.stdout)
    assert timings.search(remote.stdout)


def test_ask_prints_the_servers_passages_as_the_local_ask_does(
    server: str, tiny_settings: Settings
) -> None:
    result = qa("ask", "--server", server, POND_QUESTION, "-k", "2")

    assert result.exit_code == 0, result.output
    answer = posted(server, {"question": POND_QUESTION, "k": 2})
    assert result.stdout == rendered(answer)
    first = "1. FRESHWATER PONDS"
    assert any(line.startswith(first) for line in result.stdout.splitlines())
    assert result.stdout == local_qa(tiny_settings, "ask", POND_QUESTION, "-k", "2").stdout


def test_qa_server_in_the_environment_is_the_default_server(server: str) -> None:
    result = qa("ask", POND_QUESTION, "-k", "1", "--json", QA_SERVER=server)

    assert result.exit_code == 0, result.output
    assert without_timings(result.stdout) == posted(server, {"question": POND_QUESTION, "k": 1})


def test_a_server_given_as_host_and_port_is_asked_over_http(server: str) -> None:
    result = qa("ask", "--server", server.removeprefix("http://") + "/", POND_QUESTION, "--json")

    assert result.exit_code == 0, result.output


def test_chat_asks_the_server_each_question_and_ends_at_end_of_input(server: str) -> None:
    too_long = "why" + " why" * 299
    lines = [POND_QUESTION, "", too_long, BRIDGE_QUESTION]

    result = qa("chat", "--server", server, "-k", "2", input="\n".join(lines) + "\n")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"qa> {POND_QUESTION}\n"
        + rendered(posted(server, {"question": POND_QUESTION, "k": 2}))
        + "qa> \n"
        + f"qa> {too_long}\n"
        + f"qa> {BRIDGE_QUESTION}\n"
        + rendered(posted(server, {"question": BRIDGE_QUESTION, "k": 2}))
    )
    assert result.stderr == (
        "Ask a question; :help lists the commands, :quit or Ctrl-D leaves.\n"
        "error: question: String should have at most 1000 characters\n"
    )


def test_ask_and_chat_with_a_server_load_no_model_or_index_library(server: str) -> None:
    heavy = ("faiss", "onnxruntime", "sentence_transformers", "torch", "numpy", "qa.pipeline")
    code = (
        "import sys; from click.testing import CliRunner; from qa.cli import main; "
        f"url = {server!r}; question = {POND_QUESTION!r}; "
        "runs = [CliRunner().invoke(main, args, input=question + '\\n') for args in ("
        "['ask', '--server', url, question], ['ask', '--server', url, question, '--json'], "
        "['chat', '--server', url])]; "
        "print([run.exit_code for run in runs], all(run.stdout for run in runs)); "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    env = {name: value for name, value in os.environ.items() if not name.startswith("QA_")}

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )

    assert out.stdout == "[0, 0, 0] True\n[]\n", out.stderr


# Errors: one line on stderr, and the exit code of its kind


def test_no_server_at_the_url_exits_3_saying_to_start_qa_serve_or_check_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}"

    asked = qa("ask", "--server", url, POND_QUESTION)
    chatted = qa("chat", "--server", url, input=f"{POND_QUESTION}\n")

    message = (
        f"error: cannot reach a qa server at {url}: start one with `qa serve` or check the URL\n"
    )
    assert (asked.exit_code, asked.stdout, asked.stderr) == (3, "", message)
    assert (chatted.exit_code, chatted.stdout, chatted.stderr) == (3, "", message)


def test_a_url_that_is_not_a_server_url_exits_3() -> None:
    result = qa("ask", "--server", "ftp://127.0.0.1:21", POND_QUESTION)

    assert result.exit_code == 3
    assert result.stderr == (
        "error: 'ftp://127.0.0.1:21' is not a server URL; give e.g. http://127.0.0.1:8000\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((POND_QUESTION, "-k", "0"), "k: Input should be greater than or equal to 1"),
        ((POND_QUESTION, "-k", "51"), "k: Input should be less than or equal to 50"),
        (("",), "question: String should have at least 1 character"),
        (("\u200b \u2060",), "question: Value error, question must contain some text"),
        (("x" * 1001,), "question: String should have at most 1000 characters"),
    ],
)
def test_a_question_the_server_refuses_exits_2_with_the_servers_message(
    server: str, args: tuple[str, ...], message: str
) -> None:
    result = qa("ask", "--server", server, *args)

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: {message}")
    assert len(result.stderr.splitlines()) == 1


def test_chat_with_a_k_the_server_refuses_ends_at_the_first_question(server: str) -> None:
    result = qa("chat", "--server", server, "-k", "0", input=f"{POND_QUESTION}\n{POND_QUESTION}\n")

    assert result.exit_code == 2
    assert result.stdout == f"qa> {POND_QUESTION}\n"
    assert result.stderr.endswith("error: k: Input should be greater than or equal to 1\n")


def test_a_server_that_requires_a_key_answers_with_qa_api_key_set(keyed_server: str) -> None:
    result = qa("ask", "--server", keyed_server, POND_QUESTION, "--json", QA_API_KEY=KEY)

    assert result.exit_code == 0, result.output
    assert without_timings(result.stdout) == posted(
        keyed_server, {"question": POND_QUESTION}, Authorization=f"Bearer {KEY}"
    )


@pytest.mark.parametrize(
    ("key", "fix"),
    [(None, "set QA_API_KEY to the server's key"), ("wrong", "QA_API_KEY is not the server's key")],
)
def test_a_server_that_requires_a_key_refuses_without_it_and_says_to_set_qa_api_key(
    keyed_server: str, key: str | None, fix: str
) -> None:
    asked = qa("ask", "--server", keyed_server, POND_QUESTION, QA_API_KEY=key)
    chatted = qa("chat", "--server", keyed_server, input=f"{POND_QUESTION}\n", QA_API_KEY=key)

    message = f"error: the server at {keyed_server} requires an API key (401 Unauthorized): {fix}\n"
    assert (asked.exit_code, asked.stdout, asked.stderr) == (2, "", message)
    assert (chatted.exit_code, chatted.stdout) == (2, f"qa> {POND_QUESTION}\n")
    assert chatted.stderr.endswith(message)


@contextmanager
def stub_server(status: int, body: bytes, headers: dict[str, str]) -> Iterator[str]:
    """A server on 127.0.0.1 answering every request with `status`, `body` and `headers`."""

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    stub = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=stub.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{stub.server_address[1]}"
    finally:
        stub.shutdown()
        stub.server_close()


BUSY = b'{"detail": "16 questions are already waiting; retry in 7 s"}'
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("status", "body", "headers", "message"),
    [
        (503, BUSY, {"Retry-After": "7", **JSON},
         "is busy (503 Service Unavailable): 16 questions are already waiting; retry in 7 s "
         "(Retry-After: 7 s)"),
        (503, b'{"detail": "no index at /x; run `qa build`"}', JSON,
         "is unavailable (503 Service Unavailable): no index at /x; run `qa build`"),
        (503, b"Service Unavailable", {},
         "is unavailable (503 Service Unavailable): retry in a moment"),
        (500, b"Internal Server Error", {}, "failed (500 Internal Server Error)"),
        (200, b'{"hello": "world"}', JSON, "did not answer with a qa answer; is it `qa serve`?"),
    ],
    ids=["busy", "no-index", "at-connection-limit", "failed", "not-qa"],
)  # fmt: skip
def test_a_server_that_fails_or_is_busy_exits_1_with_the_status(
    status: int, body: bytes, headers: dict[str, str], message: str
) -> None:
    with stub_server(status, body, headers) as url:
        result = qa("ask", "--server", url, POND_QUESTION)

    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: the server at {url} {message}\n"


def test_a_url_that_is_not_a_qa_server_exits_2_saying_so() -> None:
    with stub_server(404, b"not here", {}) as url:
        result = qa("ask", "--server", url, POND_QUESTION)

    assert result.exit_code == 2
    assert result.stderr == (
        f"error: the server at {url} does not answer GET /health (404 Not Found); is it "
        "`qa serve`, and is that its whole URL?\n"
    )
