"""The command line, through click's CliRunner: whole transcripts over the tiny corpus."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from rich.console import Console

from qa.api import create_app
from qa.cli import MODES, exit_code, main
from qa.corpus.clean import clean_text
from qa.corpus.ingest import read_text
from qa.errors import (
    CorpusError,
    IndexMismatch,
    IndexMissing,
    InvalidQuestion,
    QAError,
    UnknownDocument,
)
from qa.render import ABSTAIN_NOTE, UNKNOWN_NAMES_NOTE, Renderer, citation, confidence_words
from qa.schema import AskResponse, PassageOut
from qa.settings import Settings

POND_QUESTION = "How does a pond change through the seasons?"
BRIDGE_QUESTION = "How are the cables of a suspension bridge anchored?"


def qa(settings: Settings, *args: str, input: str | None = None) -> Result:
    """Run `qa --corpus … --index … ARGS` with the settings' embedder and chunking in QA_* env."""
    env: dict[str, str | None] = {
        "QA_SERVER": None,  # a user's own server must not answer these local runs
        "QA_EMBEDDER": settings.embedder,
        "QA_SECOND_EMBEDDER": settings.second_embedder,
        "QA_CHUNK_TARGET_WORDS": str(settings.chunk_target_words),
        "QA_CHUNK_MAX_WORDS": str(settings.chunk_max_words),
        "QA_CHUNK_MIN_WORDS": str(settings.chunk_min_words),
        "COLUMNS": "1000",  # no wrapping, so transcripts follow from the JSON
    }
    folders = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    return CliRunner().invoke(main, [*folders, *args], env=env, input=input)


def api_ask(pipeline, question: str, k: int = 5) -> dict:
    with TestClient(create_app(pipeline=pipeline)) as client:
        body = client.post("/ask", json={"question": question, "k": k}).json()
    body.pop("timings_ms")
    return body


def rendered(response: dict) -> str:
    """What `qa ask` prints for an API response, at a width where nothing wraps, to a pipe
    (highlights marked »like this«)."""
    lines = []
    if response["unknown_names"]:
        lines.append(f"{UNKNOWN_NAMES_NOTE} {', '.join(response['unknown_names'])}.")
    if response["abstained"]:
        lines += [ABSTAIN_NOTE, ""]
    elif response["passages"]:
        words = confidence_words(response["confidence"])
        lines += [f"The first passage {words} (confidence {response['confidence']:.2f}).", ""]
    for p in response["passages"]:
        lines.append(f"{p['rank']}. {p['title']}")
        byline = [*p["authors"], *([p["date"]] if p["date"] else [])]
        if byline:
            lines.append("   " + " · ".join(byline))
        if p["section_path"]:
            lines.append("   " + " › ".join(p["section_path"]))
        lines += ["   " + line if line else "" for line in marked(p).split("\n")]
        lines += [f"   {citation(PassageOut.model_validate(p))}", ""]
    return "\n".join(lines) + "\n"


def marked(p: dict) -> str:
    text, out, cursor = p["text"], "", 0
    for start, end in sorted(p["text_highlights"]):
        out += f"{text[cursor:start]}»{text[start:end]}«"
        cursor = end
    return out + text[cursor:]


def test_ask_json_is_exactly_the_api_response(tiny_settings: Settings, tiny_pipeline) -> None:
    result = qa(tiny_settings, "ask", BRIDGE_QUESTION, "-k", "3", "--json")

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    printed.pop("timings_ms")
    assert printed == api_ask(tiny_pipeline, BRIDGE_QUESTION, k=3)


def test_ask_prints_ranked_passages_with_their_citations(
    tiny_settings: Settings, tiny_pipeline
) -> None:
    result = qa(tiny_settings, "ask", POND_QUESTION, "-k", "2")

    assert result.exit_code == 0, result.output
    assert result.stdout == rendered(api_ask(tiny_pipeline, POND_QUESTION, k=2))
    cited = r"^   .*“FRESHWATER PONDS[^”]*”.* — ponds\.txt \[\d+:\d+\]$"
    assert re.search(cited, result.stdout, re.MULTILINE)


