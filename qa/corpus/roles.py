"""What each block is: heading, byline, boilerplate, pull quote, footnote, or reading text.

Hand-written rules (no library knows these layouts); each rule is named after the artefact
it handles and is tested on real excerpts in tests/test_structure.py.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from qa.corpus.blocks import BOLD_BLOCK, Block, word_ngrams
from qa.corpus.front_matter import parse_byline

BOILERPLATE_LINE = re.compile(
    r"^(?:This article is extracted from|Follow this and additional works at|"
    r"Let us know how access to this document|Recommended Citation|This Thesis is brought to you|"
    r"Blog at\b|Up ↑|%d bloggers like this|©|ISBN|Copyright of this publication|"
    r"Published by\b|This paper does not represent|.{0,80}does not take collective positions|"
    r"\[www\.|\[[^\]]+\]\(mailto:|(?:image|photo|picture) credits?:)",
    re.IGNORECASE,
)
COVER_PAGE = re.compile(
    r"^(?:Follow this and additional works at|Recommended Citation|This Thesis is brought to you)"
)
BYLINE = re.compile(r"^(?:written by|by)\s+([A-Z][^\n]{1,60}?)\.?$", re.IGNORECASE)
NAME_LINE = re.compile(r"^[A-Z][\w.'’\-]*(?: [A-Z][\w.'’\-]*){0,4}$")
BACK_MATTER = re.compile(
    r"^(?:about\b.*|bibliography|references|notes|acknowledge?ments?|endnotes)$", re.IGNORECASE
)
# "ABOUT ECFR" is a publisher blurb; "About the authors" is read (qa.corpus.apparatus: bios).
BOILERPLATE_HEADING = re.compile(
    r"^about\b(?!\s+the\s+(?:authors?|contributors|editors?)$)", re.IGNORECASE
)
SECTION_WORDS = re.compile(
    r"^(?:introduction|conclusions?|bibliography|references|abstract|summary|acknowledge?ments?)$",
    re.IGNORECASE,
)
SUBTITLE = re.compile(r"^[^.?!:;]{1,40}\b(?:1[89]|20)\d\d$")  # "May – August 2016"
PULL_QUOTE_NGRAM = 6
MAX_HEADING_CHARS = 110
LONG_PARAGRAPH = 150


@dataclass(slots=True)
class Roles:
    """Block index -> role, plus heading details found along the way."""

    # heading | heading-part | byline | boilerplate | pullquote | footnote | text
    role: dict[int, str] = field(default_factory=dict)
    heading_text: dict[int, str] = field(default_factory=dict)  # with a subtitle line absorbed
    byline: dict[int, str] = field(default_factory=dict)  # heading block index -> author


def assign_roles(
    blocks: list[Block],
    title: str | None,
    preset: dict[int, str] | None = None,
    *,
    headings_marked: bool = False,
) -> Roles:
    """`preset`: roles already known (a file's YAML front matter, its byline), kept as given.
    `headings_marked`: the text came from a reader (PDF, HTML, Word) that wrote every heading it
    found as a Markdown `#` line, from the file's own structure; no other line is guessed to be
    one (a formula, a table's header row or a log line would be)."""
    roles = Roles(role=dict(preset or {}))
    footnote_refs = _footnote_refs(blocks)
    front_end = _cover_page_end(blocks)
    for b in blocks[:front_end]:
        roles.role.setdefault(b.index, "boilerplate")

    repeated = _repeated_quote_ngrams(blocks)
    in_bibliography = False
    for b in blocks[front_end:]:
        i = b.index
        if i in roles.role:  # already taken as a heading's subtitle or byline
            continue
        if BOILERPLATE_LINE.match(b.raw):
            roles.role[i] = "boilerplate"
        elif b.footnote_number() in footnote_refs:
            roles.role[i] = "footnote"
        elif _is_pull_quote(b, repeated):
            roles.role[i] = "pullquote"
        elif (
            b.md_level > 0
            if headings_marked
            else _is_heading(blocks, i, roles, title, in_bibliography)
        ):
            roles.role[i] = "heading"
            roles.heading_text[i] = b.plain
            nxt = _next(blocks, i)
            if nxt is not None and nxt.index in roles.role:  # preset: front matter, a byline
                if roles.role[nxt.index] == "byline":
                    roles.byline[i] = _preset_author(nxt)
                nxt = None
            if nxt is not None and SUBTITLE.match(nxt.plain) and nxt.lines == 1:
                roles.role[nxt.index] = "heading-part"
                roles.heading_text[i] = f"{b.plain} {nxt.plain}"
                nxt = _next(blocks, nxt.index)
            if nxt is not None and nxt.index not in roles.role and _is_byline(nxt):
                roles.role[nxt.index] = "byline"
                roles.byline[i] = _author_of(nxt)
            in_bibliography = roles.heading_text[i].lower() in {"bibliography", "references"}
        else:
            roles.role[i] = "text"
    return roles


def _is_heading(
    blocks: list[Block], i: int, roles: Roles, title: str | None, in_bibliography: bool
) -> bool:
    b = blocks[i]
    if b.md_level:
        return True
    if title and same_title_key(b.plain) == same_title_key(title):
        return True
    if in_bibliography or b.is_table or b.is_chronology or b.is_list:
        return False
    bold = BOLD_BLOCK.match(b.raw)
    if bold and not b.quoted() and len(b.plain) <= MAX_HEADING_CHARS and b.lines <= 2:
        return True
    return _is_plain_heading(blocks, i, roles)


def _is_plain_heading(blocks: list[Block], i: int, roles: Roles) -> bool:
    """A short title line: 'Growing ties?', 'CONCLUSION', 'The 1993-1994 Turning Point.'"""
    b = blocks[i]
    text = b.plain
    if b.lines != 1 or len(text) > MAX_HEADING_CHARS or not text or text[-1] in ",;:":
        return False
    if not (text[0].isupper() or text[0].isdigit() or text[0] in '“"‘'):
        return False
    words = text.split()
    if len(words) < 2 and not (text.isupper() or SECTION_WORDS.match(text)):
        return False
    if text.endswith(".") and not _title_case(words):
        return False
    if re.match(r"^[A-Z][\w'’-]+, [A-Z]", text):  # "Kennan, George. 1946 ..." bibliography entry
        return False
    prev = blocks[i - 1] if i > 0 else None
    if (
        prev is not None
        and roles.role.get(prev.index) == "text"
        and not prev.complete
        and len(prev.raw) >= LONG_PARAGRAPH
    ):
        return False  # the line continues a paragraph cut by a page break
    nxt = _next(blocks, i)
    if nxt is not None and (nxt.index in roles.role or SUBTITLE.match(nxt.plain)):
        nxt = _next(blocks, nxt.index)  # a preset byline, or a subtitle line
    if nxt is not None and _is_byline(nxt):
        nxt = _next(blocks, nxt.index)
    return nxt is not None and (len(nxt.plain) >= LONG_PARAGRAPH or nxt.is_chronology)


def _is_byline(b: Block) -> bool:
    if BYLINE.match(b.plain):
        return True
    lines = b.raw.splitlines()
    return len(lines) <= 2 and all(len(x) <= 50 and NAME_LINE.match(x.strip()) for x in lines)


def _author_of(b: Block) -> str:
    match = BYLINE.match(b.plain)
    if match:
        return match.group(1).strip().rstrip(".")
    return b.raw.splitlines()[0].strip()


def _preset_author(b: Block) -> str:
    """The names of a byline found with its date by qa.corpus.front_matter, without the date."""
    byline = parse_byline(b.raw)
    return " and ".join(byline.authors) if byline else _author_of(b)


def _quote_shaped(b: Block) -> bool:
    return b.quoted() and len(b.plain) <= 300 and b.lines == 1


def _is_pull_quote(b: Block, repeated: set[tuple[str, ...]]) -> bool:
    """A quoted line that repeats words of the body elsewhere in the document."""
    return _quote_shaped(b) and not repeated.isdisjoint(word_ngrams(b.raw, PULL_QUOTE_NGRAM))


def _repeated_quote_ngrams(blocks: list[Block]) -> set[tuple[str, ...]]:
    """The word n-grams of quote-shaped blocks that occur in more than one block.

    Only these n-grams are counted, so the cost stays linear in the document's length.
    """
    wanted: set[tuple[str, ...]] = set()
    for b in blocks:
        if _quote_shaped(b):
            wanted |= word_ngrams(b.raw, PULL_QUOTE_NGRAM)
    if not wanted:
        return set()
    blocks_with: Counter[tuple[str, ...]] = Counter()
    for b in blocks:
        blocks_with.update(wanted & word_ngrams(b.raw, PULL_QUOTE_NGRAM))
    return {g for g, n in blocks_with.items() if n > 1}


def _footnote_refs(blocks: list[Block]) -> set[int]:
    """Footnote numbers cited in the text as <sup>N</sup> ('2010 with ...' is then no footnote)."""
    refs: set[int] = set()
    for b in blocks:
        for number in re.findall(r"<sup>(\d{1,3})</sup>", b.raw[1:]):
            refs.add(int(number))
    return refs


def _cover_page_end(blocks: list[Block]) -> int:
    """A repository cover page ('Follow this and additional works at ...') is front matter."""
    last = -1
    for b in blocks[:20]:
        if COVER_PAGE.match(b.raw) or b.raw.startswith("This Thesis is brought to you"):
            last = b.index
    return last + 1


def _next(blocks: list[Block], i: int) -> Block | None:
    return blocks[i + 1] if i + 1 < len(blocks) else None


def _title_case(words: list[str]) -> bool:
    content = [w for w in words if len(w.strip("“”\"'’‘().,:?")) >= 4 and not w[:1].isdigit()]
    return (
        bool(content) and sum(w.strip('“"‘(')[:1].isupper() for w in content) / len(content) >= 0.7
    )


def same_title_key(text: str) -> str:
    """Title key without case, punctuation or spacing: "GAMING THE WEST?" = "Gaming the West"."""
    return re.sub(r"\W+", " ", text).strip().casefold()
