"""Checksums of an index's files, recorded in its manifest and verified when it loads; durable
writes (fsync) so that what the manifest vouches for is on disk before the index is swapped in.

A truncated or altered FAISS file can load without complaint and answer garbage, or crash a
search later; a checksum turns every such case into one clear `IndexCorrupt` at load time.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from qa.errors import IndexCorrupt, IndexMissing

MANIFEST = "manifest.json"
REPAIR = "run `qa build` to repair it (it rebuilds a damaged index)"


def file_record(path: Path) -> dict[str, Any]:
    """Size and SHA-256 of one file, as the manifest records it."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def file_records(folder: Path) -> dict[str, dict[str, Any]]:
    """Every file of a build folder but the manifest, by name."""
    return {
        path.name: file_record(path)
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != MANIFEST
    }


def live_folder(target: Path) -> Path:
    """The folder the index path names now (resolved once, so that every file is read from the
    same build even if a new one is swapped in meanwhile)."""
    if target.is_symlink() and not target.exists():
        raise IndexCorrupt(f"{target} points at a build folder that is gone; {REPAIR}")
    if not target.is_dir():
        raise IndexMissing(f"no index at {target}; run `qa build` to create it")
    folder = target.resolve()
    if not (folder / MANIFEST).exists():
        if any(folder.iterdir()):
            raise IndexCorrupt(f"the index at {target} has no manifest.json; {REPAIR}")
        raise IndexMissing(f"no index at {target}; run `qa build` to create it")
    return folder


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of an index folder; `IndexCorrupt` when it is unreadable."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise IndexCorrupt(
            f"the manifest of the index at {folder} is unreadable ({error}); {REPAIR}"
        ) from error
    if not isinstance(manifest, dict):
        raise IndexCorrupt(f"the manifest of the index at {folder} is not an object; {REPAIR}")
    return manifest


def intact_files(folder: Path, manifest: dict[str, Any]) -> frozenset[str]:
    """The files of an index whose size and checksum are what its manifest records."""
    records = manifest.get("files")
    if not isinstance(records, dict):
        return frozenset()
    intact = set()
    for name, want in records.items():
        path = folder / name
        if isinstance(want, dict) and path.is_file() and file_record(path) == want:
            intact.add(name)
    return frozenset(intact)


def verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    """Raise `IndexCorrupt` naming the first file that is missing, resized or altered."""
    records = manifest.get("files")
    if not isinstance(records, dict) or not records:
        raise IndexCorrupt(f"the manifest at {folder} lists no files; {REPAIR}")
    for name, want in sorted(records.items()):
        path = folder / name
        if not path.is_file():
            raise IndexCorrupt(f"{path} is missing; {REPAIR}")
        have = file_record(path)
        if have["size"] != want.get("size"):
            raise IndexCorrupt(
                f"{path} is {have['size']} bytes, the manifest says {want.get('size')}; {REPAIR}"
            )
        if have["sha256"] != want.get("sha256"):
            raise IndexCorrupt(f"{path} was altered since it was written; {REPAIR}")


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (new files, a renamed link) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Fsync every file, record their checksums in the manifest, write it last and fsync it."""
    for path in folder.iterdir():
        if path.is_file():
            fsync_file(path)
    manifest = {**manifest, "files": file_records(folder)}
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    fsync_file(path)
    fsync_dir(folder)
