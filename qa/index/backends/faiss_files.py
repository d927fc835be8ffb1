"""The default backend: FAISS flat indexes, a bm25s index, the chunk records and source texts,
all loaded from the index folder into this process (qa/index/store.py loads them)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.index.backends.protocol import Selection, SourceInfo, TextRange, best_first
from qa.index.filters import Filters, allowed_rows
from qa.types import Chunk

if TYPE_CHECKING:
    from qa.index.store import IndexStore


@dataclass(frozen=True, slots=True)
class Rows:
    """The allowed chunk rows, sorted: FAISS skips the others during the search itself."""

    rows: np.ndarray

    @property
    def empty(self) -> bool:
        return not len(self.rows)


class FaissFilesBackend:
    def __init__(self, store: IndexStore) -> None:
        self.store = store

    def close(self) -> None:
        """Nothing to release: the files are memory the garbage collector frees."""

    def fields(self) -> tuple[str, ...]:
        return ("dense", "dense2") if self.store.second is not None else ("dense",)

    def count(self) -> int:
        return len(self.store.chunks)

    def chunks(self, rows: Collection[int]) -> dict[int, Chunk]:
        chunks = self.store.chunks
        for row in rows:
            if not 0 <= row < len(chunks):
                raise KeyError(f"no chunk row {row} in this index")
        return {row: chunks[row] for row in rows}

    def source_texts(self, ranges: Sequence[TextRange]) -> list[str]:
        return [self.store.sources[r.doc_id][r.start : r.end] for r in ranges]

    def source_info(self, doc_id: str) -> SourceInfo:
        return SourceInfo(len(self.store.sources[doc_id]), self.store.page_starts.get(doc_id, ()))

    def select(self, filters: Filters | None) -> Rows | None:
        return Rows(allowed_rows(self.store.chunks, filters)) if filters else None

    def dense_search(
        self, field: str, query: np.ndarray, k: int, selection: Selection | None = None
    ) -> dict[int, float]:
        index = self.store.faiss if field == "dense" else self.store.second
        if index is None:
            raise ValueError(f"this index has no {field!r} vectors")
        ids, scores = dense_search(index, query, k, _rows(selection))
        return best_first(zip(ids.tolist(), scores.tolist(), strict=True))

    def lexical_search(
        self, question: str, k: int, selection: Selection | None = None
    ) -> dict[int, float]:
        scores = self.store.bm25.scores(question)
        rows = _rows(selection)
        if rows is not None:
            kept = np.zeros_like(scores)
            kept[rows] = scores[rows]
            scores = kept
        top = np.argsort(-scores, kind="stable")[:k]  # stable: equal scores in row order
        return {int(i): float(scores[i]) for i in top if scores[i] > 0}


def dense_search(
    faiss_index: Any, query_vector: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(row ids, cosine scores) of the k nearest chunks in a FAISS IndexFlatIP of L2-normalised
    vectors, best first; only rows in `allowed` (sorted) when given: FAISS skips the others
    during the search itself."""
    query = query_vector.reshape(1, -1).astype(np.float32)
    if allowed is None:
        scores, ids = faiss_index.search(query, min(k, faiss_index.ntotal))
    else:
        import faiss

        selector = faiss.IDSelectorBatch(allowed)
        params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]  # SWIG kwargs
        scores, ids = faiss_index.search(query, min(k, len(allowed)), params=params)
    keep = ids[0] >= 0
    return ids[0][keep], scores[0][keep]


def _rows(selection: Selection | None) -> np.ndarray | None:
    if selection is None:
        return None
    if not isinstance(selection, Rows):
        raise TypeError(f"not a selection of this backend: {selection!r}")
    return selection.rows
