"""The HTML and DOCX readers on real files (eval/library/corpus, tests/data/library)."""

from __future__ import annotations

import socket
import zipfile
from pathlib import Path

import pytest

from qa.corpus.readers import Extracted
from qa.corpus.readers import docx as docx_reader
from qa.corpus.readers import html as html_reader
from qa.errors import UnreadableDocument
from tests.conftest import REAL_DOCUMENTS

LIBRARY = Path(__file__).parent / "data" / "library"
JSON_HTML = REAL_DOCUMENTS / "python311_json.html"  # Python 3.11 docs page, Sphinx nav + sidebar
FIELD_REPORT = LIBRARY / "field_report.docx"  # made by tests/data/library/make_docx.py


def _blocks(text: str) -> list[str]:
    return text.split("\n\n")


@pytest.fixture(scope="module")
def json_page() -> Extracted:
    return html_reader.read(JSON_HTML)


@pytest.fixture(scope="module")
def field_report() -> Extracted:
    return docx_reader.read(FIELD_REPORT)


# --- HTML -------------------------------------------------------------------------------------


def test_html_navigation_sidebar_and_footer_are_left_out(json_page):
    for chrome in ("Previous topic", "email.iterators", "Report a Bug", "Last updated on"):
        assert chrome not in json_page.text


def test_html_headings_become_markdown_lines_at_their_level(json_page):
    lines = json_page.text.splitlines()
    assert lines[0] == "# json — JSON encoder and decoder"
    assert "## Basic Usage" in lines
    assert "### Character Encodings" in lines
    assert "¶" not in json_page.text  # permalink glyphs are gone


def test_html_body_sentence_is_one_intact_block(json_page):
    sentence = (
        "Be cautious when parsing JSON data from untrusted sources. A malicious JSON string may "
        "cause the decoder to consume considerable CPU and memory resources. Limiting the size of "
        "data to be parsed is recommended."
    )
    assert sentence in _blocks(json_page.text)


def test_html_table_inside_definition_list_is_one_block_of_tab_separated_rows(json_page):
    blocks = _blocks(json_page.text)
    table = blocks[blocks.index("Performs the following translations in decoding by default:") + 1]
    assert table.splitlines()[:3] == ["JSON\tPython", "object\tdict", "array\tlist"]
    assert "number (real)\tfloat" in table.splitlines()


def test_html_footnote_in_aside_is_kept(json_page):
    assert "JSON permits literal U+2028 (LINE SEPARATOR)" in json_page.text


def test_html_metadata_title_and_last_updated_date(json_page):
    assert json_page.title == "json — JSON encoder and decoder"
    assert json_page.date == "2026-10-07"  # "Last updated on October 07, 2026."
    assert json_page.page_starts == ()
    assert json_page.page_of(10) is None


def test_html_metadata_from_meta_tags(tmp_path):
    page = tmp_path / "post.html"
    page.write_text(
        '<html><head><meta property="og:title" content="Rivers in Spring">'
        '<meta name="author" content="Jane Roe; John Doe">'
        '<meta property="article:published_time" content="2023-07-14T08:00:00+00:00">'
        "</head><body><article><h1>Rivers in Spring</h1>"
        + "<p>Snowmelt raises the water level of mountain rivers every spring season.</p>" * 5
        + "</article></body></html>",
        encoding="utf-8",
    )
    page_text = html_reader.read(page)
    assert page_text.title == "Rivers in Spring"
    assert page_text.authors == ("Jane Roe", "John Doe")
    assert page_text.date == "2023-07-14"


def test_html_declared_latin1_charset_is_used(tmp_path):
    page = tmp_path / "latin1.html"
    body = "<p>Le café du port ouvre à sept heures chaque matin, même le dimanche.</p>" * 4
    page.write_bytes(
        f'<html><head><meta charset="iso-8859-1"></head><body>{body}</body></html>'.encode(
            "latin-1"
        )
    )
    assert "Le café du port ouvre à sept heures" in html_reader.read(page).text


