"""Blocks with roles -> a section tree, and reading paragraphs rejoined across page breaks."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from qa.corpus.apparatus import closing_bios, reading_end, section_kind
from qa.corpus.blocks import Block
from qa.corpus.roles import BACK_MATTER, BOILERPLATE_HEADING, Roles, same_title_key
from qa.corpus.spans import text_from_spans
from qa.types import Paragraph, Section, Span

CONTINUES_UPPER_MIN_CHARS = 100  # a cut paragraph this long may continue with a capital
PROSE = {"body", "bio"}  # kinds whose paragraphs page breaks cut and rejoin like body text
BIB_ENTRY = re.compile(r"^(?:- )?.{2,120}?\.\s+(?:\d{4}[a-z]?|n\.d)\.")


def build_sections(
    blocks: list[Block], roles: Roles, title: str | None, text_len: int
) -> list[Section]:
    """Give each heading a level and path.

    Heading markup from PDF conversion is unreliable, so levels come from what a reader sees:
    the document title is level 1; articles (headings with a byline) and back matter sit one
    below it; every other heading inside an article is one below the article, whatever its
    markup; elsewhere Markdown depth counts relative to the shallowest heading.
    """
    heads = [b for b in blocks if roles.role.get(b.index) == "heading"]
    title_index = next(
        (
            b.index
            for b in heads
            if title and same_title_key(roles.heading_text[b.index]) == same_title_key(title)
        ),
        None,
    )
    base = 2 if title_index is not None else 1
    md_levels = [b.md_level for b in heads if b.md_level and b.index != title_index]
    md_top = min(md_levels) if md_levels else 0

    # Articles (headings with a byline) regroup headings only in a multi-article document;
    # a lone "by X" under an Introduction leaves Markdown levels alone.
    multi_article = sum(1 for b in heads if b.index in roles.byline and b.index != title_index) >= 2
    raw: list[tuple[Block, int, str | None, bool]] = []  # block, level, author, boilerplate
    article_level: int | None = None
    article_author: str | None = None
    for b in heads:
        text = roles.heading_text[b.index]
        author = roles.byline.get(b.index)
        boiler = bool(BOILERPLATE_HEADING.match(text))
        if b.index == title_index:
            level = 1
        elif author is not None and multi_article:
            level, article_level, article_author = base, base, author
        elif BACK_MATTER.match(text) or boiler:
            level, article_level, article_author = base, None, None
        elif article_level is not None:
            level, author = article_level + 1, article_author
        elif b.md_level and md_top:
            level = base + b.md_level - md_top
        else:
            level = base
        raw.append((b, level, author, boiler))

    ends = _section_ends([(b.start, level) for b, level, _, _ in raw], text_len)
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    for (b, level, author, boiler), end in zip(raw, ends, strict=True):
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, roles.heading_text[b.index]))
        sections.append(
            Section(
                heading=roles.heading_text[b.index],
                level=level,
                path=tuple(h for _, h in stack),
                start=b.start,
                end=end,
                author=author,
                boilerplate=boiler,
            )
        )
    return sections


@dataclass(slots=True)
class _Open:
    """A paragraph being assembled from pieces."""

    blocks: list[Block] = field(default_factory=list)
    kind: str = "body"

    @property
    def complete(self) -> bool:
        return not self.blocks or self.blocks[-1].complete or self.kind in {"table", "chronology"}


def build_paragraphs(
    source: str, blocks: list[Block], roles: Roles, sections: list[Section]
) -> list[Paragraph]:
    """Rejoin reading text cut by page breaks, footers, footnote blocks and pull quotes.

    Body text and footnotes are two streams: a block that continues a cut sentence joins the
    stream whose last paragraph is incomplete (a footnote only when footnotes follow it).
    """
    paragraphs: list[Paragraph] = []
    body, note = _Open(), _Open(kind="footnote")
    section_of = _section_lookup(sections)

    def author_of(b: Block) -> str | None:
        section = section_of(b.start)
        return section.author if section else None

    bios = closing_bios(blocks, roles, author_of)

    def flush(par: _Open) -> _Open:
        if par.blocks:
            spans: tuple[Span, ...] = tuple((b.start, reading_end(b)) for b in par.blocks)
            section = section_of(par.blocks[0].start)
            if section is not None and not section.boilerplate:
                text = text_from_spans(source, spans)
                paragraphs.append(Paragraph(spans=spans, text=text, section=section, kind=par.kind))
        return _Open(kind="footnote" if par.kind == "footnote" else "body")

    for b in blocks:
        role = roles.role.get(b.index)
        if role == "heading":
            body, note = flush(body), flush(note)
            continue
        if role == "footnote":
            note = flush(note)
            note.blocks.append(b)
            continue
        if role != "text":
            continue  # boilerplate, byline, pull quote: lifted out, the paragraph around it rejoins
        kind = "bio" if b.index in bios else section_kind(section_of(b.start)) or _kind(b)
        if kind == "bibliography":
            # Entries are cut by page breaks after complete-looking lines ('."', a URL):
            # an entry starts only at "Author(s). YYYY." and everything else continues one.
            if body.kind == kind and body.blocks and not BIB_ENTRY.match(b.plain):
                body.blocks.append(b)
                continue
        elif kind in PROSE and b.starts_lower:
            nxt = _next_role(blocks, roles, b.index)
            if not note.complete and (nxt == "footnote" or body.complete):
                note.blocks.append(b)
                continue
            if not body.complete and body.kind == kind:
                body.blocks.append(b)
                continue
        elif (
            kind in PROSE
            and body.kind == kind
            and not body.complete
            and len(body.blocks[-1].raw) >= CONTINUES_UPPER_MIN_CHARS
        ):
            body.blocks.append(b)
            continue
        body = flush(body)
        body.kind = kind
        body.blocks.append(b)
        if kind not in PROSE and kind != "bibliography":
            body = flush(body)
    flush(body)
    flush(note)
    paragraphs.sort(key=lambda p: p.spans[0][0])
    return paragraphs


def _kind(b: Block) -> str:
    if b.is_table:
        return "table"
    if b.is_chronology:
        return "chronology"
    if b.is_list:
        return "list"
    return "body"


def _next_role(blocks: list[Block], roles: Roles, i: int) -> str | None:
    return roles.role.get(i + 1) if i + 1 < len(blocks) else None


def _section_ends(heads: list[tuple[int, int]], text_len: int) -> list[int]:
    """Where each (start, level) heading's section ends: at the next heading of its level or
    above, else at the end of the text. One pass from the back with a stack, so linear.

    >>> _section_ends([(0, 1), (10, 2), (20, 3), (30, 2), (40, 1)], 50)
    [40, 30, 30, 40, 50]
    """
    ends = [text_len] * len(heads)
    later: list[tuple[int, int]] = []  # (start, level) of later headings, levels rising to the top
    for n in range(len(heads) - 1, -1, -1):
        start, level = heads[n]
        while later and later[-1][1] > level:
            later.pop()  # deeper than this heading: ends no section from here back
        if later:
            ends[n] = later[-1][0]
        later.append((start, level))
    return ends


def _section_lookup(sections: list[Section]) -> Callable[[int], Section | None]:
    """The innermost section holding an offset, found by bisection.

    `sections` are in document order, as `build_sections` (plus a front section) makes them:
    each ends at the next heading of its level or above, so the last section starting at or
    before an offset holds it and is deeper than every other section that does.
    """
    starts = [s.start for s in sections]

    def innermost(offset: int) -> Section | None:
        n = bisect_right(starts, offset) - 1
        if n < 0 or not sections[n].start <= offset < sections[n].end:
            return None
        return sections[n]

    return innermost
