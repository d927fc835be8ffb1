"""The second model's vectors, added to a served index in the background.

multilingual-e5-small embeds about 2.5 chunks/s on 2 cores, ten times slower than the rest of a
build, and fusing it gains R@5 +0.016 and MRR@10 +0.021 on the eval set. So a server answers at
once from the index it has (MiniLM, sentences, BM25) and a thread adds e5's vectors: a build
that reuses every other vector (`build_index(enrich=True)`), under the index's build lock, at
the lowest CPU priority so questions keep theirs. The index watcher then swaps the enriched
index in like any rebuilt one.

It never rebuilds for a changed corpus (that is `qa build`'s call): a stale index waits.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Literal

from qa.errors import QAError
from qa.index.build import build_index
from qa.index.manifest import needs_enrichment, second_model
from qa.serving import ServedIndex

log = logging.getLogger(__name__)

State = Literal["none", "complete", "pending", "running", "failed"]


class BackgroundEnrichment:
    """Watches the served index and adds the second model's vectors when it lacks them."""

    def __init__(self, served: ServedIndex, interval_s: float) -> None:
        self._served = served
        self._interval_s = interval_s
        self._running = False
        self._failure: str | None = None
        self._failed_for: str | None = None  # the index folder the failure was about
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def state(self) -> State:
        """What `/health` reports as `enrichment`."""
        if self._running:
            return "running"
        pipeline = self._served.pipeline
        if pipeline.second is None:
            return "none"
        if not self._needed():
            return "complete"
        return "failed" if self._failure and self._failed_for == self._folder() else "pending"

    @property
    def failure(self) -> str | None:
        return self._failure if self.state() == "failed" else None

    def report(self) -> dict[str, object]:
        """Its part of `/health`."""
        return {"enrichment": self.state(), "enrichment_error": self.failure}

    def start(self) -> None:
        self._served.health_reporters.append(self.report)
        if self._thread is None and self._served.pipeline.second is not None:
            self._thread = threading.Thread(target=self._loop, name="qa-enrichment", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()

    def _needed(self) -> bool:
        pipeline = self._served.pipeline
        return needs_enrichment(pipeline.store.manifest, second_model(pipeline.settings))

    def _folder(self) -> str:
        return str(self._served.pipeline.store.path.resolve())

    def _loop(self) -> None:
        _lower_priority()
        # Waits first: by then the index watcher has had its first look at the corpus.
        while not self._stopping.wait(self._interval_s):
            try:
                if self._should_run():
                    self._enrich()
            except Exception:  # the thread must outlive one bad look; the log says why
                log.exception("background enrichment check failed")

    def _should_run(self) -> bool:
        if self._failed_for == self._folder():
            return False  # tried on this index already; a new build is a new chance
        health = self._served.health()
        return self._needed() and not health.get("stale") and health.get("status") == "ok"

    def _enrich(self) -> None:
        pipeline = self._served.pipeline
        self._running = True
        folder = self._folder()
        try:
            log.info("adding %s's vectors in the background", pipeline.settings.second_embedder)
            build_index(
                pipeline.settings,
                pipeline.embedder,
                second=pipeline.second,
                enrich=True,
                progress=lambda message: log.info("enrichment: %s", message),
            )
            self._failure = self._failed_for = None
            self._served.reload()
        except QAError as error:
            self._failure, self._failed_for = str(error), folder
            log.warning("background enrichment failed: %s", error)
        finally:
            self._running = False


def _lower_priority() -> None:
    """Lowest CPU priority for this thread only (Linux keeps a nice value per thread), and for
    the threads it starts: questions keep the cores while the second model embeds."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):  # not Linux, or not allowed: run at normal priority
        log.debug("cannot lower the enrichment thread's priority")
