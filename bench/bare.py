"""The bare baseline the targets are ratios of: a MiniLM query encode plus a FAISS flat search
over the same chunk vectors, with nothing else (no BM25, no second model, no answer stage)."""

from __future__ import annotations

from collections.abc import Callable

import faiss
import numpy as np

from qa.index.embedder import Backend, load_embedder
from qa.index.store import IndexStore

K = 10


def bare_search(store: IndexStore, backend: Backend) -> Callable[[str], None]:
    """A function that encodes a question with MiniLM on `backend` and searches a flat copy of
    the index's chunk vectors, single-threaded as the server's FAISS is."""
    faiss.omp_set_num_threads(1)
    vectors = store.faiss.reconstruct_n(0, store.faiss.ntotal)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
    model = load_embedder("all-MiniLM-L6-v2", backend=backend)

    def search(question: str) -> None:
        flat.search(model.embed_query(question)[None, :], K)

    search("warm up")
    return search
