"""Immutable values passed between stages (files -> sections -> chunks -> hits -> answer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

Span = tuple[int, int]  # [start, end) offsets into the source file's decoded text


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the stretch of the source file it governs."""

    heading: str  # as it reads in the document, markup removed
    level: int
    path: tuple[str, ...]  # headings from the outermost down to this one
    start: int  # offset of the heading line
    end: int  # offset where the next heading at this level or above starts
    author: str | None = None  # an article's byline, inherited by its sub-sections
    boilerplate: bool = False  # publisher blurbs etc.: never chunked


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A unit of reading text, possibly joined from pieces cut apart by page layout."""

    spans: tuple[Span, ...]
    text: str  # display text: cleaned pieces joined
    section: Section
    kind: str = "body"  # body | footnote | table | chronology | list | bio | bibliography


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str  # the path inside the corpus folder, with "/" (a top-level file: its name)
    path: str
    title: str
    authors: tuple[str, ...]
    date: str | None
    publisher: str | None
    sections: tuple[Section, ...]
    paragraphs: tuple[Paragraph, ...]
    text_sha256: str
    page_starts: tuple[int, ...] = ()  # each physical page's first offset; () without pages


@dataclass(frozen=True, slots=True)
class Chunk:
    chunk_id: str  # e.g. "004_627bfeb04ce04ddc.txt#options-for-balancing-china/2"
    doc_id: str
    title: str
    authors: tuple[str, ...]
    date: str | None
    section_path: tuple[str, ...]
    spans: tuple[Span, ...]
    text: str  # what a reader sees
    kind: str = "body"
    page_start: int | None = None  # physical pages of the first and last character (PDF etc.)
    page_end: int | None = None

    @property
    def search_text(self) -> str:
        """What is embedded and BM25-indexed: title, heading path, text. Composed when asked
        rather than stored: it repeated each chunk's text in memory (2 KB a chunk)."""
        return search_text(self.title, self.section_path, self.kind, self.text)

    @property
    def lexical_text(self) -> str:
        """What BM25 indexes: the search text and the authors' names, so a question naming an
        article's author matches all of that article, not only its bio (README, "Retrieval
        study"). The names are not embedded: they moved the dense rankers off topic."""
        if not self.authors:
            return self.search_text
        return f"{self.search_text}\n{' '.join(self.authors)}"

    @property
    def start(self) -> int:
        """Where the first piece starts: [start, end) covers every span, whatever their order
        (a merged passage lists its chunks' pieces in reading order, not offset order)."""
        return min(start for start, _ in self.spans)

    @property
    def end(self) -> int:
        return max(end for _, end in self.spans)

    @property
    def section(self) -> str:
        return self.section_path[-1] if self.section_path else self.title


# Said before a chunk's text, so both rankers see what kind of passage it is.
KIND_LABELS = {
    "footnote": "Footnote. ",
    "chronology": "Chronology. ",
    "table": "Table. ",
    "bio": "About the authors. ",
    "bibliography": "Bibliography. ",
}


def search_text(title: str, section_path: tuple[str, ...], kind: str, text: str) -> str:
    """A chunk's text with its place in the document, so both rankers see the headings."""
    context = " › ".join((title, *(h for h in section_path if h != title)))
    return f"{context}\n{KIND_LABELS.get(kind, '')}{text}"


class SourceText(Protocol):
    """A document's source text as citations index it: a str, or a view that fetches the
    slices asked for from a search engine (qa/index/fetched.py)."""

    def __len__(self) -> int: ...

    def __getitem__(self, key: slice, /) -> str: ...


@dataclass(frozen=True, slots=True)
class DocumentText:
    """A stretch of a document's stored text, as `GET /documents/{doc_id}/text` returns it."""

    doc_id: str
    start: int
    end: int
    length: int  # of the whole text
    text: str
    page_start: int | None
    page_end: int | None


@dataclass(frozen=True, slots=True)
class Hit:
    """A chunk returned by retrieval, with each retriever's evidence."""

    chunk: Chunk
    score: float
    scores: dict[str, float] = field(default_factory=dict)  # e.g. dense, dense_rank, bm25, fused
    row: int = -1  # the chunk's row in the index (-1: not from an index, e.g. a test's)


@dataclass(frozen=True, slots=True)
class Passage:
    rank: int
    hit: Hit
    highlights: tuple[Span, ...] = ()  # source spans of the best sentences
    text_highlights: tuple[Span, ...] = ()  # the same, as offsets into hit.chunk.text


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    passages: tuple[Passage, ...]
    abstained: bool
    confidence: float
    timings_ms: dict[str, float] = field(default_factory=dict)
    unknown_names: tuple[str, ...] = ()  # names in the question that no document mentions
    abstain_reason: str | None = None  # "unknown_names", "low_confidence" or "no_match"


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """What the index remembers of a document: metadata, outline, counts."""

    doc_id: str
    title: str
    authors: tuple[str, ...]
    date: str | None
    publisher: str | None
    outline: tuple[Section, ...]
    chunk_count: int
