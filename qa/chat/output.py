"""What `qa chat` prints: answers through the shared Renderer, and the session's own notes,
replies, opened passages, document lists and outlines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa.render import CLOSE_MARK, OPEN_MARK, Renderer, citation

if TYPE_CHECKING:
    from qa.schema import AskResponse, DocumentDetail, DocumentOut, PassageOut


class ChatOutput:
    def __init__(self, renderer: Renderer | None = None) -> None:
        from rich.console import Console

        self.renderer = renderer or Renderer()
        self.console = self.renderer.console
        self.errors = Console(stderr=True, highlight=False)  # apart from answers, as `qa ask`

    def answer(self, response: AskResponse, shown: frozenset[str] = frozenset()) -> None:
        self.renderer.answer(response, shown)

    def passage(self, passage: PassageOut, number: int) -> None:
        self.renderer.passage(passage, number)

    def reply(self, text: str) -> None:
        self.console.print(text, markup=False)
        self.console.print()

    def note(self, text: str) -> None:
        self.console.print(text, style="dim", markup=False)

    def plain(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def error(self, text: str) -> None:
        self.errors.print(f"error: {text}", style="red", markup=False)

    def opened(self, p: PassageOut, text: str, start: int, length: int) -> None:
        """The passage in its source: `text` is the source from `start`, the cited span
        [p.start, p.end) marked in it."""
        from rich.text import Text

        before, end = p.start - start, p.end - start
        shown = Text(("…" if start > 0 else "") + text[:before], style="dim")
        cited = text[before:end]
        if self.renderer.marks:
            shown.append(f"{OPEN_MARK}{cited}{CLOSE_MARK}")
        else:
            shown.append(cited, style="bold")
        tail = start + len(text) < length
        shown.append(text[end:] + ("…" if tail else ""), style="dim")
        self.console.print(Text(citation(p), style="green"))
        self.console.print()
        self.console.print(shown)
        self.console.print()

    def documents(self, documents: list[DocumentOut]) -> None:
        from rich.text import Text

        for d in documents:
            byline = " · ".join([*d.authors, *([d.date] if d.date else [])])
            line = Text.assemble((d.doc_id, "green"), "  ", (d.title, "bold"))
            if byline:
                line.append(f"  {byline}", style="dim")
            self.console.print(line)
        self.console.print()

    def outline(self, detail: DocumentDetail) -> None:
        self.console.print(f"{detail.title} ({detail.doc_id})", style="bold", markup=False)
        top = min((entry.level for entry in detail.outline), default=1)
        for entry in detail.outline:
            indent = "  " * (entry.level - top + 1)
            note = "  (boilerplate, not indexed)" if entry.boilerplate else ""
            self.console.print(
                f"{indent}{entry.heading}  [{entry.start}:{entry.end}]{note}", markup=False
            )
        self.console.print()
