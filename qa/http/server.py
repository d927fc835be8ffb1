"""How `qa serve` runs uvicorn: connection limit, keep-alive, and a request read timeout.

uvicorn has no timeout for receiving a request: a client that opens a connection and sends its
headers (or its body) a byte at a time, or nothing at all, holds the connection for ever
(slowloris). `ReadTimeoutH11Protocol` is uvicorn's h11 protocol plus one timer, armed when a
connection opens or a new request starts arriving and cancelled once the whole request (head and
body) is in; if it fires first, the connection is closed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from qa.settings import Settings

log = logging.getLogger(__name__)


class ReadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request is not received in time."""

    read_timeout_s = 10.0  # set per server by `read_timeout_protocol`

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_read_timer()  # a connection that sends nothing is closed too

    def data_received(self, data: bytes) -> None:
        if self._read_timer is None and self.conn.their_state is h11.IDLE:
            self._arm_read_timer()  # the next request on a kept-alive connection starts
        super().data_received(data)
        if self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            self._cancel_read_timer()  # all of it is in (or the connection failed)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_read_timer()
        super().connection_lost(exc)

    def _arm_read_timer(self) -> None:
        self._read_timer = self.loop.call_later(self.read_timeout_s, self._read_timed_out)

    def _cancel_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            log.info("closing a connection whose request took over %s s to arrive", self.client)
            self.transport.close()


def read_timeout_protocol(read_timeout_s: float) -> type[ReadTimeoutH11Protocol]:
    """The protocol class for one server, with its timeout (uvicorn instantiates it by class)."""
    return type(
        "ReadTimeoutH11Protocol", (ReadTimeoutH11Protocol,), {"read_timeout_s": read_timeout_s}
    )


def server_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn options (for uvicorn.run or uvicorn.Config) that apply `settings`' limits."""
    return {
        "http": read_timeout_protocol(settings.header_timeout_s),
        # uvicorn answers 503 once `limit_concurrency` connections are open, counting the one
        # asking: +1 lets max_connections clients be served at once.
        "limit_concurrency": settings.max_connections + 1,
        # uvicorn annotates it int, but only hands it to loop.call_later, which takes a float.
        "timeout_keep_alive": settings.keep_alive_timeout_s,
        "server_header": False,
    }


def is_loopback(host: str) -> bool:
    """Whether a server listening on `host` is reachable from this machine only.

    >>> [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "example.org")]
    [True, True, True, False, False]
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # another name: it may resolve to any interface
