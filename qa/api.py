"""FastAPI app: a thin adapter over Pipeline.

The pipeline is opened once, in the lifespan handler, and reaches the routes through a dependency.
qa errors become HTTP statuses in one place, `_handle_qa_error`. Run it with `qa serve`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa import __version__
from qa.enrichment import BackgroundEnrichment
from qa.errors import (
    BuildRunning,
    ClientGone,
    DuplicateDocument,
    IndexCorrupt,
    IndexMismatch,
    IndexMissing,
    InvalidQuestion,
    InvalidRange,
    InvalidUpload,
    LastDocument,
    QAError,
    RequestTooLarge,
    ServerBusy,
    Unauthorized,
    UnknownDocument,
    UnsupportedType,
    WritesForbidden,
)
from qa.http.body import StrictJSONRoute, short_errors
from qa.http.guards import LimitBody, RequireApiKey
from qa.http.library import MULTIPART_OVERHEAD, UPLOAD_PATH, library_router, writes_allowed
from qa.http.queue import QuestionQueue
from qa.index.manifest import max_file_bytes
from qa.pipeline import MAX_TEXT_CHARS, Mode, Pipeline
from qa.schema import (
    AskRequest,
    AskResponse,
    DocumentDetail,
    DocumentOut,
    DocumentTextOut,
    ErrorMessage,
    FiltersIn,
    Health,
    k_field,
    question_field,
)
from qa.serving import ServedIndex, reload_on_sighup, served_index
from qa.settings import Settings, available_cores
from qa.web import OPEN_PATHS, OPEN_PREFIXES, add_web

log = logging.getLogger(__name__)

# Checked in order, so a subclass must come before its base; anything else is a 500.
_STATUS_BY_ERROR: tuple[tuple[type[QAError], int], ...] = (
    (InvalidQuestion, 422),
    (InvalidRange, 422),
    (InvalidUpload, 422),
    (UnknownDocument, 404),
    (Unauthorized, 401),
    (WritesForbidden, 403),
    (UnsupportedType, 415),
    (DuplicateDocument, 409),
    (LastDocument, 409),
    (RequestTooLarge, 413),
    (IndexMissing, 503),
    (IndexMismatch, 503),
    (IndexCorrupt, 503),
    (BuildRunning, 503),
    (ServerBusy, 503),
    (ClientGone, 499),  # nginx's "client closed request"; the client is gone, no one receives it
)

# Statuses any route may answer besides its own, for the OpenAPI spec.
_GUARD_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorMessage, "description": "An API key is required (QA_API_KEY is set)."},
    413: {"model": ErrorMessage, "description": "The request body is over QA_MAX_BODY_BYTES."},
    503: {
        "model": ErrorMessage,
        "description": "The index is missing, damaged, being built or built with other "
        "settings; or the server is at QA_MAX_CONNECTIONS (or, for questions, QA_MAX_WAITING): "
        "retry after the Retry-After seconds.",
    },
}

router = APIRouter(route_class=StrictJSONRoute)


def create_app(
    settings: Settings | None = None, pipeline: Pipeline | None = None, host: str = "127.0.0.1"
) -> FastAPI:
    """Build the app. Without a pipeline, one is opened from `settings` (or QA_* env) at startup.
    `host` is the interface the server listens on: beyond loopback, without an API key, it takes
    no writes (qa/http/library.py)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if pipeline is None:
            app.state.pipeline = Pipeline.open(limits, enrich=False)
        # Routes get the pipeline through `served`, whose watcher swaps in a rebuilt index.
        served = app.state.served = ServedIndex(app.state.pipeline)
        enrichment = BackgroundEnrichment(served, limits.reload_interval_s)
        if isinstance(app.state.pipeline, Pipeline):  # a test's stand-in is served as it is
            served.start()
            enrichment.start()
        restore_sighup = reload_on_sighup(served)  # under `qa serve`: SIGHUP reloads, not kills
        try:
            yield
        finally:
            enrichment.stop()
            restore_sighup()
            await asyncio.to_thread(served.stop)
            app.state.worker.shutdown(wait=False)

    limits = settings or Settings()  # the pipeline's settings and the HTTP limits
    app = FastAPI(
        title="qa",
        version=__version__,
        summary="Ask a question; get back the source passages that answer it, with citations.",
        lifespan=lifespan,
        # Served by qa/web instead, from local assets: FastAPI's load Swagger UI from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.pipeline = pipeline
    app.state.listen_host = host
    app.state.limits = limits
    # Questions run on long-lived threads (see qa/http/queue.py), one per core unless
    # QA_WORKERS says otherwise; at most max_waiting wait.
    app.state.worker = QuestionQueue(limits.max_waiting, limits.workers or available_cores())
    app.add_exception_handler(QAError, _handle_qa_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_error)
    app.include_router(router)
    app.include_router(_ask_router(limits))
    app.include_router(library_router(limits, _GUARD_RESPONSES))
    add_web(app, app.openapi_url)  # the page, its assets and /docs
    _add_guards(app, limits)
    return app


def _add_guards(app: FastAPI, settings: Settings) -> None:
    """Outermost first: CORS when origins are configured (so browsers' preflight requests, which
    carry no key, get their answer), the API key when one is set, the body size limit."""
    upload = max_file_bytes(settings) + MULTIPART_OVERHEAD
    app.add_middleware(
        LimitBody, max_bytes=settings.max_body_bytes, larger={("POST", UPLOAD_PATH): upload}
    )
    if settings.api_key is not None:
        # The pages, their assets and the docs hold no data; their scripts send the key.
        docs = {app.openapi_url, app.swagger_ui_oauth2_redirect_url}
        app.add_middleware(
            RequireApiKey,
            key=settings.api_key.get_secret_value(),
            open_paths={"/health"} | OPEN_PATHS | {path for path in docs if path},
            open_prefixes=OPEN_PREFIXES,
            respond=_handle_qa_error,
        )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After"],
        )


