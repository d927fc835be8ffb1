"""Structure detection on real excerpts of the corpus: one test per layout artefact.

Each excerpt in tests/data/ is a verbatim run of lines (blank lines kept) from a corpus file,
named after the artefact it shows. Expected sections and paragraphs are written from reading
the excerpt: a paragraph's text is given either literally or as the corpus lines it is made
of, with the markup a reader does not see (footnote markers, emphasis stars, escapes, link
targets) named and deleted by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from qa.corpus.catalog import CatalogEntry, load_catalog
from qa.corpus.chunking import ChunkingSettings, chunk_document
from qa.corpus.ingest import parse_file, parse_text
from qa.types import Document

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DATA = Path(__file__).resolve().parent / "data"
OUTLINES = Path(__file__).resolve().parent / "outlines"

D000 = "000_ff0be94e4a76eeec.txt"
D001 = "001_b1d71dedfacc80fc.txt"
D002 = "002_3886cf81219507be.txt"
D003 = "003_3fdb1ea38e423eba.txt"
D004 = "004_627bfeb04ce04ddc.txt"
DOC_IDS = [D000, D001, D002, D003, D004]


@dataclass(frozen=True)
class Excerpt:
    """tests/data/<name>.txt: corpus lines first..last (1-based, inclusive) of doc_id."""

    name: str
    doc_id: str
    first: int
    last: int

    @property
    def text(self) -> str:
        return (DATA / f"{self.name}.txt").read_bytes().decode("utf-8")

    def line(self, n: int) -> str:
        """Corpus line n, as it stands in the file."""
        if not self.first <= n <= self.last:
            raise ValueError(f"line {n} is not in {self.name} ({self.first}-{self.last})")
        return self.text.split("\n")[n - self.first]

    def offset_of_line(self, n: int) -> int:
        """Offset of corpus line n in its whole source file."""
        source = (CORPUS / self.doc_id).read_text(encoding="utf-8")
        return sum(len(line) + 1 for line in source.split("\n")[: n - 1])

    def read(self, n: int, *markup: str) -> str:
        """Corpus line n as a reader sees it: each of the given markup strings deleted, and
        layout spaces (no-break spaces, runs of spaces) read as one space."""
        text = self.line(n)
        for piece in markup:
            text = text.replace(piece, "")
        return " ".join(w for w in text.replace("\xa0", " ").split(" ") if w)

    def parse(self, title: str | None = None) -> Document:
        """Parse the excerpt alone, with its document's catalog title (or the one given)."""
        entry = CatalogEntry(title=title or load_catalog(CORPUS)[self.doc_id].title)
        return parse_text(self.doc_id, self.text, entry)


EXCERPTS = {
    e.name: e
    for e in [
        Excerpt("footer_inside_paragraph", D001, 13, 21),
        Excerpt("mid_word_page_break", D000, 13, 31),
        Excerpt("pull_quote_plain", D000, 49, 55),
        Excerpt("pull_quote_bold", D000, 185, 191),
        Excerpt("two_line_bold_title", D001, 1, 15),
        Excerpt("all_caps_heading_with_dash", D003, 94, 124),
        Excerpt("written_by_byline", D004, 58, 107),
        Excerpt("chronology", D001, 153, 165),
        Excerpt("tab_separated_table", D002, 39, 53),
        Excerpt("footnote_block_between_halves", D000, 49, 69),
        Excerpt("footnote_continued_after_page_break", D000, 121, 147),
        Excerpt("markdown_heading_levels", D000, 33, 91),
        Excerpt("about_blurb", D000, 1, 37),
        Excerpt("about_ecfr", D000, 335, 386),
        Excerpt("thesis_cover_page", D003, 1, 56),
        Excerpt("blog_footer", D004, 155, 172),
        Excerpt("display_cleanup_footnote_markers", D000, 37, 47),
        Excerpt("display_cleanup_links_and_dollars", D001, 97, 105),
        Excerpt("display_cleanup_bold", D001, 23, 27),
        Excerpt("bibliography_entries", D003, 186, 220),
        Excerpt("bibliography_entries_cut_by_page_breaks", D003, 248, 266),
    ]
}


def sections(doc: Document) -> list[tuple[str, int, tuple[str, ...]]]:
    return [(s.heading, s.level, s.path) for s in doc.sections]


def paragraphs(doc: Document) -> list[tuple[str, str, str, int]]:
    """(text, kind, section heading, number of spans) per paragraph, in reading order."""
    return [(p.text, p.kind, p.section.heading, len(p.spans)) for p in doc.paragraphs]


