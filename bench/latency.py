"""Benchmark: /ask latency per mode, with ratios against a bare MiniLM encode + FAISS search.

Usage: .venv/bin/python bench/latency.py [--build] [--repeat 3]
The baselines (bench/bare.py) run in the same process over the same chunk vectors: MiniLM on
torch (sentence-transformers, as issue 10's target is stated) and on onnxruntime. "http" goes
through the whole app (FastAPI in process, TestClient); bench/load.py times a live server.
Prints figures; asserts nothing (timings on shared machines are for reading, not for tests).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bare import K, bare_search
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.pipeline import MODES, Pipeline
from qa.settings import REPO_ROOT, Settings


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="also time a fresh index build")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the questions")
    args = parser.parse_args()

    settings = Settings()
    if args.build:
        settings = Settings(index_dir=Path(tempfile.mkdtemp()) / "default")
        started = time.perf_counter()
        pipeline = Pipeline.open(settings)
        print(
            f"build + load: {time.perf_counter() - started:.1f} s "
            f"({len(pipeline.store.chunks)} chunks, {len(pipeline.store.sentence_spans)} sentences)"
        )
    else:
        pipeline = Pipeline.open(settings)

    lines = (REPO_ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line]
    pipeline.ask(questions[0])  # warm-up: first-call allocations are not latency

    bare = {f"bare {b}": bare_search(pipeline.store, b) for b in ("torch", "onnx")}
    timings: dict[str, list[float]] = {}
    for mode in (*MODES, "http", *bare):
        samples = timings.setdefault(mode, [])
        client = TestClient(create_app(pipeline=pipeline)) if mode == "http" else None
        for _ in range(args.repeat):
            for question in questions:
                started = time.perf_counter()
                if client is not None:
                    client.post("/ask", json={"question": question, "k": K}).raise_for_status()
                elif mode in bare:
                    bare[mode](question)
                else:
                    pipeline.ask(question, k=K, mode=mode)
                samples.append((time.perf_counter() - started) * 1000)

    torch_p50 = statistics.median(timings["bare torch"])
    onnx_p50 = statistics.median(timings["bare onnx"])
    print(
        f"{len(questions)} questions x {args.repeat}, k={K}; second model: {pipeline.enrichment()}"
    )
    print(f"{'mode':10} {'p50 ms':>8} {'p95 ms':>8} {'/ bare torch':>13} {'/ bare onnx':>12}")
    for mode, samples in timings.items():
        p50 = statistics.median(samples)
        print(
            f"{mode:10} {p50:8.1f} {percentile(samples, 95):8.1f} "
            f"{p50 / torch_p50:13.2f} {p50 / onnx_p50:12.2f}"
        )


if __name__ == "__main__":
    main()
