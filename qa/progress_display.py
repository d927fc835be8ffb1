"""How `qa build` shows its progress on stderr: a live bar with rate and ETA on a terminal (rich),
a plain line every few seconds otherwise (CI logs, `qa build 2> build.log`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

LINE_EVERY_S = 5.0  # a log gets a line this often, not one per batch


def build_progress(stream: TextIO | None = None) -> LineProgress | BarProgress:
    """Pass to `build_index(progress=...)`; call `close()` when the build ends."""
    stream = stream or sys.stderr
    if stream.isatty():
        return BarProgress(stream)
    return LineProgress(stream.write)


class LineProgress:
    """A line per stage start, then at most one every LINE_EVERY_S seconds, and one at its end."""

    def __init__(self, write: Callable[[str], Any], clock: Callable[[], float] = time.monotonic):
        self._write = write
        self._clock = clock
        self._name = ""
        self._total = self._done = 0
        self._started = self._last = 0.0

    def note(self, message: str) -> None:
        self._write(message + "\n")

    def stage(self, name: str, total: int) -> None:
        self._name, self._total, self._done = name, total, 0
        self._started = self._last = self._clock()
        self._write(f"{name}: 0/{total}\n")

    def advance(self, done: int) -> None:
        self._done += done
        now = self._clock()
        if self._done < self._total and now - self._last < LINE_EVERY_S:
            return
        self._last = now
        elapsed = max(now - self._started, 1e-9)
        rate = self._done / elapsed
        left = (self._total - self._done) / rate if rate else 0.0
        eta = f", about {left:.0f} s left" if self._done < self._total else ""
        self._write(f"{self._name}: {self._done}/{self._total} ({rate:.1f}/s{eta})\n")

    def close(self) -> None:
        pass


class BarProgress:
    """rich's progress bar, one task per stage, on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        self._console = Console(file=stream)
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("[progress.data.speed]{task.fields[rate]}"),
            TimeRemainingColumn(),
            console=self._console,
            transient=False,
        )
        self._task: Any = None
        self._started = 0.0

    def note(self, message: str) -> None:
        self._console.print(message, highlight=False)

    def stage(self, name: str, total: int) -> None:
        if self._task is None:
            self._bar.start()
        elif not self._bar.tasks[self._task].finished:
            self._bar.update(self._task, completed=self._bar.tasks[self._task].total)
        self._started = time.monotonic()
        self._task = self._bar.add_task(name, total=total, rate="")

    def advance(self, done: int) -> None:
        if self._task is None:
            return
        task = self._bar.tasks[self._task]
        rate = (task.completed + done) / max(time.monotonic() - self._started, 1e-9)
        self._bar.update(self._task, advance=done, rate=f"{rate:.1f}/s")
        if task.finished:
            self._bar.refresh()

    def close(self) -> None:
        if self._task is not None:
            self._bar.stop()