def all_text(doc: Document) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def without_credit(line: str) -> str:
    """A bio line of 004 without the photo credit the blog layout appends to it."""
    bio, credit = line.split(" Image credit: ")
    assert credit.startswith("CC by ") and credit.endswith("/Flickr.")
    return bio


@pytest.mark.parametrize("name", sorted(EXCERPTS))
def test_excerpt_is_a_verbatim_copy_of_corpus_lines(name: str) -> None:
    e = EXCERPTS[name]
    lines = (CORPUS / e.doc_id).read_bytes().decode("utf-8").splitlines(keepends=True)
    assert e.text == "".join(lines[e.first - 1 : e.last])


# --- page layout cut into reading text -------------------------------------------------------


def test_footer_inside_paragraph_is_removed_and_paragraph_rejoined() -> None:
    e = EXCERPTS["footer_inside_paragraph"]  # 001: the "This article is extracted from" footer
    doc = e.parse()
    assert sections(doc) == [("Growing ties?", 1, ("Growing ties?",))]
    assert paragraphs(doc) == [
        (e.read(15), "body", "Growing ties?", 1),
        (e.read(17, "*") + " " + e.read(21), "body", "Growing ties?", 2),
    ]
    assert "This article is extracted from" not in all_text(doc)
    assert "Preferred citation" not in all_text(doc)


def test_word_cut_at_a_page_break_after_its_hyphen_is_rejoined_without_a_space() -> None:
    e = EXCERPTS["mid_word_page_break"]  # 000: "... their issue-" / "by-issue cooperation ..."
    doc = e.parse()
    assert sections(doc) == [("Introduction", 1, ("Introduction",))]
    assert doc.sections[0].author == "François Godement"
    assert paragraphs(doc) == [
        (e.read(17), "body", "Introduction", 1),
        (e.read(19), "body", "Introduction", 1),
        (e.read(21) + " " + e.read(23), "body", "Introduction", 2),
        (e.read(25, "*"), "body", "Introduction", 1),
        (e.read(27, "*"), "body", "Introduction", 1),
        (e.read(29) + e.read(31), "body", "Introduction", 2),
    ]
    assert "their issue-by-issue cooperation won’t yield" in doc.paragraphs[-1].text


def test_plain_quoted_pull_quote_repeating_the_body_is_lifted_out_and_body_rejoined() -> None:
    e = EXCERPTS["pull_quote_plain"]  # 000: "Fu Ying argues against describing ..." on its own
    doc = e.parse()
    title = "China and Russia: Gaming the West?"
    assert sections(doc) == [(title, 1, (title,))]
    body = e.read(49, "*", "<sup>4</sup>", "<sup>5</sup>") + " " + e.read(53) + " " + e.read(55)
    assert paragraphs(doc) == [(body, "body", title, 3)]
    assert "Fu Ying argues against describing" not in all_text(doc)


def test_bold_quoted_pull_quote_is_lifted_out_and_body_rejoined() -> None:
    e = EXCERPTS["pull_quote_bold"]  # 000: **"The Chinese authors also say ..."** repeats 189
    doc = e.parse()
    title = "China and Russia: Gaming the West?"
    assert sections(doc) == [(title, 1, (title,))]
    assert paragraphs(doc) == [
        (e.read(185, "<sup>21</sup>", "<sup>22</sup>"), "body", title, 1),
        (
            e.read(189) + " " + e.read(191, "<sup>23</sup>", "<sup>24</sup>"),
            "body",
            title,
            2,
        ),
    ]
    quote = "The Chinese authors also say that Chinese companies should seize the opportunity"
    assert all_text(doc).count(quote) == 1  # the body sentence, not its pull-quote copy


def test_footnote_block_between_halves_of_a_paragraph_becomes_footnotes_and_body_rejoins() -> None:
    e = EXCERPTS["footnote_block_between_halves"]  # 000: notes 4-6 sit inside Zhao's paragraph
    doc = e.parse()
    title = "China and Russia: Gaming the West?"
    assert sections(doc) == [(title, 1, (title,))]
    assert paragraphs(doc) == [
        (
            e.read(49, "*", "<sup>4</sup>", "<sup>5</sup>") + " " + e.read(53) + " " + e.read(55),
            "body",
            title,
            3,
        ),
        (e.read(57, "*", "<sup>6</sup>") + " " + e.read(65, "*"), "body", title, 2),
        (e.read(59, "*"), "footnote", title, 1),
        (e.read(61, "*"), "footnote", title, 1),
        (e.read(63, "*"), "footnote", title, 1),
        (e.read(67) + " " + e.read(69, "*"), "body", title, 2),
    ]
    assert doc.paragraphs[2].text.startswith('4 Fu Ying, "How China sees Russia", Foreign Affairs')


