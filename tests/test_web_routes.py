"""The web page as served: the three pages carry the ids and classes their scripts and the
browser tests rely on, every asset they load is served by the app itself (nothing from a CDN,
so the page and /docs work offline), and with an API key set the pages stay open while the data
routes still ask for the key."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from qa.api import create_app
from qa.settings import Settings
from qa.web import STATIC_DIR

if TYPE_CHECKING:
    from qa.pipeline import Pipeline

KEY = "s3cret"
PAGES = ["/", "/view", "/library"]
# Swagger UI as published (its bundle names its project's https pages in comments and strings,
# none of which it loads); the test of /docs checks what the page loads.
VENDORED = STATIC_DIR / "swagger"
# Not a fetch: the namespace an SVG file must declare.
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


class Elements(HTMLParser):
    """Every start tag of a page, as (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def by_id(self, element_id: str) -> tuple[str, dict[str, str | None]]:
        found = [(t, a) for t, a in self.tags if a.get("id") == element_id]
        assert len(found) == 1, f"#{element_id}: {len(found)} elements"
        return found[0]

    def classes(self) -> set[str]:
        return {c for _, a in self.tags for c in (a.get("class") or "").split()}

    def links(self) -> list[str]:
        return [a[k] or "" for _, a in self.tags for k in ("href", "src") if k in a]


def parse(html: str) -> Elements:
    elements = Elements()
    elements.feed(html)
    return elements


@pytest.fixture(scope="module")
def client(tiny_pipeline: Pipeline) -> TestClient:
    return TestClient(create_app(Settings(), pipeline=tiny_pipeline))


@pytest.fixture(scope="module")
def keyed(tiny_pipeline: Pipeline) -> TestClient:
    return TestClient(create_app(Settings(api_key=KEY), pipeline=tiny_pipeline))


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_html_with_the_site_nav_linking_ask_library_and_api_docs(
    client: TestClient, path: str
) -> None:
    response = client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert page.by_id("site-nav")[0] == "nav"
    nav_start = response.text.index('id="site-nav"')
    nav = response.text[nav_start : response.text.index("</nav>", nav_start)]
    for href in ("/", "/library", "/docs"):
        assert f'href="{href}"' in nav
    assert page.by_id("footer-status")


def test_the_ask_page_has_the_form_filters_and_answer_regions_of_the_dom_contract(
    client: TestClient,
) -> None:
    page = parse(client.get("/").text)

    assert page.by_id("ask-form")[0] == "form"
    assert page.by_id("q")[0] == "input"
    assert any(t == "label" and a.get("for") == "q" for t, a in page.tags)
    tag, button = page.by_id("ask-button")
    assert tag == "button" and button["type"] == "submit"
    tag, select = page.by_id("filter-doc")
    assert tag == "select" and "multiple" in select
    for field in ("filter-author", "filter-since", "filter-until"):
        tag, attrs = page.by_id(field)
        assert tag == "input"
        assert any(t == "label" and a.get("for") == field for t, a in page.tags)
    assert page.by_id("status")[1]["aria-live"] == "polite"
    error = page.by_id("error")[1]
    assert error["role"] == "alert" and "hidden" in error
    banner = page.by_id("abstain-banner")[1]
    assert banner["role"] == "status" and "hidden" in banner
    assert page.by_id("answer-summary")
    assert "confidence-words" in page.classes()
    assert page.by_id("results")[0] == "ol"


def test_the_document_view_has_the_title_outline_text_and_hit_navigation(
    client: TestClient,
) -> None:
    page = parse(client.get("/view").text)

    assert page.by_id("doc-title")
    assert page.by_id("outline")[0] == "nav"
    assert page.by_id("doc-text")
    assert page.by_id("prev-hit")[0] == "button"
    assert page.by_id("next-hit")[0] == "button"
    assert page.by_id("hit-position")


def test_the_library_page_has_the_table_status_and_a_hidden_upload_form(
    client: TestClient,
) -> None:
    page = parse(client.get("/library").text)

    assert page.by_id("index-status")
    assert page.by_id("documents")[0] == "table"
    tag, upload = page.by_id("upload")
    assert tag == "form" and "hidden" in upload  # shown by the script when /health says writes
    assert page.by_id("upload-file")[1]["type"] == "file"
    assert page.by_id("upload-path")[0] == "input"
    assert page.by_id("upload-button")[0] == "button"
    assert page.by_id("library-message")[1]["role"] == "status"


def own_assets(client: TestClient) -> set[str]:
    """Every /static/ path the pages load, followed through the scripts' imports."""
    found: set[str] = set()
    todo = [
        link
        for path in PAGES
        for link in parse(client.get(path).text).links()
        if link.startswith("/static/")
    ]
    while todo:
        path = todo.pop()
        if path in found:
            continue
        found.add(path)
        if path.endswith(".js"):
            source = client.get(path).text
            for name in re.findall(r"""from\s+["'](\./[^"']+)["']""", source):
                todo.append(path.rsplit("/", 1)[0] + "/" + name.removeprefix("./"))
    return found


def test_every_asset_the_pages_load_is_served_by_the_app(client: TestClient) -> None:
    assets = own_assets(client)

    assert {"/static/qa.css", "/static/js/ask.js", "/static/js/api.js"} <= assets
    for path in sorted(assets):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.content, path


def test_no_page_or_asset_of_ours_refers_to_another_host(client: TestClient) -> None:
    served = {path: client.get(path).text for path in PAGES}
    for file in STATIC_DIR.rglob("*"):
        if file.is_file() and VENDORED not in file.parents and file.suffix != ".png":
            served[str(file.relative_to(STATIC_DIR))] = file.read_text(encoding="utf-8")

    for name, text in served.items():
        text = text.replace(SVG_NAMESPACE, "")
        assert "http://" not in text, name
        assert "https://" not in text, name
        assert not re.search(r"""["'(]//\w""", text), name  # protocol-relative, e.g. //cdn...


def test_api_docs_load_swagger_ui_from_the_app_and_redoc_points_there(
    client: TestClient,
) -> None:
    docs = client.get("/docs")

    assert docs.status_code == 200
    page = parse(docs.text)
    loaded = [link for link in page.links() if link]
    assert "/static/swagger/swagger-ui-bundle.js" in loaded
    assert "/static/swagger/swagger-ui.css" in loaded
    assert all(link.startswith("/static/") for link in loaded), loaded
    assert "cdn" not in docs.text
    assert "'/openapi.json'" in docs.text
    for link in loaded:
        assert client.get(link).status_code == 200, link
    assert (VENDORED / "LICENSE").is_file()
    redoc = client.get("/redoc", follow_redirects=False)
    assert redoc.status_code in (302, 307) and redoc.headers["location"] == "/docs"


def test_pages_and_docs_are_left_out_of_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    for path in [*PAGES, "/docs", "/redoc", "/static/qa.css"]:
        assert path not in paths


@pytest.mark.parametrize(
    "path",
    [*PAGES, "/static/qa.css", "/static/js/ask.js", "/docs", "/static/swagger/swagger-ui.css"],
)
def test_with_an_api_key_set_the_pages_assets_and_docs_are_open(
    keyed: TestClient, path: str
) -> None:
    assert keyed.get(path).status_code == 200


def test_with_an_api_key_set_the_data_routes_still_ask_for_it(keyed: TestClient) -> None:
    assert keyed.get("/documents").status_code == 401
    assert keyed.get("/documents/ponds.txt/text").status_code == 401
    assert keyed.post("/ask", json={"question": "What is a pond?"}).status_code == 401
    # An open prefix is a folder, not a string: no data route starts with it.
    assert keyed.get("/staticdocuments").status_code == 401
    assert keyed.get("/static").status_code == 401
    headers = {"authorization": f"Bearer {KEY}"}
    assert keyed.get("/documents", headers=headers).status_code == 200


def test_the_static_folder_ships_no_source_maps_it_does_not_serve() -> None:
    for file in STATIC_DIR.rglob("*"):
        if file.suffix in {".js", ".css"}:
            assert "sourceMappingURL" not in file.read_text(encoding="utf-8"), file


def test_the_vendored_swagger_ui_names_its_version_and_licence() -> None:
    readme = (VENDORED / "README.txt").read_text(encoding="utf-8")

    assert "swagger-ui-dist" in readme and "Apache" in readme
    assert Path(VENDORED / "NOTICE").is_file()
