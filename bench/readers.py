"""Benchmark: how fast each reader turns a PDF, web page or Word file into cited text.

Usage: .venv/bin/python bench/readers.py [--repeat 3] [FOLDER]   (default: eval/library/corpus)

For each .pdf/.html/.htm/.docx file, times `read_with_reader` (CPU seconds, best of --repeat)
and a bare baseline in the same process with the same library and no layout work: pypdfium2's
plain page text for a PDF, selectolax's body text for a web page, python-docx's paragraph texts
for a Word file. Prints pages (PDF), size, seconds, pages or KB per CPU second, and the ratio to
the baseline: what reading order, running-line removal, hyphen repair and headings cost on top
of the extraction itself. Asserts nothing.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from qa.corpus.readers import READERS, read_with_reader
from qa.settings import REPO_ROOT


def bare_pdf(path: Path) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def bare_html(path: Path) -> str:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(path.read_bytes())
    return tree.body.text() if tree.body is not None else ""


def bare_docx(path: Path) -> str:
    import docx

    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


BARE: dict[str, Callable[[Path], str]] = {"pdf": bare_pdf, "html": bare_html, "docx": bare_docx}


def best_cpu_seconds(work: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=REPO_ROOT / "eval/library/corpus")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in READERS)
    header = ("file", "pages", "KB", "reader s", "rate", "bare s", "ratio")
    print("{:34} {:>5} {:>7} {:>9} {:>16} {:>8} {:>6}".format(*header))
    for path in files:
        kind = READERS[path.suffix.lower()]
        extracted = read_with_reader(path)  # warm: imports, first-use caches
        BARE[kind](path)
        ours = best_cpu_seconds(lambda p=path: read_with_reader(p), args.repeat)
        bare = best_cpu_seconds(lambda p=path, k=kind: BARE[k](p), args.repeat)
        kb = path.stat().st_size / 1000
        rate = (
            f"{extracted.pages / ours:7.0f} pages/s"
            if extracted.pages
            else f"{kb / ours:10.0f} KB/s"
        )
        pages = str(extracted.pages) if extracted.pages else "-"
        print(
            f"{path.name:34} {pages:>5} {kb:7.0f} {ours:9.3f} {rate:>16} {bare:8.3f} "
            f"{ours / bare:5.1f}×"
        )


if __name__ == "__main__":
    main()
