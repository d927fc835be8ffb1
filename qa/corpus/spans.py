"""Passages joined from pieces: how the display text is rebuilt from source spans."""

from __future__ import annotations

from collections.abc import Iterable

from qa.corpus.clean import clean_text
from qa.types import SourceText, Span


def join_pieces(pieces: Iterable[str]) -> str:
    """Join cleaned pieces of one paragraph the way a page break would be read.

    A piece ending in a hyphen ("issue-" / "by-issue") continues without a space.

    >>> join_pieces(["their issue-", "by-issue cooperation"])
    'their issue-by-issue cooperation'
    >>> join_pieces(["the Changchun", "railway to the Russians."])
    'the Changchun railway to the Russians.'
    """
    out = ""
    for piece in pieces:
        if not piece:
            continue
        if out and not out.endswith("-"):
            out += " "
        out += piece
    return out


def text_from_spans(source: SourceText, spans: Iterable[Span]) -> str:
    """The display text of a passage: each span's raw text, cleaned, then joined."""
    return join_pieces(clean_text(source[start:end]) for start, end in spans)


def highlights_in_text(
    text: str, source: SourceText, spans: Iterable[Span], highlights: Iterable[Span]
) -> tuple[Span, ...]:
    """Where each highlighted source span shows in a passage's display `text`: [start, end)
    offsets into `text`, in order, for an interface that marks them without the source.

    A highlight may run across the pieces of a passage; each piece's part is cleaned like the
    display text and found in it, after the previous mark.

    >>> source = "Intro. **The answer** is here. Tail."
    >>> text = text_from_spans(source, [(0, 36)])
    >>> [text[a:b] for a, b in highlights_in_text(text, source, [(0, 36)], [(7, 30)])]
    ['The answer is here.']
    """
    spans = list(spans)
    marks: list[Span] = []
    for h_start, h_end in highlights:
        for start, end in spans:
            if min(h_end, end) <= max(h_start, start):
                continue
            piece = clean_text(source[max(h_start, start) : min(h_end, end)]).strip()
            at = text.find(piece) if piece else -1
            if at >= 0:
                marks.append((at, at + len(piece)))
    return tuple(sorted(set(marks)))
