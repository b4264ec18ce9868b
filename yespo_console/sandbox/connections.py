"""Slow or numerous clients cannot take the sandbox down.

uvicorn bounds idle time between requests (`timeout_keep_alive`) but not the time a client takes to send
a request's headers: any byte received cancels that timer, so a client that trickles a header (or sends
nothing after connecting) holds its connection, and its file handle, for ever. Enough of them and the
process runs out of handles and stops accepting anyone. This protocol adds the two missing bounds:

- a deadline for a request's headers, from the moment the connection is ready for one (accepted, or its
  previous answer sent); past it the connection is closed;
- a cap on open connections, so the handles in use stay well under the usual limit of 1,024: a
  connection over it closes the one that has waited longest for a request's headers (a slow client's,
  most likely) and is served; when every open one is busy with a request, it is answered 503 and closed.

(Bodies get their own deadline where they are read, in `intake`.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

DEFAULT_HEADER_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Limits:
    max_connections: int
    # Also how many connections asyncio accepts in one go, before any of them can be closed: a burst costs
    # up to two batches of handles beyond the cap.
    backlog: int


def limits(max_connections: int | None = None) -> Limits:
    """The connection cap (at most 256) and backlog that fit the process's open-file limit, less what the
    record file, the log and the GUI need."""
    budget = 960
    with contextlib.suppress(ImportError):  # Windows has no such limit
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY:
            budget = max(32, soft - 64)
    backlog = max(8, min(128, budget // 4))
    if max_connections is None:
        max_connections = max(8, min(256, budget - 2 * backlog))
    return Limits(max_connections, backlog)


def _busy_answer(what: str) -> bytes:
    text = f"The {what} has too many open connections; try again.".encode()
    return (
        b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
        b"Retry-After: 1\r\nContent-Length: " + str(len(text)).encode() + b"\r\n\r\n" + text
    )


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header deadline and a connection cap; `limited` makes one with the
    sandbox's own limits."""

    max_connections = 256
    header_timeout_s = DEFAULT_HEADER_TIMEOUT_S
    busy_answer = _busy_answer("sandbox")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._armed_at: float | None = None  # when it began to wait for a request's headers
        self._waiting_cycle: object | None = None

    @classmethod
    def limited(
        cls, max_connections: int, header_timeout_s: float, *, what: str = "sandbox"
    ) -> type[GuardedH11Protocol]:
        """`what` names the server in the 503 answer (the sandbox, the recording proxy)."""
        settings = {"max_connections": max_connections, "header_timeout_s": header_timeout_s,
                    "busy_answer": _busy_answer(what)}
        return type(cls.__name__, (cls,), settings)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections and not self._evict_a_waiting_one():
            log.warning("refused a connection: all %s open ones are busy (the sandbox's limit)", self.max_connections)
            transport.write(self.busy_answer)
            transport.close()
            return
        self._arm()

    def _evict_a_waiting_one(self) -> bool:
        waiting = [c for c in self.connections if isinstance(c, GuardedH11Protocol) and c._armed_at is not None]
        if not waiting:
            return False
        oldest = min(waiting, key=lambda c: c._armed_at or 0.0)
        log.warning("closed the connection waiting longest for a request: %s were open", self.max_connections)
        oldest._disarm()
        oldest.transport.close()
        return True

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not self._waiting_cycle:  # a whole request head arrived: its headers were in time
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # A pipelined request may already have started a new cycle; only an idle connection waits for headers.
        if not self.transport.is_closing() and self.cycle.response_complete:
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._waiting_cycle = self.cycle
        self._armed_at = self.loop.time()
        self._deadline = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm(self) -> None:
        self._armed_at = None
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_too_slow(self) -> None:
        self._deadline = self._armed_at = None
        if not self.transport.is_closing():
            log.info("closed a connection that sent no complete request within %ss", self.header_timeout_s)
            self.transport.close()
