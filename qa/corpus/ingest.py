"""Read corpus files into Documents: decode, find structure, rejoin paragraphs."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from qa.corpus.blocks import Block, split_blocks
from qa.corpus.catalog import CatalogEntry, load_catalog
from qa.corpus.roles import Roles, assign_roles
from qa.corpus.structure import build_paragraphs, build_sections
from qa.errors import CorpusError, UnreadableDocument
from qa.types import Document, Section

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md")
# Documents a user may well drop in that qa cannot read yet: reported, so none vanish silently.
NOT_YET_INDEXED = (".pdf", ".html", ".htm", ".docx", ".doc", ".odt", ".rtf", ".epub")
FRONT_MATTER_MAX_WORDS = 40  # a banner before the first heading; more than this is content


def corpus_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"corpus directory {corpus_dir} does not exist; create it and add .txt/.md files"
        )
    return sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


def read_text(path: Path) -> str:
    """Decode a corpus file, refusing what cannot be a text document."""
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableDocument(f"{path.name} is empty; add text or remove it")
    if b"\x00" in data[:8192]:
        raise UnreadableDocument(
            f"{path.name} looks binary; only UTF-8 .txt/.md files are indexed: "
            "remove it or convert it to UTF-8 text"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(
            f"{path.name} is not UTF-8 ({exc.reason} at byte {exc.start}); re-save it as UTF-8"
        ) from exc


def parse_text(
    doc_id: str, text: str, entry: CatalogEntry | None = None, path: str = ""
) -> Document:
    blocks = split_blocks(text)
    title = entry.title if entry else None
    roles = assign_roles(blocks, title)
    if title is None:
        first = next((b.index for b in blocks if roles.role.get(b.index) == "heading"), None)
        title = (
            roles.heading_text[first]
            if first is not None
            else (blocks[0].plain if blocks else doc_id)
        )
    sections = build_sections(blocks, roles, title, len(text))
    sections = _with_front_section(sections, blocks, roles, title, len(text))
    paragraphs = build_paragraphs(text, blocks, roles, sections)
    article_authors = tuple(dict.fromkeys(s.author for s in sections if s.author))
    return Document(
        doc_id=doc_id,
        path=path,
        title=title,
        authors=entry.authors if entry and entry.authors else article_authors,
        date=entry.date if entry else None,
        publisher=entry.publisher if entry else None,
        sections=tuple(sections),
        paragraphs=tuple(paragraphs),
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def parse_file(path: Path, catalog: dict[str, CatalogEntry] | None = None) -> Document:
    catalog = load_catalog(path.parent) if catalog is None else catalog
    return parse_text(path.name, read_text(path), catalog.get(path.name), str(path))


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[str]]:
    """Parse every indexable file; unreadable ones are reported (returned) and skipped."""
    catalog = load_catalog(corpus_dir)
    documents: list[Document] = []
    skipped: list[str] = []
    for path in corpus_files(corpus_dir):
        try:
            documents.append(parse_file(path, catalog))
        except UnreadableDocument as exc:
            log.warning("skipped: %s", exc)
            skipped.append(str(exc))
    for path in sorted(corpus_dir.iterdir()):
        if path.is_file() and path.suffix.lower() in NOT_YET_INDEXED:
            message = (
                f"{path.name} is a {path.suffix.lower()} file, which qa does not index yet; "
                "convert it to UTF-8 text (a PDF with e.g. `pdftotext`) and add the .txt"
            )
            log.warning("skipped: %s", message)
            skipped.append(message)
    if not documents:
        raise CorpusError(f"no readable .txt/.md documents in {corpus_dir}; add some and rebuild")
    return documents, skipped


def _with_front_section(
    sections: list[Section], blocks: list[Block], roles: Roles, title: str, text_len: int
) -> list[Section]:
    """Text before the first heading: a banner to drop, or real content under the title."""
    first = sections[0].start if sections else text_len
    front = [b for b in blocks if b.end <= first and roles.role.get(b.index) == "text"]
    words = sum(b.words for b in front)
    if sections and words <= FRONT_MATTER_MAX_WORDS:
        return sections
    top = Section(
        heading=title, level=1, path=(title,), start=0, end=first if sections else text_len
    )
    return [top, *sections]
