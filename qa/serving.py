"""The index a server answers from, swapped for a newer one without a restart.

`qa build` writes a new build folder and points the index symlink at it. A `ServedIndex` holds
the served `Pipeline`; its watcher thread looks every `reload_interval_s` for a new index (the
link names another folder, or the manifest changed), loads it beside the served one with the
models already in memory, and switches with one reference assignment. A request that already
holds the old pipeline finishes on it; the old one is freed when the last such request ends.

A new index that fails to load leaves the old one served, and `/health` says which and why. The
watcher tries that index again only once it changes again, or on a forced reload
(`POST /admin/reload`, or SIGHUP under `qa serve`).

The same thread keeps `stale` current: whether the corpus on disk is still the one the served
index was built from. A stat signature of the corpus files is cheap; their fingerprint (every file
hashed) is recomputed only when the signature changes, and never on a request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from qa.corpus.catalog import CATALOG_FILE
from qa.corpus.ingest import corpus_files
from qa.errors import QAError
from qa.index.integrity import MANIFEST
from qa.index.manifest import expected_manifest
from qa.index.store import load_index
from qa.pipeline import Pipeline
from qa.settings import Settings

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class IndexVersion:
    """Which build the index path names: its folder, and the identity of its manifest file."""

    folder: str
    manifest: tuple[int, int, int]  # inode, size, mtime_ns


def index_version(index_dir: Path) -> IndexVersion | None:
    """The build `index_dir` names now (None when it names no index). Cheap: a readlink and a
    stat, so it can run every few seconds."""
    folder = os.path.realpath(index_dir)
    try:
        stat = os.stat(os.path.join(folder, MANIFEST))
    except OSError:
        return None
    return IndexVersion(folder, (stat.st_ino, stat.st_size, stat.st_mtime_ns))


def corpus_signature(corpus_dir: Path) -> Signature:
    """Path, size and mtime_ns of every indexable file and the catalog: it changes whenever the
    corpus fingerprint may have."""
    paths = corpus_files(corpus_dir)
    catalog = corpus_dir / CATALOG_FILE
    if catalog.exists():
        paths.append(catalog)
    signature = []
    for path in paths:
        stat = path.stat()
        signature.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


class CorpusWatch:
    """The corpus fingerprint, recomputed only when the files' stat signature changes."""

    def __init__(self, corpus_dir: Path, fingerprint: Callable[[], str]) -> None:
        self._dir = corpus_dir
        self._compute = fingerprint
        self._signature: Signature | None = None
        self._fingerprint: str | None = None
        self._error = ""

    def fingerprint(self) -> str | None:
        """The fingerprint of the corpus now; None when the corpus cannot be read."""
        try:
            signature = corpus_signature(self._dir)  # before hashing: a later edit shows next time
            if signature != self._signature:
                self._fingerprint = self._compute()
                self._signature = signature
            self._error = ""
        except (OSError, QAError) as error:
            if str(error) != self._error:
                log.warning("cannot read the corpus at %s: %s", self._dir, error)
            self._signature, self._fingerprint, self._error = None, None, str(error)
        return self._fingerprint


@dataclass(frozen=True, slots=True)
class ReloadFailure:
    version: IndexVersion | None  # the index that failed; not tried again until it changes
    reason: str


