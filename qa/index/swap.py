"""One build of an index at a time, and the atomic swap that puts a new build in place.

`index/NAME` is a symlink to a sibling build folder `.NAME-build-<hex>`. A build holds the lock
file `.NAME.lock` from before it reads the current index until after the swap, so builds of one
index never race, and any build folder that exists while a build holds the lock and that the link
does not name was left by a build that died (kill -9, power loss): it is removed. The lock is an
OS file lock (filelock), released by the kernel when its process dies, so it never goes stale.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from qa.errors import BuildRunning
from qa.index.integrity import fsync_dir
from qa.index.ownership import build_prefix, is_own_build

log = logging.getLogger(__name__)


def lock_path(target: Path) -> Path:
    return target.parent / f".{target.name}.lock"


@contextmanager
def build_lock(target: Path, wait_s: float, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the index's build lock, waiting up to `wait_s` for another build to finish."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path(target))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        say(f"another build of {target} is running; waiting up to {wait_s:.0f} s for it")
        try:
            lock.acquire(timeout=wait_s)
        except Timeout:
            raise BuildRunning(
                f"another `qa build` of {target} is still running after {wait_s:.0f} s; wait "
                "for it to finish (or raise QA_BUILD_WAIT_S) and try again"
            ) from None
    try:
        yield
    finally:
        lock.release()


def new_build_dir(target: Path) -> Path:
    folder = target.parent / f"{build_prefix(target)}{uuid.uuid4().hex[:12]}"
    folder.mkdir(parents=True)
    return folder


def remove_leftovers(target: Path, keep: Path | None = None) -> list[Path]:
    """Remove the build folders and temporary links of dead builds. Call with the lock held."""
    target = target.absolute()  # so that the paths compared below are all absolute
    keep = keep.absolute() if keep is not None else None
    live = Path(target.parent, target.readlink()).absolute() if target.is_symlink() else None
    removed = []
    for path in target.parent.iterdir():
        name = path.name
        ours = name.startswith(build_prefix(target)) or name.startswith(
            (f".{target.name}-link-", f".{target.name}-legacy-")
        )
        if not ours or path in (live, keep):
            continue
        if path.is_symlink() or path.is_file():
            path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    if removed:
        log.info("removed %d folders left by interrupted builds of %s", len(removed), target)
    return removed


def swap_in(build_dir: Path, target: Path) -> None:
    """Point `target` at `build_dir` by one atomic rename of a symlink, then drop the build it
    replaced (only a folder of qa's own: a folder the link named elsewhere is left alone)."""
    target, build_dir = target.absolute(), build_dir.absolute()
    old: Path | None = None
    if target.is_symlink():
        pointee = Path(target.parent, target.readlink()).absolute()
        old = pointee if is_own_build(target, pointee) else None
    elif target.exists():  # a plain folder of index files (ownership checked it)
        legacy = target.parent / f".{target.name}-legacy-{uuid.uuid4().hex[:8]}"
        os.replace(target, legacy)
        old = legacy
    link = target.parent / f".{target.name}-link-{uuid.uuid4().hex[:8]}"
    os.symlink(build_dir.name, link)
    os.replace(link, target)
    fsync_dir(target.parent)
    if old is not None and old.exists() and old != build_dir:
        shutil.rmtree(old, ignore_errors=True)
