"""Which backend an index uses: its build writes the engine's copy, its loader opens it.

The settings choose (`QA_BACKEND`), the manifest records what the build wrote ("backend", and
for Milvus where: "milvus"), and a load with other settings is refused like any mismatch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.index.backends.faiss_files import FaissFilesBackend
from qa.index.backends.milvus import MilvusBackend, Terms
from qa.index.backends.protocol import SearchBackend
from qa.types import Chunk

if TYPE_CHECKING:
    from qa.index.store import IndexStore
    from qa.settings import Settings

EMBEDDED = "milvus.db"  # milvus-lite's folder inside the index folder, swapped in with it


def write_backend(
    settings: Settings,
    build_dir: Path,
    chunks: Sequence[Chunk],
    vectors: dict[str, np.ndarray],
    terms: Terms,
) -> dict[str, Any]:
    """Give the engine its copy of a new build (nothing to do for the files backend); the
    manifest entries that say where it is."""
    if settings.backend != "milvus":
        return {}
    embedded = settings.milvus_uri is None
    uri = str(build_dir / EMBEDDED) if embedded else str(settings.milvus_uri)
    # One collection per build on a server (the folder's name is unique), swapped with it.
    collection = "chunks" if embedded else "qa_" + re.sub(r"\W", "_", build_dir.name)
    backend = MilvusBackend.create(uri, collection, chunks, vectors, terms, token=_token(settings))
    backend.close()  # milvus-lite: one process at a time may hold the folder
    return {"milvus": {"collection": collection, "embedded": embedded}}


def open_backend(store: IndexStore, settings: Settings) -> SearchBackend:
    """The backend the index was built for (its manifest says which)."""
    where = store.manifest.get("milvus")
    if store.manifest.get("backend", "faiss") != "milvus" or not isinstance(where, dict):
        return FaissFilesBackend(store)
    uri = str(store.path / EMBEDDED) if where.get("embedded") else str(settings.milvus_uri)
    fields = ("dense", "dense2") if store.second is not None else ("dense",)
    return MilvusBackend.open(
        uri, str(where["collection"]), fields, store.bm25.all_terms, token=_token(settings)
    )


def _token(settings: Settings) -> str | None:
    return settings.milvus_token.get_secret_value() if settings.milvus_token else None
