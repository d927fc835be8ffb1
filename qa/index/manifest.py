"""What an index was built from (manifest.json), and how it differs from what settings expect."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qa.corpus.catalog import CATALOG_FILE
from qa.corpus.chunking import ChunkingSettings
from qa.corpus.files import MB, content_sha256, list_corpus
from qa.index.embedder import NONE, Embedder
from qa.settings import Settings

# 3: each file's size and SHA-256; 4: each source text's SHA-256; 5: sentence vectors pooled
# from their chunk's pass, in sentences.npy
FORMAT_VERSION = 5
PARSER_VERSION = 5  # bump when a reader, structure detection, chunking or indexed text changes


def chunking_settings(settings: Settings) -> ChunkingSettings:
    return ChunkingSettings(
        target_words=settings.chunk_target_words,
        max_words=settings.chunk_max_words,
        min_words=settings.chunk_min_words,
    )


def corpus_fingerprint(corpus_dir: Path, *, max_file_bytes: int | None = None) -> str:
    """Hash of the parser version, the files `load_corpus` would read (each document's id and
    bytes; a file over `max_file_bytes` by its id and size only, so it is never read), and the
    catalog. Ids are paths: moving a file into another folder changes the fingerprint."""
    digest = hashlib.sha256(f"parser:{PARSER_VERSION}".encode())
    listing = list_corpus(corpus_dir, max_file_bytes)
    documents = [(f.doc_id, content_sha256(f)) for f in listing.files]
    documents += [(f.doc_id, b"size:%d" % f.size) for f in listing.too_big]
    for doc_id, content in sorted(documents):
        digest.update(doc_id.encode() + b"\0" + content)
    catalog = corpus_dir / CATALOG_FILE
    if catalog.exists():
        digest.update(CATALOG_FILE.encode() + b"\0" + hashlib.sha256(catalog.read_bytes()).digest())
    return digest.hexdigest()


def max_file_bytes(settings: Settings) -> int:
    return int(settings.max_file_mb * MB)


def second_model(settings: Settings) -> str | None:
    """The second model the settings name, or None when they turn it off."""
    return None if settings.second_embedder == NONE else settings.second_embedder


def expected_manifest(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    second = second_model(settings)
    return {
        "format_version": FORMAT_VERSION,
        "embedder": {"name": embedder.name, "dim": embedder.dim},
        "second_embedder": second,
        "chunking": asdict(chunking_settings(settings)),
        "corpus_fingerprint": corpus_fingerprint(
            settings.corpus_dir, max_file_bytes=max_file_bytes(settings)
        ),
        "backend": settings.backend,
    }


def mismatches(manifest: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Human-readable differences between an index's manifest and what the settings expect.

    An index without the second model's vectors is no mismatch: it answers with the rankers it
    has while they are added (`needs_enrichment`); one with another second model's vectors is.
    """
    out = []
    for key, want in expected.items():
        have = manifest.get(key, "faiss" if key == "backend" else None)  # older: files only
        if key == "second_embedder" and (have is None or want is None):
            continue  # pending enrichment, or vectors the settings do not use
        if have != want:
            what = (
                "the corpus has changed"
                if key == "corpus_fingerprint"
                else f"{key} is {have}, expected {want}"
            )
            out.append(what)
    return out


def needs_enrichment(manifest: dict[str, Any], wanted: str | None) -> bool:
    """A second model (`wanted`, from `second_model`) whose vectors this index lacks. Cheap:
    unlike `expected_manifest`, it hashes no corpus file, so `/health` may ask it."""
    return wanted is not None and manifest.get("second_embedder") != wanted
