"""Small steps the browser tests share: ask on `/`, read cards, check what the viewport shows."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

RESULTS_MS = 10_000  # a question over the fake-embedded corpus answers in milliseconds

# The corpus every test sees: two small texts and a real two-column PDF (so passages have pages).
PONDS_TITLE = "FRESHWATER PONDS: A FIELD GUIDE"
BRIDGES_TITLE = "HOW SUSPENSION BRIDGES STAND"
PDF_ID = "sample-sigconf.pdf"
PDF_TITLE = "The Name of the Title Is Hope"
DOC_IDS = {"ponds.txt", "bridges.txt", PDF_ID}


@dataclass
class LiveServer:
    url: str
    corpus: Path
    index: Path
    log: Path
    process: subprocess.Popen[bytes]

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0)

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def squash(text: str) -> str:
    """Whitespace collapsed, so text read from different elements compares as words."""
    return re.sub(r"\s+", " ", text).strip()


def open_ask_page(page: Any, base_url: str, query: str = "") -> None:
    """Open `/` and wait until it has loaded the document list into `select#filter-doc`: the
    page fills its form from the URL only then (test_typing_before_the_page_is_ready_is_kept
    covers a reader who types sooner)."""
    page.goto(base_url + "/" + query)
    page.wait_for_selector("select#filter-doc option", state="attached")


def ask(page: Any, base_url: str, question: str) -> None:
    """Open `/`, type `question` into `#q`, press Enter and wait for result cards."""
    open_ask_page(page, base_url)
    page.fill("#q", question)
    page.press("#q", "Enter")
    wait_for_results(page)


def wait_for_results(page: Any) -> None:
    page.wait_for_selector("ol#results li.result", state="visible", timeout=RESULTS_MS)


# A card's heading may start with its rank (`<span class="result-rank">1.</span>`); the title is
# the rest.
TITLE_WITHOUT_RANK = """(el) => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('.result-rank').forEach((rank) => rank.remove());
    return copy.textContent;
}"""


def open_filters(page: Any) -> None:
    """Unfold the filters when they sit in a closed `<details>`, as a reader would."""
    summary = page.locator("details:has(#filter-doc):not([open]) > summary")
    if summary.count():
        summary.click()


def cards(page: Any) -> list[dict[str, str]]:
    """Title, section, page (empty when the card has none) and passage text of every card."""
    found = []
    for card in page.locator("ol#results li.result").all():
        pages = card.locator(".result-page")
        found.append(
            {
                "title": squash(card.locator(".result-title").evaluate(TITLE_WITHOUT_RANK)),
                "section": squash(card.locator(".result-section").inner_text()),
                "page": squash(pages.inner_text()) if pages.count() else "",
                "text": squash(card.locator(".result-text").inner_text()),
            }
        )
    return found


IN_VIEWPORT = """(selector) => {
    const el = document.querySelector(selector);
    if (!el) return false;
    const box = el.getBoundingClientRect();
    return box.height > 0 && box.top >= 0 && box.top < window.innerHeight;
}"""


def comes_into_view(page: Any, selector: str, timeout_ms: float = 3_000) -> bool:
    """Whether the top of the element's box is (or, after smooth scrolling, comes) inside the
    viewport within `timeout_ms`."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(IN_VIEWPORT, arg=selector, timeout=timeout_ms)
    except PlaywrightTimeout:
        return False
    return True
