"""PDF -> Extracted, with pypdfium2 (PDFium: Apache-2.0/BSD; fast, right two-column order).

PDFium gives each page's characters in reading order with its own line breaks ("\\r\\n") and marks
a hyphen that ends a line as U+FFFE. Per line we read three character boxes and the font size,
and from that geometry decide the rest: running headers and footers (lines at the top or bottom
edge that repeat across pages, and lone page numbers) are dropped; paragraphs end at a wide
vertical gap, a change of font size, a bullet, or a sentence end followed by a short line or an
indented next line; headings come from the outline when the PDF has one, else from font size.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from qa.corpus.readers import Extracted
from qa.corpus.readers.pdf_layout import (
    Line,
    drop_running_lines,
    line_pitch_ratio,
    mark_outline_headings,
    mark_size_headings,
    mark_title,
    page_blocks,
    vocabulary,
    weighted_median,
)
from qa.errors import UnreadableDocument


def read(path: Path) -> Extracted:
    """Read a PDF file; raise UnreadableDocument when it is encrypted, image-only or corrupt."""
    try:
        pdf = pdfium.PdfDocument(path)
    except FileNotFoundError as exc:
        raise UnreadableDocument(f"{path.name}: file not found; check the path") from exc
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise UnreadableDocument(
                f"{path.name}: encrypted PDF (needs a password); save a decrypted copy and add that"
            ) from exc
        raise UnreadableDocument(
            f"{path.name}: not a readable PDF (corrupt or truncated); re-download or re-export it"
        ) from exc
    try:
        return _read(pdf, path.name)
    except pdfium.PdfiumError as exc:
        raise UnreadableDocument(
            f"{path.name}: PDF damaged inside ({exc}); re-download or re-export it"
        ) from exc
    finally:
        pdf.close()


def _read(pdf: pdfium.PdfDocument, name: str) -> Extracted:
    n_pages = len(pdf)
    if n_pages == 0:
        raise UnreadableDocument(f"{name}: the PDF has no pages; re-export it")
    pages: list[list[Line]] = []
    raw_texts: list[str] = []
    for i in range(n_pages):
        lines, raw = _page_lines(pdf[i])
        pages.append(lines)
        raw_texts.append(raw)
    if not any(t.strip() for t in raw_texts):
        raise UnreadableDocument(f"{name}: no text layer (a scan?); OCR it first (e.g. ocrmypdf)")

    warnings: list[str] = []
    meta = pdf.get_metadata_dict(skip_empty=True)
    dropped = drop_running_lines(pages)
    if dropped:
        warnings.append(f"dropped {dropped} running header/footer/page-number lines")
    sizes = Counter[float]()
    for line in (ln for page in pages for ln in page if not ln.dropped):
        sizes[round(line.size, 1)] += len(line.text)
    body = weighted_median(sizes)
    title = mark_title(pages[0], meta.get("Title", "").strip(), body)
    outline = [(b.level, b.get_title().strip(), b.get_dest()) for b in pdf.get_toc()]
    if outline:
        mark_outline_headings(
            pages, [(lv, t, d.get_index() if d else None) for lv, t, d in outline]
        )
    else:
        mark_size_headings(pages, body)
        warnings.append("no outline: headings guessed from font size")

    vocab = vocabulary(raw_texts)
    ratio = line_pitch_ratio(pages)
    texts = ["\n\n".join(page_blocks(lines, ratio, vocab)) for lines in pages]
    if title and not any(ln.heading == 1 for ln in pages[0]):
        texts[0] = f"# {title}\n\n{texts[0]}" if texts[0] else f"# {title}"
    text, starts = _join_pages(texts)
    return Extracted(
        text=text,
        page_starts=starts,
        title=title,
        authors=_authors(meta.get("Author", "")),
        date=_date(meta.get("CreationDate", "")),
        pages=n_pages,
        warnings=tuple(warnings),
    )


def _page_lines(page: pdfium.PdfPage) -> tuple[list[Line], str]:
    tp = page.get_textpage()
    raw = tp.get_text_range()
    lines: list[Line] = []
    pos = 0
    for piece in raw.split("\r\n"):
        start, pos = pos, pos + len(piece) + 2
        text = " ".join(piece.split())
        if not text:
            continue
        first = start + len(piece) - len(piece.lstrip())
        last = start + len(piece.rstrip()) - 1
        left, base, _, top = tp.get_charbox(first, loose=True)
        _, bottom, right, _ = tp.get_charbox(last, loose=True)
        size = statistics.median(
            pdfium_c.FPDFText_GetFontSize(tp.raw, k) for k in (first, (first + last) // 2, last)
        )
        if size < 2:  # font scaled by the text matrix: fall back to the glyph box height
            size = top - base
        lines.append(Line(text, left, right, top, base, bottom, size))
    tp.close()
    return lines, raw


def _join_pages(texts: list[str]) -> tuple[str, tuple[int, ...]]:
    """Pages' texts joined by blank lines, and each page's start (an empty page: the next's)."""
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    for t in texts:
        if parts and t:
            pos += 2
        starts.append(pos if t or not parts else pos + 2)
        if t:
            parts.append(t)
            pos += len(t)
    text = "\n\n".join(parts)
    return text, tuple(min(s, len(text)) for s in starts)


def _authors(raw: str) -> tuple[str, ...]:
    names = re.split(r"\s*(?:;|,|\band\b)\s*", raw.strip())
    return tuple(n for n in (" ".join(x.split()) for x in names) if n)


def _date(raw: str) -> str | None:
    m = re.match(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?", raw.strip())
    if not m:
        return None
    return "-".join(p for p in m.groups() if p)
