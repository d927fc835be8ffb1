"""Metadata a .md/.txt file states about itself: YAML front matter and a "By NAME, DATE" byline.

Both are read from the text without changing it (citations are offsets into the file as it
is): besides the title, authors and date, `text_metadata` returns where the front matter and
the byline lie, so structure detection can lift them out as front matter instead of taking
them for a heading, a title or a passage to answer with.

Dates are stored as CatalogEntry and the readers store them: ISO "YYYY", "YYYY-MM" or
"YYYY-MM-DD", as precise as the source. Parsing uses PyYAML (`safe_load`) and dateutil.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

import yaml
from dateutil import parser as date_parser

from qa.types import Span

_OPEN = re.compile(r"\A\ufeff?---[ \t]*\r?\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.MULTILINE)
_KEY_LINE = re.compile(r"[\w-]+[ \t]*:(?:[ \t]|$)", re.MULTILINE)  # "title: ..."
_LINE = re.compile(r"[^\n]*\n?")  # as qa.corpus.blocks splits lines
_YEAR = re.compile(r"\b(?:1[5-9]|2\d)\d\d\b")
_DATE_CHARS = re.compile(r"^[\w .,/\-]{4,40}$")
_BY = re.compile(r"^(?:written by|by)\s+(?P<rest>\S.*?)\.?$", re.IGNORECASE)
_NAME_SEP = re.compile(r"\s*,\s*|\s+and\s+|\s*&\s*")
_DATE_SEP = re.compile(r"\s*(?:,|\||[-–—·](?=\s))\s*")  # between the names and the date
_PARTICLES = {"van", "von", "de", "der", "den", "da", "del", "della", "di", "du", "la", "le"}
_NOT_NAMES = {"the", "a", "an", "of", "and", "in", "on", "for", "to", "with", "this", "that"}
MAX_FRONT_MATTER = 65536  # characters; a `---` line further on is a horizontal rule
BYLINE_BLOCKS = 3  # a byline is looked for in this many blocks after the front matter
MAX_TITLE_LINE = 110  # other lines of a block holding a byline are this short (a title)


@dataclass(frozen=True, slots=True)
class Byline:
    authors: tuple[str, ...]
    date: str | None = None  # ISO "YYYY", "YYYY-MM" or "YYYY-MM-DD"
    span: Span | None = None  # the line in the text, without surrounding whitespace


@dataclass(frozen=True, slots=True)
class TextMetadata:
    """What a text file says about itself, and where it says it."""

    title: str | None = None  # title, authors and date: from the front matter
    authors: tuple[str, ...] = ()
    date: str | None = None  # ISO "YYYY", "YYYY-MM" or "YYYY-MM-DD"
    front_matter: Span | None = None  # [0, end of the closing "---" line)
    byline: Byline | None = None
    warnings: tuple[str, ...] = ()  # e.g. malformed YAML; the caller logs them


def text_metadata(text: str) -> TextMetadata:
    """The front matter, and a byline among the first blocks after it.

    >>> m = text_metadata("---\\ntitle: Tea\\n---\\n# Tea\\nBy Ann Lee, 12 March 2024\\n\\nBody.")
    >>> m.title, m.front_matter, m.byline
    ('Tea', (0, 18), Byline(authors=('Ann Lee',), date='2024-03-12', span=(25, 50)))
    """
    fm = _front_matter(text)
    byline = find_byline(text, fm.front_matter[1] if fm.front_matter else 0)
    return replace(fm, byline=byline) if byline else fm


def _front_matter(text: str) -> TextMetadata:
    """A `---` first line, YAML, then a `---` or `...` line.

    Invalid YAML that starts with a `key:` line still marks the block as front matter (it is
    not reading text) but gives no metadata, with a warning. Otherwise the block is no front
    matter and stays text: YAML that is no mapping, or invalid YAML not starting with a key, is
    prose between two horizontal rules.
    """
    opening = _OPEN.match(text)
    closing = _CLOSE.search(text, opening.end(), MAX_FRONT_MATTER) if opening else None
    if opening is None or closing is None:
        return TextMetadata()
    span = (0, closing.end() - (1 if closing.group().endswith("\r") else 0))
    source = text[opening.end() : closing.start()]
    try:
        data = yaml.safe_load(source)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        if not _KEY_LINE.match(source.lstrip()):
            return TextMetadata()
        return TextMetadata(
            front_matter=span,
            warnings=(f"front matter is not valid YAML ({_reason(exc)}); indexed without it",),
        )
    if data is None:
        return TextMetadata(front_matter=span)
    if not isinstance(data, dict):
        return TextMetadata()
    warnings: list[str] = []
    title = data.get("title")
    if title is not None and not isinstance(title, str | int | float):
        warnings.append("front matter title is not text; ignored")
        title = None
    raw_authors = data.get("authors", data.get("author"))
    authors = _authors(raw_authors)
    if raw_authors and not authors:
        warnings.append("front matter authors are neither a name nor a list of names; ignored")
    date = iso_date(data.get("date"))
    if data.get("date") is not None and date is None:
        warnings.append(f"front matter date {data.get('date')!r} is not a date; ignored")
    return TextMetadata(
        title=(str(title).strip() or None) if title is not None else None,
        authors=authors,
        date=date,
        front_matter=span,
        warnings=tuple(warnings),
    )


def _reason(exc: Exception) -> str:
    """A YAML error in one line, with its line number in the file (the YAML starts on line 2)."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem and exc.problem_mark:
        return f"{exc.problem} on line {exc.problem_mark.line + 2}"
    return " ".join(str(exc).split())


