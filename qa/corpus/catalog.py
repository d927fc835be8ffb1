"""corpus/catalog.toml: hand-written document metadata (title, authors, date, publisher)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from qa.errors import CorpusError

CATALOG_FILE = "catalog.toml"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    title: str
    authors: tuple[str, ...] = ()
    date: str | None = None
    publisher: str | None = None
    series: str | None = None


def load_catalog(corpus_dir: Path) -> dict[str, CatalogEntry]:
    """doc_id -> entry. A missing catalog is fine: titles then come from the text."""
    path = corpus_dir / CATALOG_FILE
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path} is not valid TOML ({exc}); fix it or remove it") from exc
    entries: dict[str, CatalogEntry] = {}
    for doc_id, fields in data.get("documents", {}).items():
        if "title" not in fields:
            raise CorpusError(f"{path}: [documents.{doc_id!r}] needs a title")
        entries[doc_id] = CatalogEntry(
            title=fields["title"],
            authors=tuple(fields.get("authors", ())),
            date=fields.get("date"),
            publisher=fields.get("publisher"),
            series=fields.get("series"),
        )
    return entries