def get_pipeline(request: Request) -> Pipeline:
    """The pipeline serving now; a request keeps it to the end even if a reload swaps it out."""
    return served_index(request).pipeline


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
ServedDep = Annotated[ServedIndex, Depends(served_index)]


@router.get("/health", response_model=Health, tags=["meta"])
def health(served: ServedDep, request: Request) -> Health:
    """Index size, embedding model and build time; `status` "degraded" with a `reason` when the
    served index is damaged or a newer one failed to load; `stale` when the corpus changed since
    the served index was built; `writes` when this client may add and remove documents."""
    return _health(served, request)


def _health(served: ServedIndex, request: Request) -> Health:
    writes = writes_allowed(request, request.app.state.limits)
    return Health.model_validate({**served.health(), "writes": writes})


@router.post("/admin/reload", response_model=Health, responses=_GUARD_RESPONSES, tags=["admin"])
async def reload(served: ServedDep, request: Request) -> Health:
    """Load the index on disk now and serve it (the server also looks for a newer one every
    QA_RELOAD_INTERVAL_S seconds, and on SIGHUP). If it fails to load, the index served so far
    stays, and the health returned says "degraded" and why."""
    await asyncio.to_thread(served.reload, True)
    return _health(served, request)


def _ask_router(settings: Settings) -> APIRouter:
    """`POST /ask`, its body limited by `settings`: enforced, and shown in the OpenAPI spec."""

    class AskBody(AskRequest):
        """A question, how many passages to return, and the retrieval mode."""

        question: str = question_field(settings.max_question_chars)
        k: int = k_field(settings.max_k)
        mode: Mode = "hybrid"
        filters: FiltersIn | None = Field(
            None,
            description="Only passages of these documents, authors or dates (applied before "
            "ranking, to every ranker).",
        )

    async def ask(body: AskBody, request: Request, pipeline: PipelineDep) -> AskResponse:
        """Rank the passages that answer `question`, best first, each with its exact source
        offsets."""
        # Passed only when given: a question without filters is asked as before they existed.
        filters = {"filters": body.filters.to_filters()} if body.filters else {}
        answer = await request.app.state.worker.run(
            lambda: pipeline.ask(body.question, body.k, mode=body.mode, **filters),
            client_gone=request.is_disconnected,
        )
        return AskResponse.from_answer(answer)

    # Postponed annotations leave `body: AskBody` a string that FastAPI would look up among this
    # module's globals; it must be the class above.
    ask.__annotations__["body"] = AskBody
    ask_router = APIRouter(route_class=StrictJSONRoute)
    ask_router.add_api_route(
        "/ask",
        ask,
        methods=["POST"],
        response_model=AskResponse,
        responses=_GUARD_RESPONSES,
        tags=["questions"],
    )
    return ask_router


