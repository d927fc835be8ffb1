"""Answers for people: the terminal rendering of an AskResponse that `qa ask` and `qa chat` print.

rich is imported inside the methods, so importing this module (and so `qa --help`) stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
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
    """Answers for people: number, title, authors and date, section, passage, citation.

    Highlighted sentences are emphasised (their `text_highlights`) on a terminal, and marked
    »like this« where the output is not one (a pipe, a file), so copied text keeps them.
    """

    def __init__(self, console: Console | None = None) -> None:
        from rich.console import Console

        self.console = console or Console(highlight=False)
        # Where styles do not show (a pipe, a file, a dumb terminal), highlights are marked.
        self.marks = not self.console.is_terminal or self.console.color_system is None

    def answer(self, response: AskResponse, shown: frozenset[str] = frozenset()) -> None:
        """The answer; passages whose chunk_id is in `shown` (a chat's last answer) say so."""
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
            self.passage(passage, again=passage.chunk_id in shown)

    def passage(self, p: PassageOut, number: int | None = None, again: bool = False) -> None:
        from rich.text import Text

        head = Text.assemble((f"{number or p.rank}. ", "bold"), (p.title, "bold"))
        if again:
            head.append("  (also in the last answer)", style="dim")
        self._indented(head, 0)
        byline = [*p.authors, *([p.date] if p.date else [])]
        if byline:  # a name is never cut across lines
            for line in pack(byline, max(self.console.width - 3, 20), " · "):
                self.console.print(Text("   ") + Text(line, style="dim"))
        if p.section_path:
            self._indented(Text(" › ".join(p.section_path), style="italic"))
        self._indented(self.highlighted(p))
        self._indented(Text(citation(p), style="green"))
        self.console.print()

    def _indented(self, text: Text, indent: int = 3) -> None:
        from rich.text import Text

        for line in text.wrap(self.console, max(self.console.width - indent, 20)):
            line.rstrip()
            self.console.print(Text(" " * indent) + line if line.plain else line)

    def highlighted(self, p: PassageOut) -> Text:
        from rich.text import Text

        if not self.marks:
            text = Text(p.text)
            for start, end in p.text_highlights:  # offsets into p.text: no source text needed
                text.stylize("bold yellow", start, end)
            return text
        text, cursor = Text(), 0
        for start, end in sorted(p.text_highlights):
            if start < cursor:
                continue
            text.append(p.text[cursor:start])
            text.append(f"{OPEN_MARK}{p.text[start:end]}{CLOSE_MARK}", style="bold")
            cursor = end
        text.append(p.text[cursor:])
        return text


OPEN_MARK, CLOSE_MARK = "»", "«"  # a highlight, where the output shows no styles


def citation(p: PassageOut) -> str:
    """Author, “Title” (date), § section, p. N — doc_id [start:end]: what a reader cites, and
    where `qa` finds it again.

    >>> from qa.schema import PassageOut, RetrieverScores
    >>> p = PassageOut(rank=1, score=0.5, doc_id="a.pdf", title="Axis", authors=["Lo", "Yu"],
    ...     date="2016", section="Gas", section_path=["Energy", "Gas"], text="t", start=5,
    ...     end=9, spans=[], highlights=[], scores=RetrieverScores(), chunk_id="a#1",
    ...     page_start=3, page_end=4)
    >>> citation(p)
    'Lo and Yu, “Axis” (2016), § Gas, pp. 3–4 — a.pdf [5:9]'
    """
    parts = [names(p.authors)] if p.authors else []
    parts.append(f"“{p.title}”" + (f" ({p.date})" if p.date else ""))
    if p.section_path and p.section_path[-1] != p.title:
        parts.append(f"§ {p.section_path[-1]}")
    if p.page_start is not None:
        same = p.page_end in (None, p.page_start)
        parts.append(f"p. {p.page_start}" if same else f"pp. {p.page_start}–{p.page_end}")
    return ", ".join(parts) + f" — {p.doc_id} [{p.start}:{p.end}]"


def names(authors: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(authors) <= 2:
        return " and ".join(authors)
    return f"{', '.join(authors[:-1])} and {authors[-1]}"


def pack(items: list[str], width: int, separator: str) -> list[str]:
    """Items joined by `separator` in lines of at most `width`, never cutting an item (one
    longer than a line gets a line of its own). Hand-written: rich and textwrap break at any
    space, which cuts a name such as "Yu Bin" across lines.

    >>> pack(["Bobo Lo", "Yu Bin", "Marcin Kaczmarski"], 20, ", ")
    ['Bobo Lo, Yu Bin,', 'Marcin Kaczmarski']
    """
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + len(separator) + len(item) <= width:
            lines[-1] += separator + item
        else:
            if lines:
                lines[-1] += separator.rstrip()
            lines.append(item)
    return lines
