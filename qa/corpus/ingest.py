"""Read corpus files into Documents: decode, find structure, rejoin paragraphs.

Which files are documents, and their ids, is qa.corpus.files' business; reading a document by
id goes through `read_document_text`, which never reads outside the corpus folder.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.corpus.blocks import Block, split_blocks
from qa.corpus.catalog import CatalogEntry, load_catalog
from qa.corpus.files import (
    CorpusFile,
    Skip,
    content_sha256,
    list_corpus,
    read_bytes,
    resolve_document,
)
from qa.corpus.front_matter import TextMetadata, text_metadata
from qa.corpus.readers import READERS, Extracted, read_with_reader
from qa.corpus.roles import Roles, assign_roles
from qa.corpus.structure import build_paragraphs, build_sections
from qa.errors import CorpusError, UnreadableDocument
from qa.types import Document, Section

log = logging.getLogger(__name__)

FRONT_MATTER_MAX_WORDS = 40  # a banner before the first heading; more than this is content
# With no heading, the first block is the title, unless it is longer than this: then it is no
# title (typically a whole file without blank lines, read as one block), every chunk's search
# text would repeat it, and parsing such a file would grow with the square of its size: the id
# stands in. (Well above the longest first paragraph of tests/data, so those titles stay.)
MAX_TITLE_CHARS = 2000
Progress = Callable[[int, int, str], None]  # (files done, files in all, document id)


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Every .txt/.md document of the corpus, subfolders included, whatever its size."""
    return [f.path for f in list_corpus(corpus_dir).files]


def read_text(path: Path) -> str:
    """Decode a corpus file, refusing what cannot be a text document."""
    return decode_text(path.name, path.read_bytes())


def read_document_text(corpus_dir: Path, doc_id: str) -> str:
    """The text of document `doc_id` (a path inside the corpus folder, e.g. `reports/x.md`):
    as decoded, or as its reader extracts it (PDF, HTML, Word).

    Refuses, with UnreadableDocument, an id that is absolute, contains `..`, names a hidden
    path, or leads outside the corpus folder through a symlink.
    """
    path = resolve_document(corpus_dir, doc_id)
    if path.suffix.lower() in READERS:
        return _extract(path, doc_id).text
    return decode_text(doc_id, read_bytes(path, doc_id))


def _extract(path: Path, doc_id: str) -> Extracted:
    """The reader's text of a PDF, web page or Word file; its messages start with the id."""
    try:
        return read_with_reader(path)
    except UnreadableDocument as exc:
        reason = str(exc).removeprefix(f"{path.name}: ")  # the id says which file
        raise UnreadableDocument(f"{doc_id} could not be read: {reason}") from exc


