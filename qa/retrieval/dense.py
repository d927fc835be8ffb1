"""Dense retrieval: inner product over L2-normalised vectors in a FAISS IndexFlatIP."""

from __future__ import annotations

from typing import Any

import numpy as np


def dense_search(
    faiss_index: Any, query_vector: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(row ids, cosine scores) of the k nearest chunks, best first."""
    k = min(k, faiss_index.ntotal)
    scores, ids = faiss_index.search(query_vector.reshape(1, -1).astype(np.float32), k)
    keep = ids[0] >= 0
    return ids[0][keep], scores[0][keep]
