"""Which files of a corpus folder are documents: a recursive walk that never leaves the corpus.

A document's id is its path relative to the corpus folder with `/` separators
(`reports/2021/x.md`; a top-level file keeps its bare name). Hidden names (`.git`, `.DS_Store`)
are passed over. A symlink is followed only when its target lies inside the corpus folder, and
a file or folder reached by a second path is read once, under the first path found: a real
(link-free) path before any link, then links in id order. Every other file is reported with
what to do about it, so none vanishes silently.
"""

from __future__ import annotations

import hashlib
import heapq
import io
import logging
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from qa.corpus.catalog import CATALOG_FILE
from qa.corpus.readers import READERS
from qa.errors import CorpusError, UnreadableDocument

log = logging.getLogger(__name__)

MB = 1_000_000  # QA_MAX_FILE_MB counts these: max_file_bytes = int(max_file_mb * MB)
TEXT_SUFFIXES = (".txt", ".md")
SUFFIXES = (*TEXT_SUFFIXES, *READERS)  # READERS: PDF, HTML, Word (qa/corpus/readers)
# Documents a user may well drop in that qa cannot read yet: reported with how to convert them.
NOT_YET_INDEXED = (".doc", ".odt", ".rtf", ".epub")
_SEPARATORS = tuple(sorted({"/", os.sep, os.altsep or "/"}))  # "/" and this system's own


@dataclass(frozen=True, slots=True)
class CorpusFile:
    doc_id: str  # path relative to the corpus folder, "/"-separated
    path: Path  # the corpus folder joined with the id (it may pass through links inside it)
    real: Path  # the file itself, every link resolved: inside the corpus folder
    size: int  # bytes, from stat: the walk reads no file


@dataclass(frozen=True, slots=True)
class Skip:
    doc_id: str
    message: str  # starts with the id and says what to do


@dataclass(frozen=True, slots=True)
class CorpusListing:
    files: tuple[CorpusFile, ...]  # documents to read, in id order
    too_big: tuple[CorpusFile, ...]  # over the size limit: reported in `skipped`, never read
    skipped: tuple[Skip, ...]  # everything else not indexed, in id order


def list_corpus(corpus_dir: Path, max_file_bytes: int | None = None) -> CorpusListing:
    """Walk the corpus folder (recursively, without reading any file) and sort what it holds."""
    if not corpus_dir.is_dir():
        raise CorpusError(
            f"corpus directory {corpus_dir} does not exist; create it and add .txt/.md files"
        )
    walk = _Walk(corpus_dir.resolve(), max_file_bytes)
    walk.folders.append((corpus_dir, walk.root, ""))
    while walk.folders or walk.links:  # every real folder first, then links in id order
        if walk.folders:
            walk.folder(*walk.folders.pop())
        else:
            walk.link(*heapq.heappop(walk.links))
    return CorpusListing(
        files=tuple(sorted(walk.files, key=lambda f: f.doc_id)),
        too_big=tuple(sorted(walk.too_big, key=lambda f: f.doc_id)),
        skipped=tuple(sorted(walk.skipped, key=lambda s: s.doc_id)),
    )


@dataclass(slots=True)
class _Walk:
    root: Path  # the corpus folder, resolved
    max_file_bytes: int | None
    files: list[CorpusFile] = field(default_factory=list)
    too_big: list[CorpusFile] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    folders: list[tuple[Path, Path, str]] = field(default_factory=list)  # (path, real, id) to read
    links: list[tuple[str, Path]] = field(default_factory=list)  # a heap, followed after folders
    folders_read: dict[Path, str] = field(default_factory=dict)  # real folder -> its id
    files_seen: dict[Path, str] = field(default_factory=dict)  # real document -> its id

    def skip(self, doc_id: str, message: str) -> None:
        self.skipped.append(Skip(doc_id, f"{doc_id} {message}"))

    def folder(self, path: Path, real: Path, doc_id: str) -> None:
        """Read a folder's entries: files now, subfolders next, links after every folder."""
        if real in self.folders_read:
            where = self.folders_read[real] or "the corpus folder itself"
            self.skip(doc_id, f"leads to a folder already read as {where}; it is read once")
            return
        self.folders_read[real] = doc_id
        try:
            with os.scandir(path) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            if not doc_id:
                raise CorpusError(f"cannot read the corpus folder {path}: {exc.strerror}") from exc
            self.skip(doc_id, f"is a folder qa cannot open ({exc.strerror}); fix its permissions")
            return
        for entry in entries:
            child = f"{doc_id}/{entry.name}" if doc_id else entry.name
            if entry.name.startswith("."):
                log.debug("passing over hidden %s", child)
            elif not doc_id and entry.name == CATALOG_FILE:
                continue  # document metadata, read (and checked) by qa.corpus.catalog
            elif entry.is_symlink():
                heapq.heappush(self.links, (child, Path(entry.path)))
            elif entry.is_dir(follow_symlinks=False):
                self.folders.append((Path(entry.path), real / entry.name, child))
            else:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    self.skip(child, f"cannot be read ({exc.strerror}); fix its permissions")
                    continue
                self.file(child, Path(entry.path), real / entry.name, info)

    def link(self, doc_id: str, path: Path) -> None:
        try:
            real = path.resolve(strict=True)
            info = real.stat()
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11, 3.12)
            self.skip(doc_id, "is a broken symlink (its target is missing or loops); remove it")
            return
        if not real.is_relative_to(self.root):
            self.skip(
                doc_id,
                f"is a symlink to {real}, outside the corpus folder, and is not followed; "
                "copy what it points to into the corpus folder to index it",
            )
        elif stat.S_ISDIR(info.st_mode):
            self.folders.append((path, real, doc_id))
        else:
            self.file(doc_id, path, real, info)

    def file(self, doc_id: str, path: Path, real: Path, info: os.stat_result) -> None:
        suffix = Path(doc_id).suffix.lower()
        if not stat.S_ISREG(info.st_mode):
            self.skip(doc_id, "is not a regular file (a pipe, socket or device); remove it")
        elif suffix in NOT_YET_INDEXED:
            self.skip(
                doc_id,
                f"is a {suffix} file, which qa does not index yet; save it as .docx, PDF or "
                "UTF-8 text and add that",
            )
        elif suffix not in SUFFIXES:
            hint = " (only the catalog.toml at the top of the corpus is read)"
            self.skip(
                doc_id,
                "is not a .txt, .md, .pdf, .html or .docx file, so it is not indexed"
                f"{hint if Path(doc_id).name == CATALOG_FILE else ''}; "
                "rename it to .txt if it is UTF-8 text, or move it out of the corpus folder",
            )
        elif real in self.files_seen:
            self.skip(
                doc_id,
                f"is a link to {self.files_seen[real]}, which is indexed under that id; "
                "a file is indexed once: nothing to do",
            )
        else:
            self.files_seen[real] = doc_id
            found = CorpusFile(doc_id, path, real, info.st_size)
            if self.max_file_bytes is not None and info.st_size > self.max_file_bytes:
                self.too_big.append(found)
                message = too_big_message(doc_id, info.st_size, self.max_file_bytes)
                self.skipped.append(Skip(doc_id, message))
            else:
                self.files.append(found)