def test_html_truncated_mid_tag_with_garbage_bytes_still_yields_text(tmp_path):
    raw = JSON_HTML.read_bytes()
    cut = raw.index(b"<h2>Encoders and Decoders") + 5  # inside the body, mid-tag
    broken = tmp_path / "broken.html"
    broken.write_bytes(raw[:cut] + b"\xff\xfe\x00\x9c garbage \x00")
    text = html_reader.read(broken).text
    assert "Be cautious when parsing JSON data from untrusted sources." in text
    assert "## Basic Usage" in text.splitlines()


@pytest.mark.parametrize(
    "content",
    [b"", b"<html><head><script>var x = 1;</script></head><body></body></html>"],
    ids=["empty", "script-only"],
)
def test_html_without_text_is_unreadable(tmp_path, content):
    page = tmp_path / "blank.html"
    page.write_bytes(content)
    with pytest.raises(UnreadableDocument, match="no readable text"):
        html_reader.read(page)


def test_html_reading_makes_no_network_connection(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the HTML reader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert "## Basic Usage" in html_reader.read(JSON_HTML).text


# --- DOCX -------------------------------------------------------------------------------------


def test_docx_heading_styles_become_markdown_levels(field_report):
    lines = field_report.text.splitlines()
    assert lines[0] == "# Field Report on River Sampling"  # the Title style
    assert "# Methods" in lines
    assert "## Stations" in lines
    assert "# Results" in lines
    assert "### Caveats" in lines


def test_docx_table_is_one_block_in_place_between_its_paragraphs(field_report):
    blocks = _blocks(field_report.text)
    at = blocks.index("Station\tNitrate (mg/L)\tSamples\nUpper weir\t1.8\t31\nTown bridge\t4.6\t29")
    assert blocks[at - 1] == "The table below lists the mean nitrate readings."
    assert blocks[at + 1] == "Readings below the outfall were more than twice those above it."


def test_docx_list_paragraphs_are_marked_blocks(field_report):
    blocks = _blocks(field_report.text)
    assert "- Upper weir, above the mill." in blocks
    assert "- Town bridge, below the outfall." in blocks


def test_docx_header_and_footer_are_left_out(field_report):
    assert "CONFIDENTIAL DRAFT HEADER" not in field_report.text
    assert "Hydrology Unit" not in field_report.text


def test_docx_page_break_starts_page_two_at_the_next_block(field_report):
    text = field_report.text
    assert field_report.page_starts == (0, text.index("# Results"))
    assert field_report.page_of(text.index("Readings below the outfall")) == 1
    assert field_report.page_of(text.index("Nitrate levels fell")) == 2


def test_docx_metadata_from_core_properties(field_report):
    assert field_report.title == "Field Report on River Sampling"
    assert field_report.authors == ("Ada Lovelace", "Grace Hopper")
    assert field_report.date == "2024-03-05"


def test_docx_random_bytes_are_unreadable(tmp_path):
    bad = tmp_path / "random.docx"
    bad.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(UnreadableDocument, match="random.docx.*re-save it"):
        docx_reader.read(bad)


def test_docx_zip_without_document_part_is_unreadable(tmp_path):
    bad = tmp_path / "hollow.docx"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("notes.txt", "not a word document")
    with pytest.raises(UnreadableDocument, match="hollow.docx.*re-save it"):
        docx_reader.read(bad)


def test_docx_with_content_types_but_no_document_xml_is_unreadable(tmp_path):
    bad = tmp_path / "nobody.docx"
    with zipfile.ZipFile(FIELD_REPORT) as source, zipfile.ZipFile(bad, "w") as archive:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                archive.writestr(item, source.read(item))
    with pytest.raises(UnreadableDocument, match="nobody.docx.*re-save it"):
        docx_reader.read(bad)
