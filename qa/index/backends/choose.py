"""Which backend an index uses: its build writes the engine's copy, its loader opens it.

The settings choose (`QA_BACKEND`), the manifest records what the build wrote ("backend", and
for Milvus where: "milvus"), and a load with other settings is refused like any mismatch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import IndexCorrupt, IndexMissing
from qa.index.backends.milvus import MilvusBackend, Terms, retire_collections
from qa.index.backends.protocol import SearchBackend, Source
from qa.index.integrity import live_folder, read_manifest
from qa.types import Chunk

if TYPE_CHECKING:
    from qa.settings import Settings

EMBEDDED = "milvus.db"  # milvus-lite's folder inside the index folder, swapped in with it


def write_backend(
    settings: Settings,
    build_dir: Path,
    chunks: Sequence[Chunk],
    vectors: dict[str, np.ndarray],
    terms: Terms,
    sources: Sequence[Source],
) -> dict[str, Any]:
    """Give the engine its copy of a new build (nothing to do for the files backend); the
    manifest entries that say where it is."""
    if settings.backend != "milvus":
        return {}
    embedded = settings.milvus_uri is None
    uri = str(build_dir / EMBEDDED) if embedded else str(settings.milvus_uri)
    token = _token(settings)
    collection = "chunks"  # embedded: the engine lives in the build folder, swapped with it
    if not embedded:
        # On a server, one collection per build, named after the index folder (one server may
        # hold many users' indexes) and the build. The builds this one replaces were served
        # until the servers reloaded, so they are dropped one build later: now.
        prefix = collection_prefix(settings.index_dir)
        collection = prefix + build_dir.name.rsplit("-", 1)[-1]
        live = _live_collection(settings.index_dir)
        retire_collections(uri, prefix, keep={collection, *live}, token=token)
    backend = MilvusBackend.create(uri, collection, chunks, vectors, terms, sources, token=token)
    backend.close()  # milvus-lite: one process at a time may hold the folder
    return {"milvus": {"collection": collection, "embedded": embedded}}


def engine_opener(
    settings: Settings, folder: Path, manifest: dict[str, Any], terms: Terms
) -> Callable[[], SearchBackend] | None:
    """How to open the engine the index in `folder` was built for (its manifest says which);
    None for the files backend, which the loader reads itself."""
    where = manifest.get("milvus")
    if manifest.get("backend", "faiss") != "milvus" or not isinstance(where, dict):
        return None
    uri = str(folder / EMBEDDED) if where.get("embedded") else str(settings.milvus_uri)
    collection, token = str(where["collection"]), _token(settings)
    fields = ("dense", "dense2") if manifest.get("second_embedder") else ("dense",)
    return lambda: MilvusBackend.open(uri, collection, fields, terms, token=token)


def collection_prefix(index_dir: Path) -> str:
    """What the names of an index folder's collections on a server start with."""
    digest = hashlib.sha256(str(index_dir.absolute()).encode()).hexdigest()[:12]
    return f"qa_{digest}_"


def _live_collection(index_dir: Path) -> list[str]:
    """The collection of the build being served, if the index has one on a server."""
    try:
        where = read_manifest(live_folder(index_dir.absolute())).get("milvus")
    except (IndexMissing, IndexCorrupt):
        return []
    return [str(where["collection"])] if isinstance(where, dict) else []


def _token(settings: Settings) -> str | None:
    return settings.milvus_token.get_secret_value() if settings.milvus_token else None
