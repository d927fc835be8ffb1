"""Readers: a PDF, web page or Word file -> the extracted text that citations point into.

Each format has one module here with a `read(path) -> Extracted` function. The text it returns
is plain UTF-8 in the shape the structure detection already reads (qa/corpus/roles.py): one
paragraph per block, blocks separated by a blank line, and each heading as its own Markdown line
(`# Title`, `## Section`, `### Subsection`). So detection, chunking and the citation rules run
unchanged, and a citation's [start, end) indexes this text, which the index stores.

A file that cannot be read (encrypted, image-only, corrupt) raises UnreadableDocument with the
reason and what to do; the build reports it and goes on with the rest.
"""

from __future__ import annotations

import bisect
import importlib
from dataclasses import dataclass, field
from pathlib import Path

from qa.corpus.blocks import MD_HEADING

# File suffix -> the module under qa/corpus/readers that reads it (imported when first needed).
READERS = {".pdf": "pdf", ".html": "html", ".htm": "html", ".docx": "docx"}


@dataclass(frozen=True, slots=True)
class Extracted:
    text: str  # blocks separated by "\n\n", headings as Markdown "#" lines
    # Offset in `text` where each physical page starts: page_starts[i] is page i + 1's first
    # character, ascending, page_starts[0] == 0. Empty for formats without pages (HTML; a .docx
    # lists only the pages its explicit breaks start).
    page_starts: tuple[int, ...] = ()
    title: str | None = None  # from the file's own properties or front matter
    authors: tuple[str, ...] = ()
    date: str | None = None  # ISO "YYYY", "YYYY-MM" or "YYYY-MM-DD"
    pages: int | None = None  # physical pages in the file (PDF), else None
    warnings: tuple[str, ...] = field(default=())  # what was dropped or guessed, for the report

    def page_of(self, offset: int) -> int | None:
        """The 1-based physical page holding `offset`, or None without a page map.

        >>> Extracted("ab\\n\\ncd", page_starts=(0, 4)).page_of(5)
        2
        """
        return page_of(self.page_starts, offset)


def page_of(page_starts: tuple[int, ...], offset: int) -> int | None:
    """The 1-based page holding `offset` given each page's first offset; None without pages."""
    if not page_starts:
        return None
    return max(1, bisect.bisect_right(page_starts, offset))


def body_text(block: str) -> str:
    """A block of body text that begins like a Markdown heading ("# myapp.py", a code comment)
    indented by four spaces, Markdown's code indent: only a reader's headings are `#` lines.

    >>> body_text("# assuming loglevel"), body_text("#hashtag")
    ('    # assuming loglevel', '#hashtag')
    """
    return f"    {block}" if MD_HEADING.match(block) else block


def read_with_reader(path: Path) -> Extracted:
    """Extract the file at `path` with the reader for its suffix (one of READERS)."""
    module = importlib.import_module(f"qa.corpus.readers.{READERS[path.suffix.lower()]}")
    extracted: Extracted = module.read(path)
    return extracted
