"""Answers for people: the terminal rendering of an AskResponse that `qa ask` and `qa chat` print.

rich is imported inside the methods, so importing this module (and so `qa --help`) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

    from qa.schema import AskResponse, PassageOut

NO_MATCH_NOTE = "No passage matches the filters (--doc, --author, --since, --until); widen them."
ABSTAIN_NOTE = "The documents do not seem to answer this; nearest passages:"
UNKNOWN_NAMES_NOTE = "No document mentions:"
# `confidence` is the calibrated probability that the first passage answers; said in words by
# band, best first (the web page's common.js CONFIDENCE_BANDS says the same).
CONFIDENCE_BANDS = (
    (0.75, "very likely answers"),
    (0.5, "probably answers"),
    (0.3, "may answer"),
    (0.0, "probably does not answer"),
)


def confidence_words(confidence: float) -> str:
    """How likely the first passage answers, in words.

    >>> confidence_words(0.8), confidence_words(0.31), confidence_words(0.05)
    ('very likely answers', 'may answer', 'probably does not answer')
    """
    return next(words for floor, words in CONFIDENCE_BANDS if confidence >= floor)


class Renderer:
    """Answers for people: rank, score, title, authors, section, passage, citation.

    Highlighted sentences are emphasised (their `text_highlights`), locally and from a server.
    """

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(highlight=False)

    def answer(self, response: AskResponse) -> None:
        if response.abstain_reason == "no_match":
            self.console.print(NO_MATCH_NOTE, style="yellow", markup=False)
            return
        if response.abstained:
            if response.unknown_names:
                names = ", ".join(response.unknown_names)
                self.console.print(f"{UNKNOWN_NAMES_NOTE} {names}.", style="yellow", markup=False)
            self.console.print(ABSTAIN_NOTE, style="yellow", markup=False)
            self.console.print()
        elif response.passages:
            words = confidence_words(response.confidence)
            self.console.print(
                f"The first passage {words} (confidence {response.confidence:.2f}).",
                style="dim",
                markup=False,
            )
            self.console.print()
        for passage in response.passages:
            self.passage(passage)

    def passage(self, p: PassageOut) -> None:
        from rich.text import Text

        head = Text.assemble(
            (f"{p.rank}. ", "bold"), (f"{p.score:.4f}  ", "cyan"), (p.title, "bold")
        )
        if p.authors:
            head.append(f" — {', '.join(p.authors)}", style="dim")
        self.console.print(head)
        if p.section_path:
            self._indented(Text(" › ".join(p.section_path), style="italic"))
        self._indented(self.highlighted(p))
        self._indented(Text(f"{p.doc_id}{_pages(p)} [{p.start}:{p.end}]", style="green"))
        self.console.print()

    def _indented(self, text: Text, indent: int = 3) -> None:
        from rich.text import Text

        for line in text.wrap(self.console, max(self.console.width - indent, 20)):
            line.rstrip()
            self.console.print(Text(" " * indent) + line if line.plain else line)

    def highlighted(self, p: PassageOut) -> Text:
        from rich.text import Text

        text = Text(p.text)
        for start, end in p.text_highlights:  # offsets into p.text: no source text needed
            text.stylize("bold yellow", start, end)
        return text


def _pages(p: PassageOut) -> str:
    """ ", p. 4" or ", pp. 4–5"; nothing where the format has no pages."""
    if p.page_start is None:
        return ""
    if p.page_end is None or p.page_end == p.page_start:
        return f", p. {p.page_start}"
    return f", pp. {p.page_start}–{p.page_end}"
