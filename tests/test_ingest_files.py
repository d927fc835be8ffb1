"""Reading a corpus folder: good files parse, unreadable ones are reported and skipped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa.corpus.ingest import load_corpus
from qa.errors import CorpusError

GOOD_TXT = """\
# Ponds of the Lowlands

## Still water

Ponds are small bodies of still fresh water. They are shallow enough for sunlight to reach the
bottom, so rooted plants can grow across the whole floor, and many were dug by people for cattle,
for fish, or for clay. A healthy pond changes through the seasons as the water warms and cools.
"""

NOTES_MD = """\
# Field Notes on Dragonflies

Dragonfly larvae hunt tadpoles and small fish among the weed. They may live underwater for two
years before they climb a reed stem and split their skins to emerge as adults in early summer,
when the margins of the pond are thick with reeds, rushes and yellow flag iris in flower.
"""

CATALOG = """\
[documents."good.txt"]
title = "Ponds of the Lowlands"
authors = ["Jane Marsh"]
"""

# What a message must tell the user to do next (one of these), besides naming the file.
ACTION = re.compile(
    r"\b(?:remove|delete|re-save|save|convert|add|rename|move|copy|split|raise|fix|re-export"
    r"|re-download|ocr)\b",
    re.IGNORECASE,
)


def write_corpus(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    (folder / "good.txt").write_text(GOOD_TXT, encoding="utf-8")
    (folder / "notes.md").write_text(NOTES_MD, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    (folder / "latin1.txt").write_bytes("Café au lait, déjà vu: naïve\n".encode("latin-1"))


def test_good_files_parse_and_bad_ones_are_skipped_with_a_message(tmp_path: Path) -> None:
    write_corpus(tmp_path)
    documents, skipped = load_corpus(tmp_path)  # raises nothing
    assert [d.doc_id for d in documents] == ["good.txt", "notes.md"]
    assert len(skipped) == 3
    for name in ("empty.txt", "binary.txt", "latin1.txt"):
        (message,) = [m for m in skipped if name in m]
        assert ACTION.search(message), f"{message!r} does not say what to do"


def test_each_bad_file_is_reported_for_what_is_wrong_with_it(tmp_path: Path) -> None:
    write_corpus(tmp_path)
    _, skipped = load_corpus(tmp_path)
    by_file = {m.split()[0]: m for m in skipped}
    assert set(by_file) == {"empty.txt", "binary.txt", "latin1.txt"}
    assert "empty" in by_file["empty.txt"]
    assert "binary" in by_file["binary.txt"]
    assert "UTF-8" in by_file["latin1.txt"]


def test_catalog_title_and_authors_are_used_when_the_file_is_in_the_catalog(
    tmp_path: Path,
) -> None:
    write_corpus(tmp_path)
    documents, _ = load_corpus(tmp_path)
    good = next(d for d in documents if d.doc_id == "good.txt")
    assert good.title == "Ponds of the Lowlands"
    assert good.authors == ("Jane Marsh",)
    assert [(s.heading, s.level) for s in good.sections] == [
        ("Ponds of the Lowlands", 1),
        ("Still water", 2),
    ]


def test_file_not_in_the_catalog_takes_its_title_from_its_first_heading(tmp_path: Path) -> None:
    write_corpus(tmp_path)
    documents, _ = load_corpus(tmp_path)
    notes = next(d for d in documents if d.doc_id == "notes.md")
    assert notes.title == "Field Notes on Dragonflies"
    assert notes.authors == ()
    assert notes.date is None and notes.publisher is None
    assert [p.section.heading for p in notes.paragraphs] == ["Field Notes on Dragonflies"]


def test_corpus_with_nothing_readable_raises_corpus_error(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"  \n\n")
    (tmp_path / "binary.md").write_bytes(b"\x00\x01\x02\x03")
    (tmp_path / "latin1.txt").write_bytes("naïve".encode("latin-1"))
    with pytest.raises(CorpusError, match="no readable"):
        load_corpus(tmp_path)


def test_missing_corpus_folder_raises_corpus_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nowhere")


def test_documents_of_formats_not_indexed_yet_are_reported_with_how_to_convert(
    tmp_path: Path,
) -> None:
    write_corpus(tmp_path)
    (tmp_path / "letter.odt").write_bytes(b"PK\x03\x04")
    (tmp_path / "book.EPUB").write_bytes(b"PK\x03\x04")
    documents, skipped = load_corpus(tmp_path)
    assert [d.doc_id for d in documents] == ["good.txt", "notes.md"]
    for name in ("letter.odt", "book.EPUB"):
        (message,) = [m for m in skipped if m.startswith(name)]
        assert "does not index yet" in message and ACTION.search(message)


def test_broken_pdf_html_and_word_files_are_reported_and_the_rest_indexed(
    tmp_path: Path,
) -> None:
    write_corpus(tmp_path)
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4\x00\x00")
    (tmp_path / "page.html").write_bytes(b"<html><body><script>x()</script></body></html>")
    (tmp_path / "letter.docx").write_bytes(b"not a zip at all")
    documents, skipped = load_corpus(tmp_path)
    assert [d.doc_id for d in documents] == ["good.txt", "notes.md"]
    for name in ("scan.pdf", "page.html", "letter.docx"):
        (message,) = [m for m in skipped if m.startswith(name)]
        assert ACTION.search(message), message


def test_files_of_other_formats_are_reported_not_silently_ignored(tmp_path: Path) -> None:
    write_corpus(tmp_path)
    (tmp_path / "README").write_text("not a corpus document", encoding="utf-8")
    (tmp_path / "figure.png").write_bytes(b"\x89PNG\r\n")
    documents, skipped = load_corpus(tmp_path)
    assert [d.doc_id for d in documents] == ["good.txt", "notes.md"]
    for name in ("README", "figure.png"):
        message = next(m for m in skipped if m.startswith(f"{name} "))
        assert "not a .txt, .md, .pdf, .html or .docx file" in message and ACTION.search(message)


def test_the_catalog_is_not_reported_as_a_file_that_is_not_indexed(tmp_path: Path) -> None:
    write_corpus(tmp_path)
    _, skipped = load_corpus(tmp_path)
    assert not any("catalog.toml" in m for m in skipped)
