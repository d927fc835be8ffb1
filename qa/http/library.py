"""`POST /documents` and `DELETE /documents/{doc_id}`: changing the library through the server.

The change itself is qa/library.py's (checked whole first, then the corpus changed and the index
rebuilt); here the served index is reloaded at once, so the response's counts are what the next
question is answered from.

Who may write: with QA_API_KEY set, whoever sends the key (the middleware checks it on every
route). Without one, only a server listening on loopback, for a request that came in over
loopback: anyone else who can reach the port could otherwise fill or empty the corpus.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from qa.errors import IndexCorrupt, WritesForbidden
from qa.http.body import StrictJSONRoute
from qa.http.server import is_loopback
from qa.library import LibraryChange, NewFile, add_documents, remove_documents
from qa.schema import DocumentAdded, DocumentOut, DocumentRemoved, ErrorMessage, IndexCounts
from qa.serving import ServedIndex, served_index
from qa.settings import Settings

UPLOAD_PATH = "/documents"
# Room for the multipart envelope (boundaries, part headers, the `path` field) around the file.
MULTIPART_OVERHEAD = 64 * 1024


def writes_allowed(request: Request, settings: Settings) -> bool:
    """Whether this request may add or remove documents (see the module doc)."""
    if settings.api_key is not None:
        return True  # RequireApiKey let it through, so it carries the key
    if not is_loopback(getattr(request.app.state, "listen_host", "127.0.0.1")):
        return False
    server = request.scope.get("server")
    if not server:
        return True  # an in-process client (tests): no socket at all
    try:
        return ipaddress.ip_address(server[0]).is_loopback
    except ValueError:
        return True  # a name, not an address: TestClient's "testserver"


Served = Annotated[ServedIndex, Depends(served_index)]


def library_router(settings: Settings, responses: dict[Any, Any]) -> APIRouter:
    """The two write routes, with `settings`' limits and `responses` every route shares."""
    router = APIRouter(route_class=StrictJSONRoute)
    refusals: dict[int | str, dict[str, Any]] = {
        **responses,
        403: {"model": ErrorMessage, "description": "This server does not take writes."},
        409: {"model": ErrorMessage, "description": "Already there, or it would empty the corpus."},
    }

    def check(request: Request) -> None:
        if not writes_allowed(request, settings):
            raise WritesForbidden(
                "this server listens beyond this machine without an API key, so it does not add "
                "or remove documents; restart it with QA_API_KEY set and send "
                "`Authorization: Bearer KEY`"
            )

    async def apply(served: ServedIndex, change: Callable[[], LibraryChange]) -> LibraryChange:
        done = await asyncio.to_thread(change)
        await asyncio.to_thread(served.refresh)  # the next question sees the change
        return done

    @router.post(
        UPLOAD_PATH,
        status_code=201,
        response_model=DocumentAdded,
        tags=["documents"],
        responses={
            **refusals,
            400: {"model": ErrorMessage, "description": "Not a valid multipart/form-data body."},
            413: {"model": ErrorMessage, "description": "The file is over QA_MAX_FILE_MB."},
            415: {"model": ErrorMessage, "description": "Not a type qa reads."},
        },
    )
    async def add(
        request: Request,
        served: Served,
        file: Annotated[UploadFile, File(description="A .pdf, .html, .htm, .docx, .md or .txt.")],
        path: Annotated[
            str, Form(description="A subfolder of the corpus to store it in, e.g. reports/2024.")
        ] = "",
    ) -> DocumentAdded:
        """Store a file in the corpus, index it and serve it, all before answering. Unchanged
        chunks keep their vectors; the file is checked first (type, size, name, duplicate,
        readable), and a refusal changes nothing."""
        check(request)
        new = NewFile(file.filename or "", await file.read())
        pipeline = served.pipeline
        change = await apply(
            served,
            lambda: add_documents(
                pipeline.settings, pipeline.embedder, [new], folder=path, second=pipeline.second
            ),
        )
        doc_id = change.added[0].doc_id
        info = next((d for d in served.pipeline.documents() if d.doc_id == doc_id), None)
        if info is None:
            raise IndexCorrupt(
                f"{doc_id} was added to the corpus and indexed, but the new index did not load, "
                "so the old one is still served; see GET /health for why"
            )
        return DocumentAdded(
            doc_id=doc_id, document=DocumentOut.from_info(info), index=_counts(change)
        )

    @router.delete(
        "/documents/{doc_id:path}",
        response_model=DocumentRemoved,
        tags=["documents"],
        responses={**refusals, 404: {"model": ErrorMessage, "description": "No such document."}},
    )
    async def remove(doc_id: str, request: Request, served: Served) -> DocumentRemoved:
        """Take a document out of the corpus and the index, and serve the result. The file is
        moved into the corpus folder's hidden `.qa-removed/`, not deleted."""
        check(request)
        pipeline = served.pipeline
        change = await apply(
            served,
            lambda: remove_documents(
                pipeline.settings, pipeline.embedder, [doc_id], second=pipeline.second
            ),
        )
        kept_at = change.kept_at[0].relative_to(pipeline.settings.corpus_dir).as_posix()
        return DocumentRemoved(doc_id=doc_id, kept_at=kept_at, index=_counts(change))

    return router


def _counts(change: LibraryChange) -> IndexCounts:
    build = change.build
    return IndexCounts(
        documents=build.documents, chunks=build.chunks, seconds=round(build.seconds, 3)
    )
