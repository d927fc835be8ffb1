"""Milvus: the same search through `pymilvus`, on the embedded engine (milvus-lite, a folder on
disk) or on a Milvus server or cluster (an `http://host:19530` URI). One collection per index:
the chunk row as primary key, filterable metadata, one FLOAT_VECTOR field per model, and a
BM25 sparse field that Milvus computes from the chunk's terms (docs/research/milvus-lite.md).

Issue 14, second step: search and filters behind the storage Protocol, passing the same
contract tests as FAISS. Builds and live add/remove writing through it come next.

The BM25 field is fed terms this process stems (bm25s's stopwords and Snowball, as the default
backend indexes), because milvus-lite has no English analyzer: rankings then match bm25s's
exactly (scores are (k1 + 1) times bm25s's; divided back here).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qa.errors import IndexCorrupt
from qa.index.backends.protocol import Selection, best_first
from qa.index.filters import DATE, Filters, date_range
from qa.index.integrity import REPAIR
from qa.types import Chunk

K1, B = 1.5, 0.75  # as bm25s indexes (qa/index/bm25.py)
INSERT_BATCH = 1000  # chunks a request: about 3 MB of two 384-d vectors and text each
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
        token: str | None = None,
    ) -> MilvusBackend:
        """A new collection holding `chunks` (row i = chunks[i]) and their `vectors` by field
        ("dense", and "dense2" when the index has a second model); replaces one of that name."""
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        client = MilvusClient(uri, token=token or "")
        if client.has_collection(collection):
            client.drop_collection(collection)
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
        # "|name one|name two|", case-folded: an author filter matches part of one name
        schema.add_field("authors", DataType.VARCHAR, max_length=8192)
        schema.add_field("date_first", DataType.VARCHAR, max_length=16)  # "" when undated
        schema.add_field("date_last", DataType.VARCHAR, max_length=16)
        schema.add_field("kind", DataType.VARCHAR, max_length=32)
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

        try:
            client = MilvusClient(uri, token=token or "")
            client.load_collection(collection)
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


def _record(row: int, chunk: Chunk, vectors: dict[str, np.ndarray], terms: Terms) -> dict:
    first, last = date_range(chunk.date) if chunk.date and DATE.match(chunk.date) else ("", "")
    record: dict[str, Any] = {
        "row": row,
        "doc_id": chunk.doc_id,
        "authors": "|" + "|".join(a.casefold() for a in chunk.authors) + "|",
        "date_first": first,
        "date_last": last,
        "kind": chunk.kind,
        "terms": " ".join(terms(chunk.lexical_text)),
    }
    for field, matrix in vectors.items():
        record[field] = matrix[row].astype(np.float32).tolist()
    return record


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
