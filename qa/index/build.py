"""Building the index: corpus -> chunks -> vectors -> a new build folder, swapped in atomically.

Writes only where `check_index_location` allows, one build of an index at a time (the lock in
qa/index/swap.py), and a build folder gets its manifest, with every file's checksum, only after
all of them are written and fsynced; loading (qa/index/store.py) verifies them.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

import qa
from qa.corpus.chunking import chunk_document
from qa.corpus.ingest import ExtractionCache, read_corpus
from qa.errors import IndexCorrupt, IndexMissing
from qa.index.backends.choose import write_backend
from qa.index.backends.protocol import Source
from qa.index.bm25 import BM25Retriever
from qa.index.embedder import Embedder, load_embedder
from qa.index.integrity import (
    intact_files,
    live_folder,
    read_manifest,
    verify_files,
    write_manifest,
)
from qa.index.manifest import (
    FORMAT_VERSION,
    chunking_settings,
    expected_manifest,
    max_file_bytes,
    mismatches,
    needs_enrichment,
)
from qa.index.ownership import check_index_location
from qa.index.progress import BuildProgress, as_progress
from qa.index.records import SOURCES, WORDS, chunk_record, document_record
from qa.index.reuse import (
    Known,
    PreviousVectors,
    embed_reusing,
    extraction_record,
    previous_extractions,
    previous_vectors,
)
from qa.index.sentences import (
    SENTENCE_SPANS,
    SENTENCE_VECTORS,
    chunk_sentences,
    embed_chunks_and_sentences,
)
from qa.index.swap import build_lock, new_build_dir, remove_leftovers, swap_in
from qa.retrieval.names import word_forms
from qa.settings import Settings
from qa.types import Chunk, DocumentInfo


@dataclass(frozen=True, slots=True)
class BuildResult:
    built: bool
    documents: int
    chunks: int
    seconds: float
    skipped: tuple[str, ...] = ()
    second_embedder: str | None = None  # the second model whose vectors the index has


def build_index(
    settings: Settings,
    embedder: Embedder,
    *,
    force: bool = False,
    progress: BuildProgress | Callable[[str], None] | None = None,
    second: Embedder | None = None,
    enrich: bool = True,
) -> BuildResult:
    """Build the index unless an identical, intact one exists; a damaged one is rebuilt.

    `enrich=False` leaves out the second model's vectors unless the index has them already (then
    only new chunks are embedded by it): e5 embeds about 2.5 chunks/s, ten times slower than the
    rest of a build, so a server adds them in the background (qa/enrichment.py) after a first
    index is usable. `enrich=True` adds them to an index that lacks them, embedding nothing else
    again.

    Writes only where `check_index_location` allows, one build of an index at a time, into a new
    folder swapped in atomically: a crash never leaves half an index.
    """
    report = as_progress(progress)
    started = time.perf_counter()
    target = settings.index_dir.absolute()
    check_index_location(target, settings.corpus_dir)
    with build_lock(target, settings.build_wait_s, report.note):
        remove_leftovers(target)  # with the lock held, any other build folder is a dead build's
        expected = expected_manifest(settings, embedder)
        current = _current_index(target, report)
        manifest = current.manifest
        if (
            manifest is not None
            and not force
            and not mismatches(manifest, expected)
            and not (enrich and needs_enrichment(manifest, expected["second_embedder"]))
        ):
            counts = manifest["counts"]
            return BuildResult(
                False,
                counts["documents"],
                counts["chunks"],
                0.0,
                second_embedder=manifest.get("second_embedder"),
            )
        # An index with the second model's vectors keeps them: only new chunks are embedded by
        # it, where dropping them would make enrichment embed every chunk again.
        wanted = expected["second_embedder"]
        enrich = enrich or bool(wanted and manifest and manifest.get("second_embedder") == wanted)
        # --force starts from scratch; otherwise known text keeps its vectors (of a damaged
        # index, those in its intact files).
        reusable = not force and current.intact != frozenset()
        previous = (
            previous_vectors(target, expected, current.intact) if reusable else PreviousVectors()
        )
        extractions = (
            previous_extractions(target, current.intact) if reusable else ExtractionCache()
        )
        result = _build(
            settings, embedder, second, expected, (previous, extractions), report, started, enrich
        )
        return result


def _build(
    settings: Settings,
    embedder: Embedder,
    second: Embedder | None,
    expected: dict[str, Any],
    lent: tuple[PreviousVectors, ExtractionCache],
    report: BuildProgress,
    started: float,
    enrich: bool,
) -> BuildResult:
    target = settings.index_dir.absolute()
    previous, extractions = lent
    read, skipped = read_corpus(
        settings.corpus_dir,
        max_file_bytes=max_file_bytes(settings),
        progress=_files_read(report),
        extractions=extractions,
    )
    if extractions.reused:
        report.note(f"reused the extracted text of {extractions.reused} PDF, web or Word files")
    documents = [doc for doc, _ in read]
    cfg = chunking_settings(settings)
    chunks: list[Chunk] = []
    infos: list[DocumentInfo] = []
    sources: dict[str, str] = {}
    for doc, text in read:
        sources[doc.doc_id] = text
        doc_chunks = chunk_document(doc, text, cfg)
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
    sentences = chunk_sentences(chunks, sources)
    chunk_texts = [c.search_text for c in chunks]
    report.note(
        f"{len(chunks)} chunks and {len(sentences)} sentences from {len(documents)} documents"
    )
    vectors, sentence_vectors, reused = embed_chunks_and_sentences(
        embedder, chunk_texts, sentences, previous.chunks, previous.sentences, report
    )
    if reused:
        report.note(f"reused the vectors of {reused} chunks and their sentences")
    second_vectors = None
    if expected["second_embedder"]:
        if chunk_texts and all(t in previous.second for t in chunk_texts):
            second_vectors = np.vstack([previous.second[t] for t in chunk_texts])
        elif enrich:  # the second model loads only when it has something to embed
            second = second or load_embedder(expected["second_embedder"])
            second_vectors, _ = _embed(second, chunk_texts, previous.second, "chunks", report)

    import faiss  # heavy import at the seam

    manifest = {
        **expected,
        "second_embedder": expected["second_embedder"] if second_vectors is not None else None,
        "counts": {
            "documents": len(documents),
            "chunks": len(chunks),
            "sentences": len(sentences),
            "skipped": len(skipped),
        },
        # Each source text's hash: a file edited after the fingerprint was taken is caught at load.
        "sources": {doc.doc_id: doc.text_sha256 for doc in documents},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "qa_version": qa.__version__,
    }
    build_dir = new_build_dir(target)
    try:
        faiss.write_index(_flat(vectors, embedder.dim), str(build_dir / "vectors.faiss"))
        if second_vectors is not None:
            faiss.write_index(
                _flat(second_vectors, second_vectors.shape[1]), str(build_dir / "vectors-2.faiss")
            )
        np.save(build_dir / SENTENCE_VECTORS, sentence_vectors, allow_pickle=False)
        rows_spans = [(row, start, end) for row, (start, end), _ in sentences]
        np.save(
            build_dir / SENTENCE_SPANS,
            np.array(rows_spans, dtype=np.int64).reshape(-1, 3),
            allow_pickle=False,
        )
        _write_lines(
            build_dir / "sentences.jsonl",
            ({"chunk": row, "span": list(span), "text": text} for row, span, text in sentences),
        )
        _write_lines(build_dir / "chunks.jsonl", (chunk_record(c) for c in chunks))
        # The text every citation indexes, as extracted (a PDF's or web page's is not the file).
        _write_lines(
            build_dir / SOURCES,
            (
                {
                    "doc_id": d.doc_id,
                    "text": sources[d.doc_id],
                    "page_starts": list(d.page_starts),
                    # A reader's output, so the next build need not read the file again.
                    **(
                        {"extracted": extraction_record(*extractions.by_doc[d.doc_id])}
                        if d.doc_id in extractions.by_doc
                        else {}
                    ),
                }
                for d in documents
            ),
        )
        bm25 = BM25Retriever([c.lexical_text for c in chunks])
        bm25.save(build_dir)
        engine_vectors = {"dense": vectors}
        if second_vectors is not None:
            engine_vectors["dense2"] = second_vectors
        # What a question's unknown names are checked against, without reading every source.
        words = sorted(word_forms(sources.values()))
        (build_dir / WORDS).write_text("".join(f"{w}\n" for w in words), encoding="utf-8")
        texts = [Source(d.doc_id, sources[d.doc_id], d.page_starts) for d in documents]
        manifest |= write_backend(
            settings, build_dir, chunks, engine_vectors, bm25.all_terms, texts
        )
        (build_dir / "documents.json").write_text(
            json.dumps(
                [document_record(d) for d in infos], ensure_ascii=False, indent=1, sort_keys=True
            ),
            encoding="utf-8",
        )
        # Fsyncs every file, then writes the manifest (with their checksums) last: a folder
        # without one is never loaded.
        write_manifest(build_dir, manifest)
        swap_in(build_dir, target)
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    report.note(f"built {len(chunks)} chunks in {seconds:.1f} s -> {target}")
    return BuildResult(
        True,
        len(documents),
        len(chunks),
        seconds,
        tuple(skipped),
        second_embedder=manifest["second_embedder"],
    )


def _files_read(report: BuildProgress) -> Callable[[int, int, str], None]:
    """load_corpus's per-file callback as a counted stage."""

    def advance(done: int, total: int, doc_id: str) -> None:
        if done == 1:
            report.stage("files read", total)
        report.advance(1)

    return advance


