"""Asking a running `qa serve` over HTTP: the client behind `qa ask/chat --server URL`.

The server's answers come back as the same AskResponse the local pipeline gives, so the CLI prints
them the same way; what goes wrong becomes a qa error, which the CLI turns into an exit code like
any other. Nothing here loads a model or an index, and httpx is imported only when a client is
made, so `qa --help` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qa.errors import (
    QAError,
    RejectedQuestion,
    RejectedRequest,
    ServerBusy,
    ServerFailed,
    ServerUnreachable,
    Unauthorized,
    UnknownDocument,
)

if TYPE_CHECKING:
    import httpx

    from qa.schema import AskResponse, DocumentDetail, DocumentOut, DocumentTextOut

CONNECT_TIMEOUT_S = 5.0
ANSWER_TIMEOUT_S = 60.0  # a question may wait in the server's queue behind others


def server_url(text: str) -> str:
    """The base URL of a server given as `host:port` or a full http(s) URL.

    >>> server_url("localhost:8000"), server_url("https://qa.example/api/")
    ('http://localhost:8000', 'https://qa.example/api')
    """
    url = text.strip().rstrip("/")
    if "://" not in url:
        url = f"http://{url}"
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in {"http", "https"} or not rest or rest.startswith("/"):
        raise ServerUnreachable(f"{text!r} is not a server URL; give e.g. http://127.0.0.1:8000")
    return url


class RemoteQA:
    """A running `qa serve` at `url`, asked over one kept-alive connection.

    `api_key` is sent as `Authorization: Bearer KEY`, as the server's QA_API_KEY requires.
    """

    def __init__(self, url: str, api_key: str | None = None) -> None:
        import httpx

        self.url = server_url(url)
        self.sent_key = api_key is not None
        headers = {"Authorization": f"Bearer {api_key}"} if api_key is not None else {}
        self.client = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=httpx.Timeout(ANSWER_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
        )

    def __enter__(self) -> RemoteQA:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    def check(self) -> None:
        """Raise ServerUnreachable unless a server answers at the URL (GET /health, which needs
        no key)."""
        self._request("GET", "/health")

    def ask(
        self, question: str, k: int, mode: str, filters: dict[str, Any] | None = None
    ) -> AskResponse:
        """POST /ask: the server's answer, or the qa error that says why there is none."""
        from pydantic import ValidationError

        from qa.schema import AskResponse

        body: dict[str, Any] = {"question": question, "k": k, "mode": mode}
        if filters:
            body["filters"] = filters
        response = self._request("POST", "/ask", json=body)
        try:
            return AskResponse.model_validate_json(response.content)
        except ValidationError as error:
            raise ServerFailed(
                f"the server at {self.url} did not answer with a qa answer; is it `qa serve`?"
            ) from error

    def documents(self) -> list[DocumentOut]:
        """GET /documents: every indexed document."""
        from qa.schema import DocumentOut

        return self._parsed("GET", "/documents", list[DocumentOut])

    def document(self, doc_id: str) -> DocumentDetail:
        """GET /documents/{doc_id}: one document with its outline."""
        from qa.schema import DocumentDetail

        return self._parsed("GET", _document_path(doc_id), DocumentDetail)

    def document_text(self, doc_id: str, start: int, end: int | None) -> DocumentTextOut:
        """GET /documents/{doc_id}/text: the stored text in [start, end) (end None: as much
        as the server gives from start)."""
        from qa.schema import DocumentTextOut

        path = f"{_document_path(doc_id)}/text"
        span = {"start": start} if end is None else {"start": start, "end": end}
        return self._parsed("GET", path, DocumentTextOut, params=span)

    def _parsed(self, method: str, path: str, shape: Any, **kwargs: Any) -> Any:
        """A response body as `shape` (a model or a list of one), or ServerFailed."""
        from pydantic import TypeAdapter, ValidationError

        response = self._request(method, path, **kwargs)
        try:
            return TypeAdapter(shape).validate_json(response.content)
        except ValidationError as error:
            raise ServerFailed(
                f"the server at {self.url} did not answer {method} {path} as qa does; "
                "is it `qa serve`?"
            ) from error

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        try:
            response = self.client.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise ServerUnreachable(
                f"cannot reach a qa server at {self.url}: start one with `qa serve` "
                "or check the URL"
            ) from error
        except httpx.TimeoutException as error:
            raise ServerFailed(
                f"the server at {self.url} did not answer within {ANSWER_TIMEOUT_S:.0f} s"
            ) from error
        except httpx.HTTPError as error:
            raise ServerFailed(
                f"lost the connection to the server at {self.url}: {error}"
            ) from error
        if response.is_success:
            return response
        raise self._refusal(response)

    def _refusal(self, response: httpx.Response) -> QAError:
        """The qa error for an error status, with the server's own message where it gave one."""
        status = f"{response.status_code} {response.reason_phrase}".strip()
        detail, fields = _detail(response)
        if response.status_code == 401:
            fix = (
                "QA_API_KEY is not the server's key"
                if self.sent_key
                else "set QA_API_KEY to the server's key"
            )
            return Unauthorized(f"the server at {self.url} requires an API key ({status}): {fix}")
        if response.status_code == 503:  # busy (with Retry-After), or no index to answer from
            wait = response.headers.get("Retry-After", "")
            busy = wait.isdigit()
            if detail:
                advice = f": {detail}" + (f" (Retry-After: {wait} s)" if busy else "")
            else:
                advice = f": retry in {wait} s (Retry-After)" if busy else ": retry in a moment"
            return ServerBusy(
                f"the server at {self.url} is {'busy' if busy else 'unavailable'} ({status})"
                + advice,
                retry_after_s=int(wait) if busy else 1,
            )
        if (
            response.status_code == 404
            and detail
            and response.request.url.path.startswith("/documents/")
        ):  # qa's own 404: no such document
            return UnknownDocument(detail)
        if response.status_code in {404, 405}:  # every qa server has GET /health, POST /ask
            asked = f"{response.request.method} {response.request.url.path}"
            return RejectedRequest(
                f"the server at {self.url} does not answer {asked} ({status}); "
                "is it `qa serve`, and is that its whole URL?"
            )
        if response.status_code in {413, 422} and detail and fields <= {"question"}:
            return RejectedQuestion(detail)
        if 400 <= response.status_code < 500:
            return RejectedRequest(detail or f"the server at {self.url} refused it ({status})")
        reason = f": {detail}" if detail else ""
        return ServerFailed(f"the server at {self.url} failed ({status}){reason}")


def _document_path(doc_id: str) -> str:
    """/documents/{doc_id}, the id quoted (it may hold "/", spaces, "#", "?")."""
    from urllib.parse import quote

    return f"/documents/{quote(doc_id, safe='/')}"


def _detail(response: httpx.Response) -> tuple[str, frozenset[str]]:
    """The `detail` of a qa error body as one line, and the request fields it names.

    A 422's detail is a list of {loc, msg}, e.g. `k: Input should be greater than or equal to
    1`; any other status's is a string. A body that is not a qa error gives ("", {}).
    """
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return "", frozenset()
    if isinstance(detail, str):
        return detail, frozenset()
    if not isinstance(detail, list):
        return "", frozenset()
    messages, fields = [], set()
    for error in detail:
        if not isinstance(error, dict):
            continue
        where = [str(part) for part in error.get("loc", ()) if part != "body"]
        fields.update(where[:1])
        prefix = f"{'.'.join(where)}: " if where else ""
        messages.append(f"{prefix}{error.get('msg', 'invalid request')}")
    return "; ".join(messages), frozenset(fields)
