"""A server answers from an index without the second model's vectors, adds them in the
background (qa/enrichment.py), and then serves the enriched index."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.index.build import build_index
from qa.index.embedder import load_embedder
from qa.pipeline import Pipeline
from qa.settings import Settings
from tests.conftest import BRIDGES, PONDS, small_corpus_settings
from tests.test_reload import health_when, wait_for

QUESTION = {"question": "Why do engineers test deck shapes in wind tunnels?", "k": 3}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = small_corpus_settings(tmp_path, {"ponds.txt": PONDS, "bridges.txt": BRIDGES})
    return settings.model_copy(update={"reload_interval_s": 0.1})


def build_without_second(settings: Settings) -> None:
    build_index(settings, load_embedder("fake"), enrich=False)


def test_a_server_answers_at_once_then_serves_the_enriched_index(settings: Settings) -> None:
    build_without_second(settings)
    with TestClient(create_app(settings)) as client:
        first = client.post("/ask", json=QUESTION)
        wait_for(health_when(client, lambda h: h["enrichment"] == "complete"), "the enriched index")
        after = client.post("/ask", json=QUESTION).json()
        health = client.get("/health").json()

    assert first.status_code == 200
    assert all(p["scores"]["dense2"] is None for p in first.json()["passages"])
    assert after["passages"][0]["scores"]["dense2"] is not None
    assert health["status"] == "ok" and health["enrichment_error"] is None
    manifest = json.loads((settings.index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["second_embedder"] == "fake2"


def test_a_stale_index_is_not_enriched(settings: Settings) -> None:
    build_without_second(settings)
    pipeline = Pipeline.open(settings, enrich=False)
    (settings.corpus_dir / "ponds.txt").write_text(PONDS + "\nA new pond line.\n", "utf-8")
    with TestClient(create_app(settings, pipeline=pipeline)) as client:
        wait_for(health_when(client, lambda h: h["stale"]), "the index to be seen stale")
        time.sleep(0.5)  # five rounds of the enrichment loop, which must not start
        health = client.get("/health").json()

    assert health["enrichment"] == "pending"
    manifest = json.loads((settings.index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["second_embedder"] is None


def test_no_second_model_means_nothing_to_enrich(settings: Settings) -> None:
    settings = settings.model_copy(update={"second_embedder": "none"})
    build_without_second(settings)
    with TestClient(create_app(settings)) as client:
        health = client.get("/health").json()

    assert health["enrichment"] == "none"


def test_a_plain_build_keeps_the_second_models_vectors_and_embeds_only_new_chunks_with_it(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dropping them on a corpus change would make enrichment embed every chunk again."""
    from qa.index.embedder import HashEmbedder

    build_index(settings, load_embedder("fake"), enrich=True)
    (settings.corpus_dir / "otters.md").write_text(
        "# Otters\n\nOtters returned to the upper river; a holt was seen below the weir.\n",
        encoding="utf-8",
    )
    second_model_saw: list[str] = []
    original = HashEmbedder.embed_passages

    def recording(self: HashEmbedder, texts: list[str]) -> object:
        if self.name == "fake2":
            second_model_saw.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(HashEmbedder, "embed_passages", recording)
    result = build_index(settings, load_embedder("fake"), enrich=False)

    assert result.built and result.second_embedder == "fake2"
    assert second_model_saw and all("tter" in text for text in second_model_saw)
