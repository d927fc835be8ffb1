"""Request bodies: strict JSON in, short validation errors out.

Python's json module accepts `NaN`, `Infinity`, `1e400` (as inf) and lone surrogates such as
`"\\ud800"`; none is JSON that a client means, and each later broke the response encoder (a 500).
`StrictJSONRoute` parses bodies with pydantic-core's parser instead, which refuses all but the
overflow (checked here), and `short_errors` keeps a 422 body small: no echo of the input.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import pydantic_core
from fastapi import Request, Response
from fastapi.routing import APIRoute

MAX_ERRORS = 10  # validation errors reported per request
MAX_TEXT = 200  # characters of any message or location part in an error body
EXAMPLE = '{"question": "What is the SCO?"}'


def loads_strict(body: bytes) -> Any:
    """Parse a JSON body; refuse what RFC 8259 does not allow or what overflows.

    Raises json.JSONDecodeError, which FastAPI turns into a 422.

    >>> loads_strict(b'{"k": 3}')
    {'k': 3}
    >>> loads_strict(b'{"k": 1e400}')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    json.decoder.JSONDecodeError: number out of range (1e400 is not a finite number): ...
    """
    try:
        value = pydantic_core.from_json(body, allow_inf_nan=False, cache_strings=False)
    except ValueError as error:
        raise _decode_error(str(error), body) from error
    if not _all_finite(value):
        raise _decode_error("number out of range (1e400 is not a finite number)", body)
    return value


def _decode_error(reason: str, body: bytes) -> json.JSONDecodeError:
    # FastAPI keeps `doc` on the error; a short prefix is enough for a log line.
    return json.JSONDecodeError(reason[:MAX_TEXT], body[:MAX_TEXT].decode(errors="replace"), 0)


def _all_finite(value: Any) -> bool:
    """No float in `value` is inf or nan. Iterative: the parser allows nesting 200 deep."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads_strict(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """An APIRoute whose JSON bodies go through `loads_strict` (FastAPI's documented way to
    customise the Request a route sees)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_handler


def short_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI/pydantic validation errors as a short body: type, loc and msg of the first few,
    never the input, every text cut to MAX_TEXT characters and made encodable.

    >>> short_errors([{"type": "missing", "loc": ("body", "question"), "msg": "Field required",
    ...                "input": "x" * 10_000_000}])
    [{'type': 'missing', 'loc': ['body', 'question'], 'msg': 'Field required'}]
    """
    return [_short_error(error) for error in errors[:MAX_ERRORS]]


def _short_error(error: Any) -> dict[str, Any]:
    kind = str(error.get("type", "invalid"))
    loc = [part if isinstance(part, int) else _text(part) for part in error.get("loc", ())]
    msg = _text(error.get("msg", "invalid request"))
    if kind == "json_invalid":
        # FastAPI puts a character offset in loc and the parser's reason in ctx.
        loc = ["body"]
        reason = _text(error.get("ctx", {}).get("error", ""))
        msg = f"the body is not valid JSON: {reason}; send e.g. {EXAMPLE}"
    return {"type": _text(kind), "loc": loc, "msg": msg}


def _text(value: object) -> str:
    """`value` as at most MAX_TEXT characters that encode as UTF-8 (a lone surrogate becomes
    its escape)."""
    text = str(value)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
