"""FastAPI app: a thin adapter over Pipeline.

The pipeline is opened once, in the lifespan handler, and reaches the routes through a dependency.
qa errors become HTTP statuses in one place, `_handle_qa_error`. Run it with `qa serve`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from qa import __version__
from qa.errors import IndexMismatch, IndexMissing, InvalidQuestion, QAError, UnknownDocument
from qa.pipeline import Mode, Pipeline
from qa.schema import AskRequest, AskResponse, DocumentDetail, DocumentOut, Health
from qa.settings import Settings

log = logging.getLogger(__name__)

# Checked in order, so a subclass must come before its base; anything else is a 500.
_STATUS_BY_ERROR: tuple[tuple[type[QAError], int], ...] = (
    (InvalidQuestion, 422),
    (UnknownDocument, 404),
    (IndexMissing, 503),
    (IndexMismatch, 503),
)


class AskBody(AskRequest):
    """`POST /ask` body: the shared AskRequest plus the retrieval mode."""

    mode: Mode = "hybrid"


router = APIRouter()


def create_app(settings: Settings | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """Build the app. Without a pipeline, one is opened from `settings` (or QA_* env) at startup."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if pipeline is None:
            app.state.pipeline = Pipeline.open(settings or Settings())
        yield
        app.state.worker.shutdown(wait=False)

    app = FastAPI(
        title="qa",
        version=__version__,
        summary="Ask a question; get back the source passages that answer it, with citations.",
        lifespan=lifespan,
    )
    app.state.pipeline = pipeline
    # Questions run one at a time on one long-lived thread: the models keep their per-thread
    # state warm (a fresh threadpool thread made the first embeddings there 2-3x slower), and on
    # 2 cores parallel questions would only compete for the same CPUs.
    app.state.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-pipeline")
    app.add_exception_handler(QAError, _handle_qa_error)
    app.include_router(router)
    return app


def get_pipeline(request: Request) -> Pipeline:
    return request.app.state.pipeline


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]


@router.get("/health", response_model=Health, tags=["meta"])
def health(pipeline: PipelineDep) -> Health:
    """Index size, embedding model and build time."""
    return Health.model_validate(pipeline.health())


@router.post(
    "/ask",
    response_model=AskResponse,
    responses={503: {"description": "The index is missing or was built with other settings."}},
    tags=["questions"],
)
async def ask(body: AskBody, request: Request, pipeline: PipelineDep) -> AskResponse:
    """Rank the passages that answer `question`, best first, each with its exact source offsets."""
    answer = await asyncio.get_running_loop().run_in_executor(
        request.app.state.worker, lambda: pipeline.ask(body.question, body.k, mode=body.mode)
    )
    return AskResponse.from_answer(answer)


@router.get("/documents", response_model=list[DocumentOut], tags=["documents"])
def documents(pipeline: PipelineDep) -> list[DocumentOut]:
    """Every indexed document with its metadata and counts."""
    return [DocumentOut.from_info(info) for info in pipeline.documents()]


@router.get(
    "/documents/{doc_id}",
    response_model=DocumentDetail,
    responses={404: {"description": "No document with this id in the index."}},
    tags=["documents"],
)
def document(doc_id: str, pipeline: PipelineDep) -> DocumentDetail:
    """One document with its outline: headings in document order, with source offsets."""
    return DocumentDetail.from_info(pipeline.document(doc_id))


async def _handle_qa_error(request: Request, exc: Exception) -> JSONResponse:
    status = next((code for cls, code in _STATUS_BY_ERROR if isinstance(exc, cls)), 500)
    if status == 500:
        log.error("error on %s %s", request.method, request.url.path, exc_info=exc)
    if status == 422:
        # The same shape as FastAPI's own validation errors, so clients parse one 422 body.
        detail = [{"type": "invalid_question", "loc": ["body"], "msg": str(exc)}]
        return JSONResponse(status_code=status, content={"detail": detail})
    return JSONResponse(status_code=status, content={"detail": str(exc)})
