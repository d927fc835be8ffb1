"""`qa chat` driven in a real pseudo-terminal (pexpect), as a person types: follow-ups,
commands, arrow-up history across restarts, :save, Ctrl-C cancelling a question being answered,
and Ctrl-D leaving. The session's tiny index, fake embedders."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pexpect
import pytest

from qa.settings import Settings

# prompt_toolkit turns bracketed paste on as each prompt starts (and draws "qa> " with cursor
# moves, not a space): the start of the next prompt, whatever was printed before it.
PROMPT = "\x1b[?2004h"
UP = "\x1b[A"
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")
TIMEOUT_S = 60


def chat(settings: Settings, state: Path, *args: str) -> pexpect.spawn:
    """`qa chat` in a pseudo-terminal 160 columns wide, history kept under `state`."""
    env = {
        **os.environ,
        "XDG_STATE_HOME": str(state),
        "QA_EMBEDDER": settings.embedder,
        "QA_SECOND_EMBEDDER": settings.second_embedder,
        "QA_CHUNK_TARGET_WORDS": str(settings.chunk_target_words),
        "QA_CHUNK_MAX_WORDS": str(settings.chunk_max_words),
        "QA_CHUNK_MIN_WORDS": str(settings.chunk_min_words),
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # pexpect answers no cursor-position requests
    }
    env.pop("QA_SERVER", None)
    folders = ["--corpus", str(settings.corpus_dir), "--index", str(settings.index_dir)]
    child = pexpect.spawn(
        str(Path(sys.executable).with_name("qa")),
        [*folders, "chat", "-k", "2", *args],
        env=env,
        encoding="utf-8",
        timeout=TIMEOUT_S,
        dimensions=(50, 160),
    )
    child.expect_exact(PROMPT)
    return child


def ask(child: pexpect.spawn, line: str) -> str:
    """Type a line, wait for the next prompt; what was printed in between, without the
    terminal's escape sequences (styles, cursor moves)."""
    child.sendline(line)
    child.expect_exact(PROMPT)
    return ESCAPES.sub("", child.before)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def test_a_session_with_follow_ups_commands_and_save(
    tiny_settings: Settings, tiny_pipeline, state: Path, tmp_path: Path
) -> None:
    child = chat(tiny_settings, state)

    first = ask(child, "How are the cables of a suspension bridge anchored?")
    assert "1. HOW SUSPENSION BRIDGES STAND" in first
    assert "bridges.txt [" in first

    follow = ask(child, "and the towers?")
    assert "(a follow-up: searched “How are the cables" in follow

    assert "Tomas Girder" in ask(child, "who wrote that?")
    assert ":outline" in ask(child, ":help")
    opened = ask(child, ":open 1")
    assert "bridges.txt [" in opened
    assert "# HOW SUSPENSION BRIDGES STAND" in opened  # the source around the passage

    saved = tmp_path / "session.md"
    assert "Saved 3 exchanges" in ask(child, f":save {saved}")
    assert "## who wrote that?" in saved.read_text(encoding="utf-8")

    child.sendline(":quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_arrow_up_recalls_lines_from_an_earlier_session(
    tiny_settings: Settings, tiny_pipeline, state: Path
) -> None:
    first = chat(tiny_settings, state)
    ask(first, "What lives in open water?")
    first.sendeof()
    first.expect(pexpect.EOF)

    second = chat(tiny_settings, state)
    second.send(UP)
    second.sendline("")  # Enter on the recalled line asks it again
    second.expect_exact(PROMPT)
    assert "FRESHWATER PONDS" in ESCAPES.sub("", second.before)
    second.sendeof()
    second.expect(pexpect.EOF)
    history = (state / "qa" / "chat-history").read_text(encoding="utf-8")
    assert "+What lives in open water?" in history


def test_ctrl_d_leaves_at_the_prompt(tiny_settings: Settings, tiny_pipeline, state: Path) -> None:
    child = chat(tiny_settings, state)
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0


class SlowServer(BaseHTTPRequestHandler):
    """A qa server that never finishes answering: /health answers, /ask waits."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        time.sleep(TIMEOUT_S)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowServer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_ctrl_c_cancels_the_question_being_answered_and_the_chat_goes_on(
    tiny_settings: Settings, state: Path, slow_server: str
) -> None:
    child = chat(tiny_settings, state, "--server", slow_server)
    child.sendline("What lives in open water?")
    time.sleep(1.0)  # the question is with the server now

    child.sendintr()

    child.expect_exact("(cancelled)")
    child.expect_exact(PROMPT)
    assert ":quit" in ask(child, ":help")
    child.sendline(":quit")
    child.expect(pexpect.EOF)


def test_every_other_command_in_the_terminal(
    tiny_settings: Settings, tiny_pipeline, state: Path
) -> None:
    child = chat(tiny_settings, state)
    ask(child, "How are the cables of a suspension bridge anchored?")

    assert "3. " in ask(child, ":more")
    assert "1 passage per answer." in ask(child, ":k 1")
    assert "Only FRESHWATER PONDS" in ask(child, ":doc FRESHWATER")
    only_ponds = ask(child, "What keeps a long deck steady?")
    assert "ponds.txt [" in only_ponds and "bridges.txt [" not in only_ponds
    assert "No filters" in ask(child, ":clear")
    assert "girder" in ask(child, ":author girder")
    assert "bridges.txt [" in ask(child, "What lives in open water?")
    assert "2020 or later" in ask(child, ":since 2020")
    assert "No passage matches the filters" in ask(child, "What lives in open water?")
    ask(child, ":clear")
    docs = ask(child, ":docs")
    assert "ponds.txt" in docs and "bridges.txt" in docs
    assert "Wind and the deck  [" in ask(child, ":outline bridges.txt")
    child.sendline(":quit")
    child.expect(pexpect.EOF)