def test_footnote_continued_after_a_page_break_is_joined_to_its_footnote() -> None:
    e = EXCERPTS["footnote_continued_after_page_break"]  # 000: note 13 resumes at line 141
    doc = e.parse()
    title = "China and Russia: Gaming the West?"
    heading = 'China: Russia\'s "natural ally" or a "strategic competitor"?'
    assert sections(doc) == [(title, 1, (title,)), (heading, 1, (heading,))]
    note_13 = e.read(129, "*") + " " + e.read(141, "*")
    assert note_13.endswith(
        "Haiyang zhengduan de yingxiang), Dongbeiyu luntan, Vol. 1, No. 123, 2016. Liu Fei is a "
        "lecturer at the Department of Humanities and Social Sciences at the PLA Naval "
        "University of Engineering, Wuhan."
    )
    assert paragraphs(doc) == [
        (e.read(121, "<sup>12</sup>"), "body", title, 1),
        (
            e.read(125, "<sup>13</sup>")
            + " "
            + e.read(131, "<sup>14</sup>")
            + " "
            + e.read(135),  # the pull quote at 133 is lifted out
            "body",
            heading,
            3,
        ),
        (e.read(127, "*"), "footnote", heading, 1),
        (note_13, "footnote", heading, 2),
        (e.read(137), "body", heading, 1),
        (e.read(139, "\\") + " " + e.read(145), "body", heading, 2),
        (
            "14 The full text of the statement can be found here : "
            "http://news.xinhuanet.com/politics/2016-06/26/c_1119111908.htm.",
            "footnote",
            heading,
            1,
        ),
        (e.read(147, "<sup>15</sup>"), "body", heading, 1),
    ]


# --- headings ----------------------------------------------------------------------------------


def test_two_line_bold_title_is_one_heading_with_the_author_from_its_byline() -> None:
    e = EXCERPTS["two_line_bold_title"]  # 001: **China-Russia Relations: / Politics of ...**
    doc = e.parse()
    title = "China-Russia Relations: Politics of “Reluctant Allies”"
    assert sections(doc) == [
        (title, 1, (title,)),
        ("Growing ties?", 2, (title, "Growing ties?")),
    ]
    assert doc.sections[0].author == "Yu Bin"  # "Yu Bin / Wittenberg University"
    assert doc.sections[0].start == e.text.index("**China-Russia")
    assert doc.authors == ("Yu Bin",)  # the catalog entry given names no authors
    assert paragraphs(doc) == [
        (e.read(11), "body", title, 1),
        (e.read(15), "body", "Growing ties?", 1),
    ]
    assert "Wittenberg University" not in all_text(doc)


def test_all_caps_heading_with_a_dash_is_a_heading() -> None:
    e = EXCERPTS["all_caps_heading_with_dash"]  # 003
    doc = e.parse()
    first, second = (
        "STRATEGIC PERCEPTIONS - DRIVERS",
        "BILATERAL ECONOMIC RELATIONSHIP – INCREASINGLY ASYMMETRICAL",
    )
    assert sections(doc) == [(first, 1, (first,)), (second, 1, (second,))]
    assert paragraphs(doc) == [
        (e.read(96), "body", first, 1),
        (e.read(98) + " " + e.read(100), "body", first, 2),
        (e.read(102) + " " + e.read(104), "body", first, 2),
        (e.read(106) + " " + e.read(108), "body", first, 2),
        (e.read(112), "body", second, 1),
        (e.read(114) + " " + e.read(116), "body", second, 2),
        (e.read(118, "\\") + " " + e.read(120), "body", second, 2),
        (e.read(122, "\\"), "body", second, 1),
        (e.read(124), "body", second, 1),
    ]


