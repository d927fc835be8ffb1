"""Reading questions for `qa chat`: a line editor on a terminal, plain lines from a pipe.

prompt_toolkit is imported only on a terminal, so piping questions in stays light.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

PROMPT = "qa> "


def history_file() -> Path:
    """`$XDG_STATE_HOME/qa/chat-history`, or `~/.local/state/qa/chat-history` when unset."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "qa" / "chat-history"


def line_reader(history: Path | None = None) -> Callable[[], str | None]:
    """A line editor on a terminal, with arrow-up history kept in `history` across sessions;
    plain lines (echoed after the prompt) otherwise."""
    if sys.stdin.isatty():
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, InMemoryHistory

        kept: FileHistory | InMemoryHistory = InMemoryHistory()
        if history is not None:
            try:
                history.parent.mkdir(parents=True, exist_ok=True)
                kept = FileHistory(str(history))
            except OSError as error:  # a read-only home: this session's history only
                click.echo(f"note: no history kept ({error.strerror}: {history})", err=True)
        session: PromptSession[str] = PromptSession(history=kept)

        def prompt() -> str | None:
            while True:
                try:
                    return session.prompt(PROMPT)
                except KeyboardInterrupt:  # Ctrl-C drops the line, as in a shell
                    continue
                except EOFError:
                    return None

        return prompt

    def read() -> str | None:
        line = sys.stdin.readline()
        if not line:
            return None
        click.echo(f"{PROMPT}{line.rstrip()}")
        return line

    return read
