"""Rank fusion: pure functions over {item: rank} / {item: score} maps."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Mapping[str, Mapping[K, int]],
    k: int = 60,
    weights: Mapping[str, float] | None = None,
) -> dict[K, float]:
    """RRF: score(d) = sum_r w_r / (k + rank_r(d)), ranks starting at 1.

    Cormack, Clarke & Buettcher (2009), "Reciprocal rank fusion outperforms Condorcet and
    individual rank learning methods", SIGIR.

    >>> fused = reciprocal_rank_fusion({"dense": {"a": 1, "b": 2}, "bm25": {"b": 1}}, k=60)
    >>> sorted(fused, key=fused.get, reverse=True)
    ['b', 'a']
    """
    fused: dict[K, float] = {}
    for name, ranks in rankings.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        for item, rank in ranks.items():
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def min_max(scores: Mapping[K, float]) -> dict[K, float]:
    """Scale scores to [0, 1]; all-equal scores map to 1.

    >>> min_max({"a": 2.0, "b": 4.0, "c": 3.0})
    {'a': 0.0, 'b': 1.0, 'c': 0.5}
    """
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return {item: 1.0 for item in scores}
    return {item: (s - low) / (high - low) for item, s in scores.items()}


def linear_fusion(
    scores: Mapping[str, Mapping[K, float]], weights: Mapping[str, float]
) -> dict[K, float]:
    """Weighted sum of min-max normalised scores; an item missing from a list scores 0 there.

    >>> linear_fusion({"dense": {"a": 0.9, "b": 0.1}, "bm25": {"b": 8.0, "a": 2.0}},
    ...               {"dense": 0.5, "bm25": 0.5})
    {'a': 0.5, 'b': 0.5}
    """
    fused: dict[K, float] = {}
    for name, raw in scores.items():
        for item, s in min_max(raw).items():
            fused[item] = fused.get(item, 0.0) + weights.get(name, 0.0) * s
    return fused


def ranks(scores: Mapping[K, float]) -> dict[K, int]:
    """Rank items by descending score (1 = best; ties keep insertion order).

    >>> ranks({"a": 0.2, "b": 0.9})
    {'b': 1, 'a': 2}
    """
    ordered = sorted(scores, key=lambda item: -scores[item])
    return {item: i + 1 for i, item in enumerate(ordered)}


def decisive_lexical_bonus(
    bm25: Mapping[K, float], ratio: float, bonus: float, k: int
) -> tuple[K, float] | None:
    """A decisive lexical match: when BM25's first item scores at least `ratio` times its
    second, that item gets `bonus` extra BM25 votes in RRF, (item, bonus / (k + 1)); else None.

    RRF listens only to ranks, so three dense rankers that miss a phrase occurring once in the
    corpus outvote the one ranker that found it by a wide margin. The margin lets BM25's
    certainty count (README, "Retrieval study": chosen by cross-validation).

    >>> decisive_lexical_bonus({"a": 9.0, "b": 3.0}, ratio=1.5, bonus=1.0, k=20)
    ('a', 0.047619047619047616)
    >>> decisive_lexical_bonus({"a": 4.0, "b": 3.0}, ratio=1.5, bonus=1.0, k=20) is None
    True
    """
    if len(bm25) < 2 or bonus <= 0:
        return None
    first, second = sorted(bm25, key=lambda item: -bm25[item])[:2]
    if bm25[first] < ratio * bm25[second]:
        return None
    return first, bonus / (k + 1)
