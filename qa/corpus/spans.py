"""Passages joined from pieces: how the display text is rebuilt from source spans."""

from __future__ import annotations

from collections.abc import Iterable

from qa.corpus.clean import clean_text
from qa.types import Span


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


def text_from_spans(source: str, spans: Iterable[Span]) -> str:
    """The display text of a passage: each span's raw text, cleaned, then joined."""
    return join_pieces(clean_text(source[start:end]) for start, end in spans)
