"""corpus/catalog.toml: hand-written document metadata (title, authors, date, publisher).

Entries are keyed by document id, the path inside the corpus folder; a document in a subfolder
needs its key quoted: `[documents."reports/2021/x.md"]`.
"""

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
    if not path.resolve().is_relative_to(corpus_dir.resolve()):
        raise CorpusError(
            f"{path} is a symlink to a file outside the corpus folder, which qa does not read; "
            "copy the catalog into the corpus folder"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path} is not valid TOML ({exc}); fix it or remove it") from exc
    entries: dict[str, CatalogEntry] = {}
    for doc_id, fields in data.get("documents", {}).items():
        if not isinstance(fields, dict) or "title" not in fields:
            hint = _folder_hint(doc_id, fields)
            raise CorpusError(f"{path}: [documents.{doc_id!r}] needs a title{hint}")
        entries[doc_id] = CatalogEntry(
            title=fields["title"],
            authors=tuple(fields.get("authors", ())),
            date=fields.get("date"),
            publisher=fields.get("publisher"),
            series=fields.get("series"),
        )
    return entries


def _folder_hint(key: str, fields: object) -> str:
    """`[documents.reports."x.md"]` makes a table per folder: say how to key such a document."""
    if not isinstance(fields, dict) or not fields:
        return ""
    if not all(isinstance(value, dict) for value in fields.values()):
        return ""
    inner = next(iter(fields))
    return (
        "; a document in a subfolder is keyed by its whole path in quotes, "
        f'e.g. [documents."{key}/{inner}"]'
    )
