"""`/docs` is Swagger UI served by qa itself: it renders the operations with no network beyond
the server (the `new_page` fixture also fails any test whose page asked another host)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.pages import LiveServer

pytestmark = pytest.mark.browser


def test_docs_render_the_operations_offline(page: Any, server: LiveServer):
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))

    page.goto(server.url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=10_000)

    paths = page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert "/ask" in [path.strip() for path in paths], paths
    assert hosts == {urlsplit(server.url).netloc}, hosts


def test_every_page_links_the_others(page: Any, server: LiveServer):
    for path in ("/", "/library", "/view?doc=ponds.txt&start=0&end=40&q=ponds"):
        page.goto(server.url + path)
        nav = page.locator("nav#site-nav")
        for href in ("/", "/library", "/docs"):
            assert nav.locator(f'a[href="{href}"]').count() == 1, f"{path}: no link to {href}"
