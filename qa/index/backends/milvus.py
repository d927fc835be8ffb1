"""Milvus: the same search through `pymilvus`, on the embedded engine (milvus-lite, a folder on
disk) or on a Milvus server or cluster (an `http://host:19530` URI). One collection per index:
the chunk row as primary key, filterable metadata, one FLOAT_VECTOR field per model, and a
BM25 sparse field that Milvus computes from the chunk's terms (docs/research/milvus-lite.md).

Chunk records (as in chunks.jsonl) ride in the same collection, and each document's source
text in a second one (`<collection>_text`, in pieces of TEXT_PIECE characters), so a server
fetches the few a question cites instead of holding them all in memory.

The BM25 field is fed terms this process stems (bm25s's stopwords and Snowball, as the default
backend indexes), because milvus-lite has no English analyzer: rankings then match bm25s's
exactly (scores are (k1 + 1) times bm25s's; divided back here).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.errors import IndexCorrupt
from qa.index.backends.protocol import Selection, Source, SourceInfo, TextRange, best_first
from qa.index.filters import DATE, Filters, date_range
from qa.index.integrity import REPAIR
from qa.index.records import chunk_from_record, chunk_record
from qa.types import Chunk

K1, B = 1.5, 0.75  # as bm25s indexes (qa/index/bm25.py)
INSERT_BATCH = 1000  # chunks a request: about 3 MB of two 384-d vectors and text each
GET_BATCH = 1000  # ids a request
VARCHAR_BYTES = 65_535  # Milvus's longest VARCHAR
# Characters of source text a row: at most 4 UTF-8 bytes each, so a piece always fits a VARCHAR.
TEXT_PIECE = 16_000
Terms = Callable[[str], list[str]]


@dataclass(frozen=True, slots=True)
class Expression:
    """A Milvus boolean filter expression, and whether no chunk passes it."""

    text: str
    empty: bool


class MilvusBackend:
    def __init__(
        self, client: Any, collection: str, fields: tuple[str, ...], terms: Terms, uri: str
    ) -> None:
        self.client = client
        self.uri = uri
        self.collection = collection
        self._fields = fields
        self._terms = terms

    @classmethod
    def create(
        cls,
        uri: str,
        collection: str,
        chunks: Sequence[Chunk],
        vectors: dict[str, np.ndarray],
        terms: Terms,
        sources: Sequence[Source],
        token: str | None = None,
    ) -> MilvusBackend:
        """New collections holding `chunks` (row i = chunks[i]), their `vectors` by field
        ("dense", and "dense2" when the index has a second model) and the documents' `sources`;
        replaces any of those names."""
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        client = MilvusClient(uri, token=token or "")
        for name in (collection, text_collection(collection)):
            if client.has_collection(name):
                client.drop_collection(name)
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
        # "|name one|name two|", case-folded: an author filter matches part of one name
        schema.add_field("authors", DataType.VARCHAR, max_length=8192)
        schema.add_field("date_first", DataType.VARCHAR, max_length=16)  # "" when undated
        schema.add_field("date_last", DataType.VARCHAR, max_length=16)
        schema.add_field("kind", DataType.VARCHAR, max_length=32)
        schema.add_field("record", DataType.VARCHAR, max_length=VARCHAR_BYTES)  # chunks.jsonl's
        schema.add_field(
            "terms",
            DataType.VARCHAR,
            max_length=65535,
            enable_analyzer=True,
            analyzer_params={"tokenizer": "standard"},
        )
        schema.add_field("bm25", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="bm25_of_terms",
                function_type=FunctionType.BM25,
                input_field_names=["terms"],
                output_field_names=["bm25"],
            )
        )
        index = client.prepare_index_params()
        for field, matrix in vectors.items():
            schema.add_field(field, DataType.FLOAT_VECTOR, dim=int(matrix.shape[1]))
            index.add_index(field_name=field, index_type="FLAT", metric_type="IP")
        index.add_index(
            field_name="bm25",
            index_type="SPARSE_INVERTED_INDEX",
            metric_type="BM25",
            params={"bm25_k1": K1, "bm25_b": B},
        )
        client.create_collection(collection, schema=schema, index_params=index)
        # In batches: one insert of a large library's vectors would pass gRPC's message limit.
        for first in range(0, len(chunks), INSERT_BATCH):
            batch = range(first, min(first + INSERT_BATCH, len(chunks)))
            client.insert(collection, [_record(r, chunks[r], vectors, terms) for r in batch])
        client.flush(collection)
        _create_texts(client, text_collection(collection), sources)
        return cls(client, collection, tuple(vectors), terms, uri)

    @classmethod
    def open(
        cls,
        uri: str,
        collection: str,
        fields: tuple[str, ...],
        terms: Terms,
        token: str | None = None,
    ) -> MilvusBackend:
        """The collection a build wrote, loaded for search."""
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException

        # milvus-lite logs a traceback of its own when another process holds the folder; the
        # IndexCorrupt below says what happened and what to do, once.
        logging.getLogger("milvus_lite").setLevel(logging.CRITICAL)
        try:
            client = MilvusClient(uri, token=token or "")
            client.load_collection(collection)
            client.load_collection(text_collection(collection))
        except MilvusException as error:
            raise IndexCorrupt(
                f"cannot open the Milvus collection {collection!r} at {uri}: {error}. If a "
                "`qa serve` has this embedded index open (one process at a time), ask it with "
                f"`--server URL`; else {REPAIR}"
            ) from error
        return cls(client, collection, fields, terms, uri)

    def close(self) -> None:
        """Disconnect; an embedded engine (a folder, not a URL) is also stopped, so the folder's
        lock is free for the next process (or this one, once the build folder is swapped in)."""
        self.client.close()
        if "://" not in self.uri:
            from milvus_lite import server_manager_instance

            server_manager_instance.release_server(self.uri)

    def fields(self) -> tuple[str, ...]:
        return self._fields

    def count(self) -> int:
        found = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(found[0]["count(*)"])

    def chunks(self, rows: Collection[int]) -> dict[int, Chunk]:
        wanted = sorted({int(row) for row in rows})
        found: dict[int, Chunk] = {}
        shared: dict[Any, Any] = {}
        for batch in _batches(wanted, GET_BATCH):
            for hit in self.client.get(self.collection, ids=batch, output_fields=["record"]):
                found[int(hit["row"])] = chunk_from_record(json.loads(hit["record"]), shared)
        missing = [row for row in wanted if row not in found]
        if missing:
            raise KeyError(f"no chunk rows {missing[:5]} in {self.collection!r}")
        return {row: found[row] for row in rows}

    def source_texts(self, ranges: Sequence[TextRange]) -> list[str]:
        keys = sorted({_piece_key(r.doc_id, n) for r in ranges for n in _pieces(r)})
        pieces: dict[str, str] = {}
        for batch in _batches(keys, GET_BATCH):
            for hit in self.client.get(
                text_collection(self.collection), ids=batch, output_fields=["text"]
            ):
                pieces[hit["key"]] = hit["text"]
        texts = []
        for r in ranges:
            numbers = list(_pieces(r))
            if not any(_piece_key(r.doc_id, n) in pieces for n in numbers):
                self.source_info(r.doc_id)  # KeyError for an unknown document
                texts.append("")  # past the text's end
                continue
            first = numbers[0] * TEXT_PIECE if numbers else r.start
            joined = "".join(pieces.get(_piece_key(r.doc_id, n), "") for n in numbers)
            texts.append(joined[r.start - first : r.end - first])
        return texts

    def source_info(self, doc_id: str) -> SourceInfo:
        found = self.client.query(
            text_collection(self.collection),
            filter=f"doc_id == {_string(doc_id)}",
            output_fields=["piece", "length", "page_starts"],
        )
        if not found:
            raise KeyError(f"no document {doc_id!r} in {self.collection!r}")
        found.sort(key=lambda hit: hit["piece"])
        pages = tuple(start for hit in found for start in json.loads(hit["page_starts"]))
        return SourceInfo(int(found[0]["length"]), pages)

    def drop(self) -> None:
        """Delete this index's collections (a server's copy of a build that was replaced)."""
        for name in (self.collection, text_collection(self.collection)):
            self.client.drop_collection(name)

    def select(self, filters: Filters | None) -> Expression | None:
        if not filters:
            return None
        text = filter_expression(filters)
        found = self.client.query(self.collection, filter=text, output_fields=["count(*)"])
        return Expression(text, empty=not found or int(found[0]["count(*)"]) == 0)

    def dense_search(
        self, field: str, query: np.ndarray, k: int, selection: Selection | None = None
    ) -> dict[int, float]:
        if field not in self._fields:
            raise ValueError(f"this index has no {field!r} vectors")
        found = self.client.search(
            self.collection,
            data=[np.asarray(query, dtype=np.float32).tolist()],
            anns_field=field,
            limit=k,
            filter=_text(selection),
            search_params={"metric_type": "IP"},
            output_fields=["row"],
        )
        return best_first((hit["row"], hit["distance"]) for hit in found[0])

    def lexical_search(
        self, question: str, k: int, selection: Selection | None = None
    ) -> dict[int, float]:
        terms = self._terms(question)
        if not terms:
            return {}
        found = self.client.search(
            self.collection,
            data=[" ".join(terms)],
            anns_field="bm25",
            limit=k,
            filter=_text(selection),
            search_params={"metric_type": "BM25"},
            output_fields=["row"],
        )
        # milvus-lite returns -score as the distance, a Milvus server +score: either way |d|.
        scores = ((hit["row"], abs(float(hit["distance"])) / (K1 + 1)) for hit in found[0])
        return best_first((row, score) for row, score in scores if score > 0)


def filter_expression(filters: Filters) -> str:
    """The Milvus expression for `filters`, with the default backend's meaning: any of the
    documents, any of the authors (case-insensitive, part of a name), dates overlapping the
    range (an undated document is out when a range is asked for).

    >>> print(filter_expression(Filters(doc_ids=("a.txt",), authors=("Kuhrt",))))
    doc_id in ["a.txt"] and (authors like "%kuhrt%")
    >>> print(filter_expression(Filters(date_to="2016")))
    date_first != "" and date_first <= "2016-12-31"
    """
    parts = []
    if filters.doc_ids:
        parts.append(f"doc_id in {json.dumps(list(filters.doc_ids), ensure_ascii=False)}")
    if filters.authors:
        names = [_string("%" + _like(name.casefold()) + "%") for name in filters.authors]
        parts.append("(" + " or ".join(f"authors like {name}" for name in names) + ")")
    if filters.date_from or filters.date_to:
        parts.append('date_first != ""')
    if filters.date_from:
        parts.append(f"date_last >= {_string(date_range(filters.date_from, 'date_from')[0])}")
    if filters.date_to:
        parts.append(f"date_first <= {_string(date_range(filters.date_to, 'date_to')[1])}")
    return " and ".join(parts)


def retire_collections(
    uri: str, prefix: str, keep: set[str], token: str | None = None
) -> list[str]:
    """Drop the collections whose names start with `prefix`, but those in `keep` and their
    texts: an index folder's earlier builds. The names dropped."""
    from pymilvus import MilvusClient

    kept = keep | {text_collection(name) for name in keep}
    client = MilvusClient(uri, token=token or "")
    try:
        dropped = [
            name
            for name in client.list_collections()
            if name.startswith(prefix) and name not in kept
        ]
        for name in dropped:
            client.drop_collection(name)
    finally:
        client.close()
    return dropped


