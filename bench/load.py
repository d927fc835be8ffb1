"""Load benchmark: N concurrent clients against a live `qa serve`, beside the bare pipeline.

Starts `qa serve` in a subprocess on 127.0.0.1 (a free port), posts the eval questions
(eval/questions.jsonl) from --clients concurrent clients for --seconds, and prints requests/s,
p50/p95/p99 latency, errors and 503s. Then, in this process and with the server stopped, the same
questions through `Pipeline.ask` one at a time for as long, and the bare baseline (bench/bare.py:
a MiniLM torch query encode + FAISS flat search, one at a time): the ratios.

Usage:
  .venv/bin/python bench/load.py                          # real models; builds an index (~4 min)
  .venv/bin/python bench/load.py --index /tmp/qa-index    # builds there once, then reuses it
  .venv/bin/python bench/load.py --clients 50 --seconds 30 --index /tmp/qa-index
  .venv/bin/python bench/load.py --fake                   # fake embedders: checks the harness
Prints figures; asserts nothing (timings on shared machines are for reading, not for tests).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from qa.settings import REPO_ROOT, Settings

MAX_CLIENTS = 200
MAX_SECONDS = 120.0
FAKE_ENV = {"QA_EMBEDDER": "fake", "QA_SECOND_EMBEDDER": "fake2"}


@dataclass
class Run:
    """What one run measured over its window of `seconds`: each answered question's latency
    (client side) and compute time (the pipeline's own `timings_ms.total`), and every outcome.
    Questions still in flight at the end are waited for, but count only in the latencies."""

    seconds: float
    in_window: int = 0  # answers completed within the window
    latencies_ms: list[float] = field(default_factory=list)
    compute_ms: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    def throughput(self) -> float:
        return self.in_window / self.seconds

    def row(self, name: str) -> str:
        errors = sum(n for outcome, n in self.outcomes.items() if outcome not in ("200", "503"))
        p50, p95, p99 = percentiles(self.latencies_ms)
        compute = percentiles(self.compute_ms)[0]
        return (
            f"{name:12} {len(self.latencies_ms):9d} {self.throughput():9.2f} {p50:8.0f} "
            f"{p95:8.0f} {p99:8.0f} {compute:10.0f} {errors:7d} {self.outcomes['503']:6d}"
        )


HEADER = (
    f"{'':12} {'answered':>9} {'answers/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
    f"{'compute ms':>10} {'errors':>7} {'503s':>6}"
)


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return (values[0],) * 3 if values else (float("nan"),) * 3
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def bounded(kind: type, top: float):  # an argparse type: a positive number up to `top`
    def parse(text: str) -> float:
        value = kind(text)
        if not 0 < value <= top:
            raise argparse.ArgumentTypeError(f"must be between 1 and {top:g}")
        return value

    return parse


def questions() -> list[str]:
    lines = (REPO_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines if line.strip()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def qa_command(index: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "qa.cli", "--index", str(index), *args]


def build(index: Path, env: dict[str, str]) -> None:
    """`qa build --enrich`: a no-op when the index is up to date, else (re)built, with progress
    shown; with the second model, so the server does not enrich it while it is measured."""
    command = qa_command(index, "build", "--enrich")
    print(f"$ {' '.join(command)}", flush=True)
    subprocess.run(command, env=env, cwd=REPO_ROOT, check=True)


def start_server(index: Path, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = qa_command(index, "serve", "--port", str(port))
    print(f"$ {' '.join(command)}", flush=True)
    with log.open("wb") as output:  # the child keeps its own handle
        return subprocess.Popen(command, env=env, stdout=output, stderr=output, cwd=REPO_ROOT)


def wait_for_health(base_url: str, server: subprocess.Popen, log: Path) -> None:
    """Until /health answers (the server loads the index and models before it listens)."""
    started = time.perf_counter()
    while True:
        if server.poll() is not None:
            tail = log.read_text(errors="replace").splitlines()[-20:]
            sys.exit(f"qa serve exited ({server.returncode}):\n" + "\n".join(tail))
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                print(f"server ready after {time.perf_counter() - started:.0f} s", flush=True)
                return
        except httpx.TransportError:
            pass
        time.sleep(1)


async def load(base_url: str, clients: int, seconds: float, asked: list[str]) -> Run:
    run = Run(seconds=seconds)
    deadline = time.perf_counter() + seconds
    turn = iter(range(10**9))

    async def client() -> None:
        # One connection per client, kept alive, as separate users would have.
        async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
            while time.perf_counter() < deadline:
                question = asked[next(turn) % len(asked)]
                started = time.perf_counter()
                try:
                    response = await http.post("/ask", json={"question": question, "k": 5})
                    outcome = str(response.status_code)
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                run.outcomes[outcome] += 1
                if outcome == "200":
                    finished = time.perf_counter()
                    run.in_window += finished <= deadline
                    run.latencies_ms.append((finished - started) * 1000)
                    run.compute_ms.append(response.json()["timings_ms"]["total"])
                elif outcome == "503":
                    await asyncio.sleep(float(response.headers.get("retry-after", 1)))

    await asyncio.gather(*(client() for _ in range(clients)))
    return run


def baselines(settings: Settings, seconds: float, asked: list[str]) -> tuple[Run, Run | None]:
    """The same questions through Pipeline.ask in this process, one at a time; then the bare
    encode + search (real models only)."""
    from bare import bare_search

    from qa.pipeline import Pipeline

    pipeline = Pipeline.open(settings, build_if_missing=False)
    pipeline.ask(asked[0])  # warm-up, as the server's first question was
    in_process = one_at_a_time(lambda q: pipeline.ask(q, k=5).timings_ms["total"], seconds, asked)
    if settings.embedder != "all-MiniLM-L6-v2":
        return in_process, None
    search = bare_search(pipeline.store, "torch")

    def bare(question: str) -> float:
        started = time.perf_counter()
        search(question)
        return (time.perf_counter() - started) * 1000

    return in_process, one_at_a_time(bare, seconds, asked)


def one_at_a_time(call: Callable[[str], float], seconds: float, asked: list[str]) -> Run:
    """`call` (returning its compute ms) on the questions in turn for `seconds`."""
    run = Run(seconds=seconds)
    deadline = time.perf_counter() + seconds
    for n in range(10**9):
        if time.perf_counter() >= deadline:
            break
        started = time.perf_counter()
        compute_ms = call(asked[n % len(asked)])
        finished = time.perf_counter()
        run.in_window += finished <= deadline
        run.latencies_ms.append((finished - started) * 1000)
        run.compute_ms.append(compute_ms)
        run.outcomes["200"] += 1
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=bounded(int, MAX_CLIENTS), default=8)
    parser.add_argument("--seconds", type=bounded(float, MAX_SECONDS), default=20.0)
    parser.add_argument("--index", type=Path, help="index folder to use (built there if missing)")
    parser.add_argument("--fake", action="store_true", help="fake embedders (no models)")
    parser.add_argument("--workers", type=int, help="QA_WORKERS for the server (default: cores)")
    args = parser.parse_args()

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if args.workers is not None:
        env["QA_WORKERS"] = str(args.workers)
    if args.fake:
        env.update(FAKE_ENV)
    with tempfile.TemporaryDirectory(prefix="qa-load-") as scratch:
        index = args.index or Path(scratch) / "index"
        log = Path(scratch) / "serve.log"
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        asked = questions()
        build(index, env)
        server = start_server(index, port, env, log)
        try:
            wait_for_health(base_url, server, log)
            httpx.post(f"{base_url}/ask", json={"question": asked[0]}, timeout=120)  # warm-up
            print(f"{args.clients} clients x {args.seconds:g} s, {len(asked)} eval questions, k=5")
            served = asyncio.run(load(base_url, args.clients, args.seconds, asked))
        finally:
            server.terminate()
            server.wait(timeout=30)
        fake = {k.removeprefix("QA_").lower(): v for k, v in FAKE_ENV.items()} if args.fake else {}
        settings = Settings(index_dir=index, **fake)  # type: ignore[arg-type]
        in_process, bare = baselines(settings, args.seconds, asked)

    print(HEADER)
    print(served.row("qa serve"))
    print(in_process.row("in-process"))
    if bare is not None:
        print(bare.row("bare torch"))
    print(f"outcomes over HTTP: {dict(served.outcomes)}")
    busy = sum(served.compute_ms) / 1000 / served.seconds
    print(f"the server's workers computed for {busy:.0%} of the window (100% = one core busy)")
    for name, base in (("in-process", in_process), ("bare torch", bare)):
        if base is not None:
            ratio = served.throughput() / base.throughput()
            p50_ratio = percentiles(served.latencies_ms)[0] / percentiles(base.latencies_ms)[0]
            print(f"qa serve / {name}: throughput {ratio:.2f}x, p50 latency {p50_ratio:.1f}x")


if __name__ == "__main__":
    main()
