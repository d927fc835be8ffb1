"""Benchmark: index build time and /ask latency per mode, with ratios against BM25 alone.

Usage: .venv/bin/python bench/latency.py [--build] [--repeat 3]
Prints figures; asserts nothing (timings on shared machines are for reading, not for tests).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

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

    timings: dict[str, list[float]] = {}
    for mode in (*MODES, "http"):
        samples = timings.setdefault(mode, [])
        client = TestClient(create_app(pipeline=pipeline)) if mode == "http" else None
        for _ in range(args.repeat):
            for question in questions:
                started = time.perf_counter()
                if client is not None:
                    client.post("/ask", json={"question": question, "k": 5}).raise_for_status()
                else:
                    pipeline.ask(question, k=5, mode=mode)
                samples.append((time.perf_counter() - started) * 1000)

    baseline = statistics.median(timings["bm25"])
    print(f"{len(questions)} questions x {args.repeat}, k=5; ratio = p50 / p50 of bm25")
    print(f"{'mode':8} {'p50 ms':>8} {'p95 ms':>8} {'ratio':>6}")
    for mode, samples in timings.items():
        p50 = statistics.median(samples)
        print(f"{mode:8} {p50:8.1f} {percentile(samples, 95):8.1f} {p50 / baseline:6.1f}")


if __name__ == "__main__":
    main()