def _authors(value: object) -> tuple[str, ...]:
    """A name, or a list of names or of mappings with a `name` (as Quarto writes them)."""
    items = value if isinstance(value, list) else [value]
    names = (item.get("name") if isinstance(item, dict) else item for item in items)
    return tuple(dict.fromkeys(n.strip() for n in names if isinstance(n, str) and n.strip()))


def iso_date(value: object) -> str | None:
    """A date as ISO "YYYY", "YYYY-MM" or "YYYY-MM-DD", as precise as given; None if it is none.

    >>> [iso_date(v) for v in (dt.date(2024, 3, 12), 2024, "2024-03", "March 2024")]
    ['2024-03-12', '2024', '2024-03', '2024-03']
    >>> [iso_date(v) for v in ("12 March 2024", "March 12, 2024", "Tuesday", "2024-02-31")]
    ['2024-03-12', '2024-03-12', None, None]
    """
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 2999:
        return str(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not _DATE_CHARS.match(text) or not _YEAR.search(text):
        return None  # dateutil would fill a missing year from today
    try:
        # Parsed twice with different defaults: a field the text does not give differs.
        first = date_parser.parse(text, default=dt.datetime(2000, 1, 1))
        second = date_parser.parse(text, default=dt.datetime(2001, 2, 2))
    except (ValueError, OverflowError):
        return None
    if first.year != second.year:
        return None
    if first.month != second.month:
        return f"{first.year:04d}"
    if first.day != second.day:
        return f"{first.year:04d}-{first.month:02d}"
    return first.date().isoformat()


def parse_byline(line: str) -> Byline | None:
    """Authors and date of a "By NAME, DATE" line (Markdown emphasis allowed around it).

    >>> parse_byline("By Jane Doe and John Roe, March 12, 2024")
    Byline(authors=('Jane Doe', 'John Roe'), date='2024-03-12', span=None)
    >>> parse_byline("*By Ann Lee*").authors
    ('Ann Lee',)
    >>> parse_byline("By the way, this is not a byline") is None
    True
    """
    match = _BY.match(line.strip().strip("*_").replace("**", "").strip())
    if match is None:
        return None
    rest = match.group("rest")
    authors = _names(rest)
    if authors:
        return Byline(authors)
    for sep in _DATE_SEP.finditer(rest):
        authors, date = _names(rest[: sep.start()]), iso_date(rest[sep.end() :])
        if authors and date:
            return Byline(authors, date)
    return None


def _names(text: str) -> tuple[str, ...]:
    """Names joined by commas, "and" or "&", each two to five capitalised words (particles such
    as "van" or "de" and initials allowed); () if any part is not such a name."""
    parts = _NAME_SEP.split(text)
    if not parts or not all(_is_name(p) for p in parts):
        return ()
    return tuple(dict.fromkeys(parts))


def _is_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 5 or not words[0][:1].isupper():
        return False
    for word in words:
        if word.casefold() in _NOT_NAMES or not re.fullmatch(r"[^\W\d_][\w.'’\-]*", word):
            return False
        if not (word[0].isupper() or word in _PARTICLES):
            return False
    return True


def find_byline(text: str, start: int = 0) -> Byline | None:
    """The first byline line in the first BYLINE_BLOCKS blocks of `text[start:]`.

    The line is a block of its own, or ends a short block of title lines ("# Title" then the
    byline on the next line). Its span excludes surrounding whitespace.

    >>> find_byline("# Tea\\nBy Ann Lee\\n\\nBody text.")
    Byline(authors=('Ann Lee',), date=None, span=(6, 16))
    """
    blocks = 0
    block: list[tuple[int, str]] = []
    for match in _LINE.finditer(text, start):
        line = match.group()
        if line.strip():
            block.append((match.start(), line))
            continue
        if block:
            found = _byline_in(block)
            if found is not None:
                return found
            blocks, block = blocks + 1, []
        if not line or blocks == BYLINE_BLOCKS:
            return None
    return None


def _byline_in(block: list[tuple[int, str]]) -> Byline | None:
    *title_lines, (offset, line) = block
    if len(title_lines) > 2 or any(len(t.strip()) > MAX_TITLE_LINE for _, t in title_lines):
        return None
    byline = parse_byline(line)
    if byline is None:
        return None
    lead = len(line) - len(line.lstrip())
    return replace(byline, span=(offset + lead, offset + len(line.rstrip())))
