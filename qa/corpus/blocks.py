"""Raw text -> blocks (runs of non-blank lines) with exact offsets, and per-block features."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.corpus.clean import clean_heading

_LINE = re.compile(r"[^\n]*\n?")
_WORD = re.compile(r"\w+")
_TRAILING_MARKUP = re.compile(r"(?:<sup>\d+</sup>|\*+|[\s”\"’')\]])+$")
_ENDS_WITH_LINK = re.compile(r"(?:\]\([^)]*\)|<https?://[^>]*>)$")
_OPEN_MARKUP = re.compile(r"^(?:\*+|<sup>\d+</sup>|[“\"‘'(\[])+")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
CHRONOLOGY = re.compile(rf"^{_MONTH} \d{{1,2}}(?:\s*[-–]\s*(?:{_MONTH} )?\d{{1,2}})?, \d{{4}}:")
FOOTNOTE = re.compile(r"^(?:<sup>(\d{1,3})</sup>|(\d{1,3}))\s+\S")
MD_HEADING = re.compile(r"^(#{1,6})\s+\S")
BOLD_BLOCK = re.compile(r"^\*\*(.+)\*\*$", re.DOTALL)
QUOTE_OPEN = "“\"‘'"
QUOTE_CLOSE = "”\"’'"


@dataclass(frozen=True, slots=True)
class Block:
    """A run of non-blank lines; start/end exclude surrounding whitespace.

    `plain` (one-line text with markup removed, for classification and headings) is computed
    once here: the role rules read it several times per block, and cleaning it on every read
    made parsing a large file several times slower.
    """

    index: int
    start: int
    end: int
    raw: str
    lines: int
    plain: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "plain", clean_heading(self.raw))

    @property
    def words(self) -> int:
        return len(self.plain.split())

    @property
    def md_level(self) -> int:
        match = MD_HEADING.match(self.raw)
        return len(match.group(1)) if match else 0

    @property
    def complete(self) -> bool:
        """Does the block end a sentence? Page breaks leave blocks that do not."""
        if _ENDS_WITH_LINK.search(self.raw):
            return True  # "He can be reached at [x@y](mailto:x@y)"
        core = _TRAILING_MARKUP.sub("", self.raw)
        return bool(core) and core[-1] in ".?!:;…"

    @property
    def starts_lower(self) -> bool:
        core = _OPEN_MARKUP.sub("", self.raw)
        return bool(core) and (core[0].islower() or core[0].isdigit())

    @property
    def is_table(self) -> bool:
        return "\t" in self.raw

    @property
    def is_chronology(self) -> bool:
        return bool(CHRONOLOGY.match(self.plain))

    @property
    def is_list(self) -> bool:
        return self.raw.startswith(("- ", "* ", "• "))

    def footnote_number(self) -> int | None:
        match = FOOTNOTE.match(self.raw)
        if not match:
            return None
        return int(match.group(1) or match.group(2))

    def quoted(self) -> bool:
        """Wholly inside quotation marks (bold allowed around them): the shape of a pull quote."""
        text = self.raw.strip().strip("*").strip()
        return len(text) > 2 and text[0] in QUOTE_OPEN and text[-1] in QUOTE_CLOSE


def split_blocks(text: str) -> list[Block]:
    """Split a file's text into blocks separated by blank (whitespace-only) lines.

    >>> [b.raw for b in split_blocks("# T\\n\\npara one\\ncontinued\\n \\nlast")]
    ['# T', 'para one\\ncontinued', 'last']
    """
    blocks: list[Block] = []
    run_start: int | None = None
    run_end = 0
    lines = 0
    offset = 0
    for match in _LINE.finditer(text):
        line = match.group(0)
        if not line:
            break
        if line.strip():
            if run_start is None:
                run_start, lines = offset, 0
            run_end = offset + len(line.rstrip())
            lines += 1
        elif run_start is not None:
            blocks.append(_block(text, len(blocks), run_start, run_end, lines))
            run_start = None
        offset += len(line)
    if run_start is not None:
        blocks.append(_block(text, len(blocks), run_start, run_end, lines))
    return blocks


def _block(text: str, index: int, start: int, end: int, lines: int) -> Block:
    raw = text[start:end]
    lead = len(raw) - len(raw.lstrip())
    return Block(index, start + lead, end, raw.strip(), lines)


def word_ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    """The lower-cased word n-grams of a text.

    >>> sorted(word_ngrams("One two, THREE four", 3))
    [('one', 'two', 'three'), ('two', 'three', 'four')]
    """
    words = _WORD.findall(text.lower())
    return set(zip(*(words[i:] for i in range(n)), strict=False))
