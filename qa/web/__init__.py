"""The web page: the ask page, the document view, the library, and /docs, all served by the app.

The pages hold no data: each is a fixed HTML shell (templates/) whose script (static/js/) asks
the JSON routes, so they stay open when QA_API_KEY is set while the data routes keep asking for
the key. Every asset comes from static/, Swagger UI's too (static/swagger/, Apache-2.0): nothing
from a CDN, so the page and /docs work offline.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from string import Template

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"
STATIC_PREFIX = "/static/"
DOCS_PATH = "/docs"
REDOC_PATH = "/redoc"

# (template, <title>, script module) of each page.
PAGES: dict[str, tuple[str, str, str]] = {
    "/": ("ask.html", "Ask", "ask.js"),
    "/view": ("view.html", "Document", "view.js"),
    "/library": ("library.html", "Library", "library.js"),
}

# Paths that answer without the API key: they carry no corpus data.
OPEN_PATHS: frozenset[str] = frozenset({*PAGES, DOCS_PATH, REDOC_PATH})
OPEN_PREFIXES: tuple[str, ...] = (STATIC_PREFIX,)


def add_web(app: FastAPI, openapi_url: str | None) -> None:
    """Serve the pages, their static assets and an offline /docs on `app` (created with
    `docs_url=None, redoc_url=None`, so FastAPI's CDN-backed docs are not there too)."""
    app.include_router(_router(app.title, openapi_url))
    app.mount(STATIC_PREFIX.rstrip("/"), StaticFiles(directory=STATIC_DIR), name="static")


def _router(title: str, openapi_url: str | None) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    for path, (template, page_title, script) in PAGES.items():
        router.add_api_route(path, _page_route(template, page_title, script), methods=["GET"])

    @router.get(DOCS_PATH)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url or "/openapi.json",
            title=f"{title} · API docs",
            swagger_js_url=f"{STATIC_PREFIX}swagger/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_PREFIX}swagger/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_PREFIX}swagger/favicon-32x32.png",
            # No badge fetched from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @router.get(REDOC_PATH)
    def redoc() -> RedirectResponse:
        """ReDoc loads from a CDN; the offline Swagger UI shows the same spec."""
        return RedirectResponse(DOCS_PATH)

    return router


def _page_route(template: str, title: str, script: str) -> Callable[[], HTMLResponse]:
    def page() -> HTMLResponse:
        return HTMLResponse(render_page(template, title, script))

    page.__name__ = f"page_{template.removesuffix('.html')}"
    return page


@cache
def render_page(template: str, title: str, script: str) -> str:
    """A page: the shared layout (header, footer) around the page's own main content."""
    layout = Template((TEMPLATES_DIR / "layout.html").read_text(encoding="utf-8"))
    main = (TEMPLATES_DIR / template).read_text(encoding="utf-8")
    page = template.removesuffix(".html")
    return layout.substitute(
        title=title, page=page, main=main, script=f"{STATIC_PREFIX}js/{script}"
    )
