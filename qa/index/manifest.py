"""What an index was built from (manifest.json), and how it differs from what settings expect."""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

from qa.corpus.catalog import CATALOG_FILE
from qa.corpus.chunking import ChunkingSettings
from qa.corpus.ingest import corpus_files
from qa.index.embedder import NONE, Embedder
from qa.settings import Settings

FORMAT_VERSION = 3  # 3: the manifest records every file's size and SHA-256
PARSER_VERSION = 1  # bump when structure detection or chunking changes what is produced


def chunking_settings(settings: Settings) -> ChunkingSettings:
    return ChunkingSettings(
        target_words=settings.chunk_target_words,
        max_words=settings.chunk_max_words,
        min_words=settings.chunk_min_words,
    )


def corpus_fingerprint(corpus_dir: Path) -> str:
    """Hash of every indexable file's name and bytes, the catalog, and the parser version."""
    digest = hashlib.sha256(f"parser:{PARSER_VERSION}".encode())
    paths = corpus_files(corpus_dir)
    catalog = corpus_dir / CATALOG_FILE
    for path in [*paths, *([catalog] if catalog.exists() else [])]:
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def expected_manifest(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    second = None if settings.second_embedder == NONE else settings.second_embedder
    return {
        "format_version": FORMAT_VERSION,
        "embedder": {"name": embedder.name, "dim": embedder.dim},
        "second_embedder": second,
        "chunking": asdict(chunking_settings(settings)),
        "corpus_fingerprint": corpus_fingerprint(settings.corpus_dir),
    }


def mismatches(manifest: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Human-readable differences between an index's manifest and what the settings expect."""
    out = []
    for key, want in expected.items():
        have = manifest.get(key)
        if have != want:
            what = (
                "the corpus has changed"
                if key == "corpus_fingerprint"
                else f"{key} is {have}, expected {want}"
            )
            out.append(what)
    return out
