"""Layout of a PDF's lines (qa/corpus/readers/pdf.py reads them): running headers and footers,
headings, paragraphs and words hyphenated across lines. Hand-written: no permissive library
recovers these from PDFium's lines (the survey in ../shared/research/ingestion.md).
"""

from __future__ import annotations

import re
import statistics
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass

from qa.corpus.readers import body_text

SOFT_HYPHEN = "\ufffe"  # PDFium's mark for a hyphen at the end of a line
BULLET = re.compile(r"^(?:[•◦▪●–·*]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s")
PAGE_NUMBER = re.compile(r"^(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,6})(?:\s*(?:of|/)\s*\d{1,4})?$", re.I)
SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")
JUNK_TITLE = re.compile(
    r"^(?:untitled|microsoft word\b.*|.*\.(?:pdf|dvi|docx?|tex|indd|ps))$", re.I
)
MAX_HEADING_CHARS = 200


@dataclass(slots=True)
class Line:
    text: str
    left: float
    right: float  # of the line's last character (a line PDFium merged at a hyphen: its 2nd part)
    top: float  # of its first character (PDF units, y grows upwards)
    base: float  # bottom of its first character
    bottom: float  # of its last character
    size: float
    heading: int = 0  # Markdown level when the line is a heading, else 0
    dropped: bool = False


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.replace(SOFT_HYPHEN, "").lower())


def _running_key(text: str) -> str:  # "Page 3 of 9" and "Page 4 of 9" are the same running line
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def drop_running_lines(pages: list[list[Line]]) -> int:
    """Drop lines at a page's top or bottom edge that repeat (modulo digits) or are page numbers."""
    edges: list[list[Line]] = []
    for lines in pages:
        if not lines:
            edges.append([])
            continue
        top = max(ln.top for ln in lines)
        bottom = min(ln.bottom for ln in lines)
        edges.append([ln for ln in lines if ln.top >= top - 2 or ln.bottom <= bottom + 2])
    seen = Counter(k for edge in edges for k in {_running_key(ln.text) for ln in edge})
    count = 0
    for edge in edges:
        for ln in edge:
            if PAGE_NUMBER.match(ln.text) or seen[_running_key(ln.text)] >= 2:
                ln.dropped = True
                count += 1
    return count


def weighted_median(sizes: Counter[float]) -> float:
    total, acc = sum(sizes.values()), 0
    for size in sorted(sizes):
        acc += sizes[size]
        if acc * 2 >= total:
            return size
    return 10.0


def _find(lines: list[Line], title: str, start: int = 0) -> int | None:
    """Index of the first kept line at or after `start` that (with up to 2 more) reads `title`."""
    want = _key(title)
    if not want:
        return None
    for i in range(start, len(lines)):
        got = ""
        for j in range(i, min(i + 3, len(lines))):
            if lines[j].dropped or lines[j].heading:
                break
            got += _key(lines[j].text)
            if got == want:
                lines[i].heading, lines[i].text = -1, title
                for ln in lines[i + 1 : j + 1]:
                    ln.dropped = True
                return i
            if not want.startswith(got):
                break
    return None


def mark_title(first_page: list[Line], meta_title: str, body: float) -> str | None:
    """The document title (metadata if meaningful, else page 1's largest text), marked as `#`."""
    if len(meta_title) >= 3 and not JUNK_TITLE.match(meta_title):
        i = _find(first_page, meta_title)
        if i is not None:
            first_page[i].heading = 1
        return meta_title
    kept = [ln for ln in first_page if not ln.dropped]
    if not kept:
        return None
    big = max(ln.size for ln in kept)
    if big < body * 1.15:
        return None
    run = [i for i, ln in enumerate(first_page) if not ln.dropped and ln.size == big]
    run = [i for k, i in enumerate(run) if i == run[0] + k][:3]  # consecutive lines only
    first_page[run[0]].heading = 1
    first_page[run[0]].text = " ".join(first_page[i].text for i in run)
    for i in run[1:]:
        first_page[i].dropped = True
    return first_page[run[0]].text


def mark_outline_headings(
    pages: list[list[Line]], outline: list[tuple[int, str, int | None]]
) -> None:
    """Mark each outline entry's line on its page; one not found is inserted at the page start."""
    cursor: dict[int, int] = {}
    missing: dict[int, list[Line]] = {}
    for level, title, page in outline:
        if page is None or not 0 <= page < len(pages) or not title:
            continue
        i = _find(pages[page], title, cursor.get(page, 0))
        if i is None:
            line = Line(title, 0, 0, 0, 0, 0, 0, heading=min(level + 2, 6))
            missing.setdefault(page, []).append(line)
        else:
            pages[page][i].heading = min(level + 2, 6)
            cursor[page] = i + 1
    for page, lines in missing.items():
        pages[page][:0] = lines


