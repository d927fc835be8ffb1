"""Adding documents to the corpus and removing them, with the index rebuilt to match.

Used by `POST /documents`, `DELETE /documents/{doc_id}`, `qa add` and `qa remove`. Every change
is checked whole before anything is touched (type, size, name, duplicates, and that each new
file can be read), so a refusal changes nothing. The index is then rebuilt the usual way
(qa/index/build.py: every unchanged chunk keeps its vectors, a new build folder is swapped in
atomically); if that fails, the corpus is put back as it was.

A removed file is not deleted: it is moved to `.qa-removed/<UTC time>/` inside the corpus folder
(hidden, so never indexed), because qa never destroys what a user owns. The message says where.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from qa.corpus.catalog import load_catalog
from qa.corpus.files import (
    NOT_YET_INDEXED,
    SUFFIXES,
    CorpusFile,
    list_corpus,
    resolve_document,
    too_big_message,
)
from qa.corpus.ingest import parse_corpus_file
from qa.errors import (
    DuplicateDocument,
    InvalidUpload,
    LastDocument,
    RequestTooLarge,
    UnknownDocument,
    UnreadableDocument,
    UnsupportedType,
)
from qa.index.build import BuildResult, build_index
from qa.index.embedder import Embedder
from qa.index.manifest import max_file_bytes
from qa.index.progress import BuildProgress
from qa.settings import Settings
from qa.types import Document

REMOVED_DIR = ".qa-removed"  # inside the corpus folder: hidden, so never indexed
_STAGING = ".qa-upload-"  # a file being checked before it joins the corpus (hidden too)

# One change at a time in this process: the checks (is the name free? is it a duplicate?) and
# the write must not interleave with another upload's. Builds are serialized across processes by
# the index's build lock.
_WRITES = threading.Lock()


@dataclass(frozen=True, slots=True)
class NewFile:
    """A file to add: its name (the last part of its document id) and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class LibraryChange:
    added: tuple[Document, ...]  # as parsed when checked: id, title, authors, date
    removed: tuple[str, ...]  # document ids
    kept_at: tuple[Path, ...]  # where each removed file was moved to
    build: BuildResult


def add_documents(
    settings: Settings,
    embedder: Embedder,
    files: Sequence[NewFile],
    *,
    folder: str = "",
    second: Embedder | None = None,
    progress: BuildProgress | Callable[[str], None] | None = None,
) -> LibraryChange:
    """Store `files` in the corpus (under `folder`, a subfolder path, when given) and rebuild.

    Refuses the whole batch, changing nothing, when any file is of a type qa does not read
    (UnsupportedType), over QA_MAX_FILE_MB (RequestTooLarge), badly named (InvalidUpload),
    unreadable (InvalidUpload), or already in the corpus by name or content (DuplicateDocument).
    """
    corpus = settings.corpus_dir
    limit = max_file_bytes(settings)
    ids = [new_document_id(f.name, folder) for f in files]
    if len(set(ids)) != len(ids):
        raise DuplicateDocument("the same file name is given twice; add each file once")
    for file, doc_id in zip(files, ids, strict=True):
        if len(file.data) > limit:
            raise RequestTooLarge(too_big_message(doc_id, len(file.data), limit))
    with _WRITES:
        listing = list_corpus(corpus)
        _refuse_duplicates(corpus, listing.files, files, ids)
        created: list[Path] = []  # folders made for the upload, removed again on failure
        placed: list[Path] = []
        try:
            parsed = [
                _place(corpus, f, doc_id, limit, created, placed)
                for f, doc_id in zip(files, ids, strict=True)
            ]
            result = _rebuild(settings, embedder, second, progress)
        except BaseException:
            for path in placed:  # files this call created, and only those
                path.unlink(missing_ok=True)
            for path in reversed(created):
                _remove_if_empty(path)
            raise
    return LibraryChange(tuple(parsed), (), (), result)


def remove_documents(
    settings: Settings,
    embedder: Embedder,
    doc_ids: Sequence[str],
    *,
    second: Embedder | None = None,
    progress: BuildProgress | Callable[[str], None] | None = None,
) -> LibraryChange:
    """Move the files of `doc_ids` out of the corpus (into .qa-removed/) and rebuild.

    Refuses the whole batch, changing nothing, for an id that is not a document of the corpus
    (UnknownDocument) or when no document would be left (LastDocument).
    """
    corpus = settings.corpus_dir
    with _WRITES:
        known = {f.doc_id: f for f in list_corpus(corpus).files}
        unique = list(dict.fromkeys(doc_ids))
        for doc_id in unique:
            if doc_id not in known:
                try:
                    resolve_document(corpus, doc_id)  # a clearer message for a malformed id
                except UnreadableDocument as exc:
                    raise UnknownDocument(str(exc)) from exc
                raise UnknownDocument(
                    f"no document {doc_id!r} in the corpus folder {corpus}; "
                    "use an id `qa outline` or GET /documents lists"
                )
        if len(unique) >= len(known):
            raise LastDocument(
                "that would leave the corpus empty, and an index needs a document; "
                "add the new documents first, then remove these"
            )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        moved: list[tuple[Path, Path]] = []
        try:
            for doc_id in unique:
                source = known[doc_id].path  # a symlink is moved itself, never its target
                kept = corpus / REMOVED_DIR / stamp / doc_id
                kept.parent.mkdir(parents=True, exist_ok=True)
                os.rename(source, kept)
                moved.append((source, kept))
            result = _rebuild(settings, embedder, second, progress)
        except BaseException:
            for source, kept in reversed(moved):
                os.rename(kept, source)
            raise
    return LibraryChange((), tuple(unique), tuple(kept for _, kept in moved), result)


