"""Chunk records and source texts fetched from the search engine when a question needs them.

An index served from Milvus keeps them in the engine, not in this process: a library larger
than one machine's memory is the point of that backend. `FetchedChunks` and `FetchedSources`
stand in for the list and dict the files backend loads: they fetch what is asked for (in one
request when the caller says beforehand what it will read, `prefetch`), and keep what was used
last. Hand-written: a slice inside a fetched stretch of text must be a cache hit, which
functools.lru_cache (exact keys) cannot express.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import overload

from qa.index.backends.protocol import SearchBackend, SourceInfo, TextRange
from qa.types import Chunk

CHUNKS_KEPT = 20_000  # about 40 MB of records; a question reads about a hundred
TEXT_CHARS_KEPT = 8_000_000  # of fetched source text
ITER_BATCH = 1_000  # rows a request when all chunks are read in order

Backend = Callable[[], SearchBackend]  # opens the engine on first use


class FetchedChunks(Sequence[Chunk]):
    """The index's chunk records by row, fetched from the engine and kept while recently used."""

    def __init__(self, backend: Backend, count: int, keep: int = CHUNKS_KEPT) -> None:
        self._backend = backend
        self._count = count
        self._keep = keep
        self._kept: OrderedDict[int, Chunk] = OrderedDict()
        self._lock = threading.Lock()  # a server answers on several threads

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, row: int) -> Chunk: ...

    @overload
    def __getitem__(self, row: slice) -> list[Chunk]: ...

    def __getitem__(self, row: int | slice) -> Chunk | list[Chunk]:
        if isinstance(row, slice):
            rows = range(*row.indices(self._count))
            self.prefetch(rows)
            return [self[r] for r in rows]
        if row < 0:
            row += self._count
        if not 0 <= row < self._count:
            raise IndexError(f"chunk row {row} out of range (the index has {self._count})")
        with self._lock:
            chunk = self._kept.get(row)
            if chunk is not None:
                self._kept.move_to_end(row)
                return chunk
        return self._fetch([row])[row]

    def prefetch(self, rows: Iterable[int]) -> None:
        """Fetch the chunks at `rows` that are not kept, in one request."""
        with self._lock:
            missing = {row for row in rows if row not in self._kept}
        if missing:
            self._fetch(sorted(missing))

    def __iter__(self) -> Iterator[Chunk]:
        """Every chunk in row order, in batches (not kept: a pass over all would evict the
        chunks questions use)."""
        for first in range(0, self._count, ITER_BATCH):
            batch = range(first, min(first + ITER_BATCH, self._count))
            found = self._backend().chunks(batch)
            yield from (found[row] for row in batch)

    def _fetch(self, rows: list[int]) -> dict[int, Chunk]:
        found = self._backend().chunks(rows)
        with self._lock:
            for row, chunk in found.items():
                self._kept[row] = chunk
                self._kept.move_to_end(row)
            while len(self._kept) > self._keep:
                self._kept.popitem(last=False)
        return found


class FetchedText:
    """One document's source text: its length known, its slices fetched when read."""

    def __init__(self, sources: FetchedSources, doc_id: str) -> None:
        self._sources = sources
        self.doc_id = doc_id

    def __len__(self) -> int:
        return self._sources.info(self.doc_id).length

    def __getitem__(self, key: slice, /) -> str:
        if not isinstance(key, slice):
            raise TypeError("a fetched source text is read by slices, e.g. text[start:end]")
        start, end, step = key.indices(len(self))
        if step != 1:
            raise ValueError("a fetched source text is read by contiguous slices")
        return self._sources.text(TextRange(self.doc_id, start, max(start, end)))


class FetchedSources(Mapping[str, FetchedText]):
    """Each document's source text by doc id, read by slices from the engine. The stretches
    fetched last are kept (up to `keep_chars`), and any slice inside one is read from it."""

    def __init__(
        self, backend: Backend, doc_ids: Sequence[str], keep_chars: int = TEXT_CHARS_KEPT
    ) -> None:
        self._backend = backend
        self._doc_ids = tuple(doc_ids)
        self._known = frozenset(doc_ids)
        self._keep_chars = keep_chars
        self._info: dict[str, SourceInfo] = {}
        self._stretches: dict[str, list[tuple[int, int, str]]] = {}  # doc -> (start, end, text)
        self._order: deque[tuple[str, tuple[int, int, str]]] = deque()  # oldest first, to evict
        self._chars = 0
        self._lock = threading.Lock()

    def __getitem__(self, doc_id: str) -> FetchedText:
        if doc_id not in self._known:
            raise KeyError(doc_id)
        return FetchedText(self, doc_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._doc_ids)

    def __len__(self) -> int:
        return len(self._doc_ids)

    def info(self, doc_id: str) -> SourceInfo:
        """The text's length and page starts (fetched once per document)."""
        found = self._info.get(doc_id)
        if found is None:
            if doc_id not in self._known:
                raise KeyError(doc_id)
            found = self._backend().source_info(doc_id)
            self._info[doc_id] = found  # one assignment: safe without the lock
        return found

    def text(self, wanted: TextRange) -> str:
        kept = self._kept(wanted)
        if kept is not None:
            return kept
        (text,) = self._fetch([wanted])
        return text

    def prefetch(self, ranges: Iterable[TextRange]) -> None:
        """Fetch the ranges that are not kept, in one request."""
        missing = [r for r in ranges if r.end > r.start and self._kept(r) is None]
        if missing:
            self._fetch(missing)

    def _kept(self, wanted: TextRange) -> str | None:
        with self._lock:
            for start, end, text in self._stretches.get(wanted.doc_id, ()):
                if start <= wanted.start and wanted.end <= end:
                    return text[wanted.start - start : wanted.end - start]
        return None

    def _fetch(self, ranges: list[TextRange]) -> list[str]:
        texts = self._backend().source_texts(ranges)
        with self._lock:
            for r, text in zip(ranges, texts, strict=True):
                stretch = (r.start, r.start + len(text), text)
                self._stretches.setdefault(r.doc_id, []).append(stretch)
                self._order.append((r.doc_id, stretch))
                self._chars += len(text)
            while self._chars > self._keep_chars and len(self._order) > 1:
                doc_id, stretch = self._order.popleft()
                self._stretches[doc_id].remove(stretch)
                if not self._stretches[doc_id]:
                    del self._stretches[doc_id]
                self._chars -= len(stretch[2])
        return texts
