"""`qa chat`'s session: follow-ups, questions about the last answer, and every :command, over
the session's tiny index (fake embedders). The same session in a real terminal:
tests/test_chat_terminal.py."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from qa.chat.followup import read_line
from qa.chat.output import ChatOutput
from qa.chat.service import LocalService
from qa.chat.session import ChatSession
from qa.pipeline import Pipeline
from qa.render import Renderer

BRIDGE = "How are the cables of a suspension bridge anchored?"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("What does China want in the Arctic?", "question"),
        ("what about India?", "followup"),
        ("And in 2016?", "followup"),
        ("why?", "followup"),
        ("why not", "followup"),
        ("did he ever say so?", "followup"),
        ("could Moscow drop those deals?", "followup"),
        ("what came of that plan", "followup"),
        ("what did it cost?", "followup"),
        ("Why did Beijing veto its own draft at the UN?", "question"),  # "its": its own subject
        ("Who wrote The Axis of Convenience?", "question"),
        ("who wrote that?", "about_answer"),
        ("Who's the author", "about_answer"),
        ("when was this published?", "about_answer"),
        ("where is that from?", "about_answer"),
        ("Which report is that from?", "about_answer"),
    ],
)
def test_how_a_line_is_read_after_a_question(line: str, kind: str) -> None:
    reading = read_line(line, "What does China want in the Arctic?")

    assert reading.kind == kind
    if kind == "followup":
        assert reading.search == f"What does China want in the Arctic? {line}"
    elif kind == "question":
        assert reading.search == line
    else:
        assert reading.search is None and reading.field is not None


def test_the_first_line_is_always_a_question_of_its_own() -> None:
    assert read_line("why?", None).kind == "question"
    assert read_line("who wrote that?", None).search == "who wrote that?"


def test_a_chain_of_follow_ups_keeps_the_search_short() -> None:
    search = "What does China want in the Arctic?"
    for _ in range(40):
        search = read_line("and then?", search).search or ""

    assert len(search) <= 310 and search.endswith("and then?")


class Screen:
    """A session printing to strings, as it would to a pipe."""

    def __init__(self, pipeline: Pipeline, **options: object) -> None:
        self.out, self.err = io.StringIO(), io.StringIO()
        renderer = Renderer(Console(file=self.out, width=200, highlight=False))
        output = ChatOutput(renderer)
        output.errors = Console(file=self.err, width=200, highlight=False)
        self.session = ChatSession(LocalService(pipeline), output, **options)  # type: ignore[arg-type]

    def type(self, line: str) -> str:
        start = self.out.tell()
        self.session.handle(line)
        return self.out.getvalue()[start:]


@pytest.fixture
def screen(tiny_pipeline: Pipeline) -> Screen:
    return Screen(tiny_pipeline, k=2)


def test_a_follow_up_says_what_was_searched_and_finds_the_earlier_topic(screen: Screen) -> None:
    screen.type("How do the cables of a suspension bridge stay anchored?")
    shown = screen.type("and the towers?")

    assert "(a follow-up: searched “How do the cables of a suspension bridge stay" in shown
    last = screen.session.exchanges[-1]
    assert last.reading.kind == "followup"
    assert all(p.doc_id == "bridges.txt" for p in last.passages)


def test_who_wrote_that_names_the_author_of_the_first_passage_without_a_search(
    screen: Screen,
) -> None:
    screen.type(BRIDGE)
    asked = len(screen.session.exchanges)

    shown = screen.type("who wrote that?")

    assert "Tomas Girder" in shown and "HOW SUSPENSION BRIDGES STAND" in shown
    assert screen.session.exchanges[-1].response is None  # no search
    assert len(screen.session.exchanges) == asked + 1
    assert "bridges.txt" in screen.type("where is that from?")


def test_asking_who_wrote_an_answer_without_passages_says_there_is_none(screen: Screen) -> None:
    screen.type(":since 2020")  # the tiny documents are undated: nothing passes
    screen.type("What lives in a pond?")

    assert "There is no cited passage to ask about" in screen.type("who wrote that?")


def test_open_shows_the_cited_span_marked_in_its_source_with_context(
    screen: Screen, tiny_pipeline: Pipeline
) -> None:
    screen.type(BRIDGE)
    first = screen.session.exchanges[-1].passages[0]
    source = tiny_pipeline.store.sources[first.doc_id][:]

    shown = screen.type(":open 1")

    cited = source[first.start : first.end]
    assert f"»{cited}«" in shown
    before = source[max(0, first.start - 40) : first.start]
    assert before in shown  # context around it, from the document
    assert f"{first.doc_id} [{first.start}:{first.end}]" in shown


def test_open_refuses_a_number_not_on_screen(screen: Screen) -> None:
    screen.type(":open 1")
    screen.type(BRIDGE)
    screen.type(":open 9")
    screen.type(":open x")

    assert screen.err.getvalue().count("error: :open takes a passage number") == 3


def test_more_continues_the_numbering_with_new_passages(screen: Screen) -> None:
    screen.type(BRIDGE)
    first = [p.chunk_id for p in screen.session.exchanges[-1].passages]

    shown = screen.type(":more")

    passages = screen.session.exchanges[-1].passages
    assert [p.chunk_id for p in passages[:2]] == first and len(passages) == 4
    assert len({p.chunk_id for p in passages}) == 4
    assert shown.startswith("3. ")


def test_k_sets_the_passages_per_answer(screen: Screen) -> None:
    screen.type(":k 1")
    screen.type(BRIDGE)
    screen.type(":k 0")

    assert len(screen.session.exchanges[-1].passages) == 1
    assert "error: :k takes a number from 1 to 50" in screen.err.getvalue()


def test_doc_author_and_since_filter_and_clear_lifts_them(screen: Screen) -> None:
    screen.type(":doc FRESHWATER")  # part of a title
    screen.type(BRIDGE)
    assert {p.doc_id for p in screen.session.exchanges[-1].passages} == {"ponds.txt"}

    screen.type(":clear")
    screen.type(":author girder")
    screen.type("What lives in a pond?")
    assert {p.doc_id for p in screen.session.exchanges[-1].passages} == {"bridges.txt"}

    screen.type(":clear")
    screen.type(":since 2020")  # the tiny documents are undated
    assert "No passage matches the filters" in screen.type("What lives in a pond?")

    screen.type(":doc nothing-like-this")
    assert "0 documents match" in screen.err.getvalue()


def test_docs_and_outline_list_documents_and_headings(screen: Screen) -> None:
    docs = screen.type(":docs")
    outline = screen.type(":outline ponds.txt")

    assert "ponds.txt" in docs and "HOW SUSPENSION BRIDGES STAND" in docs
    assert "Plants of the margin  [" in outline


def test_save_writes_the_session_as_markdown_with_quotes_and_citations(
    screen: Screen, tmp_path: Path
) -> None:
    screen.type(BRIDGE)
    screen.type("who wrote that?")
    path = tmp_path / "notes.md"

    screen.type(f":save {path}")

    saved = path.read_text(encoding="utf-8")
    first = screen.session.exchanges[0].passages[0]
    assert saved.startswith("# qa chat session\n")
    assert f"## {BRIDGE}" in saved and "## who wrote that?" in saved
    assert f"“{first.title}”" in saved and f"{first.doc_id} [{first.start}:{first.end}]" in saved
    assert "   > " in saved and "**" in saved  # quoted, highlights in bold
    assert "Tomas Girder" in saved


def test_save_into_a_missing_folder_is_an_error_that_loses_nothing(
    screen: Screen, tmp_path: Path
) -> None:
    screen.type(BRIDGE)
    screen.type(f":save {tmp_path / 'no' / 'such' / 'dir.md'}")

    assert "error: cannot write" in screen.err.getvalue()
    assert len(screen.session.exchanges) == 1


def test_the_log_keeps_each_exchange_as_a_json_line(
    tiny_pipeline: Pipeline, tmp_path: Path
) -> None:
    log = tmp_path / "chat.jsonl"
    screen = Screen(tiny_pipeline, k=2, log=log)
    screen.type(BRIDGE)
    screen.type("why?")
    screen.type("who wrote that?")

    records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["kind"] for r in records] == ["question", "followup", "about_answer"]
    assert records[1]["searched"] == f"{BRIDGE} why?"
    cited = records[0]["passages"][0]
    assert {"doc_id", "start", "end", "text", "title"} <= set(cited)
    assert "Tomas Girder" in records[2]["reply"]


def test_an_unknown_command_is_an_error_not_a_question(screen: Screen) -> None:
    screen.type(":opne 1")
    screen.type(":")

    assert "error: no command :opne; :help lists them" in screen.err.getvalue()
    assert screen.session.exchanges == []


def test_help_lists_every_command(screen: Screen) -> None:
    shown = screen.type(":help")

    for command in (":open", ":more", ":k", ":doc", ":author", ":since", ":clear", ":docs"):
        assert command in shown
    assert ":outline" in shown and ":save" in shown and ":quit" in shown


def test_quit_ends_the_session(screen: Screen) -> None:
    assert screen.session.handle(":quit") is False
    assert screen.session.handle(BRIDGE) is True


def test_a_follow_up_marks_the_passages_the_last_answer_showed(screen: Screen) -> None:
    screen.type(BRIDGE)
    before = {p.chunk_id for p in screen.session.exchanges[-1].passages}

    shown = screen.type("and the towers?")

    again = [p for p in screen.session.exchanges[-1].passages if p.chunk_id in before]
    assert again, "the tiny corpus has few passages: some come back"
    assert shown.count("(also in the last answer)") == len(again)
    assert "(also in the last answer)" not in screen.type("What lives in open water?")
