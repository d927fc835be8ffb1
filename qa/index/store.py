"""The index on disk: build (atomically), describe (manifest.json), load (refusing mismatches).

Layout of index/<name>/ (a symlink to the build directory it names, swapped atomically):
  manifest.json   format version, embedder, chunking, corpus fingerprint, counts, created_at
  vectors.faiss   IndexFlatIP over L2-normalised chunk vectors, row i = line i of chunks.jsonl
  vectors-2.faiss the same rows embedded by the second model (when one is configured)
  sentences.faiss sentence vectors (primary model), row j = line j of sentences.jsonl
  sentences.jsonl {"chunk": row, "span": [start, end]} per sentence
  chunks.jsonl    one chunk record per line (byte-identical for an unchanged corpus)
  documents.json  document metadata and outlines
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

import qa
from qa.corpus.chunking import chunk_document
from qa.corpus.ingest import load_corpus, read_text
from qa.errors import IndexMismatch, IndexMissing
from qa.index.embedder import Embedder, load_embedder
from qa.index.manifest import chunking_settings, expected_manifest, mismatches
from qa.index.records import chunk_from_record, chunk_record, document_from_record, document_record
from qa.index.reuse import PreviousVectors, embed_reusing, previous_vectors
from qa.index.sentences import chunk_sentences
from qa.settings import Settings
from qa.types import Chunk, DocumentInfo

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
# A build folder this old with no build running is what a killed `qa build` left behind.
ABANDONED_BUILD_AGE_S = 3600


@dataclass(frozen=True, slots=True)
class BuildResult:
    built: bool
    documents: int
    chunks: int
    seconds: float
    skipped: tuple[str, ...] = ()


class IndexStore:
    """A loaded index: chunks, their vectors in FAISS, documents, manifest."""

    def __init__(
        self,
        path: Path,
        manifest: dict[str, Any],
        chunks: list[Chunk],
        documents: list[DocumentInfo],
        faiss_index: Any,
        sources: dict[str, str],
        second: Any | None = None,
        sentence_rows: np.ndarray | None = None,
        sentence_spans: list[tuple[int, int]] | None = None,
        sentence_vectors: np.ndarray | None = None,
    ) -> None:
        self.path = path
        self.sources = sources  # doc_id -> source text, for highlights and citation checks
        self.manifest = manifest
        self.chunks = chunks
        self.documents = documents
        self.faiss = faiss_index
        self.second = second  # FAISS index of the second model's chunk vectors, or None
        self.sentence_rows = (
            sentence_rows if sentence_rows is not None else np.zeros(0, dtype=np.int64)
        )
        self.sentence_spans = sentence_spans or []
        self.sentence_vectors = sentence_vectors
        self.row_of = {chunk.chunk_id: row for row, chunk in enumerate(chunks)}
        self.sentences_of_row: dict[int, list[int]] = {}  # chunk row -> its sentence indices
        for j, row in enumerate(self.sentence_rows.tolist()):
            self.sentences_of_row.setdefault(row, []).append(j)

    def problems(self) -> list[str]:
        """Why this loaded index cannot answer questions (empty when it can). Cheap: counts and
        bounds only, for `/health`; file checksums are verified once, when the index loads."""
        out = []
        if self.faiss.ntotal != len(self.chunks):
            out.append(f"{self.faiss.ntotal} vectors for {len(self.chunks)} chunks")
        if self.second is not None and self.second.ntotal != len(self.chunks):
            out.append(f"{self.second.ntotal} second-model vectors for {len(self.chunks)} chunks")
        if self.manifest.get("second_embedder") and self.second is None:
            out.append("the second model's vectors are not loaded")
        sentences = 0 if self.sentence_vectors is None else len(self.sentence_vectors)
        if sentences != len(self.sentence_spans) or len(self.sentence_rows) != sentences:
            out.append(f"{sentences} sentence vectors for {len(self.sentence_spans)} sentences")
        if len(self.sentence_rows) and int(self.sentence_rows.max()) >= len(self.chunks):
            out.append("a sentence points past the last chunk")
        for chunk in self.chunks:
            source = self.sources.get(chunk.doc_id)
            if source is None or chunk.end > len(source):
                out.append(f"the source text of {chunk.doc_id} does not hold its passages")
                break
        return out


def build_index(
    settings: Settings,
    embedder: Embedder,
    *,
    force: bool = False,
    progress: Progress | None = None,
    second: Embedder | None = None,
) -> BuildResult:
    """Build the index unless an identical one exists. Never leaves a half-written index."""
    say = progress or (lambda msg: log.info(msg))
    started = time.perf_counter()
    expected = expected_manifest(settings, embedder)
    target = settings.index_dir
    manifest_path = target / "manifest.json"
    if not force and manifest_path.exists():
        current = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not mismatches(current, expected):
            return BuildResult(
                False, current["counts"]["documents"], current["counts"]["chunks"], 0.0
            )

    documents, skipped = load_corpus(settings.corpus_dir)
    cfg = chunking_settings(settings)
    chunks: list[Chunk] = []
    infos: list[DocumentInfo] = []
    for doc in documents:
        doc_chunks = chunk_document(doc, read_text(Path(doc.path)), cfg)
        chunks.extend(doc_chunks)
        infos.append(
            DocumentInfo(
                doc.doc_id,
                doc.title,
                doc.authors,
                doc.date,
                doc.publisher,
                doc.sections,
                len(doc_chunks),
            )
        )
    sources = {doc.doc_id: read_text(Path(doc.path)) for doc in documents}
    sentences = chunk_sentences(chunks, sources)
    # --force starts from scratch; otherwise text the current index already embeds is reused.
    previous = PreviousVectors() if force else previous_vectors(target, expected)
    chunk_texts = [c.search_text for c in chunks]
    say(
        f"embedding {len(chunks)} chunks and {len(sentences)} sentences from "
        f"{len(documents)} documents with {embedder.name}"
    )
    vectors, reused = embed_reusing(embedder, chunk_texts, previous.chunks)
    sentence_vectors, reused_sentences = embed_reusing(
        embedder, [text for _, _, text in sentences], previous.sentences
    )
    if reused or reused_sentences:
        say(f"reused {reused} chunk and {reused_sentences} sentence vectors of the previous index")
    second_vectors = None
    if expected["second_embedder"]:
        if chunk_texts and all(t in previous.second for t in chunk_texts):
            second_vectors = np.vstack([previous.second[t] for t in chunk_texts])
        else:  # the second model loads only when it has something to embed
            second = second or load_embedder(expected["second_embedder"])
            say(f"embedding chunks with {second.name} (the slower, second model)")
            second_vectors, _ = embed_reusing(second, chunk_texts, previous.second)

    import faiss  # heavy import at the seam

    manifest = {
        **expected,
        "counts": {
            "documents": len(documents),
            "chunks": len(chunks),
            "sentences": len(sentences),
            "skipped": len(skipped),
        },
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "qa_version": qa.__version__,
    }
    build_dir = target.parent / f".{target.name}-build-{uuid.uuid4().hex[:12]}"
    build_dir.mkdir(parents=True)
    try:
        faiss.write_index(_flat(vectors, embedder.dim), str(build_dir / "vectors.faiss"))
        if second_vectors is not None:
            faiss.write_index(
                _flat(second_vectors, second_vectors.shape[1]), str(build_dir / "vectors-2.faiss")
            )
        faiss.write_index(_flat(sentence_vectors, embedder.dim), str(build_dir / "sentences.faiss"))
        _write_lines(
            build_dir / "sentences.jsonl",
            ({"chunk": row, "span": list(span), "text": text} for row, span, text in sentences),
        )
        _write_lines(build_dir / "chunks.jsonl", (chunk_record(c) for c in chunks))
        (build_dir / "documents.json").write_text(
            json.dumps(
                [document_record(d) for d in infos], ensure_ascii=False, indent=1, sort_keys=True
            ),
            encoding="utf-8",
        )
        # The manifest goes last: a directory without one is never loaded.
        (build_dir / "manifest.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8"
        )
        _swap_in(build_dir, target)
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    say(f"built {len(chunks)} chunks in {seconds:.1f} s -> {target}")
    return BuildResult(True, len(documents), len(chunks), seconds, tuple(skipped))


def load_index(settings: Settings, embedder: Embedder) -> IndexStore:
    target = settings.index_dir
    manifest_path = target / "manifest.json"
    if not manifest_path.exists():
        raise IndexMissing(f"no index at {target}; run `qa build` to create it")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    problems = mismatches(manifest, expected_manifest(settings, embedder))
    if problems:
        raise IndexMismatch(
            f"the index at {target} does not match: {'; '.join(problems)}. "
            "Run `qa build` to rebuild it (or `qa build --force`)."
        )
    import faiss

    chunks = [
        chunk_from_record(json.loads(line))
        for line in (target / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    documents = [
        document_from_record(r)
        for r in json.loads((target / "documents.json").read_text(encoding="utf-8"))
    ]
    index = faiss.read_index(str(target / "vectors.faiss"))
    second = (
        faiss.read_index(str(target / "vectors-2.faiss")) if manifest["second_embedder"] else None
    )
    for vectors in (index, second):
        if vectors is not None and vectors.ntotal != len(chunks):
            raise IndexMismatch(
                f"{target} holds {vectors.ntotal} vectors for {len(chunks)} chunks; "
                "run `qa build --force`"
            )
    records = [
        json.loads(line)
        for line in (target / "sentences.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    sentence_index = faiss.read_index(str(target / "sentences.faiss"))
    sentence_vectors = sentence_index.reconstruct_n(0, sentence_index.ntotal)
    # The fingerprint check above guarantees these are the texts the index was built from.
    sources = {d.doc_id: read_text(settings.corpus_dir / d.doc_id) for d in documents}
    return IndexStore(
        target,
        manifest,
        chunks,
        documents,
        index,
        sources,
        second=second,
        sentence_rows=np.array([r["chunk"] for r in records], dtype=np.int64),
        sentence_spans=[(r["span"][0], r["span"][1]) for r in records],
        sentence_vectors=np.asarray(sentence_vectors, dtype=np.float32),
    )


def ensure_index(
    settings: Settings,
    embedder: Embedder,
    *,
    build_if_missing: bool = True,
    progress: Progress | None = None,
    second: Embedder | None = None,
) -> IndexStore:
    if build_if_missing and not (settings.index_dir / "manifest.json").exists():
        build_index(settings, embedder, progress=progress, second=second)
    return load_index(settings, embedder)


def _swap_in(build_dir: Path, target: Path) -> None:
    """Point `target` at `build_dir` by one atomic rename of a symlink; drop the old build."""
    old = target.resolve() if target.is_symlink() else None
    if target.exists() and not target.is_symlink():
        legacy = target.parent / f".{target.name}-legacy-{uuid.uuid4().hex[:8]}"
        os.replace(target, legacy)
        old = legacy
    link = target.parent / f".{target.name}-link-{uuid.uuid4().hex[:8]}"
    os.symlink(build_dir.name, link)
    os.replace(link, target)
    if old is not None and old != build_dir.resolve():
        shutil.rmtree(old, ignore_errors=True)
    _remove_abandoned_builds(target, keep=build_dir)


def _remove_abandoned_builds(target: Path, keep: Path) -> None:
    """Delete build folders a killed build left behind (an exception removes its own). Only old
    ones: a younger folder may be another process's build still being written."""
    cutoff = time.time() - ABANDONED_BUILD_AGE_S
    for stale in target.parent.glob(f".{target.name}-build-*"):
        if stale != keep and stale.stat().st_mtime < cutoff:
            shutil.rmtree(stale, ignore_errors=True)


def _flat(vectors: np.ndarray, dim: int) -> Any:
    import faiss

    index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def _write_lines(path: Path, records: Any) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