def test_written_by_byline_makes_an_article_whose_author_passes_to_its_subsections() -> None:
    e = EXCERPTS["written_by_byline"]  # 004: "Written by Jeanne L. Wilson." and "... Marsh."
    doc = e.parse()
    wilson = "Cultural Statecraft in the Russian and Chinese Contexts"
    marsh = "Chinese Perspectives on Events in Ukraine: Implications for Sino-Russian Relations"
    s1, s2, s3 = (
        "“No Exclusive Interests Involved”",
        "The “Reunification” of Crimea",
        "A Threat to the Silk Road Spirit?",
    )
    assert sections(doc) == [
        (wilson, 1, (wilson,)),
        (marsh, 1, (marsh,)),
        (s1, 2, (marsh, s1)),
        (s2, 2, (marsh, s2)),
        (s3, 2, (marsh, s3)),
    ]
    assert [s.author for s in doc.sections] == ["Jeanne L. Wilson"] + ["Christopher Marsh"] * 4
    assert paragraphs(doc) == [
        *[(e.read(n), "body", wilson, 1) for n in (62, 64, 66, 68, 70)],
        (without_credit(e.read(72)), "bio", wilson, 1),  # Wilson's bio closes her article
        (e.read(78), "body", marsh, 1),
        (e.read(80) + " " + e.read(81), "body", marsh, 1),  # one block, hard-wrapped
        (e.read(85), "body", s1, 1),
        (e.read(87), "body", s1, 1),
        (e.read(89), "body", s1, 1),
        (e.read(91), "body", s1, 1),
        (e.read(95), "body", s2, 1),
        (e.read(97), "body", s2, 1),
        (e.read(99), "body", s2, 1),
        (e.read(101), "body", s2, 1),
        (e.read(105), "body", s3, 1),
        (without_credit(e.read(107)), "bio", s3, 1),
    ]
    assert "Written by" not in all_text(doc)


def test_markdown_heading_levels_inside_an_article_are_one_below_the_article() -> None:
    # 000: "### "Friendly neutrality"" and "## Managing differences and expectations" are both
    # sub-sections of Duchâtel's "## China and Russia: Towards an alliance treaty?" article, as
    # "### Is Russia a weak power?" is of Sheldon-Duplaix's "## Russia's military strategy ...".
    e = EXCERPTS["markdown_heading_levels"]
    doc = e.parse()
    art = "China and Russia: Towards an alliance treaty?"
    fn, md = '"Friendly neutrality"', "Managing differences and expectations"
    art2 = "Russia's military strategy: China's partner, model, or competitor?"
    weak = "Is Russia a weak power?"
    assert sections(doc) == [
        (art, 1, (art,)),
        (fn, 2, (art, fn)),
        (md, 2, (art, md)),
        (art2, 1, (art2,)),
        (weak, 2, (art2, weak)),
    ]
    assert [s.author for s in doc.sections] == ["Mathieu Duchâtel"] * 3 + [
        "Alexandre Sheldon-Duplaix"
    ] * 2
    link_43 = "](http://news.xinhuanet.com/english/2016-06/26/c_135466187.htm)"
    assert paragraphs(doc) == [
        (e.read(37, "<sup>1</sup>", "<sup>2</sup>"), "body", art, 1),
        (e.read(41, "<sup>3</sup>", "*", "\\"), "body", fn, 1),
        (e.read(43, link_43, "[", "*", "\\"), "footnote", fn, 1),
        (e.read(45, "*"), "footnote", fn, 1),
        (e.read(47, "*"), "footnote", fn, 1),
        (
            e.read(49, "*", "<sup>4</sup>", "<sup>5</sup>") + " " + e.read(53) + " " + e.read(55),
            "body",
            fn,
            3,
        ),
        (e.read(57, "*", "<sup>6</sup>") + " " + e.read(65, "*"), "body", fn, 2),
        (e.read(59, "*"), "footnote", fn, 1),
        (e.read(61, "*"), "footnote", fn, 1),
        (e.read(63, "*"), "footnote", fn, 1),
        (e.read(67) + " " + e.read(69, "*"), "body", fn, 2),
        (e.read(73), "body", md, 1),
        (e.read(75) + " " + e.read(77, "<sup>7</sup>", "*"), "body", md, 2),
        (e.read(79), "body", md, 1),
        (e.read(81, "<sup>", "</sup>", "*"), "footnote", md, 1),
        (e.read(87, "*", "<sup>8</sup>"), "body", art2, 1),
        (e.read(91, "*", "<sup>9</sup>"), "body", weak, 1),
    ]