def new_document_id(name: str, folder: str = "") -> str:
    """The id a file named `name` gets under `folder` (a "/"-separated subfolder path), checked:
    a plain file name of a type qa reads, in a folder path that stays inside the corpus.

    >>> new_document_id("report.pdf", "2024/q1")
    '2024/q1/report.pdf'
    >>> new_document_id("../x.md")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    qa.errors.InvalidUpload: ...
    """
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if not name or base != name or name.startswith(".") or "\0" in name:
        raise InvalidUpload(
            f"{name!r} is not a plain file name; name the file like report.pdf "
            "(a subfolder goes in `path`, or --to)"
        )
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        hint = (
            "save it as .docx, PDF or UTF-8 text and add that"
            if suffix in NOT_YET_INDEXED
            else "qa reads .txt, .md, .pdf, .html, .htm and .docx files"
        )
        raise UnsupportedType(f"{name} is not a type qa reads; {hint}")
    parts = [p for p in folder.replace("\\", "/").strip("/").split("/") if p] if folder else []
    if any(p in (".", "..") or p.startswith(".") or "\0" in p for p in parts):
        raise InvalidUpload(
            f"{folder!r} is not a folder inside the corpus; give a relative path without "
            "'..' or hidden parts, e.g. reports/2024"
        )
    return "/".join([*parts, name])


def _refuse_duplicates(
    corpus: Path, existing: Sequence[CorpusFile], files: Sequence[NewFile], ids: Sequence[str]
) -> None:
    """A file whose id is taken, or whose bytes are those of a document already there."""
    by_size: dict[int, list[CorpusFile]] = {}
    for known in existing:
        by_size.setdefault(known.size, []).append(known)
    for file, doc_id in zip(files, ids, strict=True):
        if os.path.lexists(corpus / doc_id):
            raise DuplicateDocument(
                f"{doc_id} is already in the corpus; remove it first to replace it, "
                "or give the new file another name"
            )
        digest = hashlib.sha256(file.data).digest()
        for known in by_size.get(len(file.data), ()):  # only equal sizes are worth hashing
            if hashlib.sha256(known.real.read_bytes()).digest() == digest:
                raise DuplicateDocument(
                    f"{file.name} has the same content as {known.doc_id}, already in the corpus; "
                    "nothing to add"
                )


def _place(
    corpus: Path, file: NewFile, doc_id: str, limit: int, created: list[Path], placed: list[Path]
) -> Document:
    """Write the file under a hidden name, check it reads, then give it its id (never over an
    existing file). Appends what it made to `created` and `placed` as it makes them."""
    target = corpus / doc_id
    _make_folders(corpus, target.parent, created)
    staging = target.parent / f"{_STAGING}{secrets.token_hex(6)}{Path(doc_id).suffix}"
    try:
        with open(staging, "xb") as handle:
            handle.write(file.data)
            handle.flush()
            os.fsync(handle.fileno())
        real = staging.resolve()
        checked = CorpusFile(doc_id, staging, real, len(file.data))
        try:
            document, _ = parse_corpus_file(checked, load_catalog(corpus), limit)
        except UnreadableDocument as exc:
            raise InvalidUpload(f"{exc}; nothing was added") from exc
        try:
            os.link(staging, target)  # fails if the name was taken meanwhile: never overwrites
        except FileExistsError as exc:
            raise DuplicateDocument(f"{doc_id} is already in the corpus") from exc
        placed.append(target)
    finally:
        staging.unlink(missing_ok=True)
    return document


def _make_folders(corpus: Path, folder: Path, created: list[Path]) -> None:
    missing: list[Path] = []
    while folder != corpus and not folder.exists():
        missing.append(folder)
        folder = folder.parent
    if not folder.resolve().is_relative_to(corpus.resolve()):
        raise InvalidUpload(f"{folder} leads outside the corpus folder; choose another folder")
    for path in reversed(missing):
        path.mkdir()
        created.append(path)


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # only an empty folder: nothing else put files in it
        folder.rmdir()


def _rebuild(
    settings: Settings,
    embedder: Embedder,
    second: Embedder | None,
    progress: BuildProgress | Callable[[str], None] | None,
) -> BuildResult:
    """Rebuild for the changed corpus: unchanged chunks keep all their vectors, the second
    model's included (when the index has them, it embeds only the new chunks)."""
    return build_index(settings, embedder, progress=progress, second=second, enrich=False)
