"""What the HTTP API does with malformed, oversized, abandoned, unauthorized and slow requests.

Through TestClient (or the ASGI app directly) where that shows the behaviour; through a real
uvicorn server on 127.0.0.1 with `qa serve`'s options where only a socket can (timeouts,
disconnects, the connection limit).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import socket
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.http.server import server_options
from qa.schema import VISIBLE_CHARACTER, has_visible_text
from qa.settings import Settings

QUESTION = "What lives in a pond?"
SHORT = 400  # bytes: an error body may say what is wrong, never echo what was sent


@pytest.fixture(scope="module")
def client(tiny_pipeline) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), pipeline=tiny_pipeline)) as client:
        yield client


def post_json_text(client: TestClient, text: bytes) -> httpx.Response:
    return client.post("/ask", content=text, headers={"content-type": "application/json"})


# Malformed bodies


@pytest.mark.parametrize(
    "body",
    [
        b'{"question": "x", "k": NaN}',
        b'{"question": "x", "k": Infinity}',
        b'{"question": "x", "k": -Infinity}',
        b'{"question": "x", "k": 1e400}',
        b'{"question": "x", "k": 3, "extra": 1e400}',
        b'{"question": "x", "k": 1' + b"0" * 5000 + b"}",
        b'{"question": "\\ud800"}',
        b'{"question": "What is a pond\\udfff"}',
        b'{"question": "\xff\xfe"}',
        b"[" * 10_000 + b"]" * 10_000,
    ],
    ids=["nan", "infinity", "-infinity", "1e400", "1e400-elsewhere", "5000-digits",
         "lone-high-surrogate", "lone-low-surrogate", "not-utf8", "nested-10000-deep"],
)  # fmt: skip
def test_json_that_only_pythons_parser_accepts_is_a_422_with_a_short_body(
    client: TestClient, body: bytes
) -> None:
    response = post_json_text(client, body)

    assert response.status_code == 422
    assert len(response.content) < SHORT
    [error] = response.json()["detail"]
    assert error["loc"] == ["body"]
    assert error["msg"].startswith("the body is not valid JSON")


def test_a_10_mb_question_is_a_413_with_a_short_body_and_the_connection_closed(
    client: TestClient,
) -> None:
    response = client.post("/ask", json={"question": "x" * 10_000_000})

    assert response.status_code == 413
    assert len(response.content) < SHORT
    assert "over 65536 bytes" in response.json()["detail"]
    assert response.headers["connection"] == "close"


def test_a_question_under_the_body_limit_but_over_max_question_chars_is_a_422_without_it(
    client: TestClient,
) -> None:
    response = client.post("/ask", json={"question": "x" * 20_000})

    assert response.status_code == 422
    assert len(response.content) < SHORT
    [error] = response.json()["detail"]
    assert error == {
        "type": "string_too_long",
        "loc": ["body", "question"],
        "msg": "String should have at most 1000 characters",
    }


@pytest.mark.parametrize(
    "question",
    ["\u200b", "\u200b\u200c\u200d\u2060\ufeff", " \t\n\u00a0\u3000", "\x00\x07\x1b", "\u3164"],
    ids=["zero-width-space", "zero-width-all", "whitespace", "controls", "hangul-filler"],
)
def test_a_question_with_no_visible_character_is_a_422(client: TestClient, question: str) -> None:
    response = client.post("/ask", json={"question": question})

    assert response.status_code == 422
    assert "question must contain some text" in response.json()["detail"][0]["msg"]


def test_a_question_with_a_zero_width_space_among_words_is_answered(client: TestClient) -> None:
    assert client.post("/ask", json={"question": "\u200b" + QUESTION}).status_code == 200


def test_every_control_format_and_space_character_counts_as_invisible() -> None:
    characters = (chr(code) for code in range(sys.maxunicode + 1))
    invisible = [
        char
        for char in characters
        if unicodedata.category(char) in {"Cc", "Cf", "Zs", "Zl", "Zp"} or char.isspace()
    ]

    assert len(invisible) > 200
    assert [char for char in invisible if has_visible_text(char)] == []


def test_the_spec_gives_the_question_the_pattern_the_server_checks(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["AskBody"]

    assert schema["properties"]["question"]["pattern"] == VISIBLE_CHARACTER


def test_a_chunked_body_of_any_length_is_refused_after_reading_at_most_the_limit(
    tiny_pipeline,
) -> None:
    app = create_app(Settings(max_body_bytes=4096), pipeline=tiny_pipeline)
    chunk = b"x" * 1000
    read = 0

    async def endless_body() -> dict[str, Any]:
        nonlocal read
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    status, body = asyncio.run(call_asgi(app, "POST", "/ask", endless_body))

    assert status == 413
    assert "over 4096 bytes" in json.loads(body)["detail"]
    assert read <= 4096 + len(chunk)


async def call_asgi(
    app: FastAPI, method: str, path: str, receive: Callable[[], Any]
) -> tuple[int, bytes]:
    """One request straight into the ASGI app, with no Content-Length (as when chunked)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