def decode_text(name: str, data: bytes) -> str:
    """A document's bytes as text; `name` starts every message."""
    if not data or data.isspace():
        raise UnreadableDocument(f"{name} is empty; add text or remove it")
    if b"\x00" in data[:8192]:
        raise UnreadableDocument(
            f"{name} looks binary; only UTF-8 .txt/.md files are indexed: "
            "remove it or convert it to UTF-8 text"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(
            f"{name} is not UTF-8 ({exc.reason} at byte {exc.start}); re-save it as UTF-8"
        ) from exc


def parse_text(
    doc_id: str,
    text: str,
    entry: CatalogEntry | None = None,
    path: str = "",
    meta: TextMetadata | None = None,
    *,
    headings_marked: bool = False,
) -> Document:
    """`meta`: what a .md/.txt file says about itself (front matter, byline), below the catalog
    `entry` field by field; its front matter and byline are lifted out like boilerplate."""
    meta = meta or TextMetadata()
    blocks, preset = _split_front(text, meta)
    title = entry.title if entry else meta.title
    roles = assign_roles(blocks, title, preset, headings_marked=headings_marked)
    if title is None:
        first = next((b.index for b in blocks if roles.role.get(b.index) == "heading"), None)
        lead = next((b for b in blocks if b.index not in preset), None)
        title = (
            roles.heading_text[first]
            if first is not None
            else (lead.plain if lead and len(lead.plain) <= MAX_TITLE_CHARS else doc_id)
        )
    sections = build_sections(blocks, roles, title, len(text))
    sections = _with_front_section(sections, blocks, roles, title, len(text))
    paragraphs = build_paragraphs(text, blocks, roles, sections)
    # Field by field: the catalog, else the front matter, else the byline, else the text.
    authors = (entry.authors if entry else ()) or meta.authors or _byline_authors(meta, sections)
    byline_date = meta.byline.date if meta.byline else None
    date = (entry.date if entry else None) or meta.date or byline_date
    return Document(
        doc_id=doc_id,
        path=path,
        title=title,
        authors=authors,
        date=date,
        publisher=entry.publisher if entry else None,
        sections=tuple(sections),
        paragraphs=tuple(paragraphs),
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def parse_file(path: Path, catalog: dict[str, CatalogEntry] | None = None) -> Document:
    catalog = load_catalog(path.parent) if catalog is None else catalog
    return _parse_plain(path.name, read_text(path), catalog.get(path.name), str(path))


def _parse_plain(doc_id: str, text: str, entry: CatalogEntry | None, path: str) -> Document:
    """A .md/.txt document, with the metadata its front matter or byline states."""
    meta = text_metadata(text)
    for warning in meta.warnings:
        log.warning("%s: %s", doc_id, warning)
    return parse_text(doc_id, text, entry, path, meta)


@dataclass
class ExtractionCache:
    """Readers' output by file content: a PDF, web page or Word file whose bytes the index
    being replaced already extracted is not read again (a library of PDFs would otherwise be
    re-extracted whole by every `qa add`). Filled by qa/index/reuse.py; `by_doc` records what
    this read used, so the build can store it for the next one."""

    known: dict[str, Extracted] = field(default_factory=dict)  # file SHA-256 (hex) -> output
    by_doc: dict[str, tuple[str, Extracted]] = field(default_factory=dict)  # id -> (hash, output)
    reused: int = 0

    def extract(self, file: CorpusFile) -> Extracted:
        digest = content_sha256(file).hex()
        extracted = self.known.get(digest)
        if extracted is None:
            extracted = _extract(file.real, file.doc_id)
        else:
            self.reused += 1
        self.by_doc[file.doc_id] = (digest, extracted)
        return extracted


def load_corpus(
    corpus_dir: Path, *, max_file_bytes: int | None = None, progress: Progress | None = None
) -> tuple[list[Document], list[str]]:
    """Parse every document of the corpus folder and its subfolders.

    Returns the documents (in id order) and one report per file that is not indexed, each
    starting with its id and logged as a warning. A file over `max_file_bytes` is reported
    without being read. `progress(done, total, doc_id)` follows each file read.
    """
    read, skipped = read_corpus(corpus_dir, max_file_bytes=max_file_bytes, progress=progress)
    return [doc for doc, _ in read], skipped


def read_corpus(
    corpus_dir: Path,
    *,
    max_file_bytes: int | None = None,
    progress: Progress | None = None,
    extractions: ExtractionCache | None = None,
) -> tuple[list[tuple[Document, str]], list[str]]:
    """`load_corpus`, with each document's text as it was parsed: a build chunks and cites
    exactly that text, without reading the file again. `extractions` lends readers' output
    for files already extracted, and records what was used."""
    listing = list_corpus(corpus_dir, max_file_bytes)
    catalog = load_catalog(corpus_dir)
    documents: list[tuple[Document, str]] = []
    skipped = list(listing.skipped)
    for done, file in enumerate(listing.files, start=1):
        try:
            documents.append(_parse_corpus_file(file, catalog, max_file_bytes, extractions))
        except UnreadableDocument as exc:
            skipped.append(Skip(file.doc_id, str(exc)))
        if progress is not None:
            progress(done, len(listing.files), file.doc_id)
    _check_catalog_keys(catalog, {f.doc_id for f in listing.files} | {s.doc_id for s in skipped})
    messages = [s.message for s in sorted(skipped, key=lambda s: s.doc_id)]
    for message in messages:
        log.warning("skipped: %s", message)
    if not documents:
        raise CorpusError(f"no readable documents in {corpus_dir}; add some and rebuild")
    return documents, messages


def _parse_corpus_file(
    file: CorpusFile,
    catalog: dict[str, CatalogEntry],
    max_file_bytes: int | None,
    extractions: ExtractionCache | None = None,
) -> tuple[Document, str]:
    entry = catalog.get(file.doc_id)
    if file.real.suffix.lower() not in READERS:
        text = decode_text(file.doc_id, read_bytes(file.real, file.doc_id, max_file_bytes))
        return _parse_plain(file.doc_id, text, entry, str(file.path)), text
    # The listing already left out files too big.
    extracted = extractions.extract(file) if extractions else _extract(file.real, file.doc_id)
    if entry is None and extracted.title:  # the file's own metadata, unless the catalog says
        entry = CatalogEntry(extracted.title, extracted.authors, extracted.date)
    # A reader marks every heading it finds (outline, styles, h1-h6, font size) as a `#` line.
    document = parse_text(file.doc_id, extracted.text, entry, str(file.path), headings_marked=True)
    return replace(document, page_starts=extracted.page_starts), extracted.text


def _check_catalog_keys(catalog: dict[str, CatalogEntry], doc_ids: set[str]) -> None:
    """Warn about a catalog entry that names no file (say, one moved into a subfolder)."""
    by_name: dict[str, list[str]] = {}
    for doc_id in sorted(doc_ids):
        by_name.setdefault(doc_id.rsplit("/", 1)[-1], []).append(doc_id)
    for key in sorted(catalog.keys() - doc_ids):
        near = by_name.get(key.rsplit("/", 1)[-1])
        hint = f"did you mean {' or '.join(repr(n) for n in near)}? " if near else ""
        log.warning(
            "catalog.toml has an entry for %r but the corpus has no such file; %s"
            'a document in a subfolder is keyed by its path, e.g. "reports/x.md"',
            key,
            hint,
        )


def _byline_authors(meta: TextMetadata, sections: list[Section]) -> tuple[str, ...]:
    """The byline's names; but a collection whose articles have bylines of their own (the
    first maybe near the start, as the byline) lists every article's author, as before."""
    articles = tuple(dict.fromkeys(s.author for s in sections if s.author))
    byline = meta.byline.authors if meta.byline else ()
    return byline if byline and set(articles) <= {" and ".join(byline)} else articles


def _split_front(text: str, meta: TextMetadata) -> tuple[list[Block], dict[int, str]]:
    """The text's blocks, cut at the edges of the front matter and the byline line (a byline
    may share a block with the title), and the roles of those: front matter is boilerplate."""
    byline = meta.byline.span if meta.byline else None
    pairs = ((meta.front_matter, "boilerplate"), (byline, "byline"))
    spans = [(span, role) for span, role in pairs if span is not None]
    if not spans:
        return split_blocks(text), {}
    cuts = sorted({0, len(text), *(edge for span, _ in spans for edge in span)})
    blocks: list[Block] = []
    for start, end in itertools.pairwise(cuts):
        for b in split_blocks(text[start:end]):
            blocks.append(Block(len(blocks), b.start + start, b.end + start, b.raw, b.lines))
    preset = {
        b.index: role
        for b in blocks
        for (start, end), role in spans
        if start <= b.start and b.end <= end
    }
    return blocks, preset


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


# Checking one file before it joins the corpus (qa/library.py) parses it like a build does.
parse_corpus_file = _parse_corpus_file
