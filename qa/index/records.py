"""Chunks and documents to and from the JSON records of an index directory."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from qa.types import Chunk, DocumentInfo, Section


def chunk_record(c: Chunk) -> dict[str, Any]:
    record = asdict(c)
    record["spans"] = [list(s) for s in c.spans]
    record["search_text"] = c.search_text  # what was embedded, for reuse by the next build
    return record


def chunk_from_record(r: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id=r["chunk_id"],
        doc_id=r["doc_id"],
        title=r["title"],
        authors=tuple(r["authors"]),
        date=r["date"],
        section_path=tuple(r["section_path"]),
        spans=tuple(tuple(s) for s in r["spans"]),
        text=r["text"],
        kind=r["kind"],
    )


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