# Settings are the schema's limits


def test_the_request_schema_enforces_and_documents_the_configured_limits(tiny_pipeline) -> None:
    client = TestClient(
        create_app(Settings(max_question_chars=30, max_k=3), pipeline=tiny_pipeline)
    )

    schema = client.get("/openapi.json").json()["components"]["schemas"]["AskBody"]
    assert schema["properties"]["question"]["maxLength"] == 30
    assert schema["properties"]["k"]["maximum"] == 3
    assert client.post("/ask", json={"question": QUESTION, "k": 3}).status_code == 200
    assert client.post("/ask", json={"question": QUESTION, "k": 4}).status_code == 422
    assert client.post("/ask", json={"question": "x" * 31}).status_code == 422


def test_the_spec_lists_every_status_the_question_and_document_routes_can_return(
    client: TestClient,
) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert set(paths["/ask"]["post"]["responses"]) == {"200", "401", "413", "422", "503"}
    assert set(paths["/documents"]["get"]["responses"]) == {"200", "401", "413", "503"}
    assert set(paths["/documents/{doc_id}"]["get"]["responses"]) == {
        "200", "401", "404", "413", "422", "503"
    }  # fmt: skip


# The question queue


class BlockingPipeline:
    """Stands in for Pipeline: `ask` waits for `release`, and records what it computed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.started = threading.Event()
        self.release = threading.Event()
        self.computed: list[str] = []

    def ask(self, question: str, k: int = 5, mode: str = "hybrid") -> Any:
        self.started.set()
        self.release.wait(timeout=10)
        self.computed.append(question)
        return self.inner.ask(question, k, mode=mode)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not become true in time")
        time.sleep(0.01)


def test_a_question_beyond_max_waiting_is_a_503_with_retry_after(tiny_pipeline) -> None:
    pipeline = BlockingPipeline(tiny_pipeline)
    app = create_app(Settings(max_waiting=1, workers=1), pipeline=pipeline)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://qa") as client:
            running = asyncio.create_task(client.post("/ask", json={"question": "running"}))
            await asyncio.to_thread(wait_until, pipeline.started.is_set)
            waiting = asyncio.create_task(client.post("/ask", json={"question": "waiting"}))
            await asyncio.to_thread(wait_until, lambda: app.state.worker.waiting == 1)
            refused = await client.post("/ask", json={"question": "refused"})
            pipeline.release.set()
            return [await running, await waiting, refused]

    running, waiting, refused = asyncio.run(scenario())

    assert (running.status_code, waiting.status_code) == (200, 200)
    assert refused.status_code == 503
    assert int(refused.headers["retry-after"]) >= 1
    assert "already waiting" in refused.json()["detail"]
    assert pipeline.computed == ["running", "waiting"]


def test_a_question_whose_client_left_while_it_waited_is_not_computed(tiny_pipeline) -> None:
    pipeline = BlockingPipeline(tiny_pipeline)
    app = create_app(Settings(workers=1), pipeline=pipeline)

    with live_server(app, Settings()) as server:
        first = send_ask(server, "first")
        wait_until(pipeline.started.is_set)
        abandoned = [send_ask(server, f"abandoned {n}") for n in range(3)]
        wait_until(lambda: app.state.worker.waiting == 3)
        for connection in abandoned:
            connection.close()
        wait_until(lambda: len(server.server_state.connections) == 1)
        last = send_ask(server, "last")
        wait_until(lambda: app.state.worker.waiting == 4)  # the gone still hold their place
        pipeline.release.set()

        assert read_response(first).startswith(b"HTTP/1.1 200")
        assert read_response(last).startswith(b"HTTP/1.1 200")
    assert pipeline.computed == ["first", "last"]
    assert app.state.worker.dropped == 3


def test_with_two_workers_two_questions_run_at_once_and_the_third_waits(tiny_pipeline) -> None:
    pipeline = BlockingPipeline(tiny_pipeline)
    running = []
    inner_ask = pipeline.ask

    def counting_ask(question: str, k: int = 5, mode: str = "hybrid") -> Any:
        running.append(question)
        return inner_ask(question, k, mode)

    pipeline.ask = counting_ask  # type: ignore[method-assign]
    app = create_app(Settings(workers=2), pipeline=pipeline)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://qa") as client:
            asks = [
                asyncio.create_task(client.post("/ask", json={"question": f"q{n}"}))
                for n in range(3)
            ]
            await asyncio.to_thread(wait_until, lambda: len(running) == 2)
            await asyncio.to_thread(wait_until, lambda: app.state.worker.waiting == 1)
            assert len(running) == 2  # the third waits for a worker
            pipeline.release.set()
            return [await ask for ask in asks]

    responses = asyncio.run(scenario())

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert sorted(pipeline.computed) == ["q0", "q1", "q2"]


# API key and CORS


@pytest.fixture(scope="module")
def keyed(tiny_pipeline) -> TestClient:
    return TestClient(create_app(Settings(api_key="s3cret"), pipeline=tiny_pipeline))


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", "Bearer s3cre", "Bearer ", "Basic s3cret", "s3cret"]
)
def test_with_an_api_key_set_a_request_without_it_is_a_401_asking_for_a_bearer_token(
    keyed: TestClient, authorization: str | None
) -> None:
    headers = {"authorization": authorization} if authorization else {}

    for response in (
        keyed.post("/ask", json={"question": QUESTION}, headers=headers),
        keyed.get("/documents", headers=headers),
        keyed.get("/documents/ponds.txt", headers=headers),
        keyed.post("/admin/reload", headers=headers),
        keyed.get("/no-such-route", headers=headers),  # no 404 telling which paths exist
    ):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer KEY" in response.json()["detail"]


@pytest.mark.parametrize("scheme", ["Bearer", "bearer"])
def test_with_an_api_key_set_a_request_carrying_it_is_answered(
    keyed: TestClient, scheme: str
) -> None:
    headers = {"authorization": f"{scheme} s3cret"}

    assert keyed.post("/ask", json={"question": QUESTION}, headers=headers).status_code == 200
    assert keyed.get("/documents/ponds.txt", headers=headers).status_code == 200


@pytest.mark.parametrize("path", ["/health", "/docs", "/openapi.json", "/redoc"])
def test_with_an_api_key_set_health_and_the_docs_stay_open(keyed: TestClient, path: str) -> None:
    assert keyed.get(path).status_code == 200


def test_cors_headers_are_sent_only_to_the_configured_origins(tiny_pipeline) -> None:
    default = TestClient(create_app(Settings(), pipeline=tiny_pipeline))
    configured = TestClient(
        create_app(
            Settings(cors_origins=("https://app.example",), api_key="s3cret"),
            pipeline=tiny_pipeline,
        )
    )
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }

    unconfigured = default.get("/health", headers={"origin": "https://app.example"})
    assert "access-control-allow-origin" not in unconfigured.headers
    allowed = configured.options("/ask", headers={"origin": "https://app.example", **preflight})
    assert allowed.status_code == 200  # a preflight carries no key, and needs none
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    other = configured.get("/health", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


# Document ids with a slash


@dataclasses.dataclass
class SubfolderPipeline:
    """Stands in for Pipeline over a corpus whose documents sit in a `reports/` subfolder."""

    inner: Any

    def documents(self) -> list[Any]:
        return [
            dataclasses.replace(d, doc_id=f"reports/{d.doc_id}") for d in self.inner.documents()
        ]

    def document(self, doc_id: str) -> Any:
        return self.inner.document(doc_id.removeprefix("reports/"))


def test_a_document_id_with_a_slash_is_served_and_a_plain_one_still_is(tiny_pipeline) -> None:
    nested = TestClient(create_app(Settings(), pipeline=SubfolderPipeline(tiny_pipeline)))
    plain = TestClient(create_app(Settings(), pipeline=tiny_pipeline))

    response = nested.get("/documents/reports/ponds.txt")
    assert response.status_code == 200
    assert response.json()["title"] == "FRESHWATER PONDS: A FIELD GUIDE"
    assert plain.get("/documents/ponds.txt").status_code == 200


# A real server: timeouts and the connection limit


@contextmanager
def live_server(app: FastAPI, settings: Settings) -> Iterator[uvicorn.Server]:
    """`app` served by uvicorn with `qa serve`'s options, on a free port of 127.0.0.1."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, access_log=False, **server_options(settings)
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started)
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def connect(server: uvicorn.Server) -> socket.socket:
    port = server.servers[0].sockets[0].getsockname()[1]
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    return connection