def test_markdown_heading_under_an_article_is_level_three_in_the_whole_document() -> None:
    doc = parse_file(CORPUS / D000, load_catalog(CORPUS))
    levels = {s.heading: (s.level, s.path) for s in doc.sections}
    assert levels["Managing differences and expectations"] == (
        3,
        (
            "CHINA AND RUSSIA: GAMING THE WEST?",
            "China and Russia: Towards an alliance treaty?",
            "Managing differences and expectations",
        ),
    )


def test_chronology_entries_are_not_headings_and_the_heading_takes_its_date_subtitle() -> None:
    e = EXCERPTS["chronology"]  # 001: "Chronology of China-Russia Relations" / "May – August 2016"
    doc = e.parse()
    title = "China-Russia Relations: Politics of “Reluctant Allies”"
    chrono = "Chronology of China-Russia Relations May – August 2016"
    assert sections(doc) == [(title, 1, (title,)), (chrono, 1, (chrono,))]
    assert doc.sections[1].start == e.text.index("Chronology of")
    assert paragraphs(doc) == [
        (e.read(153), "body", title, 1),
        (e.read(159), "chronology", chrono, 1),
        (e.read(161), "chronology", chrono, 1),
        (e.read(163), "chronology", chrono, 1),
        (e.read(165, "*"), "chronology", chrono, 1),
    ]


def test_tab_separated_table_is_one_paragraph_of_kind_table() -> None:
    e = EXCERPTS["tab_separated_table"]  # 002: SCO sessions, March-April 2011
    doc = e.parse()
    title = "China-Russia Relations: Mounting Challenges and Multilateralism"
    table = "\n".join(e.read(n, "<i>", "</i>").replace("\t", " | ") for n in range(43, 50))
    assert table.startswith("Time/Place | Sessions | Issues\nMarch 25 Tashkent, Uzbekistan | ")
    assert paragraphs(doc) == [
        (e.read(39), "body", title, 1),
        (e.read(41), "body", title, 1),
        (table, "table", title, 1),
        (e.read(51) + " " + e.read(53), "body", title, 2),
    ]
    assert sections(doc) == [(title, 1, (title,))]


# --- boilerplate kept out -----------------------------------------------------------------------


def test_about_blurb_is_a_boilerplate_section_with_no_paragraphs() -> None:
    e = EXCERPTS["about_blurb"]  # 000: "## ABOUT" between the title and the introduction
    doc = e.parse()
    title = "CHINA AND RUSSIA: GAMING THE WEST?"
    intro, art = "Introduction", "China and Russia: Towards an alliance treaty?"
    assert sections(doc) == [
        (title, 1, (title,)),
        ("ABOUT", 2, (title, "ABOUT")),
        (intro, 2, (title, intro)),
        (art, 2, (title, art)),
    ]
    assert [s.boilerplate for s in doc.sections] == [False, True, False, False]
    assert paragraphs(doc) == [
        (e.read(17), "body", intro, 1),
        (e.read(19), "body", intro, 1),
        (e.read(21) + " " + e.read(23), "body", intro, 2),
        (e.read(25, "*"), "body", intro, 1),
        (e.read(27, "*"), "body", intro, 1),
        (e.read(29) + e.read(31), "body", intro, 2),
        (e.read(37, "<sup>1</sup>", "<sup>2</sup>"), "body", art, 1),
    ]
    text = all_text(doc)
    assert "The Chinese have long been obsessed with strategic culture" not in text
    assert "introduces European audiences" not in text


def test_about_ecfr_and_publisher_notices_are_kept_out_but_author_notes_stay() -> None:
    # 000: "About the authors" is read, as bios; the notices after it and "## ABOUT ECFR" are not.
    # "ECFR has developed a strategy ... activities:" looks like a heading but is not one.
    e = EXCERPTS["about_ecfr"]
    doc = e.parse()
    assert sections(doc) == [
        ("About the authors", 1, ("About the authors",)),
        ("ABOUT ECFR", 1, ("ABOUT ECFR",)),
    ]
    assert [s.boilerplate for s in doc.sections] == [False, True]
    authors = "About the authors"
    assert paragraphs(doc) == [
        (e.read(337, "*", "[", "](mailto:francois.godement@ecfr.eu)"), "bio", authors, 1),
        (e.read(339, "*", "[", "](mailto:mathieu.duchatel@ecfr.eu)"), "bio", authors, 1),
        (e.read(341, "*", "[", "](mailto:asheldon Duplaix@hotmail.com)"), "bio", authors, 1),
        (e.read(343, "*", "[", "](mailto:fellow_three@merics.de)", "\\"), "bio", authors, 1),
        (e.read(345, "*", "[", "](mailto:m.julienne@frstrategie.org)"), "bio", authors, 1),
        (e.read(347, "*", "[", "](mailto:jerome.doyon@ecfr.eu)"), "bio", authors, 1),
        (e.read(349), "bio", authors, 1),
    ]
    text = all_text(doc)
    for notice in ("This paper does not represent", "Copyright of this publication", "ISBN", "©"):
        assert notice not in text
    assert "ECFR has developed a strategy" not in text


