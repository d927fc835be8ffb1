"""The HTTP API, through TestClient(create_app(...)) over the tiny two-document corpus."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.corpus.ingest import read_text
from qa.corpus.spans import text_from_spans
from qa.errors import (
    BuildRunning,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    InvalidQuestion,
    QAError,
    RequestTooLarge,
    ServerBusy,
    Unauthorized,
    UnknownDocument,
)
from qa.settings import Settings

BRIDGE_QUESTION = "How are the cables of a suspension bridge anchored?"


@pytest.fixture(scope="module")
def client(tiny_pipeline) -> Iterator[TestClient]:
    with TestClient(create_app(pipeline=tiny_pipeline)) as client:
        yield client


def test_ask_ranks_passages_whose_text_is_the_cleaned_source_of_their_spans(
    client: TestClient, tiny_settings: Settings
) -> None:
    response = client.post("/ask", json={"question": BRIDGE_QUESTION, "k": 3})

    assert response.status_code == 200
    body = response.json()
    assert body["question"] == BRIDGE_QUESTION
    assert [p["rank"] for p in body["passages"]] == [1, 2, 3]
    scores = [p["score"] for p in body["passages"]]
    assert scores == sorted(scores, reverse=True)
    for passage in body["passages"]:
        source = read_text(tiny_settings.corpus_dir / passage["doc_id"])
        spans = [tuple(span) for span in passage["spans"]]
        assert passage["text"] == text_from_spans(source, spans)
        assert (passage["start"], passage["end"]) == (spans[0][0], spans[-1][1])
        assert passage["chunk_id"].startswith(passage["doc_id"] + "#")
        for start, end in passage["highlights"]:
            assert passage["start"] <= start < end <= passage["end"]


def test_a_question_naming_what_no_document_mentions_abstains_and_says_which(
    client: TestClient,
) -> None:
    body = client.post("/ask", json={"question": "Which bridges did Brunel design?"}).json()

    assert body["abstained"] is True
    assert body["abstain_reason"] == "unknown_names"
    assert body["unknown_names"] == ["Brunel"]
    assert body["passages"], "the nearest passages are still shown"


def test_ask_defaults_to_five_passages(client: TestClient) -> None:
    response = client.post("/ask", json={"question": "What lives in a pond?"})

    assert response.status_code == 200
    assert len(response.json()["passages"]) == 5


def test_ask_in_bm25_mode_finds_the_document_that_shares_the_words(client: TestClient) -> None:
    response = client.post("/ask", json={"question": BRIDGE_QUESTION, "k": 2, "mode": "bm25"})

    assert response.status_code == 200
    assert response.json()["passages"][0]["doc_id"] == "bridges.txt"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "   "}, "question"),
        ({"question": "x" * 1001}, "question"),
        ({"question": 42}, "question"),
        ({"k": 3}, "question"),
        ({"question": "What is a pond?", "k": 0}, "k"),
        ({"question": "What is a pond?", "k": 51}, "k"),
        ({"question": "What is a pond?", "k": "x"}, "k"),
        ({"question": "What is a pond?", "mode": "sparse"}, "mode"),
    ],
    ids=["empty", "blank", "too-long", "not-a-string", "missing", "k=0", "k=51", "k=x", "mode"],
)
def test_a_bad_ask_request_is_a_422_naming_the_field(
    client: TestClient, body: dict[str, object], field: str
) -> None:
    response = client.post("/ask", json=body)

    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [["body", field]]
    assert errors[0]["msg"]


def test_a_blank_question_is_refused_with_an_example_of_a_good_one(client: TestClient) -> None:
    response = client.post("/ask", json={"question": "  \n "})

    assert response.status_code == 422
    assert "question must contain some text" in response.json()["detail"][0]["msg"]


def test_health_reports_the_index(client: TestClient) -> None:
    health = client.get("/health").json()
    documents = client.get("/documents").json()

    assert health["status"] == "ok"
    assert health["documents"] == 2
    assert health["chunks"] == sum(d["chunks"] for d in documents) > 2
    assert health["model"]
    assert health["index_created_at"]


def test_documents_lists_each_document_with_counts(client: TestClient) -> None:
    documents = client.get("/documents").json()

    assert sorted(d["doc_id"] for d in documents) == ["bridges.txt", "ponds.txt"]
    for document in documents:
        assert set(document) == {
            "doc_id", "title", "authors", "date", "publisher", "sections", "chunks"
        }  # fmt: skip
        assert document["sections"] >= 2
        assert document["chunks"] >= 1


def test_document_detail_has_the_outline_in_document_order(
    client: TestClient, tiny_settings: Settings
) -> None:
    detail = client.get("/documents/ponds.txt").json()

    headings = [entry["heading"] for entry in detail["outline"]]
    assert headings[-3:] == ["Introduction", "Plants of the margin", "Animals of open water"]
    assert detail["sections"] == len(detail["outline"])
    starts = [entry["start"] for entry in detail["outline"]]
    assert starts == sorted(starts)
    source = read_text(tiny_settings.corpus_dir / "ponds.txt")
    margin = detail["outline"][headings.index("Plants of the margin")]
    assert source[margin["start"] : margin["end"]].startswith("## Plants of the margin")
    assert margin["path"][-1] == "Plants of the margin"


def test_an_unknown_document_is_a_404_with_a_message(client: TestClient) -> None:
    response = client.get("/documents/nope.txt")

    assert response.status_code == 404
    assert "nope.txt" in response.json()["detail"]


def test_openapi_describes_every_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert set(paths) == {
        "/ask", "/health", "/documents", "/documents/{doc_id}", "/documents/{doc_id}/text",
        "/admin/reload",
    }  # fmt: skip
    assert client.get("/docs").status_code == 200


def test_without_a_pipeline_the_app_opens_one_from_settings_at_startup(
    tiny_settings: Settings, tiny_pipeline
) -> None:
    app = create_app(tiny_settings)
    assert app.state.pipeline is None  # nothing loaded before startup

    with TestClient(app) as client:
        assert client.get("/health").json()["documents"] == 2


class FailingPipeline:
    """Stands in for Pipeline: every call raises the error it was given."""

    def __init__(self, error: QAError) -> None:
        self.error = error

    def ask(self, question: str, k: int = 5, mode: str = "hybrid") -> None:
        raise self.error

    def document(self, doc_id: str) -> None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidQuestion("the question is 900 characters; keep it under 500"), 422),
        (UnknownDocument("no document 'x.txt' in the index"), 404),
        (IndexMissing("no index in /tmp/x; run `qa build`"), 503),
        (IndexMismatch("the index was built with another model; run `qa build --force`"), 503),
        (IndexCorrupt("vectors.faiss is truncated; run `qa build`"), 503),
        (BuildRunning("another `qa build` of this index is running; wait for it"), 503),
        (ServerBusy("16 questions are already waiting; retry in 4 s", retry_after_s=4), 503),
        (Unauthorized("send the header `Authorization: Bearer KEY`"), 401),
        (RequestTooLarge("the request body is over 65536 bytes"), 413),
        (QAError("something else went wrong; report it"), 500),
    ],
)
def test_qa_errors_become_statuses_with_their_message(error: QAError, status: int) -> None:
    client = TestClient(create_app(pipeline=FailingPipeline(error)), raise_server_exceptions=False)

    response = client.post("/ask", json={"question": "What is a pond?"})

    assert response.status_code == status
    detail = response.json()["detail"]
    message = detail[0]["msg"] if status == 422 else detail
    assert message == str(error)


@pytest.mark.parametrize(
    ("error", "header", "value"),
    [
        (ServerBusy("busy; retry in 4 s", retry_after_s=4), "retry-after", "4"),
        (Unauthorized("send the key"), "www-authenticate", "Bearer"),
        (RequestTooLarge("too large"), "connection", "close"),
    ],
)
def test_some_error_statuses_come_with_the_header_that_says_what_to_do(
    error: QAError, header: str, value: str
) -> None:
    client = TestClient(create_app(pipeline=FailingPipeline(error)))

    response = client.post("/ask", json={"question": "What is a pond?"})

    assert response.headers[header] == value
