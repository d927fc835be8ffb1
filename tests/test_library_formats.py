"""PDF, HTML and Word files in a corpus: built, cited by page, served from the stored text.

Fake embedders (the formats are what is tested); the files are the real ones of eval/library/corpus.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.pipeline import Pipeline
from qa.settings import Settings
from tests.conftest import REAL_DOCUMENTS
from tests.test_cli import qa

LIBRARY = Path(__file__).parent / "data" / "library"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("library")
    corpus = root / "corpus"
    (corpus / "docs").mkdir(parents=True)
    shutil.copy(LIBRARY / "field_report.docx", corpus / "field_report.docx")
    shutil.copy(REAL_DOCUMENTS / "python311_json.html", corpus / "docs" / "json.html")
    shutil.copy(REAL_DOCUMENTS / "bzip2-manual.pdf", corpus / "docs" / "bzip2-manual.pdf")
    return Settings(
        corpus_dir=corpus,
        index_dir=root / "index",
        embedder="fake",
        second_embedder="fake2",
        chunk_target_words=60,
        chunk_max_words=90,
        chunk_min_words=10,
    )


@pytest.fixture(scope="module")
def pipeline(library: Settings) -> Pipeline:
    return Pipeline.open(library)


def ask(pipeline: Pipeline, question: str, k: int = 3) -> dict:
    with TestClient(create_app(pipeline=pipeline)) as client:
        response = client.post("/ask", json={"question": question, "k": k})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_word_file_is_indexed_with_its_metadata_headings_and_pages(pipeline: Pipeline) -> None:
    answer = ask(pipeline, "When did nitrate levels fall after the outfall repair?")
    top = answer["passages"][0]

    assert top["doc_id"] == "field_report.docx"
    assert top["title"] == "Field Report on River Sampling"
    assert top["authors"] == ["Ada Lovelace", "Grace Hopper"]
    assert top["date"] == "2024-03-05"
    assert "Nitrate levels fell after the outfall was repaired on 20 March." in top["text"]
    assert top["section_path"][-1] == "Results"
    assert (top["page_start"], top["page_end"]) == (2, 2)  # after the explicit page break


def test_a_web_page_in_a_subfolder_is_cited_without_pages(pipeline: Pipeline) -> None:
    answer = ask(pipeline, "Is it safe to parse JSON from untrusted sources?")
    top = next(p for p in answer["passages"] if p["doc_id"] == "docs/json.html")

    assert top["title"].startswith("json")
    assert top["page_start"] is None and top["page_end"] is None


def test_a_pdf_passage_is_cited_with_its_physical_page(pipeline: Pipeline) -> None:
    sentence = "bunzip2 will require about 3700 kbytes to decompress"
    answer = ask(pipeline, "How much memory does bunzip2 need for the default 900k block size?", 5)
    hit = next(p for p in answer["passages"] if sentence in p["text"])  # fakes rank by words

    assert hit["doc_id"] == "docs/bzip2-manual.pdf"
    assert hit["title"] == "bzip2 and libbzip2, version 1.0.8"
    assert hit["page_start"] <= 8 <= hit["page_end"]  # page 8 of the PDF, checked with pdfium
    assert hit["page_end"] - hit["page_start"] <= 1


def test_citations_index_the_extracted_text_stored_with_the_index(
    library: Settings, pipeline: Pipeline
) -> None:
    answer = ask(pipeline, "When did nitrate levels fall after the outfall repair?")
    folder = library.index_dir.resolve()
    stored = {
        r["doc_id"]: r
        for r in map(json.loads, (folder / "sources.jsonl").read_text("utf-8").splitlines())
    }

    assert set(stored) == {"field_report.docx", "docs/json.html", "docs/bzip2-manual.pdf"}
    for passage in answer["passages"]:
        text = stored[passage["doc_id"]]["text"]
        start, end = passage["highlights"][0]
        assert passage["start"] <= start < end <= passage["end"] <= len(text)
    assert stored["field_report.docx"]["page_starts"][0] == 0
    assert len(stored["field_report.docx"]["page_starts"]) == 2


def test_the_cli_names_the_page(library: Settings, pipeline: Pipeline) -> None:
    result = qa(library, "ask", "When did nitrate levels fall after the outfall repair?")

    assert result.exit_code == 0, result.output
    assert "p. 2 — field_report.docx [" in result.stdout


def text_of(pipeline: Pipeline, doc_id: str, **params: int) -> tuple[int, dict]:
    with TestClient(create_app(pipeline=pipeline)) as client:
        response = client.get(f"/documents/{doc_id}/text", params=params)
    return response.status_code, response.json()


def test_the_text_route_returns_a_cited_span_with_its_pages(
    library: Settings, pipeline: Pipeline
) -> None:
    answer = ask(pipeline, "When did nitrate levels fall after the outfall repair?")
    top = answer["passages"][0]

    status, body = text_of(pipeline, top["doc_id"], start=top["start"], end=top["end"])

    assert status == 200
    assert body["text"].startswith(top["text"][:40])
    assert (body["page_start"], body["page_end"]) == (top["page_start"], top["page_end"])
    start, end = top["highlights"][0]
    assert text_of(pipeline, top["doc_id"], start=start, end=end)[1]["text"] in body["text"]


def test_the_text_route_takes_ids_with_slashes_and_bounds_what_it_returns(
    pipeline: Pipeline,
) -> None:
    status, whole = text_of(pipeline, "docs/bzip2-manual.pdf")
    assert status == 200 and whole["start"] == 0
    assert whole["end"] == min(whole["length"], 20_000) and len(whole["text"]) == whole["end"]
    assert whole["page_start"] == 1 and whole["page_end"] > 1

    for params in ({"start": 5, "end": 4}, {"end": whole["length"] + 1}, {"end": 30_000}):
        status, body = text_of(pipeline, "docs/bzip2-manual.pdf", **params)
        assert status == 422, params
        assert body["detail"][0]["type"] == "invalid_range"
    assert text_of(pipeline, "docs/nothing.pdf")[0] == 404
    assert text_of(pipeline, "docs/json.html", start=-1)[0] == 422