def test_an_abstaining_answer_says_so_before_the_nearest_passages(
    tiny_settings: Settings, tiny_pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = AskResponse.from_answer(tiny_pipeline.ask("Which trees grow beside a pond?", 1))
    abstained = answer.model_copy(update={"abstained": True, "abstain_reason": "low_confidence"})

    Renderer().answer(abstained)

    out = capsys.readouterr().out
    assert out.startswith(f"{ABSTAIN_NOTE}\n\n1. ")


def test_an_answer_abstaining_on_unknown_names_names_them_first(
    tiny_settings: Settings, tiny_pipeline, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = AskResponse.from_answer(tiny_pipeline.ask("Who won the 1966 World Cup?", 1))

    Renderer().answer(answer)

    out = capsys.readouterr().out
    assert out.startswith(f"{UNKNOWN_NAMES_NOTE} World, Cup.\n{ABSTAIN_NOTE}\n\n1. ")


def test_highlighted_sentences_are_emphasised_in_the_passage(
    tiny_settings: Settings, tiny_pipeline
) -> None:
    response = AskResponse.from_answer(tiny_pipeline.ask(BRIDGE_QUESTION, 5))
    passages = [p for p in response.passages if p.highlights]
    assert passages, "every passage should have highlighted sentences"

    on_terminal = Renderer(Console(force_terminal=True))
    for passage in passages:
        text = on_terminal.highlighted(passage)
        emphasised = {text.plain[span.start : span.end] for span in text.spans}
        assert expected_highlights(tiny_settings, passage) <= emphasised


def expected_highlights(settings: Settings, passage: PassageOut) -> set[str]:
    source = read_text(settings.corpus_dir / passage.doc_id)
    pieces = {
        clean_text(source[max(h_start, start) : min(h_end, end)]).strip()
        for h_start, h_end in passage.highlights
        for start, end in passage.spans
        if max(h_start, start) < min(h_end, end)
    }
    return pieces - {""}


def test_ask_with_k_out_of_range_exits_2_with_the_message_on_stderr(
    tiny_settings: Settings, tiny_pipeline
) -> None:
    result = qa(tiny_settings, "ask", POND_QUESTION, "-k", "0")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "error: k must be between 1 and 50, got 0\n"


def test_ask_of_only_zero_width_characters_is_refused_like_the_api_refuses_it(
    tiny_settings: Settings, tiny_pipeline
) -> None:
    result = qa(tiny_settings, "ask", "\u200b\u200c \ufeff\u2060")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: the question is empty")


def test_a_missing_corpus_exits_1_with_what_to_do(tiny_settings: Settings, tmp_path: Path) -> None:
    settings = tiny_settings.model_copy(
        update={"corpus_dir": tmp_path / "nowhere", "index_dir": tmp_path / "index"}
    )

    result = qa(settings, "ask", POND_QUESTION)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"error: corpus directory {tmp_path / 'nowhere'} does not exist"
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidQuestion("x"), 2),
        (UnknownDocument("x"), 2),
        (IndexMissing("x"), 3),
        (IndexMismatch("x"), 3),
        (CorpusError("x"), 1),
        (QAError("x"), 1),
    ],
)
def test_each_qa_error_has_its_exit_code(error: QAError, code: int) -> None:
    assert exit_code(error) == code


def test_chat_answers_each_question_until_quit(tiny_settings: Settings, tiny_pipeline) -> None:
    too_long = "why" + " why" * 299
    lines = [POND_QUESTION, "", too_long, BRIDGE_QUESTION, "quit", "never asked"]

    result = qa(tiny_settings, "chat", "-k", "2", input="\n".join(lines) + "\n")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"qa> {POND_QUESTION}\n"
        + rendered(api_ask(tiny_pipeline, POND_QUESTION, k=2))
        + "qa> \n"
        + f"qa> {too_long}\n"
        + f"qa> {BRIDGE_QUESTION}\n"
        + rendered(api_ask(tiny_pipeline, BRIDGE_QUESTION, k=2))
        + "qa> quit\n"
    )
    assert result.stderr == (
        "Ask a question; :help lists the commands, :quit or Ctrl-D leaves.\n"
        f"error: the question is {len(too_long)} characters; keep it under 1000\n"
    )


def test_chat_ends_at_end_of_input(tiny_settings: Settings, tiny_pipeline) -> None:
    result = qa(tiny_settings, "chat", "-k", "1", input=f"{POND_QUESTION}\n")

    assert result.exit_code == 0, result.output
    assert result.stdout == f"qa> {POND_QUESTION}\n" + rendered(
        api_ask(tiny_pipeline, POND_QUESTION, k=1)
    )


def test_outline_prints_indented_headings_with_offsets(
    tiny_settings: Settings, tiny_pipeline
) -> None:
    with TestClient(create_app(pipeline=tiny_pipeline)) as client:
        detail = client.get("/documents/ponds.txt").json()
    top = min(entry["level"] for entry in detail["outline"])

    result = qa(tiny_settings, "outline", "ponds.txt")

    assert result.exit_code == 0, result.output
    assert result.stdout == "".join(
        [f"{detail['title']} (ponds.txt)\n"]
        + [
            f"{'  ' * (e['level'] - top + 1)}{e['heading']}  [{e['start']}:{e['end']}]\n"
            for e in detail["outline"]
        ]
    )
    assert "  Plants of the margin  [" in result.stdout

    as_json = qa(tiny_settings, "outline", "ponds.txt", "--json")
    assert json.loads(as_json.stdout) == detail


def test_outline_of_an_unknown_document_exits_2(tiny_settings: Settings, tiny_pipeline) -> None:
    result = qa(tiny_settings, "outline", "nope.txt")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: no document 'nope.txt' in the index")


