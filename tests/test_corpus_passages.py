"""Passages over the whole corpus: what every chunk of the five documents must satisfy."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.corpus.catalog import load_catalog
from qa.corpus.chunking import ChunkingSettings, chunk_document
from qa.corpus.clean import clean_text
from qa.corpus.ingest import parse_file, read_text
from qa.corpus.spans import text_from_spans
from qa.types import Chunk, Document

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CORPUS_FILES = sorted(CORPUS.glob("*.txt"))

Parsed = list[tuple[Document, str, list[Chunk]]]  # (document, source text, chunks) per file

# Lines of publisher boilerplate, taken from the documents: footers, cover pages, blurbs.
BOILERPLATE = [
    "This article is extracted from",  # 001 page footer
    "Follow this and additional works",  # 003 repository cover page
    "Recommended Citation",  # 003
    "Blog at",  # 004 blog footer
    "Up ↑",  # 004
    "bloggers like this",  # 004
    "ISBN",  # 000 back cover
    "©",  # 000
    "Copyright of this publication",  # 000
    "ABOUT ECFR",  # 000
    "The Chinese have long been obsessed with strategic culture",  # 000 "## ABOUT" blurb
]

# Pull quotes of 000, each with how often its words occur in the body text itself. A pull quote
# that repeats a body sentence word for word may appear once (the body), never twice.
PULL_QUOTES = [
    ("Fu Ying argues against describing", 0),
    ("Ma and Sun present Russia as a weak power that is challenged by NATO", 1),
    ("Liu Fei admits that", 0),
    ("The Chinese authors also say that Chinese companies should seize the opportunity", 1),
    ("Antiterrorism cooperation has been a raison d'être", 0),
    ("Li Jinfeng thinks that competition between China and Russia centres only on economic", 1),
]


def build() -> Parsed:
    catalog = load_catalog(CORPUS)
    out = []
    for path in CORPUS_FILES:
        doc = parse_file(path, catalog)
        source = read_text(path)
        out.append((doc, source, chunk_document(doc, source, ChunkingSettings())))
    return out


@pytest.fixture(scope="module")
def corpus() -> Parsed:
    return build()


@pytest.fixture(scope="module")
def chunks(corpus: Parsed) -> list[Chunk]:
    return [c for _, _, doc_chunks in corpus for c in doc_chunks]


def test_corpus_has_five_documents_with_chunks(corpus: Parsed) -> None:
    assert [doc.doc_id for doc, _, _ in corpus] == [p.name for p in CORPUS_FILES]
    assert len(corpus) == 5
    assert all(doc_chunks for _, _, doc_chunks in corpus)


@pytest.mark.parametrize("marker", BOILERPLATE)
def test_no_chunk_contains_boilerplate(corpus: Parsed, chunks: list[Chunk], marker: str) -> None:
    assert any(marker in source for _, source, _ in corpus)  # the marker is real
    assert [c.chunk_id for c in chunks if marker in c.text] == []


@pytest.mark.parametrize(("quote", "in_body"), PULL_QUOTES)
def test_pull_quotes_are_not_repeated_in_passages(
    corpus: Parsed,
    chunks: list[Chunk],
    quote: str,
    in_body: int,
) -> None:
    source = next(source for doc, source, _ in corpus if doc.doc_id.startswith("000_"))
    assert clean_text(source).count(quote) == in_body + 1  # the body's, and the pull quote
    assert sum(c.text.count(quote) for c in chunks) == in_body


def test_chunk_text_is_the_display_text_of_its_spans(corpus: Parsed) -> None:
    for _, source, doc_chunks in corpus:
        for c in doc_chunks:
            assert c.text == text_from_spans(source, c.spans), c.chunk_id


def test_spans_lie_in_the_file_in_increasing_order_without_overlap(corpus: Parsed) -> None:
    for _, source, doc_chunks in corpus:
        for c in doc_chunks:
            assert c.spans, c.chunk_id
            for start, end in c.spans:
                assert 0 <= start < end <= len(source), c.chunk_id
            for (_, end), (start, _) in zip(c.spans, c.spans[1:], strict=False):
                assert end <= start, c.chunk_id


def test_chunks_never_cross_a_section_boundary(corpus: Parsed) -> None:
    for doc, _, doc_chunks in corpus:
        by_path = {s.path: s for s in doc.sections}
        assert len(by_path) == len(doc.sections)  # paths name sections uniquely
        for c in doc_chunks:
            section = by_path[c.section_path]
            deeper = [
                s
                for s in doc.sections
                if s.path[: len(section.path)] == section.path and s != section
            ]
            for start, end in c.spans:
                assert section.start <= start and end <= section.end, c.chunk_id
                for sub in deeper:  # nor reach into a sub-section of its own section
                    assert end <= sub.start or start >= sub.end, (c.chunk_id, sub.heading)


def test_chunks_of_boilerplate_sections_do_not_exist(corpus: Parsed) -> None:
    for doc, _, doc_chunks in corpus:
        boiler = {s.path for s in doc.sections if s.boilerplate}
        assert [c.chunk_id for c in doc_chunks if c.section_path in boiler] == []


def test_chunk_ids_are_unique(chunks: list[Chunk]) -> None:
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids))
    assert all(c.chunk_id.startswith(f"{c.doc_id}#") for c in chunks)


def test_chunks_are_deterministic_across_parses(chunks: list[Chunk]) -> None:
    again = [c for _, _, doc_chunks in build() for c in doc_chunks]
    assert again == chunks


def test_body_chunks_have_at_most_250_words(chunks: list[Chunk]) -> None:
    max_words = ChunkingSettings().max_words
    assert max_words == 250
    words = [(c.chunk_id, len(c.text.split())) for c in chunks if c.kind == "body"]
    assert [(cid, n) for cid, n in words if n > max_words] == []
