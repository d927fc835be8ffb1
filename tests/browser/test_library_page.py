"""The library page `/library`: every document listed, the index status, uploading a file (then
finding it on `/`) and deleting it again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages import DOC_IDS, LiveServer, ask, cards

pytestmark = pytest.mark.browser

UPLOAD_NAME = "lighthouse-keepers.md"
UPLOAD_TITLE = "Keepers of the Skerryvore Light"
UPLOAD_TEXT = f"""\
# {UPLOAD_TITLE}

## The lamp

The keepers of the Skerryvore lighthouse trimmed the wicks of the great paraffin lamp every
evening at dusk, polished the brass and wound the clockwork that turned the lens. A keeper's log
recorded every ship that passed the reef and every gale that shook the tower.

## Relief

Every six weeks a relief boat brought fresh water, coal and letters, when the swell allowed a
landing on the rocks below the tower.
"""


def rows(page: Any) -> set[str]:
    return {
        row.get_attribute("data-doc-id") or ""
        for row in page.locator("table#documents tr[data-doc-id]").all()
    }


def test_library_lists_every_document_and_a_ready_index(page: Any, server: LiveServer):
    page.goto(server.url + "/library")
    page.wait_for_selector("table#documents tr[data-doc-id]")

    with server.api() as api:
        served = {doc["doc_id"] for doc in api.get("/documents").json()}
    assert served == DOC_IDS  # no test left an upload behind
    assert rows(page) == DOC_IDS
    assert re.search(r"\bready\b", page.locator("#index-status").inner_text(), re.I), page.locator(
        "#index-status"
    ).inner_text()


@pytest.fixture
def upload_file(tmp_path: Path, server: LiveServer) -> Iterator[Path]:
    """A small Markdown file to upload; removed from the server afterwards even if the test
    failed half way, so the other tests see the corpus they expect."""
    path = tmp_path / UPLOAD_NAME
    path.write_text(UPLOAD_TEXT, encoding="utf-8")
    yield path
    with server.api() as api:
        if any(d["doc_id"] == UPLOAD_NAME for d in api.get("/documents").json()):
            api.delete(f"/documents/{UPLOAD_NAME}").raise_for_status()


def test_upload_then_ask_then_delete(page: Any, server: LiveServer, upload_file: Path):
    page.goto(server.url + "/library")
    page.wait_for_selector("table#documents tr[data-doc-id]")
    row = page.locator(f'table#documents tr[data-doc-id="{UPLOAD_NAME}"]')
    assert row.count() == 0

    page.set_input_files("input#upload-file", str(upload_file))
    page.click("#upload-button")
    row.wait_for(state="visible", timeout=20_000)
    assert UPLOAD_NAME in page.locator("#library-message").inner_text()

    ask(page, server.url, "Who trimmed the wicks of the lamp at Skerryvore?")
    assert cards(page)[0]["title"] == UPLOAD_TITLE

    page.goto(server.url + "/library")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f'button.delete-doc[data-doc-id="{UPLOAD_NAME}"]')
    row.wait_for(state="detached", timeout=20_000)
    assert rows(page) == DOC_IDS
    with server.api() as api:
        assert {doc["doc_id"] for doc in api.get("/documents").json()} == DOC_IDS


def test_dismissing_the_confirm_keeps_the_document(page: Any, server: LiveServer):
    page.goto(server.url + "/library")
    page.wait_for_selector("table#documents tr[data-doc-id]")
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click('button.delete-doc[data-doc-id="ponds.txt"]')
    page.wait_for_timeout(500)  # what a delete would have taken to show

    assert asked == ["confirm"]
    assert rows(page) == DOC_IDS
    with server.api() as api:
        assert {doc["doc_id"] for doc in api.get("/documents").json()} == DOC_IDS