def mark_size_headings(pages: list[list[Line]], body: float) -> None:
    """Without an outline: lines clearly larger than the body text are headings, by size rank."""
    candidates = [
        ln
        for lines in pages
        for ln in lines
        if not ln.dropped
        and not ln.heading
        and ln.size >= max(body * 1.15, body + 1)
        and len(ln.text) <= MAX_HEADING_CHARS
        and re.search(r"[^\W\d_]", ln.text)
    ]
    ranks = sorted({round(ln.size * 2) / 2 for ln in candidates}, reverse=True)[:3]
    chosen = {id(ln) for ln in candidates}
    for lines in pages:
        prev: Line | None = None
        for ln in lines:
            rank = round(ln.size * 2) / 2
            if id(ln) not in chosen or rank not in ranks:
                prev = prev if ln.dropped else None
                continue
            if prev is not None and prev.size == ln.size and prev.top - ln.top < 2.5 * ln.size:
                prev.text += " " + ln.text  # a heading wrapped over two lines
                ln.dropped = True
                continue
            ln.heading = ranks.index(rank) + 2
            prev = ln


def line_pitch_ratio(pages: list[list[Line]]) -> float:
    """Median baseline-to-baseline distance between consecutive lines, in units of font size."""
    ratios = []
    for lines in pages:
        kept = [ln for ln in lines if not ln.dropped and not ln.heading]
        for a, b in zip(kept, kept[1:], strict=False):
            gap = a.bottom - b.base
            if abs(a.size - b.size) < 0.1 and 0.8 * a.size < gap < 2.5 * a.size:
                ratios.append(gap / a.size)
    return statistics.median(ratios) if ratios else 1.2


def page_blocks(lines: list[Line], ratio: float, vocab: set[str]) -> list[str]:
    kept = [ln for ln in lines if not ln.dropped]
    by_left = sorted((ln for ln in kept if not ln.heading), key=lambda ln: ln.left)
    lefts = [ln.left for ln in by_left]

    def column(ln: Line) -> list[Line]:  # lines starting within 4 ems of this one's start
        lo = bisect_left(lefts, ln.left - 4 * ln.size)
        return by_left[lo : bisect_right(lefts, ln.left + 4 * ln.size)]

    def breaks(a: Line, b: Line) -> bool:
        size = max(a.size, b.size)
        if abs(a.size - b.size) > 0.15 * size or BULLET.match(b.text):
            return True
        below = b.top < a.top - 0.3 * size and b.left < a.right and a.left < b.right
        if below and a.bottom - b.base > 1.4 * ratio * size:
            return True
        if not SENTENCE_END.search(a.text):
            return False
        short = a.right < max(ln.right for ln in column(a)) - 2 * size
        indented = b.left > min(ln.left for ln in column(b)) + 0.5 * size
        return short or indented

    blocks: list[str] = []
    para: list[Line] = []
    for ln in kept:
        if ln.heading:
            if para:
                blocks.append(body_text(_join_lines(para, vocab)))
            blocks.append("#" * ln.heading + " " + ln.text.replace(SOFT_HYPHEN, "-"))
            para = []
        elif para and breaks(para[-1], ln):
            blocks.append(body_text(_join_lines(para, vocab)))
            para = [ln]
        else:
            para.append(ln)
    if para:
        blocks.append(body_text(_join_lines(para, vocab)))
    return blocks


def _join_lines(lines: list[Line], vocab: set[str]) -> str:
    """One paragraph: lines joined by spaces, a word broken at a line end made whole again."""
    text = lines[0].text
    for ln in lines[1:]:
        if text.endswith("-") and text[-2:-1].isalnum() and ln.text[:1].isalnum():
            text += ln.text  # a hyphen PDFium did not mark soft: part of the word ("3-540")
        else:
            text += " " + ln.text

    def mend(m: re.Match[str]) -> str:
        left, right = m.group(1), m.group(2)
        return f"{left}-{right}" if _keeps_hyphen(left, right, vocab) else left + right

    text = re.sub(rf"(\w+){SOFT_HYPHEN}\s*(\w+)", mend, text)
    return text.replace(SOFT_HYPHEN, "-")


def vocabulary(raw_texts: list[str]) -> set[str]:
    """Words and hyphenated compounds the document writes whole (not broken at a line end)."""
    words: set[str] = set()
    for t in raw_texts:
        t = re.sub(rf"\w*{SOFT_HYPHEN}\s*\w*", " ", t)
        for w in re.findall(r"\w+(?:-\w+)*", t.lower()):
            words.add(w)
            words.update(w.split("-"))
    return words


def _keeps_hyphen(left: str, right: str, vocab: set[str]) -> bool:
    """Whether a hyphen at a line end is part of the word ("camera-ready") or hyphenation.

    PDFium marks both alike, so ask the document: a compound it writes elsewhere keeps its
    hyphen, a word it writes whole is joined, and two halves that are words of their own
    ("third", "party") keep it; else the hyphen was the typesetter's ("imple-mentation").
    >>> _keeps_hyphen("imple", "mentation", {"imple", "mentation"} - {"imple"})
    False
    >>> _keeps_hyphen("third", "party", {"third", "party"})
    True
    """
    lo, ro = left.lower(), right.lower()
    if lo + ro in vocab:
        return False
    return f"{lo}-{ro}" in vocab or (len(lo) >= 2 and len(ro) >= 3 and {lo, ro} <= vocab)
