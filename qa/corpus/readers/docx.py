"""A Word .docx file -> its body as blocks: heading lines from styles, paragraphs, lists, tables.

python-docx reads the package; the body is walked in document order (document.element.body) so
a table stays between the paragraphs around it. Headers and footers live in their own parts and
are never read. A .docx has no pages of its own: only explicit breaks (a `w:br w:type="page"`
run, or a paragraph with `w:pageBreakBefore`) start one. Word's `w:lastRenderedPageBreak` marks
are not used: they record Word's last layout, are absent from files other tools write, and go
stale after any edit elsewhere, so they would give page numbers that look exact and are not.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from qa.corpus.readers import Extracted, body_text
from qa.errors import UnreadableDocument

_SPACES = re.compile(r"\s+")
_HEADING_STYLE = re.compile(r"^Heading ([1-9])$")
_TOC_STYLE = re.compile(r"^(?:TOC|toc) ?\d|^TOC Heading$")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read(path: Path) -> Extracted:
    """Read one .docx; raise UnreadableDocument when it is not one or holds no text."""
    document = _open(path)
    blocks: list[str] = []
    page_starts = [0]
    offset = 0  # where the next block will start in the joined text
    break_pending = False  # an explicit break was seen; the next block starts a page
    skipped_toc = 0

    def add(block: str, starts_page: bool = False) -> None:
        nonlocal offset, break_pending
        if (starts_page or break_pending) and blocks:
            page_starts.append(offset)
        break_pending = False
        blocks.append(block)
        offset += len(block) + 2  # the "\n\n" that follows it

    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for element in _body_elements(document.element.body):
        if element.tag == f"{_W}tbl":
            table = _table(Table(element, document))
            if table:
                add(table)
            continue
        paragraph = Paragraph(element, document)
        style = _style_name(paragraph)
        text = _clean(paragraph.text)
        breaks_before, breaks_after = _page_breaks(element)
        if _TOC_STYLE.match(style):
            skipped_toc += 1
            break_pending = break_pending or breaks_after
            continue
        if not text:
            break_pending = break_pending or breaks_before or breaks_after
            continue
        add(_format(text, style, element), starts_page=breaks_before)
        break_pending = breaks_after

    if not blocks:
        raise UnreadableDocument(
            f"{path.name}: this Word file holds no text in its body (only images, fields or "
            "headers?); save a copy with the text or remove the file"
        )
    props = document.core_properties
    created = props.created or props.modified
    warnings = (f"skipped {skipped_toc} table-of-contents lines",) if skipped_toc else ()
    return Extracted(
        text="\n\n".join(blocks),
        # Without one explicit break nothing is known of pages: no page map, not "all page 1".
        page_starts=tuple(page_starts) if len(page_starts) > 1 else (),
        title=_clean(props.title or "") or None,
        authors=tuple(n for n in (_clean(a) for a in re.split(r"[;,]", props.author or "")) if n),
        date=created.date().isoformat() if created is not None else None,
        warnings=warnings,
    )


def _open(path: Path) -> Any:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        return docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        reason = "not a .docx (zip) file" if isinstance(exc, PackageNotFoundError) else str(exc)
        raise UnreadableDocument(
            f"{path.name}: cannot be read as a Word .docx ({reason.splitlines()[0][:120]}); "
            "re-save it from Word or LibreOffice as .docx, or remove it"
        ) from exc
    except Exception as exc:  # lxml's XMLSyntaxError and the like from a damaged part
        raise UnreadableDocument(
            f"{path.name}: the Word file is damaged ({type(exc).__name__}); "
            "re-save it from Word or LibreOffice as .docx, or remove it"
        ) from exc


def _body_elements(body: Any) -> list[Any]:
    """Paragraphs and tables in document order, looking inside content controls (w:sdt)."""
    out: list[Any] = []
    for child in body.iterchildren():
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            out.append(child)
        elif child.tag == f"{_W}sdt":
            for content in child.iterchildren(f"{_W}sdtContent"):
                out.extend(_body_elements(content))
    return out


def _style_name(paragraph: Any) -> str:
    try:
        style = paragraph.style
    except (KeyError, ValueError):  # a style id the styles part does not define
        return ""
    return str(style.name or "") if style is not None else ""


def _format(text: str, style: str, element: Any) -> str:
    """Markdown heading for "Title"/"Heading N" styles, "- " for list paragraphs."""
    if style == "Title":
        return "# " + text
    heading = _HEADING_STYLE.match(style)
    if heading:
        return "#" * min(int(heading.group(1)), 6) + " " + text
    numbered = element.find(f"{_W}pPr/{_W}numPr") is not None
    if numbered or style.startswith("List"):
        return "- " + text
    return body_text(text)


def _page_breaks(paragraph: Any) -> tuple[bool, bool]:
    """(page starts at this paragraph, page starts after it) from its explicit breaks."""
    before = paragraph.find(f"{_W}pPr/{_W}pageBreakBefore") is not None
    after = False
    for node in paragraph.iter(f"{_W}br", f"{_W}t"):
        if node.tag == f"{_W}br" and node.get(f"{_W}type") == "page":
            after = True
        elif node.tag == f"{_W}t" and after and (node.text or "").strip():
            before, after = True, False  # text follows the break: this block opens the page
    return before, after


def _table(table: Any) -> str:
    """One row per line, cells separated by a tab; a merged cell is written once."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        last = None
        for cell in row.cells:
            if cell._tc is last:
                continue
            last = cell._tc
            cells.append(_clean(cell.text))
        if any(cells):
            rows.append("\t".join(cells))
    return "\n".join(rows)


def _clean(text: str) -> str:
    """Tabs and soft line breaks read as spaces; a tab would make the block a table row."""
    return _SPACES.sub(" ", text).strip()
