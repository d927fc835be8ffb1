"""Filters on documents, authors and dates: applied before ranking, to every ranker alike."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.index.filters import Filters, date_range
from qa.pipeline import Pipeline
from tests.conftest import BRIDGES, PONDS, small_corpus_settings
from tests.test_cli import qa

CATALOG = """\
[documents."ponds.txt"]
title = "Freshwater ponds"
authors = ["Jane Marsh"]
date = "2019-04"

[documents."bridges.txt"]
title = "How suspension bridges stand"
authors = ["Tomas Girder"]
date = "2021"
"""
QUESTION = "How are the cables of a suspension bridge anchored?"  # a bridges.txt question
# BM25 returns only chunks sharing a term with the question: this one has terms of both.
BOTH = "How do ponds and bridge cables change?"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    settings = small_corpus_settings(
        tmp_path_factory.mktemp("filters"), {"ponds.txt": PONDS, "bridges.txt": BRIDGES}
    )
    (settings.corpus_dir / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    return Pipeline.open(settings)


def docs_of(pipeline: Pipeline, filters: Filters | None, mode: str = "hybrid") -> set[str]:
    answer = pipeline.ask(BOTH, k=10, mode=mode, filters=filters)  # type: ignore[arg-type]
    return {p.hit.chunk.doc_id for p in answer.passages}


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_a_filter_keeps_only_its_documents_in_every_mode(pipeline: Pipeline, mode: str) -> None:
    assert docs_of(pipeline, None, mode) == {"bridges.txt", "ponds.txt"}
    assert docs_of(pipeline, Filters(doc_ids=("ponds.txt",)), mode) == {"ponds.txt"}
    assert docs_of(pipeline, Filters(authors=("marsh",)), mode) == {"ponds.txt"}
    assert docs_of(pipeline, Filters(date_from="2020"), mode) == {"bridges.txt"}
    assert docs_of(pipeline, Filters(date_to="2019-04-30"), mode) == {"ponds.txt"}


def test_a_filtered_question_ranks_the_allowed_chunks_in_full(pipeline: Pipeline) -> None:
    """Not a trimmed top-k: every allowed chunk is ranked, as many as k asks for."""
    ponds = sum(c.doc_id == "ponds.txt" for c in pipeline.store.chunks)
    answer = pipeline.ask(BOTH, k=10, mode="bm25", filters=Filters(doc_ids=("ponds.txt",)))
    assert 0 < len(answer.passages) <= ponds


def test_dates_name_whole_years_and_months() -> None:
    assert date_range("2019") == ("2019-01-01", "2019-12-31")
    assert date_range("2019-04") == ("2019-04-01", "2019-04-31")


def test_over_http_malformed_filters_are_a_422_and_filters_matching_nothing_say_so(
    pipeline: Pipeline,
) -> None:
    with TestClient(create_app(pipeline=pipeline)) as client:
        ok = client.post("/ask", json={"question": QUESTION, "filters": {"authors": ["Girder"]}})
        statuses = {
            name: client.post("/ask", json={"question": QUESTION, "filters": f}).status_code
            for name, f in {
                "misspelt field": {"date_form": "2019"},
                "bad date": {"date_from": "April 2019"},
            }.items()
        }
        empty = [
            client.post("/ask", json={"question": QUESTION, "filters": f}).json()
            for f in (
                {"doc_ids": ["nothing.md"]},
                {"date_from": "2030"},
                {"date_from": "2021", "date_to": "2019"},
            )
        ]

    assert ok.status_code == 200
    assert {p["doc_id"] for p in ok.json()["passages"]} == {"bridges.txt"}
    assert statuses == dict.fromkeys(statuses, 422)
    for answer in empty:  # nothing passes: said, not an error (the request itself is valid)
        assert answer["passages"] == [] and answer["abstain_reason"] == "no_match"


def test_the_cli_takes_the_filters(pipeline: Pipeline) -> None:
    settings = pipeline.settings
    by_author = qa(settings, "ask", QUESTION, "--author", "Marsh", "--json")
    bad_date = qa(settings, "ask", QUESTION, "--since", "spring")
    nothing = qa(settings, "ask", QUESTION, "--since", "2030")

    assert by_author.exit_code == 0, by_author.output
    assert '"doc_id": "bridges.txt"' not in by_author.stdout
    assert '"doc_id": "ponds.txt"' in by_author.stdout
    assert bad_date.exit_code == 2 and "YYYY" in bad_date.output
    assert nothing.exit_code == 0 and "No passage matches the filters" in nothing.output