class ServedIndex:
    """The served Pipeline, and the watcher thread that swaps in a newer index (see module doc).

    Reads of `pipeline` and `health()` take no lock: each is one reference read of values that are
    only ever replaced whole. Loads are serialized by one lock.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self._failure: ReloadFailure | None = None
        self._served: IndexVersion | None = None
        self._corpus_fingerprint: str | None = None
        self._corpus_checked = False  # False: stale is not known yet
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._requested = 0  # forced reloads asked for, and handled, by the watcher
        self._handled = 0
        self._thread: threading.Thread | None = None
        self._corpus: CorpusWatch | None = None  # the watcher's, once started
        # The pipeline the last reload replaced: closed at the next one, by when the questions
        # that got it have long been answered.
        self._retired: Pipeline | None = None
        # What other server parts add to `health()` (background enrichment's state).
        self.health_reporters: list[Callable[[], dict[str, object]]] = []

    @property
    def pipeline(self) -> Pipeline:
        """The pipeline serving now. A request keeps the one it got for its whole life."""
        return self._pipeline

    def start(self) -> None:
        """Start the watcher thread (once)."""
        if self._thread is not None:
            return
        pipeline = self._pipeline
        self._served = _version_of(pipeline)
        # Loading checked that the corpus fingerprint matches; the watcher's first look refreshes.
        self._corpus_fingerprint = pipeline.store.manifest.get("corpus_fingerprint")
        self._corpus_checked = True
        settings = pipeline.settings
        # Exactly what loading compares with the manifest, however that is computed.
        corpus = self._corpus = CorpusWatch(
            settings.corpus_dir,
            lambda: expected_manifest(settings, pipeline.embedder)["corpus_fingerprint"],
        )
        self._thread = threading.Thread(
            target=self._watch,
            args=(corpus,),
            name="qa-index-watcher",
            daemon=True,  # a load still running at exit must not hold the process
        )
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the watcher, waiting up to `timeout` for a load in progress to end."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the index watcher is still loading after %.0f s; leaving it", timeout)

    def request_reload(self) -> None:
        """Ask the watcher for a forced reload soon. Returns at once (fit for a signal handler)."""
        self._requested += 1
        self._wake.set()

    def reload(self, force: bool = False) -> bool:
        """Serve the index on disk if it is new, or whatever it is when `force`d. True when a
        new pipeline now serves. Never raises: a failure is logged and kept for `health()`."""
        with self._lock:
            return self._reload(force)

    def refresh(self) -> None:
        """After this process changed the corpus and rebuilt (qa/http/library.py): serve the new
        index and look at the corpus now, so the next request neither gets the old index nor
        reads `stale` until the watcher's next look."""
        with self._lock:
            self._reload(False)
            if self._corpus is not None:
                self._check_corpus(self._corpus)

    def health(self) -> dict[str, object]:
        """`Pipeline.health()` plus what only the server knows: a failed reload, `stale`."""
        pipeline, failure = self._pipeline, self._failure
        try:
            stale = self._corpus_checked and self._corpus_fingerprint != (
                pipeline.store.manifest.get("corpus_fingerprint")
            )
            health = pipeline.health(stale=stale, reload_error=failure.reason if failure else None)
            for reporter in self.health_reporters:
                health.update(reporter())
            return health
        except Exception as error:  # /health reports trouble, it never is a 500
            log.exception("the health check failed")
            return {
                "status": "degraded",
                "reason": f"the health check failed: {type(error).__name__}: {error}",
                "documents": 0,
                "chunks": 0,
                "model": "",
                "index_created_at": "",
                "created_at": "",
                "stale": False,
            }

    def _reload(self, force: bool) -> bool:
        current = self._pipeline
        settings = current.settings
        before = index_version(settings.index_dir)
        if not force:
            if before is None:
                return False
            if self._failure is not None and before == self._failure.version:
                return False  # known broken: wait for it to change
            if before == self._served:
                self._failure = None  # the link went back to the index being served
                return False
        try:
            store = load_index(settings, current.embedder)
            new = Pipeline(store, current.embedder, settings, second=current.second)
        except Exception as error:
            if index_version(settings.index_dir) != before:
                # Swapped again while loading (maybe deleting what was being read): the next
                # look loads the newer one, so this is no failure to report.
                log.info("the index changed while loading it; loading the newer one next")
                return False
            self._fail(before, error, settings, current)
            return False
        # A build swapped in during the load would count as `before` here; the next look then
        # simply loads it again, never the other way round.
        self._pipeline = new
        self._served = before
        self._failure = None
        if self._retired is not None:
            self._retired.close()
        self._retired = current
        log.info(
            "now serving the index built %s (%d documents, %d chunks) from %s",
            store.manifest.get("created_at"),
            len(store.documents),
            len(store.chunks),
            before.folder if before else settings.index_dir,
        )
        return True

    def _fail(
        self, version: IndexVersion | None, error: Exception, settings: Settings, current: Pipeline
    ) -> None:
        where = version.folder if version else settings.index_dir
        message = str(error) if isinstance(error, QAError) else f"{type(error).__name__}: {error}"
        reason = (
            f"the index at {where} failed to load, so the one built "
            f"{current.store.manifest.get('created_at')} is still served: {message}"
        )
        self._failure = ReloadFailure(version, reason)
        log.error("%s", reason, exc_info=None if isinstance(error, QAError) else error)

    def _watch(self, corpus: CorpusWatch) -> None:
        interval = self._pipeline.settings.reload_interval_s
        self._check_corpus(corpus)
        while True:
            self._wake.wait(interval)
            self._wake.clear()
            if self._stopping.is_set():
                return
            requested = self._requested
            forced, self._handled = requested != self._handled, requested
            try:
                self.reload(force=forced)
                self._check_corpus(corpus)
            except Exception:  # the watcher must outlive a bug in one look
                log.exception("looking for a new index failed; trying again in %s s", interval)

    def _check_corpus(self, corpus: CorpusWatch) -> None:
        self._corpus_fingerprint = corpus.fingerprint()


def _version_of(pipeline: Pipeline) -> IndexVersion | None:
    """The on-disk version of the loaded index; None (so the first look reloads) when the index
    on disk is no longer the one loaded, e.g. rebuilt between loading and serving."""
    version = index_version(pipeline.settings.index_dir)
    if version is None:
        return None
    try:
        manifest = json.loads(Path(version.folder, MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return version if manifest == pipeline.store.manifest else None


def served_index(request: Request) -> ServedIndex:
    """The app's served index (a route dependency); an app whose lifespan has not run serves its
    pipeline as given."""
    served = getattr(request.app.state, "served", None)
    return served if served is not None else ServedIndex(request.app.state.pipeline)


def reload_on_sighup(served: ServedIndex) -> Callable[[], None]:
    """Make SIGHUP reload the index instead of killing the server, and return the undo. Only
    where asyncio can: Unix, the main thread (as under `qa serve`); elsewhere a no-op. Call it
    from inside the running event loop."""
    sighup = getattr(signal, "SIGHUP", None)
    if sighup is None or threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = signal.getsignal(sighup)
    try:
        loop.add_signal_handler(sighup, served.request_reload)
    except (NotImplementedError, RuntimeError, ValueError) as error:
        log.info("SIGHUP will not reload the index here: %s", error)
        return lambda: None

    def restore() -> None:
        loop.remove_signal_handler(sighup)
        signal.signal(sighup, previous if previous is not None else signal.SIG_DFL)

    return restore
