"""What a build reports while it works: messages, and counted stages (files read, chunks
embedded). Library code only calls this; the CLI decides how to show it (qa/progress_display.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)


class BuildProgress(Protocol):
    def note(self, message: str) -> None:
        """A one-off message: what the build is about to do, or did."""

    def stage(self, name: str, total: int) -> None:
        """A counted stage starts, e.g. ("files read", 12) or ("chunks embedded", 245)."""

    def advance(self, done: int) -> None:
        """`done` more items of the current stage are finished."""


class LoggedProgress:
    """Messages to the log, counts ignored: for builds that nobody watches (tests, the server)."""

    def __init__(self, say: Callable[[str], None] | None = None) -> None:
        self._say = say or log.info

    def note(self, message: str) -> None:
        self._say(message)

    def stage(self, name: str, total: int) -> None:
        pass

    def advance(self, done: int) -> None:
        pass


def as_progress(progress: BuildProgress | Callable[[str], None] | None) -> BuildProgress:
    """Accept a full BuildProgress, a plain message callback (as older callers pass), or None."""
    if progress is None or callable(progress):
        return LoggedProgress(progress)
    return progress
