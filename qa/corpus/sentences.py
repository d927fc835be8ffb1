"""Sentence boundaries inside raw source spans, as source offsets.

Hand-written because the text carries markup (<sup>, **, quotes) that sentence splitters
trip over, and we need offsets into the raw file rather than cleaned strings.
"""

from __future__ import annotations

import re

from qa.types import SourceText, Span

# A boundary is whitespace after terminal punctuation (optionally closed by quotes, brackets,
# emphasis or a footnote marker) and before something that can start a sentence.
_BOUNDARY = re.compile(r"(?<=[.?!])(?:[”\"’')\]*]|\*\*|<sup>\d+</sup>)*(\s+)(?=[\"“‘(*<]?[A-Z0-9])")
_ABBREVIATIONS = {
    "u.s.",
    "u.k.",
    "e.g.",
    "i.e.",
    "dr.",
    "mr.",
    "mrs.",
    "ms.",
    "prof.",
    "gen.",
    "adm.",
    "lt.",
    "col.",
    "st.",
    "no.",
    "vol.",
    "pp.",
    "p.",
    "jan.",
    "feb.",
    "mar.",
    "apr.",
    "jun.",
    "jul.",
    "aug.",
    "sep.",
    "sept.",
    "oct.",
    "nov.",
    "dec.",
    "ed.",
    "eds.",
    "cf.",
    "vs.",
    "ph.d.",
}


def sentence_spans(source: SourceText, span: Span) -> list[Span]:
    """Split source[start:end] into sentence spans (whitespace between them excluded).

    >>> s = "The SCO met in 2001. Dr. Li spoke. It ended."
    >>> [s[a:b] for a, b in sentence_spans(s, (0, len(s)))]
    ['The SCO met in 2001.', 'Dr. Li spoke.', 'It ended.']
    """
    start, end = span
    text = source[start:end]
    out: list[Span] = []
    cursor = 0
    for match in _BOUNDARY.finditer(text):
        gap_start, gap_end = match.span(1)
        # The word before the gap, found by walking back to the previous space: slicing
        # text[:gap_start] here made a long paragraph quadratic (4 MB without blank lines: 28 s).
        word_start = gap_start
        while word_start > 0 and not text[word_start - 1].isspace():
            word_start -= 1
        last_word = text[word_start:gap_start].lower().strip("”\"’')]*")
        if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]\.", last_word):
            continue
        if gap_start > cursor:
            out.append((start + cursor, start + gap_start))
        cursor = gap_end
    if cursor < len(text):
        tail = text[cursor:].rstrip()
        if tail:
            out.append((start + cursor, start + cursor + len(tail)))
    return out
