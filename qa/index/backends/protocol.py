"""What retrieval needs from an index's storage, whichever engine holds it."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from qa.index.filters import Filters

# Vector fields: the primary model's chunk vectors, and the second model's when the index has them.
DENSE_FIELDS = ("dense", "dense2")


class Selection(Protocol):
    """The chunks a question's filters allow, in the backend's own terms (row ids for FAISS, a
    filter expression for a database)."""

    @property
    def empty(self) -> bool:
        """No chunk passes the filters: nothing to search."""
        ...


class SearchBackend(Protocol):
    """Search over an index's chunks, by chunk row (line number in chunks.jsonl). Scores are
    the engine's own: cosine for dense fields, BM25 for lexical search."""

    def fields(self) -> tuple[str, ...]:
        """The vector fields this index has (a subset of DENSE_FIELDS, "dense" always)."""
        ...

    def select(self, filters: Filters | None) -> Selection | None:
        """The chunks `filters` allow; None for no filters (every chunk)."""
        ...

    def dense_search(
        self, field: str, query: np.ndarray, k: int, selection: Selection | None = None
    ) -> dict[int, float]:
        """The k rows nearest `query` in `field` (cosine), best first, within `selection`."""
        ...

    def lexical_search(
        self, question: str, k: int, selection: Selection | None = None
    ) -> dict[int, float]:
        """The k rows with the highest BM25 score for `question` (only rows scoring above 0),
        best first, within `selection`."""
        ...
