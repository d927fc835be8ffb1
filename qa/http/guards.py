"""Middleware that refuses a request before any work is done for it: a body over the size
limit, and (when an API key is set) a request without the key.

Middleware rather than route dependencies, so the checks come before anything else: before the
body is read or parsed, before a 404 tells which paths exist, and on every route, including
routes added later.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Collection, Mapping

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.errors import QAError, Unauthorized

ErrorResponder = Callable[[Request, QAError], Awaitable[Response]]


class RequireApiKey:
    """Refuses a request without `Authorization: Bearer KEY`, unless its path is open: one of
    `open_paths`, or under one of `open_prefixes` (e.g. "/static/").

    The refusal is rendered by `respond` (the app's one mapping of qa errors to statuses).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        key: str,
        open_paths: Collection[str],
        respond: ErrorResponder,
        open_prefixes: Collection[str] = (),
    ) -> None:
        self.app = app
        self.key = key.encode()
        self.open_paths = frozenset(open_paths)
        self.open_prefixes = tuple(open_prefixes)
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._open(scope["path"]) or self._authorized(scope):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        error = Unauthorized(
            "this server requires an API key; send the header `Authorization: Bearer KEY`"
        )
        response = await self.respond(request, error)
        await response(scope, receive, send)

    def _open(self, path: str) -> bool:
        # A prefix ends with "/", and Starlette routes the path as given, so "/static/../x"
        # reaches no route outside it (StaticFiles refuses paths that leave its folder).
        return path in self.open_paths or path.startswith(self.open_prefixes)

    def _authorized(self, scope: Scope) -> bool:
        given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        scheme, _, token = given.partition(b" ")
        token = token.strip()  # an empty key set by mistake lets nobody in
        # Constant time, so the response time does not tell how much of a guess was right.
        return scheme.lower() == b"bearer" and bool(token) and hmac.compare_digest(token, self.key)


class LimitBody:
    """Stops reading a request body at `max_bytes`: a 413, raised from `receive` as soon as the
    declared Content-Length or the chunks received so far pass the limit, so a chunked body of
    any length costs at most `max_bytes` of reading.

    Raised as Starlette's HTTPException, the one exception FastAPI's body reading lets through
    to the exception handlers (any other becomes a 400); the app's handler turns it into
    RequestTooLarge. (FastAPI's own `max_body_size` answers a declared oversize in plain text,
    past the app's handlers, hence this.) `larger` gives some (method, path) routes their own
    limit: an upload's is the file size limit.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, larger: Mapping[tuple[str, str], int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = (scope["method"], scope["path"])
        limit = self.larger.get(route, self.max_bytes)
        length = Headers(scope=scope).get("content-length", "")
        declared_too_large = length.isdigit() and int(length) > limit
        received = 0
        too_large = f"the request body is over {limit} bytes; " + (
            "send a smaller file (QA_MAX_FILE_MB)"
            if route in self.larger
            else "send a shorter question"
        )

        async def limited_receive() -> Message:
            nonlocal received
            if declared_too_large:
                raise HTTPException(413, too_large)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, too_large)
            return message

        await self.app(scope, limited_receive, send)
