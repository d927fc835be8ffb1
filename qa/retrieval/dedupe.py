"""Drop a passage that repeats a better-ranked one: the same report dropped in twice (as .txt and
.md), a chronology entry copied from the body, an article reprinted in a collection.

Hand-written: word 5-gram containment over a handful of passages is a few lines, and it sees
what a reader sees (shared wording), where vector similarity also joins passages on one topic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")
_WORD = re.compile(r"\w+")
SHINGLE_WORDS = 5


def drop_near_duplicates(
    items: Iterable[T], text: Callable[[T], str], *, most: int, threshold: float
) -> list[T]:
    """The first `most` items, in order, skipping any whose word 5-grams are at least
    `threshold` shared with a kept item (a share of the smaller of the two)."""
    kept: list[tuple[T, frozenset[tuple[str, ...]]]] = []
    for item in items:
        if len(kept) == most:
            break
        grams = shingles(text(item))
        if not any(containment(grams, other) >= threshold for _, other in kept):
            kept.append((item, grams))
    return [item for item, _ in kept]


def shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    n = min(SHINGLE_WORDS, len(words))  # a passage under 5 words is one shingle
    if not n:
        return frozenset()
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def containment(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    """Shared shingles as a share of the smaller set (Broder 1997, "On the resemblance and
    containment of documents", with the smaller set as the base, so an excerpt of a longer
    passage counts as contained).

    >>> containment(shingles("a b c d e f"), shingles("x a b c d e f g h"))
    1.0
    >>> containment(shingles("a b c d e f"), shingles("a b c d e z"))
    0.5
    """
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
