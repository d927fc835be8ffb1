"""A web page -> its main content as blocks: Markdown headings, paragraphs, list items, tables.

trafilatura finds the main content (navigation, sidebars, footers and scripts out) and gives it
as a small XML tree (head/p/list/item/table/row/cell/code/quote); this module turns that tree
into the text shape of qa/corpus/readers/__init__.py. selectolax (lexbor) reads the metadata and
prepares the page first: trafilatura flattens a table nested in a definition list (every Sphinx
API page) into one paragraph per cell, so definition lists are unwrapped before it sees them, and
permalink anchors ("¶") are removed. Nothing is fetched: trafilatura only parses.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from pathlib import Path
from typing import Any

from qa.corpus.readers import Extracted, body_text
from qa.errors import UnreadableDocument

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
_ISO_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_PERMALINK_GLYPHS = {"¶", "#", "§", "🔗", "⚓"}
_FOOTNOTE_ASIDE = (
    "aside.footnote, aside.footnote-list, aside[role=doc-footnote], aside[role=doc-endnotes]"
)
_LOOSE_PARENTS = ("body", "div", "blockquote", "center", "section", "article", "main")
_INLINE = frozenset(  # inline elements: part of a run of loose text
    {"a", "abbr", "b", "big", "cite", "code", "em", "font", "i", "img", "kbd", "q", "s"}
    | {"samp", "small", "span", "strong", "sub", "sup", "tt", "u", "var"}
)
_BLOCK_TAGS = {"head", "p", "list", "item", "table", "row", "cell", "quote", "div", "main", "body"}


def read(path: Path) -> Extracted:
    """Read one HTML file; raise UnreadableDocument when no readable text is left."""
    import trafilatura
    from selectolax.lexbor import LexborHTMLParser

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(f"{path.name}: cannot be read ({exc}); check the file") from exc
    page = LexborHTMLParser(_decode(raw))
    title, authors, date = _page_metadata(page)
    _prepare(page)
    prepared = _wrap_loose_text(page.html or "")
    warnings: list[str] = []

    blocks: list[str] = []
    doc: Any = None
    if prepared.strip():
        doc = trafilatura.bare_extraction(
            prepared,
            include_comments=False,
            include_tables=True,
            include_formatting=True,
            with_metadata=True,
        )
        if doc is not None and doc.body is not None:
            blocks = _blocks(doc.body)
        if not blocks:  # too little for main-content detection: keep the whole page's text
            body, _, _ = trafilatura.baseline(prepared)
            blocks = _blocks(body)
            if blocks:
                warnings.append("no main content found; kept the text of the whole page")
    if not blocks:
        raise UnreadableDocument(
            f"{path.name}: no readable text in this HTML page (empty, script-only or not HTML); "
            "save the page's rendered text or remove the file"
        )
    if doc is not None:  # trafilatura's title is <title> without the site name, or the h1
        title = title or _clean_inline(doc.title or "") or None
        authors = authors or _split_authors(doc.author or "")
        date = date or _iso_date(doc.date or "")
    if title is None:
        node = page.css_first("title")
        title = _clean_inline(node.text()) if node is not None else None
    if not title:
        title = next((b.lstrip("# ") for b in blocks if b.startswith("# ")), None)
    return Extracted(
        text="\n\n".join(blocks),
        title=title,
        authors=authors,
        date=date,
        warnings=tuple(warnings),
    )


def _decode(raw: bytes) -> str:
    """The charset the file declares (BOM or <meta>), else UTF-8; bad bytes become U+FFFD."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if raw.startswith(bom):
            return raw.decode(encoding, errors="replace")
    encoding = "utf-8"
    match = _CHARSET.search(raw[:4096])
    if match:
        with contextlib.suppress(LookupError):  # an unknown charset name: keep UTF-8
            encoding = codecs.lookup(match.group(1).decode("ascii")).name
    return _CONTROL.sub("", raw.decode(encoding, errors="replace"))


def _page_metadata(page: Any) -> tuple[str | None, tuple[str, ...], str | None]:
    """og:title, authors and date the page states in its <head>, before any cleanup."""

    def meta(*names: str) -> str:
        for name in names:
            node = page.css_first(f'meta[property="{name}"], meta[name="{name}"]')
            content = node.attributes.get("content") if node is not None else None
            if content and content.strip():
                return str(content)
        return ""

    title = _clean_inline(meta("og:title", "twitter:title"))
    authors = _split_authors(meta("author", "article:author", "dc.creator", "citation_author"))
    date = _iso_date(meta("article:published_time", "dc.date", "citation_date", "date"))
    return title or None, authors, date


def _prepare(page: Any) -> None:
    """Remove permalink anchors; unwrap definition lists so trafilatura keeps nested tables;
    footnotes in <aside> become <div>s, which trafilatura does not take for sidebars."""
    for anchor in page.css("a"):
        if anchor.text(strip=True) in _PERMALINK_GLYPHS:
            anchor.decompose()
    from selectolax.lexbor import LexborHTMLParser

    for term in page.css("dt"):
        paragraph = LexborHTMLParser(f"<p>{term.inner_html or ''}</p>").css_first("p")
        if paragraph is not None:
            term.replace_with(paragraph)
    page.unwrap_tags(["dl", "dd"])
    while (note := page.css_first(_FOOTNOTE_ASIDE)) is not None:  # footnotes are content
        div = LexborHTMLParser(f"<div>{note.inner_html or ''}</div>").css_first("div")
        if div is None:
            break
        note.replace_with(div)