def test_build_builds_once_then_reports_the_index_up_to_date(
    tiny_settings: Settings, tmp_path: Path
) -> None:
    corpus = shutil.copytree(tiny_settings.corpus_dir, tmp_path / "corpus")
    settings = tiny_settings.model_copy(
        update={"corpus_dir": corpus, "index_dir": tmp_path / "index"}
    )

    first = qa(settings, "build")
    second = qa(settings, "build")
    forced = qa(settings, "build", "--force")

    assert first.exit_code == 0, first.output
    built = re.fullmatch(r"built (\d+) chunks from 2 documents in \d+\.\d s\n", first.stdout)
    assert built
    assert second.exit_code == 0, second.output
    assert second.stdout == f"index up to date ({built[1]} chunks)\n"
    assert re.fullmatch(rf"built {built[1]} chunks from 2 documents in \d+\.\d s\n", forced.stdout)


def test_build_leaves_the_second_model_to_enrich_unless_asked(
    tiny_settings: Settings, tmp_path: Path
) -> None:
    corpus = shutil.copytree(tiny_settings.corpus_dir, tmp_path / "corpus")
    settings = tiny_settings.model_copy(
        update={"corpus_dir": corpus, "index_dir": tmp_path / "index"}
    )

    plain = qa(settings, "build")
    manifest = json.loads((settings.index_dir / "manifest.json").read_text(encoding="utf-8"))
    enriched = qa(settings, "build", "--enrich")
    again = qa(settings, "build", "--enrich")

    assert "no fake2 vectors yet" in plain.stderr and manifest["second_embedder"] is None
    assert enriched.exit_code == 0 and enriched.stdout.startswith("built ")
    assert "vectors yet" not in enriched.stderr
    manifest = json.loads((settings.index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["second_embedder"] == "fake2"
    assert again.stdout.startswith("index up to date")


def test_build_says_how_many_files_it_skipped_and_why(
    tiny_settings: Settings, tmp_path: Path
) -> None:
    corpus = shutil.copytree(tiny_settings.corpus_dir, tmp_path / "corpus")
    (corpus / "report.pdf").write_bytes(b"%PDF-1.4\x00")
    settings = tiny_settings.model_copy(
        update={"corpus_dir": corpus, "index_dir": tmp_path / "index"}
    )

    result = qa(settings, "build")

    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"built \d+ chunks from 2 documents in \d+\.\d s; skipped 1 \(see above\)\n", result.stdout
    )
    assert "report.pdf could not be read: not a readable PDF" in result.stderr


def test_serve_runs_uvicorn_on_the_port_from_the_option_or_PORT(
    tiny_settings: Settings, tiny_pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    calls: list[tuple[object, str, int]] = []
    monkeypatch.setattr(
        uvicorn, "run", lambda app, host, port, **options: calls.append((app, host, port))
    )
    monkeypatch.setenv("PORT", "9123")

    assert qa(tiny_settings, "serve").exit_code == 0
    assert qa(tiny_settings, "serve", "--host", "0.0.0.0", "--port", "8080").exit_code == 0

    assert [(host, port) for _, host, port in calls] == [("127.0.0.1", 9123), ("0.0.0.0", 8080)]
    with TestClient(calls[0][0]) as client:
        assert client.get("/health").json()["documents"] == 2


def test_serve_on_a_public_interface_without_an_api_key_warns_on_stderr(
    tiny_settings: Settings, tiny_pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, host, port, **options: None)

    local = qa(tiny_settings, "serve")
    public = qa(tiny_settings, "serve", "--host", "0.0.0.0")
    monkeypatch.setenv("QA_API_KEY", "s3cret")
    public_with_key = qa(tiny_settings, "serve", "--host", "0.0.0.0")

    assert "without an API key" not in local.stderr
    assert "warning: serving on 0.0.0.0 without an API key" in public.stderr
    assert "QA_API_KEY" in public.stderr
    assert "without an API key" not in public_with_key.stderr


@pytest.mark.parametrize("command", ["build", "ask", "chat", "outline", "serve"])
def test_every_command_help_has_examples(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])

    assert result.exit_code == 0
    assert "Examples:\n    qa " in result.output


def test_help_loads_no_heavy_library() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from qa.cli import main; "
        "CliRunner().invoke(main, ['--help']); "
        "print(sorted(m for m in ('faiss', 'fastapi', 'numpy', 'torch', 'qa.pipeline') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout == "[]\n"


def test_the_mode_choices_are_the_pipeline_modes() -> None:
    from qa.pipeline import MODES as PIPELINE_MODES

    assert MODES == PIPELINE_MODES


def test_piped_output_marks_the_highlighted_sentences_in_plain_text(
    tiny_settings: Settings, tiny_pipeline
) -> None:
    response = AskResponse.from_answer(tiny_pipeline.ask(BRIDGE_QUESTION, 5))
    piped = Renderer(Console(file=io.StringIO()))

    for passage in (p for p in response.passages if p.text_highlights):
        plain = piped.highlighted(passage).plain
        for start, end in passage.text_highlights:
            assert f"»{passage.text[start:end]}«" in plain
