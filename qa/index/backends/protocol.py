"""What retrieval needs from an index's storage, whichever engine holds it."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.index.filters import Filters
from qa.types import Chunk

# Vector fields: the primary model's chunk vectors, and the second model's when the index has them.
DENSE_FIELDS = ("dense", "dense2")


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """A document's source text without the text: its length and each page's first offset."""

    length: int
    page_starts: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Source:
    """A document's source text as a build hands it to the backend."""

    doc_id: str
    text: str
    page_starts: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TextRange:
    """[start, end) of a document's source text."""

    doc_id: str
    start: int
    end: int


class Selection(Protocol):
    """The chunks a question's filters allow, in the backend's own terms (row ids for FAISS, a
    filter expression for a database)."""

    @property
    def empty(self) -> bool:
        """No chunk passes the filters: nothing to search."""
        ...


class SearchBackend(Protocol):
    """Search over an index's chunks, by chunk row (line number in chunks.jsonl), and the chunk
    records and source texts that answers cite. Scores are cosine for dense fields and BM25 (as
    bm25s computes it) for lexical search; results come best first, equal scores in row order,
    so every backend ranks alike."""

    def count(self) -> int:
        """How many chunks the index holds (rows 0 .. count - 1)."""
        ...

    def chunks(self, rows: Collection[int]) -> dict[int, Chunk]:
        """The chunk records at `rows`, in one request. KeyError for a row not in the index."""
        ...

    def source_texts(self, ranges: Sequence[TextRange]) -> list[str]:
        """Each range of its document's source text, in one request. KeyError for an unknown
        document; a range past the text's end is cut at the end, as slicing a str is."""
        ...

    def source_info(self, doc_id: str) -> SourceInfo:
        """The length and pages of a document's source text. KeyError for an unknown one."""
        ...

    def close(self) -> None:
        """Release the engine (connections, an embedded engine's lock) once no question needs
        this index any more."""
        ...

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


def best_first(hits: Iterable[tuple[int, float]]) -> dict[int, float]:
    """Rows by descending score, equal scores in row order (engines order ties differently).

    >>> best_first([(9, 0.0), (4, 0.5), (2, 0.0)])
    {4: 0.5, 2: 0.0, 9: 0.0}
    """
    return {int(row): float(score) for row, score in sorted(hits, key=lambda h: (-h[1], h[0]))}
