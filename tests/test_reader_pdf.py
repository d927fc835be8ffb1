"""The PDF reader on real files (eval/library/corpus: see its SOURCES.md) and hostile ones."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from qa.corpus.readers import Extracted
from qa.corpus.readers.pdf import read
from qa.errors import UnreadableDocument
from tests.conftest import REAL_DOCUMENTS

LIBRARY = Path(__file__).parent / "data" / "library"
ACM = REAL_DOCUMENTS / "sample-sigconf.pdf"  # 6 pages, two columns, with an outline
BZIP2 = REAL_DOCUMENTS / "bzip2-manual.pdf"  # 38 pages, one column, no outline, no metadata title


@pytest.fixture(scope="module")
def acm() -> Extracted:
    return read(ACM)


@pytest.fixture(scope="module")
def bzip2() -> Extracted:
    return read(BZIP2)


def blocks(doc: Extracted) -> list[str]:
    return doc.text.split("\n\n")


def test_sentence_broken_across_lines_of_a_column_reads_as_one(acm: Extracted) -> None:
    assert (
        "A clear and well-documented LATEX document is presented as an article formatted for "
        "publication by ACM in a conference proceedings or journal publication." in acm.text
    )


def test_paragraph_running_from_column_one_into_column_two_stays_one(acm: Extracted) -> None:
    # page 2: column 1 ends "...paragraph and list definitions," and column 2 goes on "and the use"
    assert (
        "paragraph and list definitions, and the use of the \\vspace command to manually adjust"
        in acm.text
    )


def test_second_column_comes_after_the_first_on_the_same_page(acm: Extracted) -> None:
    # page 1: Abstract and CCS Concepts fill column 1, Keywords and the Introduction column 2
    order = [acm.text.index(s) for s in ("## Abstract", "CCS CONCEPTS", "KEYWORDS")]
    assert order == sorted(order)
    assert acm.text.index("KEYWORDS") < acm.text.index("## 1 Introduction")


def test_outline_entries_become_markdown_headings_by_level(acm: Extracted) -> None:
    assert "## 1 Introduction" in blocks(acm)
    assert "### 2.1 Template Styles" in blocks(acm)
    assert "### A.1 Part One" in blocks(acm)
    assert "1 INTRODUCTION" not in acm.text  # the page's own heading line is replaced, not kept


def test_title_comes_from_metadata_and_opens_the_text(acm: Extracted) -> None:
    assert acm.title == "The Name of the Title Is Hope"
    assert acm.text.startswith("# The Name of the Title Is Hope\n\n")
    assert acm.date == "2022-11-06"
    assert acm.pages == 6


def test_running_header_is_not_in_the_text(acm: Extracted) -> None:
    # pages 2-6 carry "Conference acronym ’XX, June 03–05, 2018, Woodstock, NY" plus a short
    # author list or the title at their top edge
    assert "Trovato et al." not in acm.text
    assert acm.text.count("Woodstock, NY") == 1  # only page 1's copyright block


def test_word_hyphenated_at_line_end_is_rejoined_and_a_real_compound_kept(acm: Extracted) -> None:
    assert "conference proceedings or journal" in acm.text  # "proceed-/ings"
    assert "metadata identification" in acm.text  # "iden-/tification"
    assert "a “camera-ready” journal article" in acm.text  # written "camera-ready" elsewhere too
    assert "\ufffe" not in acm.text


def test_page_of_a_sentence_is_its_physical_page(acm: Extracted) -> None:
    at = acm.text.index("Your document will be returned to you for revision if modifications")
    assert acm.page_of(at) == 2
    assert acm.page_of(acm.text.index("### A.1 Part One")) == 6
    assert acm.page_of(0) == 1


def test_page_starts_cover_every_page_in_order(acm: Extracted, bzip2: Extracted) -> None:
    for doc in (acm, bzip2):
        assert len(doc.page_starts) == doc.pages
        assert doc.page_starts[0] == 0
        assert list(doc.page_starts) == sorted(doc.page_starts)


def test_without_outline_headings_come_from_font_size(bzip2: Extracted) -> None:
    assert "## 1. Introduction" in blocks(bzip2)
    assert "### 2.4. OPTIONS" in blocks(bzip2)
    assert "#### 3.3.1. BZ2_bzCompressInit" in blocks(bzip2)


def test_title_without_metadata_is_the_largest_text_on_page_one(bzip2: Extracted) -> None:
    assert bzip2.title == "bzip2 and libbzip2, version 1.0.8"
    assert bzip2.text.startswith("# bzip2 and libbzip2, version 1.0.8\n\n")


def test_chapter_running_headers_and_page_numbers_are_dropped(bzip2: Extracted) -> None:
    paragraphs = blocks(bzip2)
    for header in ("How to use bzip2", "Programming with libbzip2", "Miscellanea"):
        assert header not in paragraphs
    assert not [b for b in paragraphs if re.fullmatch(r"\d+", b)]
    assert "## 2. How to use bzip2" in paragraphs  # the chapter heading itself stays


def test_manual_hyphenation_and_pages(bzip2: Extracted) -> None:
    assert "performs a trial decompression and throws away the result" in bzip2.text
    assert "ARE DISCLAIMED" in bzip2.text
    at = bzip2.text.index("-c --stdout Compress or decompress to standard output.")
    assert bzip2.page_of(at) == 7


def test_encrypted_pdf_is_unreadable_with_a_reason() -> None:
    with pytest.raises(UnreadableDocument, match=r"encrypted\.pdf: encrypted PDF.*password"):
        read(LIBRARY / "encrypted.pdf")


def test_image_only_pdf_asks_for_ocr(tmp_path: Path) -> None:
    pdf = pdfium.PdfDocument.new()
    page = pdf.new_page(200, 200)
    bitmap = pdfium.PdfBitmap.new_native(50, 50, pdfium_c.FPDFBitmap_BGR)
    bitmap.fill_rect((0, 0, 0, 255), 0, 0, 50, 50)
    image = pdfium.PdfImage.new(pdf)
    image.set_bitmap(bitmap)
    image.set_matrix(pdfium.PdfMatrix().scale(50, 50))
    page.insert_obj(image)
    page.gen_content()
    pdf.save(tmp_path / "scan.pdf")
    with pytest.raises(UnreadableDocument, match=r"no text layer \(a scan\?\); OCR it first"):
        read(tmp_path / "scan.pdf")


@pytest.mark.parametrize("keep", [0.0, 0.5, 0.99])
def test_truncated_pdf_is_unreadable_with_a_reason(tmp_path: Path, keep: float) -> None:
    data = BZIP2.read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(UnreadableDocument, match=r"\(corrupt or truncated\); re-download"):
        read(broken)


def test_text_file_named_pdf_is_unreadable(tmp_path: Path) -> None:
    fake = tmp_path / "notes.pdf"
    fake.write_text("just some notes\n")
    with pytest.raises(UnreadableDocument, match=r"notes\.pdf: not a readable PDF"):
        read(fake)
