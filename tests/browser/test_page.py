"""The question page `/`: asking, bookmarkable results, abstention, filters, errors, phone width,
keyboard only, copying a citation."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.pages import (
    BRIDGES_TITLE,
    PDF_TITLE,
    PONDS_TITLE,
    LiveServer,
    ask,
    cards,
    open_ask_page,
    open_filters,
    squash,
    wait_for_results,
)

pytestmark = pytest.mark.browser

POND_QUESTION = "What do dragonfly larvae hunt in a pond?"
PDF_QUESTION = "ACM Reference Format"


def query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_question_shows_cited_cards_and_the_url_bookmarks_them(page: Any, server: LiveServer):
    ask(page, server.url, POND_QUESTION)

    first = page.locator("li.result").first
    assert squash(first.locator(".result-title").inner_text())
    assert first.locator(".result-text mark").count() > 0, "the first card highlights nothing"
    assert query(page).get("q") == [POND_QUESTION]
    before = cards(page)
    assert before[0]["title"] == PONDS_TITLE

    page.reload()
    wait_for_results(page)
    assert page.input_value("#q") == POND_QUESTION
    assert cards(page) == before


def test_a_pdf_passage_card_shows_its_page(page: Any, server: LiveServer):
    ask(page, server.url, PDF_QUESTION)

    pdf_cards = [card for card in cards(page) if card["title"] == PDF_TITLE]
    assert pdf_cards, f"no card from the PDF: {cards(page)}"
    assert all(re.search(r"p\.\s*\d", card["page"]) for card in pdf_cards), pdf_cards
    assert all(not card["page"] for card in cards(page) if card["title"] != PDF_TITLE)


def test_an_unknown_name_abstains_and_still_lists_the_nearest_passages(
    page: Any, server: LiveServer
):
    ask(page, server.url, "What did Gorbachev say about ponds?")

    banner = page.locator("#abstain-banner")
    assert banner.is_visible()
    assert "Gorbachev" in banner.inner_text()
    assert page.locator("li.result").count() > 0
    assert page.locator("#answer-summary .confidence-words").inner_text().strip()


def test_without_abstaining_the_banner_is_hidden(page: Any, server: LiveServer):
    ask(page, server.url, POND_QUESTION)

    assert page.locator("#abstain-banner").is_hidden()
    assert page.locator("#error").is_hidden()


def test_typing_before_the_page_is_ready_is_kept(page: Any, server: LiveServer):
    """A reader who types while the document list is still loading keeps the question."""
    held: list[Any] = []

    def is_documents(url: str) -> bool:
        return urlsplit(url).path == "/documents"

    def hold(route: Any) -> None:
        if held:
            route.fallback()
        else:
            held.append(route)  # answered below, once the question is typed

    page.route(is_documents, hold)
    page.goto(server.url + "/")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page did not ask for /documents within 5 s"
    page.fill("#q", POND_QUESTION)
    held[0].fallback()
    page.wait_for_selector("select#filter-doc option", state="attached")

    assert page.input_value("#q") == POND_QUESTION


def test_document_filter_keeps_only_that_documents_passages(page: Any, server: LiveServer):
    open_ask_page(page, server.url)
    open_filters(page)
    page.select_option("select#filter-doc", ["bridges.txt"])
    page.fill("#q", "What holds things together?")
    page.press("#q", "Enter")
    wait_for_results(page)

    assert {card["title"] for card in cards(page)} == {BRIDGES_TITLE}
    assert query(page).get("doc") == ["bridges.txt"]


def test_author_filter_keeps_only_that_authors_passages(page: Any, server: LiveServer):
    open_ask_page(page, server.url)
    open_filters(page)
    page.fill("#filter-author", "Jane Marsh")
    page.fill("#q", "What holds things together?")
    page.press("#q", "Enter")
    wait_for_results(page)

    assert {card["title"] for card in cards(page)} == {PONDS_TITLE}


def test_filters_in_the_url_are_applied_and_shown(page: Any, server: LiveServer):
    open_ask_page(page, server.url, "?q=What+was+published%3F&since=2022&until=2022-12")
    wait_for_results(page)

    assert {card["title"] for card in cards(page)} == {PDF_TITLE}  # the only dated document
    assert page.input_value("#filter-since") == "2022"
    assert page.input_value("#filter-until") == "2022-12"


def _assert_error_shown_with_question_kept(page: Any, question: str) -> str:
    error = page.locator("#error")
    error.wait_for(state="visible")
    message = squash(error.inner_text())
    assert message, "#error is visible but says nothing"
    assert page.input_value("#q") == question
    body = page.locator("body").inner_text()
    assert '"detail"' not in body and "{" not in message, f"raw JSON shown: {message}"
    return message


def test_a_question_over_the_limit_shows_the_servers_refusal(page: Any, server: LiveServer):
    open_ask_page(page, server.url)
    question = "pond " * 250  # 1,250 characters; the server takes at most 1,000
    # Set through the DOM, past any maxlength on the input, so the server is the one refusing.
    page.eval_on_selector("#q", "(el, value) => { el.value = value; }", question)
    with page.expect_response("**/ask") as response:
        page.press("#q", "Enter")
    assert response.value.status == 422

    _assert_error_shown_with_question_kept(page, question)
    assert page.locator("li.result").count() == 0


def test_a_busy_server_shows_a_message_not_json(page: Any, server: LiveServer):
    page.route(
        "**/ask",
        lambda route: route.fulfill(
            status=503,
            headers={"Retry-After": "2"},
            content_type="application/json",
            body='{"detail": "too many questions waiting; try again in 2 s"}',
        ),
    )
    open_ask_page(page, server.url)
    page.fill("#q", POND_QUESTION)
    page.press("#q", "Enter")

    _assert_error_shown_with_question_kept(page, POND_QUESTION)


def test_at_phone_width_nothing_scrolls_sideways(new_page: Any, server: LiveServer):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    ask(page, server.url, PDF_QUESTION)

    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"scrollWidth {widths[0]} > clientWidth {widths[1]}"
    assert page.locator("#q").is_visible()
    assert page.locator("li.result").first.is_visible()
    box = page.locator("li.result").first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390


FOCUSED_IS_VISIBLE = """() => {
    const style = getComputedStyle(document.activeElement);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    return outline || style.boxShadow !== 'none';
}"""


def _tab_until(page: Any, selector: str, presses: int = 60) -> bool:
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return True
    return False


def test_keyboard_alone_asks_and_reaches_the_passages(page: Any, server: LiveServer):
    open_ask_page(page, server.url)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.mouse.click(1, 1)  # the focus navigation starting point: the top of the page

    assert _tab_until(page, "#q"), "Tab never reaches #q"
    assert page.evaluate(FOCUSED_IS_VISIBLE), "#q has no visible focus style"
    page.keyboard.type(POND_QUESTION)
    page.keyboard.press("Enter")
    wait_for_results(page)
    assert _tab_until(page, "a.result-open"), "Tab never reaches a.result-open"
    assert page.evaluate(FOCUSED_IS_VISIBLE), "a.result-open has no visible focus style"


def test_copy_citation_puts_title_and_page_on_the_clipboard(new_page: Any, server: LiveServer):
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    ask(page, server.url, PDF_QUESTION)
    first = cards(page)[0]

    page.locator("li.result").first.locator("button.copy-citation").click()
    page.wait_for_function("async () => (await navigator.clipboard.readText()).length > 0")
    clipped = page.evaluate("() => navigator.clipboard.readText()")

    assert first["title"] in clipped
    page_number = re.search(r"\d+", first["page"])
    assert (page_number and page_number.group() in clipped) or first["section"] in clipped, clipped


def test_a_401_asks_for_the_api_key_and_retries_with_it(page: Any, server: LiveServer):
    sent: list[str] = []

    def needs_key(route: Any) -> None:
        given = route.request.headers.get("authorization", "")
        sent.append(given)
        if given == "Bearer sesame":
            route.fallback()  # the real server (which needs no key) answers
        else:
            route.fulfill(
                status=401,
                headers={"WWW-Authenticate": "Bearer"},
                content_type="application/json",
                body='{"detail": "this server needs an API key"}',
            )

    page.route("**/ask", needs_key)
    open_ask_page(page, server.url)
    page.fill("#q", POND_QUESTION)
    page.press("#q", "Enter")
    page.wait_for_selector("form#key-form input#api-key", state="visible")
    page.fill("#api-key", "sesame")
    page.press("#api-key", "Enter")
    wait_for_results(page)

    assert sent[0] == "" and sent[-1] == "Bearer sesame", sent
    assert cards(page)[0]["title"] == PONDS_TITLE
    assert page.locator("#error").is_hidden()
