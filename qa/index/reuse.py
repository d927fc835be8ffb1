"""Vectors of the index a build replaces, by the exact text they embed.

Adding one report to a corpus should not re-embed the others: with the second model a chunk
costs about 0.4 s, so a 2,500-chunk corpus takes over 15 minutes from scratch. A vector is
reused only for identical text under the same model name, so a rebuild gives the vectors a
from-scratch build would.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.corpus.ingest import ExtractionCache
from qa.corpus.readers import Extracted
from qa.index.embedder import Embedder
from qa.index.manifest import PARSER_VERSION
from qa.index.records import SOURCES
from qa.index.sentences import SENTENCE_VECTORS, SentenceKey, sentence_keys

log = logging.getLogger(__name__)

Known = dict[str, np.ndarray]  # text -> its vector
Intact = frozenset[str] | None  # the files of an index that may be read; None: all of them
PROGRESS_BATCH = 64  # texts embedded between progress updates (the models batch within it)


@dataclass
class PreviousVectors:
    chunks: Known = field(default_factory=dict)  # search text -> primary model vector
    # (chunk text, place, sentence text) -> primary model vector, pooled from the chunk's pass
    sentences: dict[SentenceKey, np.ndarray] = field(default_factory=dict)
    second: Known = field(default_factory=dict)  # search text -> second model vector


def previous_vectors(
    index_dir: Path, expected: dict[str, Any], intact: Intact = None
) -> PreviousVectors:
    """What the current index at `index_dir` can lend a build with the `expected` models.

    Empty when there is no index, or it was built with other models; an unreadable one is
    logged and ignored, since the build replaces it anyway. Of a damaged index, only the files
    named in `intact` (whose checksums hold) are used: one bad file costs only its own vectors.
    """
    try:
        return _read(index_dir, expected, intact)
    except FileNotFoundError:
        return PreviousVectors()
    except (OSError, ValueError, KeyError, RuntimeError) as error:  # RuntimeError: FAISS
        log.warning("not reusing vectors of %s (%s); embedding everything", index_dir, error)
        return PreviousVectors()


def embed_reusing(
    embedder: Embedder,
    texts: list[str],
    known: Known,
    on_embedded: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts`, embedding only those not in `known`; and how many were reused.
    `on_embedded(n)` is told after each batch, for progress."""
    missing = sorted({t for t in texts if t not in known})
    fresh: Known = {}
    for start in range(0, len(missing), PROGRESS_BATCH):
        batch = missing[start : start + PROGRESS_BATCH]
        fresh.update(zip(batch, embedder.embed_passages(batch), strict=True))
        if on_embedded:
            on_embedded(len(batch))
    rows = [known[t] if t in known else fresh[t] for t in texts]
    vectors = np.vstack(rows) if rows else np.zeros((0, embedder.dim))
    return vectors.astype(np.float32), sum(t in known for t in texts)


def _read(index_dir: Path, expected: dict[str, Any], intact: Intact) -> PreviousVectors:
    manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    previous = PreviousVectors()
    if manifest.get("embedder") != expected["embedder"]:
        return previous
    import faiss

    def usable(*names: str) -> bool:
        return intact is None or all(name in intact for name in names)

    if not usable("chunks.jsonl"):
        return previous
    texts = [
        json.loads(line)["search_text"]
        for line in (index_dir / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    if usable("vectors.faiss"):
        previous.chunks = _by_text(texts, faiss.read_index(str(index_dir / "vectors.faiss")))
    second = expected["second_embedder"]
    if second and manifest.get("second_embedder") == second and usable("vectors-2.faiss"):
        previous.second = _by_text(texts, faiss.read_index(str(index_dir / "vectors-2.faiss")))
    # Formats before 5 encoded each sentence alone (sentences.faiss): not reused, since a
    # build now pools them from the chunk's pass.
    if usable("sentences.jsonl", SENTENCE_VECTORS) and (index_dir / SENTENCE_VECTORS).exists():
        records = [
            json.loads(line)
            for line in (index_dir / "sentences.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        vectors = np.load(index_dir / SENTENCE_VECTORS, allow_pickle=False)
        if len(vectors) != len(records):
            raise ValueError(f"{len(vectors)} sentence vectors for {len(records)} sentences")
        sentences = [(r["chunk"], (r["span"][0], r["span"][1]), r["text"]) for r in records]
        previous.sentences = dict(zip(sentence_keys(texts, sentences), vectors, strict=True))
    return previous


def _by_text(texts: list[str], index: Any) -> Known:
    if index.ntotal != len(texts):
        raise ValueError(f"{index.ntotal} vectors for {len(texts)} texts")
    vectors = index.reconstruct_n(0, index.ntotal) if texts else []
    return dict(zip(texts, vectors, strict=True))


def previous_extractions(index_dir: Path, intact: Intact = None) -> ExtractionCache:
    """The readers' output the index at `index_dir` stored (in sources.jsonl), by file hash,
    for a build to lend `read_corpus`. Only output of this parser version: a reader that
    changed must read again (bump PARSER_VERSION with any reader change)."""
    cache = ExtractionCache()
    if intact is not None and SOURCES not in intact:
        return cache
    try:
        with (index_dir / SOURCES).open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                meta = record.get("extracted")
                if meta is None or meta.get("parser") != PARSER_VERSION:
                    continue
                cache.known[meta["file_sha256"]] = Extracted(
                    text=record["text"],
                    page_starts=tuple(record["page_starts"]),
                    title=meta["title"],
                    authors=tuple(meta["authors"]),
                    date=meta["date"],
                    pages=meta["pages"],
                    warnings=tuple(meta["warnings"]),
                )
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("not reusing extracted texts of %s (%s); reading every file", index_dir, error)
        return ExtractionCache()
    return cache


def extraction_record(digest: str, extracted: Extracted) -> dict[str, Any]:
    """What sources.jsonl keeps of a reader's output besides the text and page starts."""
    return {
        "file_sha256": digest,
        "parser": PARSER_VERSION,
        "title": extracted.title,
        "authors": list(extracted.authors),
        "date": extracted.date,
        "pages": extracted.pages,
        "warnings": list(extracted.warnings),
    }