def test_thesis_cover_page_is_kept_out_and_the_title_page_opens_the_document() -> None:
    # 003: lines 1-20 are the repository's cover page; the thesis title page starts at line 22.
    # Its short lines ("by", "Ryan Donovan", "Bachelor of Arts", "2018", ...) are no headings.
    e = EXCERPTS["thesis_cover_page"]
    doc = e.parse()
    title = "The Sino-Russian Embrace: Resiliently Asymmetrical"
    context = "SINO-RUSSIAN RELATIONSHIP IN-CONTEXT"
    assert sections(doc) == [(title, 1, (title,)), (context, 2, (title, context))]
    assert doc.sections[0].start == e.text.index("\nThe Sino-Russian Embrace", 100) + 1
    title_page = [p for p in doc.paragraphs if p.spans[0][0] < e.text.index("Since the collapse")]
    assert {(p.kind, p.section.heading) for p in title_page} == {("body", title)}
    assert sum(len(p.spans) for p in title_page) == 13  # lines 24, 26, ..., 48
    assert " ".join(p.text for p in title_page) == " ".join(e.read(n) for n in range(24, 49, 2))
    assert paragraphs(doc)[len(title_page) :] == [
        (e.read(50), "body", title, 1),
        (e.read(54) + " " + e.read(56), "body", context, 2),
    ]
    text = all_text(doc)
    for cover in (
        "Follow this and additional works at",
        "Let us know how access",
        "Recommended Citation",
        "Paper 502",
        "doi.org",
        "This Thesis is brought to you",
    ):
        assert cover not in text


def test_blog_footer_is_kept_out() -> None:
    e = EXCERPTS["blog_footer"]  # 004: "Blog at" / "Up ↑" / "%d bloggers like this:"
    doc = e.parse()
    options = "Options for Balancing China?"
    assert sections(doc) == [(options, 1, (options,))]
    assert paragraphs(doc) == [
        (e.read(157), "body", options, 1),
        (e.read(159), "body", options, 1),
        (e.read(161), "body", options, 1),
        (e.read(164), "body", options, 1),
        # Rozman's bio: the excerpt leaves out his byline, so nothing says whose bio it is
        (without_credit(e.read(166)), "body", options, 1),
    ]
    text = all_text(doc)
    for footer in ("Blog at", "Up ↑", "bloggers like this", "Image credit"):
        assert footer not in text


# --- display text and offsets ------------------------------------------------------------------


def test_footnote_markers_emphasis_and_escapes_are_removed_from_text_but_spans_index_raw() -> None:
    e = EXCERPTS["display_cleanup_footnote_markers"]  # 000, lines 37-47
    doc = e.parse()
    title, fn = "China and Russia: Gaming the West?", '"Friendly neutrality"'
    assert sections(doc) == [(title, 1, (title,)), (fn, 1, (fn,))]
    assert paragraphs(doc) == [
        (e.read(37, "<sup>1</sup>", "<sup>2</sup>"), "body", title, 1),
        (e.read(41, "<sup>3</sup>", "*", "\\"), "body", fn, 1),
        (
            '1 "China, Russia sign joint statement on strengthening global strategic stability", '
            "Xinhua, 26 June 2016, available at "
            "http://news.xinhuanet.com/english/2016-06/26/c_135466187.htm.",
            "footnote",
            fn,
            1,
        ),
        (
            '2 "An exclusive interview with Yan Xuetong" (专访阎学通, zhuanyang Yan Xuetong), '
            "Dacankao, 3 July 2016. Yan Xuetong is a professor at Tsinghua University.",
            "footnote",
            fn,
            1,
        ),
        (e.read(47, "*"), "footnote", fn, 1),
    ]
    p41 = doc.paragraphs[1]
    assert "Bilateral trade totalled $95 billion in 2014" in p41.text
    assert "energy cooperation. Economic cooperation" in p41.text
    assert "(一定的战略性, yiding de zhanlüxing)" in p41.text
    ((start, end),) = p41.spans
    assert e.text[start:end] == e.line(41)  # the span still covers the raw line
    assert "\\$95 billion" in e.text[start:end] and "<sup>3</sup>" in e.text[start:end]


