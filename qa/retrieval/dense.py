"""Dense retrieval: inner product over L2-normalised vectors in a FAISS IndexFlatIP."""

from __future__ import annotations

from typing import Any

import numpy as np


def dense_search(
    faiss_index: Any, query_vector: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(row ids, cosine scores) of the k nearest chunks, best first; only rows in `allowed`
    (sorted) when given: FAISS skips the others during the search itself."""
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
