"""Metadata a .md/.txt file states itself: YAML front matter and a "By NAME, DATE" byline.

Files are written into a corpus folder and indexed through read_corpus, as `qa index` does.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from qa.corpus.chunking import ChunkingSettings, chunk_document
from qa.corpus.ingest import parse_text, read_corpus
from qa.types import Chunk, Document

BODY = (
    "The harbour master kept a log of every boat that entered after dark, and the log shows "
    "that the winter of 1911 brought more fishing boats than any year before it.\n\n"
    "Most of them came from the northern villages, where the ice had closed the bays.\n"
)
FRONT = "---\ntitle: A Quiet Harbour\nauthors:\n  - Jane Doe\n  - John Roe\ndate: 2024-03-12\n---\n"

Indexed = tuple[Document, str, list[Chunk]]  # document, text as indexed, chunks


def index(tmp_path: Path, files: dict[str, str], catalog: str = "") -> dict[str, Indexed]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    if catalog:
        (corpus / "catalog.toml").write_text(catalog, encoding="utf-8")
    read, _ = read_corpus(corpus)
    return {
        doc.doc_id: (doc, text, chunk_document(doc, text, ChunkingSettings())) for doc, text in read
    }


def passages(indexed: Indexed) -> list[str]:
    """Every piece of the document an answer can quote: paragraphs, chunks, section titles."""
    doc, _, chunks = indexed
    return (
        [p.text for p in doc.paragraphs]
        + [c.text for c in chunks]
        + [s.heading for s in doc.sections]
    )


def test_front_matter_gives_title_authors_and_date_and_is_never_a_passage(
    tmp_path: Path,
) -> None:
    source = FRONT + "\n# A Quiet Harbour\n\n" + BODY
    indexed = index(tmp_path, {"harbour.md": source})["harbour.md"]
    doc, text, chunks = indexed
    assert (doc.title, doc.authors, doc.date) == (
        "A Quiet Harbour",
        ("Jane Doe", "John Roe"),
        "2024-03-12",
    )
    assert text == source  # citations point into the file as it is
    assert [(s.heading, s.level) for s in doc.sections] == [("A Quiet Harbour", 1)]
    assert [p.text[:20] for p in doc.paragraphs] == ["The harbour master k", "Most of them came fr"]
    for piece in passages(indexed):
        assert "title:" not in piece and "Jane Doe" not in piece and "---" not in piece
    assert all(c.authors == ("Jane Doe", "John Roe") and c.date == "2024-03-12" for c in chunks)


def test_front_matter_title_stands_in_for_a_missing_heading(tmp_path: Path) -> None:
    doc, _, chunks = index(tmp_path, {"harbour.txt": FRONT + BODY})["harbour.txt"]
    assert doc.title == "A Quiet Harbour"
    assert doc.paragraphs[0].text.startswith("The harbour master")
    assert all("---" not in c.text for c in chunks)


def test_front_matter_with_blank_lines_and_a_heading_right_after_it_is_all_lifted_out(
    tmp_path: Path,
) -> None:
    source = "---\ntitle: Tides\n\nsummary: |\n  A summary line.\n\n...\n# Tides of 1911\n\n" + BODY
    indexed = index(tmp_path, {"tides.md": source})["tides.md"]
    doc = indexed[0]
    assert doc.title == "Tides"
    assert [s.heading for s in doc.sections] == ["Tides of 1911"]
    assert not any("summary" in piece for piece in passages(indexed))


@pytest.mark.parametrize(
    ("fields", "authors", "date"),
    [
        ("author: Jane Doe\ndate: 2024-03", ("Jane Doe",), "2024-03"),
        ("authors: Jane Doe\ndate: 2024", ("Jane Doe",), "2024"),
        (
            'authors: [Jane Doe, John Roe]\ndate: "March 12, 2024"',
            ("Jane Doe", "John Roe"),
            "2024-03-12",
        ),
        (
            "author:\n  - name: Jane Doe\n    affiliation: Port Office\ndate: 2024-03-12T09:30:00Z",
            ("Jane Doe",),
            "2024-03-12",
        ),
        ("title: Only a title", (), None),
    ],
)
def test_front_matter_authors_and_dates_in_their_usual_forms(
    tmp_path: Path, fields: str, authors: tuple[str, ...], date: str | None
) -> None:
    doc = index(tmp_path, {"h.md": f"---\n{fields}\n---\n\n# Harbour\n\n{BODY}"})["h.md"][0]
    assert (doc.authors, doc.date) == (authors, date)


def test_malformed_front_matter_is_warned_about_and_the_file_indexed_without_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = "---\ntitle: [Unclosed\nauthors: Jane Doe\n---\n\n# The Harbour Log\n\n" + BODY
    with caplog.at_level(logging.WARNING):
        indexed = index(tmp_path, {"broken.md": source, "other.md": "# Other\n\n" + BODY})
    doc = indexed["broken.md"][0]
    assert (doc.title, doc.authors, doc.date) == ("The Harbour Log", (), None)
    assert len(doc.paragraphs) == 2
    assert not any("Unclosed" in piece for piece in passages(indexed["broken.md"]))
    (warning,) = [r.getMessage() for r in caplog.records if "broken.md" in r.getMessage()]
    assert "not valid YAML" in warning and "line" in warning


def test_catalog_entry_wins_over_front_matter_field_by_field(tmp_path: Path) -> None:
    catalog = (
        '[documents."a.md"]\ntitle = "Catalogued Title"\nauthors = ["Ann Lee"]\n'
        '[documents."b.md"]\ntitle = "Catalogued Too"\ndate = "1999"\n'
    )
    indexed = index(tmp_path, {"a.md": FRONT + BODY, "b.md": FRONT + BODY}, catalog)
    a, b = indexed["a.md"][0], indexed["b.md"][0]
    assert (a.title, a.authors, a.date) == ("Catalogued Title", ("Ann Lee",), "2024-03-12")
    assert (b.title, b.authors, b.date) == ("Catalogued Too", ("Jane Doe", "John Roe"), "1999")


def test_front_matter_wins_over_a_byline_which_is_still_lifted_out(tmp_path: Path) -> None:
    source = "---\nauthor: Jane Doe\n---\n# Harbour\nBy Bob Stone, 1 May 2020\n\n" + BODY
    indexed = index(tmp_path, {"h.md": source})["h.md"]
    doc = indexed[0]
    assert (doc.title, doc.authors, doc.date) == ("Harbour", ("Jane Doe",), "2020-05-01")
    assert not any("Bob Stone" in piece for piece in passages(indexed))


@pytest.mark.parametrize(
    ("byline", "authors", "date"),
    [
        ("By Jane Doe, 12 March 2024", ("Jane Doe",), "2024-03-12"),
        ("By Jane Doe, March 12, 2024", ("Jane Doe",), "2024-03-12"),
        ("By Jane Doe, 2024-03-12", ("Jane Doe",), "2024-03-12"),
        ("By Jane Doe, March 2024", ("Jane Doe",), "2024-03"),
        ("By Jane Doe and John Roe", ("Jane Doe", "John Roe"), None),
        (
            "By Jane Doe, John Roe and Ann van der Berg, 12 March 2024",
            ("Jane Doe", "John Roe", "Ann van der Berg"),
            "2024-03-12",
        ),
        ("By Jane Doe", ("Jane Doe",), None),
        ("*By Jane Doe — 12 March 2024*", ("Jane Doe",), "2024-03-12"),
    ],
)
@pytest.mark.parametrize(
    "layout",
    [
        "# A Quiet Harbour\n{byline}\n\n",
        "# A Quiet Harbour\n\n{byline}\n\n",
        "A Quiet Harbour\n{byline}\n\n",
    ],
    ids=["md-glued", "md-own-block", "plain-title"],
)
def test_byline_gives_authors_and_date_and_is_not_glued_onto_the_title(
    tmp_path: Path, layout: str, byline: str, authors: tuple[str, ...], date: str | None
) -> None:
    indexed = index(tmp_path, {"h.md": layout.format(byline=byline) + BODY})["h.md"]
    doc = indexed[0]
    assert (doc.title, doc.authors, doc.date) == ("A Quiet Harbour", authors, date)
    assert [p.text[:20] for p in doc.paragraphs] == ["The harbour master k", "Most of them came fr"]
    assert not any("Jane Doe" in piece for piece in passages(indexed))


def test_byline_in_a_plain_text_file_before_the_title(tmp_path: Path) -> None:
    doc = index(tmp_path, {"h.txt": "By Jane Doe, 12 March 2024\n\n# Harbour\n\n" + BODY})["h.txt"][
        0
    ]
    assert (doc.title, doc.authors, doc.date) == ("Harbour", ("Jane Doe",), "2024-03-12")


@pytest.mark.parametrize(
    "opening",
    [
        "By the way, the harbour was closed in 1911 for the whole of March 2024.",
        "By Tuesday, 12 March 2024",
    ],
)
def test_a_sentence_starting_with_by_is_no_byline(tmp_path: Path, opening: str) -> None:
    doc = index(tmp_path, {"h.md": f"# Harbour\n\n{opening}\n\n{BODY}"})["h.md"][0]
    assert (doc.authors, doc.date) == ((), None)
    assert any(
        opening in p.text or opening in s.heading for p in doc.paragraphs for s in doc.sections
    )


def test_a_collection_with_article_bylines_keeps_listing_every_article_author(
    tmp_path: Path,
) -> None:
    source = (
        "Cultural Statecraft\n\nWritten by Jeanne L. Wilson.\n\n"
        + BODY.replace("\n\n", " ")
        + "\nSoft Power at Sea\n\nWritten by Ann Marsh.\n\n"
        + BODY.replace("\n\n", " ")
    )
    doc = index(tmp_path, {"c.txt": source})["c.txt"][0]
    assert doc.authors == ("Jeanne L. Wilson", "Ann Marsh")
    before = parse_text("c.txt", source)  # without front-matter reading, as before
    assert (doc.sections, doc.paragraphs) == (before.sections, before.paragraphs)


def test_text_between_two_horizontal_rules_at_the_top_stays_text(tmp_path: Path) -> None:
    source = "---\nThe log: kept nightly: in ink.\n---\n\n# Harbour\n\n" + BODY
    doc = index(tmp_path, {"h.md": source})["h.md"][0]
    assert doc.title == "Harbour" and doc.authors == ()
    assert parse_text("h.md", source, path=doc.path) == doc  # as without front matter
