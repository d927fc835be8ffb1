"""Chunks and documents to and from the JSON records of an index directory."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from qa.types import Chunk, DocumentInfo, Section

SOURCES = "sources.jsonl"  # each document's text as extracted: what citations index
WORDS = "words.txt"  # every word form the documents use, one a line


def chunk_record(c: Chunk) -> dict[str, Any]:
    record = asdict(c)
    record["spans"] = [list(s) for s in c.spans]
    record["search_text"] = c.search_text  # what was embedded, for reuse by the next build
    return record


def chunk_from_record(r: dict[str, Any], shared: dict[Any, Any] | None = None) -> Chunk:
    """The chunk of a record. Chunks loaded with one `shared` dict share one copy of each
    document id, title, author list and section path (JSON parsing makes a new one for every
    line: about 0.4 KB a chunk)."""
    one = (lambda value: shared.setdefault(value, value)) if shared is not None else _same
    return Chunk(
        chunk_id=r["chunk_id"],
        doc_id=one(r["doc_id"]),
        title=one(r["title"]),
        authors=one(tuple(r["authors"])),
        date=one(r["date"]),
        section_path=one(tuple(r["section_path"])),
        spans=tuple(tuple(s) for s in r["spans"]),
        text=r["text"],
        kind=one(r["kind"]),
        page_start=r.get("page_start"),
        page_end=r.get("page_end"),
    )


def _same(value: Any) -> Any:
    return value


def document_record(d: DocumentInfo) -> dict[str, Any]:
    return {**asdict(d), "outline": [asdict(s) for s in d.outline]}


def document_from_record(r: dict[str, Any]) -> DocumentInfo:
    outline = tuple(Section(**{**s, "path": tuple(s["path"])}) for s in r["outline"])
    return DocumentInfo(
        r["doc_id"],
        r["title"],
        tuple(r["authors"]),
        r["date"],
        r["publisher"],
        outline,
        r["chunk_count"],
    )