def test_placeholder_links_and_escaped_dollars_read_as_plain_text() -> None:
    e = EXCERPTS["display_cleanup_links_and_dollars"]  # 001, lines 97-105
    doc = e.parse()
    tales = "Tales of two Eurasian integrations: “Belt and Road” and EAEU"
    assert sections(doc) == [(tales, 1, (tales,))]
    assert paragraphs(doc) == [
        (e.read(99), "body", tales, 1),
        (e.read(101), "body", tales, 1),
        (e.read(103, "[", "](#)"), "body", tales, 1),
        (e.read(105, "\\"), "body", tales, 1),
    ]
    assert "(See Yu Bin, \"Putin's Glory and Xi's Dream\")." in doc.paragraphs[2].text
    assert "contribute $40 billion to set up" in doc.paragraphs[3].text
    for p, n in zip(doc.paragraphs, (99, 101, 103, 105), strict=True):
        assert [e.text[a:b] for a, b in p.spans] == [e.line(n)]


def test_bold_emphasis_is_removed_from_body_text() -> None:
    e = EXCERPTS["display_cleanup_bold"]  # 001: "less than **24 hours in China**"
    doc = e.parse()
    putin = "Putin: “speedboat to China”"
    assert sections(doc) == [(putin, 1, (putin,))]
    assert paragraphs(doc) == [
        (e.read(25, "**"), "body", putin, 1),
        (e.read(27, "**"), "body", putin, 1),
    ]
    assert "spent less than 24 hours in China for his 15th visit" in doc.paragraphs[0].text
    assert "**" in e.text[slice(*doc.paragraphs[0].spans[0])]


# --- lines that look like headings but are not --------------------------------------------------


def test_bibliography_entries_are_not_headings() -> None:
    e = EXCERPTS["bibliography_entries"]  # 003: "Kennan, George. 1946. ...", "Carlsson, ..."
    doc = e.parse()
    bib = "Bibliography"
    assert sections(doc) == [(bib, 1, (bib,))]
    entries = "\n".join(e.read(n, "*", "<", ">") for n in range(188, 194))
    assert paragraphs(doc) == [
        (entries, "bibliography", bib, 1),
        *[(e.read(n, "*", "<", ">"), "bibliography", bib, 1) for n in range(195, 218, 2)],
        (e.read(219) + " " + e.read(220, "<", ">"), "bibliography", bib, 1),  # hard-wrapped entry
    ]


def test_bibliography_entries_cut_by_page_breaks_are_rejoined() -> None:
    # 003: Starchak (250/252), Stokes (254/256/258) and Wang (264/266) each run over a break.
    # Whether a block is a bibliography entry depends on its section, so parse the whole thesis.
    e = EXCERPTS["bibliography_entries_cut_by_page_breaks"]
    doc = parse_file(CORPUS / e.doc_id, load_catalog(CORPUS))

    def entry(*lines: int) -> str:
        return " ".join(e.read(n, "*", "<", ">") for n in lines)

    expected = [
        (entry(248), "bibliography", "Bibliography", 1),
        (entry(250, 252), "bibliography", "Bibliography", 2),
        (entry(254, 256, 258), "bibliography", "Bibliography", 3),
        (entry(260), "bibliography", "Bibliography", 1),
        (entry(262), "bibliography", "Bibliography", 1),
        (entry(264, 266), "bibliography", "Bibliography", 2),
    ]
    first, last = e.offset_of_line(248), e.offset_of_line(266)
    assert [
        (p.text, p.kind, p.section.heading, len(p.spans))
        for p in doc.paragraphs
        if first <= p.spans[0][0] <= last
    ] == expected


# --- the reference apparatus: labelled, still searchable --------------------------------------


def whole(doc_id: str) -> tuple[Document, str]:
    source = (CORPUS / doc_id).read_text(encoding="utf-8")
    return parse_file(CORPUS / doc_id, load_catalog(CORPUS)), source


