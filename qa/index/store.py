"""The index on disk: load it (refusing mismatches and damage); building is qa/index/build.py.

Layout of index/<name>/ (a symlink to the build directory it names, swapped atomically):
  manifest.json   format version, embedder, chunking, corpus fingerprint, counts, created_at,
                  and each file's size and SHA-256
  vectors.faiss   IndexFlatIP over L2-normalised chunk vectors, row i = line i of chunks.jsonl
  vectors-2.faiss the same rows embedded by the second model (when one is configured)
  sentences.npy   sentence vectors (primary model, pooled from their chunk's forward pass),
                  row j = line j of sentences.jsonl; memory-mapped, read only for candidates
  sentence-spans.npy (chunk row, start, end) per sentence, in chunk order
  sentences.jsonl the same with each sentence's text (what the next build may reuse)
  chunks.jsonl    one chunk record per line (byte-identical for an unchanged corpus)
  documents.json  document metadata and outlines
  words.txt       every word form the documents use (names a question uses that none does)
  milvus.db       milvus-lite's copy (QA_BACKEND=milvus without a server URI): chunk records,
                  vectors, BM25 terms and source texts; the files above stay for the next build
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import IndexCorrupt, IndexMismatch, IndexMissing
from qa.index.backends.choose import engine_opener
from qa.index.backends.faiss_files import FaissFilesBackend
from qa.index.backends.protocol import SearchBackend, SourceInfo, TextRange
from qa.index.bm25 import SAVED as BM25_FILES
from qa.index.bm25 import BM25Retriever
from qa.index.build import build_index
from qa.index.embedder import Embedder
from qa.index.fetched import FetchedChunks, FetchedSources
from qa.index.integrity import REPAIR, live_folder, read_manifest, verify_files
from qa.index.manifest import expected_manifest, mismatches, needs_enrichment, second_model
from qa.index.progress import BuildProgress
from qa.index.records import SOURCES, WORDS, chunk_from_record, document_from_record
from qa.index.sentences import SENTENCE_SPANS, SENTENCE_VECTORS
from qa.types import Chunk, DocumentInfo, SourceText

if TYPE_CHECKING:
    from qa.settings import Settings

log = logging.getLogger(__name__)


class IndexStore:
    """A loaded index: chunks, their vectors, documents, manifest, and the search backend.

    The files backend holds everything in this process; an index built for a search engine
    (Milvus) leaves the chunk records and source texts in the engine and fetches them by row
    and range when a question needs them (qa/index/fetched.py).
    """

    def __init__(
        self,
        path: Path,
        manifest: dict[str, Any],
        chunks: Sequence[Chunk] | None,
        documents: list[DocumentInfo],
        faiss_index: Any | None,
        sources: Mapping[str, SourceText] | None,
        second: Any | None = None,
        sentence_rows: np.ndarray | None = None,
        sentence_spans: np.ndarray | None = None,
        sentence_vectors: np.ndarray | None = None,
        bm25: BM25Retriever | None = None,
        page_starts: dict[str, tuple[int, ...]] | None = None,
        engine: Callable[[], SearchBackend] | None = None,
        words: frozenset[str] | None = None,
    ) -> None:
        self.path = path
        self._engine = engine  # opens the engine holding this index; None: the files here
        self._backend: SearchBackend | None = None
        self._backend_lock = threading.Lock()
        if chunks is None or sources is None:  # held by the engine: fetched when read
            if engine is None:
                raise ValueError("an index without chunks and sources here needs an engine")
            chunks = FetchedChunks(lambda: self.backend, int(manifest["counts"]["chunks"]))
            sources = FetchedSources(lambda: self.backend, [d.doc_id for d in documents])
        # doc_id -> source text, for highlights and citation checks
        self.sources: Mapping[str, SourceText] = sources
        self.page_starts = page_starts or {}  # doc_id -> each page's first offset (paged formats)
        self.manifest = manifest
        self.chunks: Sequence[Chunk] = chunks
        self.documents = documents
        self.faiss = faiss_index  # None when an engine holds the vectors
        self.second = second  # FAISS index of the second model's chunk vectors, or None
        self.words = words  # every word form the documents use, when the build saved them
        self.sentence_rows = (
            sentence_rows if sentence_rows is not None else np.zeros(0, dtype=np.int64)
        )
        # (n, 2) source spans; arrays rather than tuples: 16 bytes a sentence, not about 120
        self.sentence_spans = (
            sentence_spans if sentence_spans is not None else np.zeros((0, 2), dtype=np.int64)
        )
        self.sentence_vectors = sentence_vectors
        self._bm25 = bm25
        # Sentences are stored in chunk order: chunk row r's are [first[r], first[r + 1]).
        self._first_sentence = np.searchsorted(
            self.sentence_rows, np.arange(len(chunks) + 1), side="left"
        )

    @property
    def backend(self) -> SearchBackend:
        """What searches this index: the files loaded here, or the engine it was built for
        (connected on first use)."""
        with self._backend_lock:
            if self._backend is None:
                self._backend = self._engine() if self._engine else FaissFilesBackend(self)
            return self._backend

    def close(self) -> None:
        """Release the engine, if one was opened (a served index replaced by a newer one)."""
        with self._backend_lock:
            if self._backend is not None:
                self._backend.close()

    def prefetch_chunks(self, rows: Iterable[int]) -> None:
        """Say which chunks are about to be read: an engine's are then fetched in one request."""
        if isinstance(self.chunks, FetchedChunks):
            self.chunks.prefetch(rows)

    def prefetch_texts(self, chunks: Iterable[Chunk]) -> None:
        """Say whose source text is about to be read: an engine's is then fetched at once."""
        if isinstance(self.sources, FetchedSources):
            self.sources.prefetch(TextRange(c.doc_id, c.start, c.end) for c in chunks)

    def source_info(self, doc_id: str) -> SourceInfo:
        """A document's text length and page starts (KeyError for an unknown document)."""
        if isinstance(self.sources, FetchedSources):
            return self.sources.info(doc_id)
        return SourceInfo(len(self.sources[doc_id]), self.page_starts.get(doc_id, ()))

    def sentences_of(self, row: int) -> range:
        """Indices of chunk `row`'s sentences."""
        return range(int(self._first_sentence[row]), int(self._first_sentence[row + 1]))

    def sentence_span(self, j: int) -> tuple[int, int]:
        start, end = self.sentence_spans[j]
        return int(start), int(end)

    @property
    def bm25(self) -> BM25Retriever:
        """BM25 over the chunks: as the build saved it, or (an index built before BM25 was
        saved, or a store made in memory) indexed now, once."""
        if self._bm25 is None:
            self._bm25 = BM25Retriever([c.lexical_text for c in self.chunks])
        return self._bm25

    def problems(self) -> list[str]:
        """Why this loaded index cannot answer questions (empty when it can). Cheap: counts and
        bounds only, for `/health`; file checksums are verified once, when the index loads."""
        out = []
        if self.faiss is not None:
            if self.faiss.ntotal != len(self.chunks):
                out.append(f"{self.faiss.ntotal} vectors for {len(self.chunks)} chunks")
            if self.second is not None and self.second.ntotal != len(self.chunks):
                out.append(
                    f"{self.second.ntotal} second-model vectors for {len(self.chunks)} chunks"
                )
            if self.manifest.get("second_embedder") and self.second is None:
                out.append("the second model's vectors are not loaded")
        else:
            try:
                held = self.backend.count()
            except IndexCorrupt:
                raise  # the engine could not be opened: its own message says why and what to do
            except Exception as error:  # whatever the engine or its connection raises
                out.append(f"the search engine does not answer ({error})")
            else:
                if held != len(self.chunks):
                    out.append(f"the search engine holds {held} chunks, not {len(self.chunks)}")
        sentences = 0 if self.sentence_vectors is None else len(self.sentence_vectors)
        if sentences != len(self.sentence_spans) or len(self.sentence_rows) != sentences:
            out.append(f"{sentences} sentence vectors for {len(self.sentence_spans)} sentences")
        if len(self.sentence_rows) and int(self.sentence_rows.max()) >= len(self.chunks):
            out.append("a sentence points past the last chunk")
        if np.any(np.diff(self.sentence_rows) < 0):
            out.append("the sentences are not in chunk order")
        for chunk in self.chunks if isinstance(self.chunks, list) else ():  # held here
            source = self.sources.get(chunk.doc_id)
            if source is None or chunk.end > len(source):
                out.append(f"the source text of {chunk.doc_id} does not hold its passages")
                break
        return out