def _embed(
    embedder: Embedder, texts: list[str], known: Known, what: str, report: BuildProgress
) -> tuple[np.ndarray, int]:
    todo = len({t for t in texts if t not in known})
    if todo:
        report.stage(f"{what} embedded ({embedder.name})", todo)
    return embed_reusing(embedder, texts, known, on_embedded=report.advance)


@dataclass(frozen=True, slots=True)
class CurrentIndex:
    """What the index being replaced holds: its manifest when it is intact (None when there is
    none or it is damaged), and which of its files may lend their vectors (None: all)."""

    manifest: dict[str, Any] | None
    intact: frozenset[str] | None


def _current_index(target: Path, report: BuildProgress) -> CurrentIndex:
    try:
        folder = live_folder(target)
        manifest = read_manifest(folder)
        if manifest.get("format_version") != FORMAT_VERSION:
            # An older format: a mismatch, so rebuilt; its vectors may be reused.
            return CurrentIndex(manifest, None)
        verify_files(folder, manifest)
        return CurrentIndex(manifest, None)
    except IndexMissing:
        return CurrentIndex(None, frozenset())
    except IndexCorrupt as error:
        report.note(f"the index is damaged ({error}); rebuilding it")
        try:  # files that are still what the manifest says lend their vectors
            folder = live_folder(target)
            return CurrentIndex(None, intact_files(folder, read_manifest(folder)))
        except (IndexCorrupt, IndexMissing):
            return CurrentIndex(None, frozenset())


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
