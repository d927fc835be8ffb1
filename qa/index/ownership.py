"""Which index locations `qa build` may write: never a folder of the user's.

A build replaces what the index path holds, so it must only ever replace an index of its own:
- a path that does not exist yet, or an empty folder;
- a symlink to one of its own build folders (`.NAME-build-*` beside it), which is what a build
  leaves, even when that folder was damaged or removed;
- a folder holding nothing but index files (an index copied over by hand).
Anything else (a file, a folder with other files, a symlink elsewhere, the corpus, a folder
inside the corpus or holding it) is refused before any work, and nothing is touched.
"""

from __future__ import annotations

from pathlib import Path

from qa.errors import UnsafeIndexPath
from qa.index.bm25 import FILES as BM25_NAMES

BM25_FILES = frozenset(BM25_NAMES.values())

# Every name a build writes into its folder (see qa/index/store.py).
INDEX_FILES = frozenset(
    {
        "manifest.json",
        "chunks.jsonl",
        "sources.jsonl",
        "documents.json",
        "sentences.jsonl",
        "sentences.npy",
        "sentence-spans.npy",
        "sentences.faiss",  # formats before 5
        "vectors.faiss",
        "vectors-2.faiss",
        "words.txt",
    }
    | BM25_FILES
)
INDEX_FOLDERS = frozenset({"milvus.db"})  # milvus-lite's engine (QA_BACKEND=milvus, embedded)


def build_prefix(target: Path) -> str:
    """Build folders of `target` are its siblings named `.NAME-build-<hex>`."""
    return f".{target.name}-build-"


def is_own_build(target: Path, folder: Path) -> bool:
    return folder.parent == target.parent and folder.name.startswith(build_prefix(target))


def check_index_location(index_dir: Path, corpus_dir: Path) -> None:
    """Raise `UnsafeIndexPath` unless a build may replace what `index_dir` holds."""
    target = index_dir.absolute()
    corpus = corpus_dir.resolve()
    for where in _real_paths(target):
        if where == corpus or corpus in where.parents or where in corpus.parents:
            raise UnsafeIndexPath(
                f"the index {index_dir} and the corpus {corpus_dir} overlap; a build would write "
                "into the corpus (or index it). Choose an index folder outside the corpus, e.g. "
                "--index ./index/default"
            )
    if target.is_symlink():
        pointee = Path(target.parent, target.readlink())
        if is_own_build(target, pointee.absolute()) or _holds_only_index_files(pointee):
            return
        raise UnsafeIndexPath(
            f"{index_dir} is a symlink to {target.resolve()}, which is not a qa index; a build "
            "would replace it. Point --index (QA_INDEX_DIR) at a new or empty folder."
        )
    if not target.exists():
        return
    if not target.is_dir():
        raise UnsafeIndexPath(
            f"{index_dir} is a file, not an index folder; point --index (QA_INDEX_DIR) at a new "
            "or empty folder."
        )
    if not _holds_only_index_files(target):
        raise UnsafeIndexPath(
            f"{index_dir} holds files that are not a qa index; a build would replace them. Point "
            "--index (QA_INDEX_DIR) at a new or empty folder."
        )


def _holds_only_index_files(folder: Path) -> bool:
    """True for a missing or empty folder and for one holding index files only."""
    if not folder.exists():
        return False
    if not folder.is_dir():
        return False
    return all(
        (entry.name in INDEX_FILES and entry.is_file())
        or (entry.name in INDEX_FOLDERS and entry.is_dir())
        for entry in folder.iterdir()
    )


def _real_paths(target: Path) -> list[Path]:
    """The index path as given and as resolved (through symlinks, or its nearest existing
    parent when it does not exist yet)."""
    existing = target
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    resolved = existing.resolve() / target.relative_to(existing)
    return [target, resolved]
