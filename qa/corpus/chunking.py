"""Paragraphs -> chunks of roughly 100-250 words that never cross a section boundary.

Footnotes, chronology entries, tables, author bios and bibliography entries are packed only
with their own kind, so a footnote is a passage of its own rather than a tail stuck onto body
text, and retrieval can weigh each kind apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import groupby

from qa.corpus.readers import page_of
from qa.corpus.sentences import sentence_spans
from qa.corpus.spans import text_from_spans
from qa.types import Chunk, Document, Paragraph, Span

_KIND_CLASS = {
    "body": "body",
    "list": "body",
    "footnote": "footnote",
    "chronology": "chronology",
    "table": "table",
    "bio": "bio",
    "bibliography": "bibliography",
}


@dataclass(frozen=True, slots=True)
class ChunkingSettings:
    target_words: int = 180
    max_words: int = 250
    min_words: int = 100


def chunk_document(doc: Document, source: str, cfg: ChunkingSettings) -> list[Chunk]:
    chunks: list[Chunk] = []
    slugs: dict[str, int] = {}
    per_slug: dict[str, int] = {}  # chunks numbered so far under each section slug
    section_slug: dict[tuple[str, ...], str] = {}
    for (path, kind), group in groupby(
        doc.paragraphs, key=lambda p: (p.section.path, _KIND_CLASS.get(p.kind, "body"))
    ):
        paragraphs = list(group)
        section = paragraphs[0].section
        if path not in section_slug:
            base = _slug(section.heading)
            slugs[base] = slugs.get(base, 0) + 1
            section_slug[path] = base if slugs[base] == 1 else f"{base}-{slugs[base]}"
        slug = section_slug[path]
        authors = (section.author,) if section.author else doc.authors
        for span_group in _pack(_units(paragraphs, source, cfg), cfg):
            n = per_slug[slug] = per_slug.get(slug, 0) + 1
            text = text_from_spans(source, span_group)
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}#{slug}/{n}",
                    doc_id=doc.doc_id,
                    title=doc.title,
                    authors=authors,
                    date=doc.date,
                    section_path=path,
                    spans=span_group,
                    text=text,
                    kind=kind,
                    page_start=page_of(doc.page_starts, span_group[0][0]),
                    page_end=page_of(doc.page_starts, span_group[-1][1] - 1),
                )
            )
    return chunks


def _units(
    paragraphs: list[Paragraph], source: str, cfg: ChunkingSettings
) -> list[tuple[tuple[Span, ...], int]]:
    """(spans, words) per paragraph; paragraphs over the maximum split at sentence ends."""
    units: list[tuple[tuple[Span, ...], int]] = []
    for p in paragraphs:
        words = len(p.text.split())
        if words <= cfg.max_words:
            units.append((p.spans, words))
            continue
        pieces: list[tuple[Span, int]] = []  # (sentence span, words), in reading order
        for piece in p.spans:
            for s in sentence_spans(source, piece):
                pieces.append((s, len(source[s[0] : s[1]].split())))
        current: list[tuple[Span, int]] = []
        for sentence in pieces:
            if current and sum(w for _, w in current) + sentence[1] > cfg.target_words:
                units.append(_merge(current))
                current = []
            current.append(sentence)
        if current:
            units.append(_merge(current))
    return units


def _merge(sentences: list[tuple[Span, int]]) -> tuple[tuple[Span, ...], int]:
    """Sentence spans -> the fewest spans: neighbours within one piece become one span."""
    spans: list[Span] = []
    for (start, end), _ in sentences:
        if spans and _same_piece(spans[-1], (start, end)):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return tuple(spans), sum(w for _, w in sentences)


def _same_piece(a: Span, b: Span) -> bool:
    return b[0] - a[1] <= 2  # only the whitespace between two sentences of one line


def _pack(
    units: list[tuple[tuple[Span, ...], int]], cfg: ChunkingSettings
) -> list[tuple[Span, ...]]:
    """Greedy packing: fill toward the target; a small chunk may grow up to the maximum."""
    out: list[tuple[Span, ...]] = []
    current: list[Span] = []
    words = 0
    for spans, n in units:
        fits_target = words + n <= cfg.target_words
        rescues_small = words < cfg.min_words and words + n <= cfg.max_words
        if current and not (fits_target or rescues_small):
            out.append(tuple(current))
            current, words = [], 0
        current.extend(spans)
        words += n
    if current:
        out.append(tuple(current))
    return out


def _slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")[:60] or "section"