def _wrap_loose_text(html: str) -> str:
    """Text written straight into <body> or a <div> (old hand-written pages: no <p> at all)
    wrapped in <p>, which trafilatura would otherwise drop: it keeps text in blocks only, and
    zlib's "how" page lost half its prose. A page without such text is returned unchanged.

    Hand-written: lxml parses and rebuilds; no library wraps loose inline content.

    >>> _wrap_loose_text("<html><body><h2>T</h2>Some <tt>loose</tt> text.<p>Kept</p></body></html>")
    '<html><body><h2>T</h2><p>Some <tt>loose</tt> text.</p><p>Kept</p></body></html>'
    """
    import lxml.html

    if not html.strip():
        return html
    root = lxml.html.document_fromstring(html)
    changed = False
    for parent in list(root.iter(*_LOOSE_PARENTS)):
        if _has_loose_text(parent):
            _wrap_runs(parent)
            changed = True
    return lxml.html.tostring(root, encoding="unicode") if changed else html


def _has_loose_text(parent: Any) -> bool:
    return bool((parent.text or "").strip()) or any((c.tail or "").strip() for c in parent)


def _wrap_runs(parent: Any) -> None:
    """Rebuild `parent`'s content: each run of text and inline elements holding text becomes
    one <p>; block children stay where they are."""
    from lxml.html import Element

    nodes: list[Any] = [parent.text] if parent.text else []
    for child in list(parent):
        tail, child.tail = child.tail, None
        nodes.append(child)
        if tail:
            nodes.append(tail)
        parent.remove(child)
    parent.text = None
    run: list[Any] = []

    def flush() -> None:
        target = parent
        if any(_text_of(n).strip() for n in run):
            target = Element("p")
            parent.append(target)
        for node in run:
            _append(target, node)
        run.clear()

    for node in nodes:
        if isinstance(node, str) or not isinstance(node.tag, str) or node.tag in _INLINE:
            run.append(node)  # text, an inline element, or a comment
        else:
            flush()
            parent.append(node)
    flush()


def _text_of(node: Any) -> str:
    if isinstance(node, str):
        return node
    return node.text_content() if isinstance(node.tag, str) else ""


def _append(parent: Any, node: Any) -> None:
    if not isinstance(node, str):
        parent.append(node)
    elif len(parent):
        parent[-1].tail = (parent[-1].tail or "") + node
    else:
        parent.text = (parent.text or "") + node


def _blocks(root: Any) -> list[str]:
    out: list[str] = []
    _walk(root, out)
    return [b for b in out if b.strip()]


def _walk(element: Any, out: list[str]) -> None:
    """Block children become blocks; loose inline text between them becomes its own block."""
    pending = [element.text or ""]

    def flush() -> None:
        text = _clean_inline("".join(pending))
        if text:
            out.append(body_text(text))
        pending.clear()

    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "code" and "\n" in _text(child, keep_lines=True).strip():
            flush()
            out.append(body_text(_code(child)))
        elif tag in _BLOCK_TAGS or tag == "graphic":
            flush()
            _block(child, tag, out)
        else:
            pending.append(_text(child))
        pending.append(child.tail or "")
    flush()


def _block(element: Any, tag: str, out: list[str]) -> None:
    if tag == "head":
        rend = element.get("rend") or ""
        level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
        text = _clean_inline(_text(element))
        if text:
            out.append("#" * level + " " + text)
    elif tag == "p":
        out.append(body_text(_clean_inline(_text(element))))
    elif tag == "list":
        ordered = element.get("rend") == "ol"
        for number, item in enumerate((c for c in element if c.tag == "item"), start=1):
            start = len(out)
            _walk(item, out)
            if len(out) > start and not out[start].startswith("#"):
                out[start] = (f"{number}. " if ordered else "- ") + out[start]
    elif tag == "table":
        out.append(_table(element))
    elif tag != "graphic":  # item, quote, div, row or cell outside a table: a container
        _walk(element, out)


def _table(table: Any) -> str:
    """One row per line, cells separated by a tab; empty rows dropped."""
    rows = []
    for row in table.iter("row"):
        cells = [_clean_inline(_text(c)).replace("\t", " ") for c in row if c.tag == "cell"]
        if any(cells):
            rows.append("\t".join(cells))
    return "\n".join(rows)


def _code(element: Any) -> str:
    """A code block keeps its lines (blank ones dropped so it stays one block), tabs as spaces."""
    lines = _text(element, keep_lines=True).expandtabs(4).splitlines()
    return "\n".join(line.rstrip() for line in lines if line.strip())


def _text(element: Any, keep_lines: bool = False) -> str:
    """All text under `element`; a line break or a nested block reads as a space."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "lb":
            parts.append("\n" if keep_lines else " ")
        elif tag in _BLOCK_TAGS:
            parts.append(" " + _text(child, keep_lines) + " ")
        else:
            parts.append(_text(child, keep_lines))
        parts.append(child.tail or "")
    return "".join(parts)


def _clean_inline(text: str) -> str:
    text = _SPACES.sub(" ", text).strip()
    while text and text[-1] in "¶":  # a permalink glyph left in the text itself
        text = text[:-1].rstrip()
    return text


def _split_authors(value: str) -> tuple[str, ...]:
    names = (_clean_inline(n) for n in re.split(r";|\s+and\s+|\|", value))
    return tuple(dict.fromkeys(n for n in names if n))


def _iso_date(value: str) -> str | None:
    """'2024-03-05T10:00:00Z' -> '2024-03-05'; a bare year or year-month is kept as such."""
    match = _ISO_DATE.match(value)
    if not match:
        return None
    return "-".join(part for part in match.groups() if part)