def load_index(settings: Settings, embedder: Embedder) -> IndexStore:
    """Load the index, refusing one built for other settings (`IndexMismatch`) and one whose
    files are not byte for byte what its build wrote (`IndexCorrupt`)."""
    target = settings.index_dir
    folder = live_folder(target)
    manifest = read_manifest(folder)
    problems = mismatches(manifest, expected_manifest(settings, embedder))
    if problems:
        raise IndexMismatch(
            f"the index at {target} does not match: {'; '.join(problems)}. "
            "Run `qa build` to rebuild it (or `qa build --force`)."
        )
    verify_files(folder, manifest)
    try:
        store = _read_store(settings, folder, manifest)
    except (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError) as error:
        # Checksums passed, so this is a file changed while loading or a bug: still say so.
        raise IndexCorrupt(
            f"the index at {target} could not be read ({error}); {REPAIR}"
        ) from error
    problems = store.problems()
    if problems:
        store.close()  # an engine it opened to check
        raise IndexCorrupt(
            f"the index at {target} is inconsistent: {'; '.join(problems)}; {REPAIR}"
        )
    return store


def _read_store(settings: Settings, folder: Path, manifest: dict[str, Any]) -> IndexStore:
    documents = [
        document_from_record(r)
        for r in json.loads((folder / "documents.json").read_text(encoding="utf-8"))
    ]
    rows_spans = np.load(folder / SENTENCE_SPANS, allow_pickle=False)
    # Memory-mapped: a question reads only its candidate chunks' sentences.
    sentence_vectors = np.load(folder / SENTENCE_VECTORS, mmap_mode="r", allow_pickle=False)
    count = int(manifest["counts"]["chunks"])
    bm25 = BM25Retriever.load(folder, count) if set(manifest["files"]) >= BM25_FILES else None
    words = None
    if WORDS in manifest["files"]:
        words = frozenset((folder / WORDS).read_text(encoding="utf-8").splitlines())
    store = functools.partial(
        IndexStore,
        settings.index_dir,
        manifest,
        documents=documents,
        sentence_rows=np.ascontiguousarray(rows_spans[:, 0]),
        sentence_spans=np.ascontiguousarray(rows_spans[:, 1:]),
        sentence_vectors=sentence_vectors,
        bm25=bm25,
        words=words,
    )
    if bm25 is not None:
        engine = engine_opener(settings, folder, manifest, bm25.all_terms)
        if engine is not None:  # the engine holds the chunks, texts and vectors
            return store(chunks=None, faiss_index=None, sources=None, engine=engine)
    import faiss

    shared: dict[Any, Any] = {}
    with (folder / "chunks.jsonl").open(encoding="utf-8") as lines:  # not all of it at once
        chunks = [chunk_from_record(json.loads(line), shared) for line in lines]
    if len(chunks) != count:
        raise ValueError(f"{len(chunks)} chunks where the manifest counts {count}")
    index = faiss.read_index(str(folder / "vectors.faiss"))
    second = (
        faiss.read_index(str(folder / "vectors-2.faiss")) if manifest["second_embedder"] else None
    )
    # The texts the index was built from, stored with it (their checksums were verified).
    sources: dict[str, str] = {}
    page_starts: dict[str, tuple[int, ...]] = {}
    with (folder / SOURCES).open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            sources[record["doc_id"]] = record["text"]
            if record["page_starts"]:
                page_starts[record["doc_id"]] = tuple(record["page_starts"])
    return store(
        chunks=chunks, faiss_index=index, sources=sources, second=second, page_starts=page_starts
    )


def ensure_index(
    settings: Settings,
    embedder: Embedder,
    *,
    build_if_missing: bool = True,
    progress: BuildProgress | Callable[[str], None] | None = None,
    second: Embedder | None = None,
    enrich: bool = True,
) -> IndexStore:
    """Load the index, building it first when there is none at all (a damaged one is refused
    with `IndexCorrupt`: repairing it is `qa build`'s call).

    `enrich=True` also adds the second model's vectors to an index that lacks them, before
    returning; `False` builds a missing index without them and loads one as it is (a server then
    adds them in the background).
    """
    try:
        store = load_index(settings, embedder)
    except IndexMissing:
        if not build_if_missing:
            raise
    else:
        if not (enrich and needs_enrichment(store.manifest, second_model(settings))):
            return store
        store.close()  # replaced by the enriched build below
    build_index(settings, embedder, progress=progress, second=second, enrich=enrich)
    return load_index(settings, embedder)
