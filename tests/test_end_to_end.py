"""End to end with the real models over the real corpus: what `make run` serves."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.corpus.spans import text_from_spans

pytestmark = pytest.mark.model

PUTIN_QUESTION = "Why did Putin want the Belt and Road to link up with the Trans-Siberian railway?"


def test_the_product_question_finds_kuhrts_passage_and_cites_it_exactly(real_pipeline) -> None:
    with TestClient(create_app(pipeline=real_pipeline)) as client:
        body = client.post("/ask", json={"question": PUTIN_QUESTION, "k": 5}).json()
    top3 = body["passages"][:3]
    kuhrt = [
        p
        for p in top3
        if p["section"] == "Russia and China: Competing or complementary priorities?"
    ]
    assert kuhrt, [p["section"] for p in top3]
    passage = kuhrt[0]
    source = real_pipeline.store.sources[passage["doc_id"]]
    assert "link up with the Trans-Siberian railway" in source[passage["start"] : passage["end"]]
    assert passage["authors"] == ["Natasha Kuhrt"]
    assert not body["abstained"]


def test_every_passage_is_rebuilt_from_its_spans_and_highlights_sit_inside(real_pipeline) -> None:
    answer = real_pipeline.ask("What is the SCO?", k=10)
    assert len(answer.passages) == 10
    for passage in answer.passages:
        chunk = passage.hit.chunk
        source = real_pipeline.store.sources[chunk.doc_id]
        assert text_from_spans(source, chunk.spans) == chunk.text
        assert passage.highlights
        for start, end in passage.highlights:
            assert any(s <= start and end <= e for s, e in chunk.spans)


def test_a_question_the_corpus_cannot_answer_abstains_but_still_shows_nearest_passages(
    real_pipeline,
) -> None:
    answer = real_pipeline.ask(
        "What did Gazprom pay for its stake in the Vostok-2018 catering contract?"
    )
    assert answer.abstained
    assert answer.unknown_names == ("Vostok-2018",)
    assert answer.abstain_reason == "unknown_names"
    assert answer.passages  # nearest passages are still returned, marked by `abstained`


def test_health_reports_the_real_model(real_pipeline) -> None:
    health = real_pipeline.health()
    assert health["model"] == "all-MiniLM-L6-v2"
    assert health["documents"] == 5 and health["chunks"] > 200