def text_collection(collection: str) -> str:
    """The collection holding the source texts of `collection`'s chunks."""
    return f"{collection}_text"


def _create_texts(client: Any, name: str, sources: Sequence[Source]) -> None:
    """Each source text in rows of TEXT_PIECE characters, keyed "<piece>:<doc_id>"; each row
    also carries the text's length and the page starts that fall in it."""
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=1100)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
    schema.add_field("piece", DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=VARCHAR_BYTES)
    schema.add_field("length", DataType.INT64)
    schema.add_field("page_starts", DataType.VARCHAR, max_length=VARCHAR_BYTES)  # JSON list
    # Milvus wants a vector field in every collection: a constant, never searched.
    schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)
    index = client.prepare_index_params()
    index.add_index(field_name="unused", index_type="FLAT", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=index)
    rows = (row for source in sources for row in _text_rows(source))
    for batch in _batches(list(rows), INSERT_BATCH // 10):  # up to 64 KB of text a row
        client.insert(name, batch)
    client.flush(name)


def _text_rows(source: Source) -> Iterator[dict[str, Any]]:
    text = source.text
    count = max(1, -(-len(text) // TEXT_PIECE))  # an empty text still has its row
    for n in range(count):
        start, end = n * TEXT_PIECE, (n + 1) * TEXT_PIECE
        last = n == count - 1  # also holds any page start at or past the text's end
        pages = [p for p in source.page_starts if start <= p and (p < end or last)]
        yield {
            "key": _piece_key(source.doc_id, n),
            "doc_id": source.doc_id,
            "piece": n,
            "text": text[start:end],
            "length": len(text),
            "page_starts": json.dumps(pages),
            "unused": [0.0, 0.0],
        }


def _piece_key(doc_id: str, n: int) -> str:
    return f"{n}:{doc_id}"


def _pieces(r: TextRange) -> range:
    """The numbers of the pieces that hold [start, end)."""
    if r.end <= r.start:
        return range(r.start // TEXT_PIECE, r.start // TEXT_PIECE)
    return range(r.start // TEXT_PIECE, (r.end - 1) // TEXT_PIECE + 1)


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]


def _record(row: int, chunk: Chunk, vectors: dict[str, np.ndarray], terms: Terms) -> dict:
    first, last = date_range(chunk.date) if chunk.date and DATE.match(chunk.date) else ("", "")
    record = chunk_record(chunk)
    del record["search_text"]  # composed again from the record; the next build reads files
    text = json.dumps(record, ensure_ascii=False, sort_keys=True)
    if len(text.encode()) > VARCHAR_BYTES:
        raise ValueError(
            f"the record of chunk {chunk.chunk_id} is over {VARCHAR_BYTES} bytes, Milvus's "
            "longest text field; use QA_BACKEND=faiss for this corpus, or report it"
        )
    fields: dict[str, Any] = {
        "row": row,
        "doc_id": chunk.doc_id,
        "authors": "|" + "|".join(a.casefold() for a in chunk.authors) + "|",
        "date_first": first,
        "date_last": last,
        "kind": chunk.kind,
        "record": text,
        "terms": " ".join(terms(chunk.lexical_text)),
    }
    for field, matrix in vectors.items():
        fields[field] = matrix[row].astype(np.float32).tolist()
    return fields


def _like(text: str) -> str:
    """`text` matched literally by LIKE: its wildcards and escape character escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _string(text: str) -> str:
    """A double-quoted string literal of the expression language."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(selection: Selection | None) -> str:
    if selection is None:
        return ""
    if not isinstance(selection, Expression):
        raise TypeError(f"not a selection of this backend: {selection!r}")
    return selection.text