def too_big_message(doc_id: str, size: int, limit: int) -> str:
    return (
        f"{doc_id} is {_size(size)}, over the {_size(limit, exact=True)} limit "
        "(QA_MAX_FILE_MB); split it or raise the limit"
    )


def _size(n: int, exact: bool = False) -> str:
    """A size as a reader says it.

    >>> _size(120_000_000), _size(50 * MB, exact=True), _size(300)
    ('120.0 MB', '50 MB', '300 bytes')
    """
    if n < MB // 10:
        return f"{n} bytes"
    return f"{n / MB:g} MB" if exact else f"{n / MB:.1f} MB"


def resolve_document(corpus_dir: Path, doc_id: str) -> Path:
    """The real path of document `doc_id`, refusing any id that could lead out of the corpus:
    absolute, with `..`, naming a hidden path, or resolving (through a symlink) outside."""
    parts = re.split("|".join(re.escape(s) for s in _SEPARATORS), doc_id)
    problem = None
    if not doc_id or "\0" in doc_id:
        problem = "is not a document id"
    elif Path(doc_id).anchor or doc_id.startswith(_SEPARATORS):
        problem = "is an absolute path"
    elif ".." in parts:
        problem = "contains '..'"
    elif any(not part or part.startswith(".") for part in parts):
        problem = "names a hidden file or folder (or has an empty part)"
    elif Path(doc_id).suffix.lower() not in SUFFIXES:
        problem = "is not a document type qa reads"
    if problem:
        raise UnreadableDocument(
            f"{doc_id!r} {problem}; a document id is a path inside the corpus folder, "
            "e.g. reports/2021/x.md: use an id the index lists"
        )
    try:
        real = corpus_dir.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python 3.11, 3.12)
        raise UnreadableDocument(
            f"no document {doc_id!r} in the corpus folder {corpus_dir}; "
            "use an id the index lists, or rebuild the index if the file was moved"
        ) from exc
    if not real.is_relative_to(corpus_dir.resolve()):
        raise UnreadableDocument(
            f"{doc_id!r} is a symlink leading outside the corpus folder, which qa never reads; "
            "copy the file into the corpus folder instead"
        )
    return real


def read_bytes(real: Path, doc_id: str, max_file_bytes: int | None = None) -> bytes:
    """A document's bytes, never more than the size limit (the file may have grown)."""
    with _open(real, doc_id) as handle:
        if max_file_bytes is None:
            return handle.read()
        data = handle.read(max_file_bytes + 1)
        if len(data) > max_file_bytes:
            size = max(os.fstat(handle.fileno()).st_size, len(data))
            raise UnreadableDocument(too_big_message(doc_id, size, max_file_bytes))
        return data


def content_sha256(file: CorpusFile) -> bytes:
    """SHA-256 of a document's bytes, read in blocks; of its size if it cannot be read, so
    making it readable changes the hash too."""
    try:
        with _open(file.real, file.doc_id) as handle:
            return hashlib.file_digest(handle, "sha256").digest()
    except UnreadableDocument:
        return hashlib.sha256(b"unreadable:%d" % file.size).digest()


def _open(real: Path, doc_id: str) -> io.BufferedReader:
    """Open a resolved document path: never through a link swapped in since the walk, never a
    pipe or device (reading one could block forever)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise UnreadableDocument(
            f"{doc_id} cannot be read ({exc.strerror}); fix its permissions or remove it"
        ) from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnreadableDocument(f"{doc_id} is not a regular file; remove it")
    return open(fd, "rb", closefd=True)