def test_the_note_on_the_author_closing_each_blog_article_is_a_bio_without_image_credit() -> None:
    # 004: six articles, each "Written by X." and closed, under no heading of its own, by
    # "X is ... Image credit: CC by .../Flickr." (Kuhrt's bio spells her "Kurt": one shared
    # name word is enough).
    doc, source = whole(D004)
    bios = [p for p in doc.paragraphs if p.kind == "bio"]
    articles = [s for s in doc.sections if s.level == 1]
    assert [(p.section.author, p.text.split(" is ")[0]) for p in bios] == [
        ("Jingdong Yuan", "Professor Jingdong Yuan"),
        ("Natasha Kuhrt", "Dr Natasha Kurt"),
        ("Jeanne L. Wilson", "Jeanne L. Wilson"),
        ("Christopher Marsh", "Christopher Marsh"),
        ("James C. Hsiung", "Dr. James C. Hsiung (Ph.D., Columbia Univ.)"),
        ("Gilbert Rozman", "Gilbert Rozman"),
    ]
    for bio, article in zip(bios, articles, strict=True):
        last = [p for p in doc.paragraphs if article.start <= p.spans[0][0] < article.end][-1]
        assert last is bio  # the article's last paragraph, nothing after it
    assert "Image credit" not in all_text(doc)
    assert "credit" not in "".join(source[a:b] for p in bios for a, b in p.spans)


def test_about_the_authors_section_is_bios_chunked_apart_and_labelled() -> None:
    doc, source = whole(D000)
    chunks = chunk_document(doc, source, ChunkingSettings())
    about = [c for c in chunks if c.section == "About the authors"]
    assert {c.kind for c in about} == {"bio"}
    assert {p.kind for p in doc.paragraphs if p.section.heading == "About the authors"} == {"bio"}
    assert "Marc Julienne is a PhD candidate" in " ".join(c.text for c in about)
    assert about[0].search_text.split("\n")[1].startswith("About the authors. François Godement")


def test_bibliography_entries_are_chunked_only_with_each_other_and_labelled() -> None:
    doc, source = whole(D003)
    chunks = chunk_document(doc, source, ChunkingSettings())
    assert {c.kind for c in chunks if c.section == "Bibliography"} == {"bibliography"}
    assert {c.section for c in chunks if c.kind == "bibliography"} == {"Bibliography"}
    first = next(c for c in chunks if c.kind == "bibliography")
    assert first.search_text.split("\n")[1].startswith("Bibliography. - Acharya, Amitav. 2014.")


def test_a_photo_credit_line_of_its_own_is_boilerplate() -> None:
    text = "A title line\n\nImage credit: CC by Clay Gilliland/Flickr.\n\nThe body goes on here."
    doc = parse_text("credit.txt", text, CatalogEntry(title="A title line"))
    assert all_text(doc) == "The body goes on here."


def test_footnotes_printed_out_of_order_or_with_sup_numbers_are_footnotes_not_body() -> None:
    # 000: notes 33-36 print before 29-32 (at 47900-51270), 37-41 as "<sup>37</sup> ...",
    # 42-49 as plain numbers; every one is cited in the text as <sup>N</sup>.
    doc, source = whole(D000)
    for n in range(29, 50):
        at = max(source.find(f"\n\n{n} "), source.find(f"\n\n<sup>{n}</sup> ")) + 2
        [holding] = [p for p in doc.paragraphs if any(a <= at < b for a, b in p.spans)]
        assert (n, holding.kind, holding.spans[0][0]) == (n, "footnote", at)


# --- whole-document outlines --------------------------------------------------------------------


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_detected_outline_equals_the_hand_checked_outline(doc_id: str) -> None:
    doc = parse_file(CORPUS / doc_id, load_catalog(CORPUS))
    detected = [
        {
            "heading": s.heading,
            "level": s.level,
            "path": list(s.path),
            "start": s.start,
            "end": s.end,
        }
        for s in doc.sections
    ]
    expected = json.loads((OUTLINES / f"{doc_id}.json").read_text("utf-8"))
    assert detected == expected


def test_a_footnote_after_a_page_break_footnote_block_is_a_footnote_not_body_text() -> None:
    """000: "14 The full text of the statement…" follows a footnote block cut into the body by
    a page break; it is a footnote of its own, never chunked with a body paragraph."""
    from qa.corpus.ingest import parse_file
    from qa.settings import REPO_ROOT

    path = REPO_ROOT / "corpus" / "000_ff0be94e4a76eeec.txt"
    at = path.read_text(encoding="utf-8").find("14 The full text of the statement")
    holding = [p for p in parse_file(path).paragraphs if any(s <= at < e for s, e in p.spans)]
    [paragraph] = holding
    assert paragraph.kind == "footnote"
    assert paragraph.text.startswith("14 The full text of the statement")
