"""Benchmark: does parsing + chunking cost grow linearly with a file's size?

Usage: .venv/bin/python bench/parse_scale.py [--sizes 1 4 16] [--one-paragraph]
Builds synthetic documents of each size (in MB of UTF-8) by repeating the bundled corpus's own
.txt files, then times `parse_text` + `chunk_document` on each (CPU seconds), and a bare baseline
over the same text in the same process (`text.split()` plus a regex paragraph split). Prints
seconds, seconds per MB, the ratio to the baseline, and the process's peak memory so far:
linear parsing keeps s/MB and the ratio flat. --one-paragraph uses the same text with its blank
lines removed (a file that is one hard-wrapped paragraph). Asserts nothing.
"""

from __future__ import annotations

import argparse
import re
import resource
import time

from qa.corpus.chunking import chunk_document
from qa.corpus.ingest import parse_text
from qa.index.manifest import chunking_settings
from qa.settings import REPO_ROOT, Settings

MB = 1_000_000
_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_BLANK_LINES = re.compile(r"\n\s*\n")


def synthetic_text(megabytes: float, one_paragraph: bool = False) -> str:
    """The bundled corpus's .txt files, repeated and cut at a paragraph end near the size."""
    files = sorted((REPO_ROOT / "corpus").glob("*.txt"))
    one_round = "\n\n".join(p.read_text(encoding="utf-8") for p in files)
    if one_paragraph:  # a plain first line, so the one block is body text, not a heading
        text = _BLANK_LINES.sub("\n", synthetic_text(megabytes).strip())
        return f"A file with no blank lines.\n{text}"
    want = int(megabytes * MB)
    rounds = want // len(one_round.encode("utf-8")) + 1
    text = ("\n\n".join([one_round] * rounds)).encode("utf-8")[:want].decode("utf-8", "ignore")
    cut = text.rfind("\n\n")
    return text[:cut] if cut > 0 else text


def parse_and_chunk(text: str) -> int:
    cfg = chunking_settings(Settings(embedder="fake", second_embedder="none"))
    doc = parse_text("synthetic.txt", text)
    return len(chunk_document(doc, text, cfg))


def baseline(text: str) -> int:
    return len(text.split()) + len(_PARAGRAPHS.split(text))


def timed(fn: object, text: str) -> tuple[float, int]:
    start = time.process_time()
    result = fn(text)  # type: ignore[operator]
    return time.process_time() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1.0, 4.0, 16.0])
    parser.add_argument("--one-paragraph", action="store_true")
    args = parser.parse_args()
    print("size MB | parse+chunk s | s/MB | chunks | baseline s | ratio | peak RSS MB")
    for size in args.sizes:
        text = synthetic_text(size, args.one_paragraph)
        megabytes = len(text.encode("utf-8")) / MB
        base_s, _ = timed(baseline, text)
        parse_s, chunks = timed(parse_and_chunk, text)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        print(
            f"{megabytes:7.1f} | {parse_s:13.2f} | {parse_s / megabytes:4.2f} | {chunks:6d} | "
            f"{base_s:10.3f} | {parse_s / base_s:4.0f}x | {peak:11.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
