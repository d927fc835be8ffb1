"""Benchmark: `qa build --force` of the bundled corpus as a whole process, against a bare
MiniLM encode of the same text in 180-word pieces in this process (issue 10's target ratio).

Usage: .venv/bin/python bench/build.py [--enrich]
--enrich also times `qa build --enrich` after it: the second model's vectors, added to the
built index (what `qa serve` does in the background).
Prints figures; asserts nothing (timings on shared machines are for reading, not for tests).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qa.corpus.files import list_corpus
from qa.corpus.ingest import read_document_text
from qa.index.embedder import load_embedder
from qa.settings import REPO_ROOT, Settings

PIECE_WORDS = 180


def timed_qa(index: Path, *args: str) -> float:
    command = [str(Path(sys.executable).with_name("qa")), "--index", str(index), *args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=REPO_ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def pieces(settings: Settings) -> list[str]:
    """The corpus text in PIECE_WORDS-word pieces."""
    words: list[str] = []
    for file in list_corpus(settings.corpus_dir, None).files:
        words += read_document_text(settings.corpus_dir, file.doc_id).split()
    return [" ".join(words[i : i + PIECE_WORDS]) for i in range(0, len(words), PIECE_WORDS)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrich", action="store_true", help="also time adding the second model")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="qa-build-bench-") as scratch:
        index = Path(scratch) / "index"
        build_s = timed_qa(index, "build", "--force")
        enrich_s = timed_qa(index, "build", "--enrich") if args.enrich else None
    texts = pieces(Settings())
    bare: dict[str, float] = {}
    for backend in ("torch", "onnx"):
        model = load_embedder("all-MiniLM-L6-v2", backend=backend)  # type: ignore[arg-type]
        model.embed_passages(texts[:4])  # warm-up
        started = time.perf_counter()
        model.embed_passages(texts)
        bare[backend] = time.perf_counter() - started

    print(f"bundled corpus: {len(texts)} pieces of {PIECE_WORDS} words")
    print(f"{'what':34} {'s':>7} {'/ bare torch':>13}")
    rows = {
        "qa build --force (whole process)": build_s,
        "bare MiniLM encode, torch": bare["torch"],
        "bare MiniLM encode, onnxruntime": bare["onnx"],
    }
    if enrich_s is not None:
        rows["qa build --enrich (second model)"] = enrich_s
    for what, seconds in rows.items():
        print(f"{what:34} {seconds:7.1f} {seconds / bare['torch']:13.2f}")


if __name__ == "__main__":
    main()