_DOCUMENT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_GUARD_RESPONSES,
    404: {"model": ErrorMessage, "description": "No document with this id in the index."},
}


@router.get(
    "/documents", response_model=list[DocumentOut], responses=_GUARD_RESPONSES, tags=["documents"]
)
def documents(pipeline: PipelineDep) -> list[DocumentOut]:
    """Every indexed document with its metadata and counts."""
    return [DocumentOut.from_info(info) for info in pipeline.documents()]


@router.get(
    "/documents/{doc_id:path}/text",
    response_model=DocumentTextOut,
    responses=_DOCUMENT_RESPONSES,
    tags=["documents"],
)
def document_text(
    doc_id: str,
    pipeline: PipelineDep,
    start: Annotated[int, Query(ge=0, description="First character (a citation's start).")] = 0,
    end: Annotated[
        int | None,
        Query(ge=0, description=f"End, exclusive; default start + {MAX_TEXT_CHARS}, or the end."),
    ] = None,
) -> DocumentTextOut:
    """The stored text of a document in [start, end): the text every citation's offsets index
    (a PDF's or web page's as extracted), at most MAX_TEXT_CHARS (20,000) characters a request,
    with the pages it spans. For "open the cited passage": ask for a little around its span."""
    return DocumentTextOut.model_validate(
        dataclasses.asdict(pipeline.document_text(doc_id, start, end))
    )


@router.get(
    "/documents/{doc_id:path}",
    response_model=DocumentDetail,
    responses=_DOCUMENT_RESPONSES,
    tags=["documents"],
)
def document(doc_id: str, pipeline: PipelineDep) -> DocumentDetail:
    """One document with its outline: headings in document order, with source offsets. An id
    may contain `/` (a document in a corpus subfolder, e.g. `reports/x.md`)."""
    return DocumentDetail.from_info(pipeline.document(doc_id))


async def _handle_qa_error(request: Request, exc: Exception) -> JSONResponse:
    status = next((code for cls, code in _STATUS_BY_ERROR if isinstance(exc, cls)), 500)
    if status == 500:
        log.error("error on %s %s", request.method, request.url.path, exc_info=exc)
    if status == 422:
        # The same shape as FastAPI's own validation errors, so clients parse one 422 body.
        kind, where = (
            ("invalid_range", "query")
            if isinstance(exc, InvalidRange)
            else ("invalid_upload", "body")
            if isinstance(exc, InvalidUpload)
            else ("invalid_question", "body")
        )
        detail = [{"type": kind, "loc": [where], "msg": str(exc)}]
        return JSONResponse(status_code=status, content={"detail": detail})
    return JSONResponse(status_code=status, content={"detail": str(exc)}, headers=_headers(exc))


def _headers(exc: Exception) -> dict[str, str]:
    """The headers an error status comes with."""
    if isinstance(exc, ServerBusy):
        return {"Retry-After": str(exc.retry_after_s)}
    if isinstance(exc, Unauthorized):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, RequestTooLarge):
        return {"Connection": "close"}  # so the server reads no more of the body
    return {}


async def _handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 body shape, without the input (it may be megabytes, or not encodable)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse(status_code=422, content={"detail": short_errors(errors)})


async def _handle_http_error(request: Request, exc: Exception) -> Response:
    """LimitBody says 413 as an HTTPException (see there why); it is our RequestTooLarge."""
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    if exc.status_code == 413:
        return await _handle_qa_error(request, RequestTooLarge(exc.detail))
    if exc.status_code == 405:
        # Starlette's Allow names the methods of the first route matching the path only; a path
        # served by two routes (GET and POST /documents) allows both.
        exc.headers = {**(exc.headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    return await http_exception_handler(request, exc)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app takes at this request's path."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, APIRoute) and route.path_regex.match(request.url.path):
            methods |= route.methods or set()
    return sorted(methods)
