"""Reading questions for `qa chat`: a line editor on a terminal, plain lines from a pipe.

prompt_toolkit is imported only on a terminal, so piping questions in stays light.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

PROMPT = "qa> "


def line_reader() -> Callable[[], str | None]:
    """A line editor with history on a terminal; plain lines (echoed after the prompt) otherwise."""
    if sys.stdin.isatty():
        from prompt_toolkit import PromptSession

        session: PromptSession[str] = PromptSession()

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
