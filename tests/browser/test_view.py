"""Opening a cited passage: `/view` shows the whole document, the cited words marked and in view,
an outline that scrolls to its headings, and buttons that step between hits."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.pages import PDF_TITLE, LiveServer, ask, comes_into_view, squash

pytestmark = pytest.mark.browser

QUESTION = "ACM Reference Format"  # cited more than once in the PDF, which has many headings


# The first line of the element is what the reader sees there: not hidden by a sticky bar.
UNCOVERED = """(selector) => {
    const el = document.querySelector(selector);
    const line = el.getClientRects()[0];
    const seen = document.elementFromPoint(line.left + 2, line.top + line.height / 2);
    return seen !== null && (seen === el || el.contains(seen));
}"""


# Scrolled to a heading: it is in the upper half of the viewport, or the page is at its end.
SCROLLED_TO = """(selector) => {
    const top = document.querySelector(selector).getBoundingClientRect().top;
    const end = window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2;
    return top >= 0 && (top < window.innerHeight / 2 || end);
}"""


def open_first_passage(page: Any, server: LiveServer) -> str:
    """Ask, click the first card's open link, and return the card's passage text."""
    ask(page, server.url, QUESTION)
    card = page.locator("li.result").first
    passage = squash(card.locator(".result-text").inner_text())
    with page.expect_navigation():
        card.locator("a.result-open").click()
    page.wait_for_selector("mark#cited", state="attached")
    return passage


def test_open_shows_the_cited_words_of_the_card_in_view(page: Any, server: LiveServer):
    passage = open_first_passage(page, server)

    url = urlsplit(page.url)
    assert url.path == "/view"
    params = parse_qs(url.query)
    assert {"doc", "start", "end", "q"} <= params.keys(), page.url
    assert params["q"] == [QUESTION]
    assert squash(page.locator("#doc-title").inner_text()) == PDF_TITLE
    cited = squash(page.locator("mark#cited").inner_text())
    assert cited and cited in passage, f"{cited!r} is not in the card's passage {passage!r}"
    assert page.locator("mark.cited").count() >= 1
    assert comes_into_view(page, "mark#cited"), "mark#cited is not scrolled into view"
    assert page.evaluate(UNCOVERED, "mark#cited"), "mark#cited is under another element"


def test_outline_links_scroll_to_their_headings(page: Any, server: LiveServer):
    open_first_passage(page, server)
    links = page.locator("nav#outline a")
    assert links.count() > 0

    link = links.last  # the heading furthest from the cited passage near the top
    target = link.get_attribute("href") or ""
    assert target.startswith("#") and len(target) > 1, f"outline link href {target!r}"
    heading_id = target[1:]
    link.click()

    selector = f'[id="{heading_id}"]'
    assert page.locator(selector).count() == 1, f"no element with id {heading_id!r}"
    assert comes_into_view(page, selector), f"{selector} is not in view after the click"
    page.wait_for_function(SCROLLED_TO, arg=selector)  # the scroll has settled on it
    assert page.evaluate(UNCOVERED, selector), f"{selector} is under another element"


POSITION_CHANGED = r"""(before) => {
    const now = document.querySelector('#hit-position').innerText;
    return now.replace(/\s+/g, ' ').trim() !== before;
}"""


def test_next_and_previous_hit_move_the_position(page: Any, server: LiveServer):
    open_first_passage(page, server)
    position = page.locator("#hit-position")
    page.wait_for_function(POSITION_CHANGED, arg="")  # the hits arrive after the text
    first = squash(position.inner_text())

    page.click("#next-hit")
    page.wait_for_function(POSITION_CHANGED, arg=first)
    second = squash(position.inner_text())
    page.click("#prev-hit")
    page.wait_for_function(POSITION_CHANGED, arg=second)

    assert second != first
    assert squash(position.inner_text()) == first
