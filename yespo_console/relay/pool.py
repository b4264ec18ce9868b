"""The proxy's connections to its upstream: several httpx clients used as one pool (`UpstreamPool`).

httpcore's pool looks at every connection it holds each time a request starts or ends (a socket poll per idle
connection, and a count of the idle ones per idle one), so its cost per request grows with the pool, and with
200 clients kept alive that bookkeeping took a large share of the proxy's CPU time. So the connections are shared out
between small pools of at most `SHARD_CONNECTIONS`, and a request takes the one with the fewest requests in
flight: as each of the proxy's own connections carries one request at a time, that one has a connection free
as long as no more requests are in flight than the proxy accepts connections.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import math
from collections.abc import Iterator
from typing import Any

import httpx

SHARD_CONNECTIONS = 16
# Many servers close a connection idle for 5 s (uvicorn, the sandbox, Apache, Node), httpx's own default: one
# kept as long may be reused as the server closes it, and the client would be answered 502 for a request the
# upstream never read.
KEEPALIVE_S = 4.0


class _NoCookies(http.cookiejar.CookieJar):
    """The proxy is no browser: a cookie an answer sets is its client's, and must not go up with the requests of
    every client after it, as an httpx client's own jar would send it."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        pass

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        pass


class UpstreamPool:
    """httpx clients for up to `connections` requests in flight at once; `lease()` lends the least busy.
    `options` are httpx.AsyncClient's (timeouts, TLS, proxy), the same for every one; each sends only the
    headers it is given (no httpx User-Agent, Accept …, and no cookie it was answered)."""

    def __init__(self, connections: int, transport: httpx.AsyncBaseTransport | None = None, **options: Any) -> None:
        # A transport given (tests) cannot be shared out: one client then.
        shards = 1 if transport is not None else max(1, math.ceil(connections / SHARD_CONNECTIONS))
        size = math.ceil(connections / shards)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size, keepalive_expiry=KEEPALIVE_S)
        self._clients = [httpx.AsyncClient(limits=limits, transport=transport, cookies=_NoCookies(), **options)
                         for _ in range(shards)]
        for client in self._clients:
            client.headers.clear()
        self._busy = [0] * shards

    @contextlib.contextmanager
    def lease(self) -> Iterator[httpx.AsyncClient]:
        """The client with the fewest requests in flight, counted as busy until the block ends."""
        index = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            yield self._clients[index]
        finally:
            self._busy[index] -= 1

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
