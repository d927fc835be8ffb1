"""Benchmark: adding one document to the bundled corpus, incremental build vs from scratch.

Usage: .venv/bin/python bench/incremental_build.py
Builds the bundled corpus in a temporary folder, drops in one more document (this README),
rebuilds reusing the unchanged text's vectors, then rebuilds the same corpus with --force.
Prints figures and the ratio; asserts nothing.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from qa.index.build import build_index
from qa.index.embedder import load_embedder
from qa.settings import REPO_ROOT, Settings


def main() -> None:
    root = Path(tempfile.mkdtemp())
    try:
        corpus = root / "corpus"
        shutil.copytree(REPO_ROOT / "corpus", corpus)
        settings = Settings(corpus_dir=corpus, index_dir=root / "index" / "default")
        first = load_embedder(settings.embedder)
        second = load_embedder(settings.second_embedder)

        start = time.perf_counter()
        built = build_index(settings, first, second=second)
        print(
            f"bundled corpus from scratch: {time.perf_counter() - start:.1f} s "
            f"({built.chunks} chunks)"
        )

        shutil.copy(REPO_ROOT / "README.md", corpus / "added-document.md")
        start = time.perf_counter()
        built = build_index(settings, first, second=second)
        incremental = time.perf_counter() - start
        print(f"one document added, incremental: {incremental:.1f} s ({built.chunks} chunks)")

        start = time.perf_counter()
        build_index(settings, first, second=second, force=True)
        scratch = time.perf_counter() - start
        print(
            f"same corpus with --force: {scratch:.1f} s; "
            f"incremental / from scratch = {incremental / scratch:.2f}"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
