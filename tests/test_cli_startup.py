"""What each verb loads before it answers: no model for what needs none, nothing for bad input.

`load_embedder` is where a model loads (the fakes stand in for the real models here), so a
recording stand-in for it shows which models a command loaded, and when.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.index.embedder import Embedder, HashEmbedder
from qa.pipeline import Pipeline
from qa.settings import Settings
from tests.test_cli import POND_QUESTION, qa
from tests.test_cli_remote import free_port


@pytest.fixture
def loaded(tiny_pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the models loaded from now on (the tiny index is already built)."""
    names: list[str] = []

    def load_embedder(name: str, *args: object, **kwargs: object) -> Embedder:
        names.append(name)
        return HashEmbedder(name, salt=name)

    monkeypatch.setattr("qa.index.embedder.load_embedder", load_embedder)
    return names


@pytest.fixture
def unbuilt(tiny_settings: Settings, tmp_path: Path) -> Settings:
    """The tiny corpus with no index yet: any command that loads the index builds one."""
    return tiny_settings.model_copy(update={"index_dir": tmp_path / "index"})


def test_outline_loads_no_model(tiny_settings: Settings, loaded: list[str]) -> None:
    result = qa(tiny_settings, "outline", "ponds.txt")

    assert result.exit_code == 0
    assert "Plants of the margin" in result.stdout
    assert loaded == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("",), "error: the question is empty; ask something, e.g. 'What is the SCO?'\n"),
        (("  \t ",), "error: the question is empty; ask something, e.g. 'What is the SCO?'\n"),
        ((POND_QUESTION, "-k", "0"), "error: k must be between 1 and 50, got 0\n"),
        ((POND_QUESTION, "-k", "51"), "error: k must be between 1 and 50, got 51\n"),
        (("x" * 1001,), "error: the question is 1001 characters; keep it under 1000\n"),
    ],
)
def test_ask_refuses_bad_input_before_loading_any_index_or_model(
    unbuilt: Settings, loaded: list[str], args: tuple[str, ...], message: str
) -> None:
    result = qa(unbuilt, "ask", *args)

    assert (result.exit_code, result.stdout, result.stderr) == (2, "", message)
    assert loaded == []
    assert not unbuilt.index_dir.exists()


def test_chat_refuses_a_bad_k_before_loading_any_index_or_model(
    unbuilt: Settings, loaded: list[str]
) -> None:
    result = qa(unbuilt, "chat", "-k", "0", input=f"{POND_QUESTION}\n")

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "error: k must be between 1 and 50, got 0\n"
    assert loaded == []
    assert not unbuilt.index_dir.exists()


@pytest.mark.parametrize("args", [("ask", POND_QUESTION), ("chat",)])
def test_ask_and_chat_with_a_server_open_no_index_and_load_no_model(
    unbuilt: Settings, loaded: list[str], args: tuple[str, ...]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there: exit 3, and nothing loaded

    result = qa(unbuilt, *args, "--server", url, input=f"{POND_QUESTION}\n")

    assert (result.exit_code, result.stdout) == (3, "")
    assert result.stderr.startswith(f"error: cannot reach a qa server at {url}")
    assert loaded == []
    assert not unbuilt.index_dir.exists()


@pytest.mark.parametrize(
    ("mode", "models"),
    [("hybrid", ["fake", "fake2"]), ("dense", ["fake"]), ("bm25", [])],
)
def test_ask_loads_only_the_models_its_mode_uses(
    tiny_settings: Settings, loaded: list[str], mode: str, models: list[str]
) -> None:
    result = qa(tiny_settings, "ask", POND_QUESTION, "--mode", mode)

    assert result.exit_code == 0
    assert "ponds.txt" in result.stdout
    assert loaded == models


def test_chat_loads_no_model_before_the_first_question(
    tiny_settings: Settings, loaded: list[str]
) -> None:
    assert qa(tiny_settings, "chat", input="quit\n").exit_code == 0
    assert loaded == []

    assert qa(tiny_settings, "chat", input=f"{POND_QUESTION}\n").exit_code == 0
    assert loaded == ["fake", "fake2"]


def test_serve_loads_the_models_before_the_server_starts(
    tiny_settings: Settings, loaded: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    loaded_when_run: list[list[str]] = []
    monkeypatch.setattr(
        uvicorn, "run", lambda app, host, port, **options: loaded_when_run.append(list(loaded))
    )

    assert qa(tiny_settings, "serve").exit_code == 0
    assert loaded_when_run == [["fake", "fake2"]]


def test_an_app_that_opens_its_own_pipeline_loads_the_models_at_startup(
    tiny_settings: Settings, loaded: list[str]
) -> None:
    with TestClient(create_app(tiny_settings)) as client:
        assert loaded == ["fake", "fake2"]
        assert client.post("/ask", json={"question": POND_QUESTION}).status_code == 200
    assert loaded == ["fake", "fake2"]


def test_a_lazy_pipeline_loads_a_model_on_the_first_question_that_needs_it(
    tiny_settings: Settings, loaded: list[str]
) -> None:
    pipeline = Pipeline.open(tiny_settings, lazy=True)
    assert loaded == []

    pipeline.ask(POND_QUESTION, mode="bm25")
    assert loaded == []
    pipeline.ask(POND_QUESTION, mode="dense")
    assert loaded == ["fake"]
    pipeline.ask(POND_QUESTION)
    pipeline.ask(POND_QUESTION)
    assert loaded == ["fake", "fake2"]