def send_ask(server: uvicorn.Server, question: str) -> socket.socket:
    body = json.dumps({"question": question}).encode()
    connection = connect(server)
    connection.sendall(
        b"POST /ask HTTP/1.1\r\nHost: qa\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    return connection


def read_response(connection: socket.socket) -> bytes:
    received = connection.recv(65536)
    connection.close()
    return received


def read_one_response(connection: socket.socket) -> bytes:
    """One whole response (head and Content-Length body), leaving the connection open."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += connection.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
    while len(body) < length:
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body


def read_until_closed(connection: socket.socket) -> bytes:
    """All the server sends until it closes `connection` (a timeout fails the test)."""
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def closed_by_server_within(connection: socket.socket, seconds: float) -> bool:
    """Whether the server closes `connection` (recv gives b"") within `seconds`."""
    connection.settimeout(seconds)
    try:
        while connection.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


@pytest.mark.parametrize(
    "sent",
    [
        b"",
        b"POST /ask HTTP/1.1\r\nHost: qa\r\nContent-Type: appl",
        b'POST /ask HTTP/1.1\r\nHost: qa\r\nContent-Length: 100\r\n\r\n{"question": ',
    ],
    ids=["nothing", "half-a-header", "half-a-body"],
)
def test_a_connection_whose_request_is_not_in_after_header_timeout_s_is_closed(
    tiny_pipeline, sent: bytes
) -> None:
    settings = Settings(header_timeout_s=0.3)
    with live_server(create_app(settings, pipeline=tiny_pipeline), settings) as server:
        connection = connect(server)
        connection.sendall(sent)

        assert closed_by_server_within(connection, 3.0)


def test_an_idle_kept_alive_connection_is_closed_after_keep_alive_timeout_s(tiny_pipeline) -> None:
    settings = Settings(keep_alive_timeout_s=0.3)
    with live_server(create_app(settings, pipeline=tiny_pipeline), settings) as server:
        connection = connect(server)
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: qa\r\n\r\n")
        assert connection.recv(65536).startswith(b"HTTP/1.1 200")

        assert closed_by_server_within(connection, 3.0)


def test_a_kept_alive_connection_idle_longer_than_header_timeout_s_still_serves_the_next_request(
    tiny_pipeline,
) -> None:
    settings = Settings(header_timeout_s=0.3, keep_alive_timeout_s=5)
    with live_server(create_app(settings, pipeline=tiny_pipeline), settings) as server:
        connection = connect(server)
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: qa\r\n\r\n")
        assert read_one_response(connection).startswith(b"HTTP/1.1 200")
        time.sleep(0.8)

        connection.sendall(b"GET /health HTTP/1.1\r\nHost: qa\r\n\r\n")
        assert read_response(connection).startswith(b"HTTP/1.1 200")


def test_a_question_that_takes_longer_than_header_timeout_s_to_compute_is_answered(
    tiny_pipeline,
) -> None:
    settings = Settings(header_timeout_s=0.3)
    pipeline = BlockingPipeline(tiny_pipeline)
    app = create_app(settings, pipeline=pipeline)
    with live_server(app, settings) as server:
        connection = send_ask(server, QUESTION)
        wait_until(pipeline.started.is_set)
        time.sleep(0.6)
        pipeline.release.set()

        assert read_response(connection).startswith(b"HTTP/1.1 200")


def test_a_chunked_body_over_the_limit_gets_a_413_and_the_connection_closed(
    tiny_pipeline,
) -> None:
    settings = Settings(max_body_bytes=4096)
    with live_server(create_app(settings, pipeline=tiny_pipeline), settings) as server:
        connection = connect(server)
        connection.sendall(
            b"POST /ask HTTP/1.1\r\nHost: qa\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"1000\r\n" + b"x" * 0x1000 + b"\r\n"
        for _ in range(2):
            connection.sendall(chunk)

        response = read_until_closed(connection)
        assert response.startswith(b"HTTP/1.1 413")
        assert response.endswith(
            b'{"detail":"the request body is over 4096 bytes; send a shorter question"}'
        )


def test_beyond_max_connections_open_connections_a_request_is_a_503(tiny_pipeline) -> None:
    settings = Settings(max_connections=1)
    with live_server(create_app(settings, pipeline=tiny_pipeline), settings) as server:
        kept_open = connect(server)
        kept_open.sendall(b"GET /health HTTP/1.1\r\nHost: qa\r\n\r\n")
        assert kept_open.recv(65536).startswith(b"HTTP/1.1 200")

        second = connect(server)
        second.sendall(b"GET /health HTTP/1.1\r\nHost: qa\r\n\r\n")
        assert read_response(second).startswith(b"HTTP/1.1 503")
        kept_open.close()
