"""axe-core on each page, in the state a reader sees it: no serious or critical violations.

axe-core comes from the axe-playwright-python package (its bundled axe.min.js is injected into
the page): nothing is fetched from a CDN."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.pages import LiveServer, ask

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}


def blocking_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -- "
        + "; ".join(" ".join(map(str, node["target"])) for node in v["nodes"][:5])
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]


def test_question_page_with_results_has_no_serious_violations(page: Any, server: LiveServer):
    ask(page, server.url, "What did Gorbachev say about ponds?")  # results and the banner

    violations = blocking_violations(page)
    assert not violations, "\n".join(violations)


def test_passage_view_has_no_serious_violations(page: Any, server: LiveServer):
    ask(page, server.url, "ACM Reference Format")
    with page.expect_navigation():
        page.locator("li.result a.result-open").first.click()
    page.wait_for_selector("mark#cited", state="attached")

    violations = blocking_violations(page)
    assert not violations, "\n".join(violations)


def test_library_page_has_no_serious_violations(page: Any, server: LiveServer):
    page.goto(server.url + "/library")
    page.wait_for_selector("table#documents tr[data-doc-id]")

    violations = blocking_violations(page)
    assert not violations, "\n".join(violations)
