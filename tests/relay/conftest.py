"""A local upstream for the recording proxy, and the proxy in front of it, over real HTTP on 127.0.0.1.

The upstream (`OddUpstream`, a threaded http.server) answers every path; the query picks the answer:
`?answer=400|429|500` that status (200 otherwise), `?sleep=S` waits first, `?echo=1` repeats the request's
Authorization in a header and the body (a gateway that echoes), `?gzip=1` compresses the body. Its answers
carry odd headers (a repeated Set-Cookie, an empty value, odd spacing and case, a header the Connection
header names) and bytes that are not UTF-8. It keeps what it received (`received`) so that a test can see
what crossed the proxy.
"""

from __future__ import annotations

import asyncio
import gzip
import http.server
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import pytest_asyncio

from tests.sandbox.helpers import VALID_EVENT, body
from yespo_console.core.history import HistoryStore
from yespo_console.core.http.sending import Timeouts
from yespo_console.relay import Relay, upstream_for

ODD_BODY = b'{"status":"odd"}\n\xff\xfe not UTF-8 \x1b[31m'


@dataclass
class Received:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class UpstreamLog:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class OddUpstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log: UpstreamLog

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.log.lock:
            self.log.received.append(Received(self.command, self.path, list(self.headers.items()), body))
        query = parse_qs(urlsplit(self.path).query)
        if "sleep" in query:
            time.sleep(float(query["sleep"][0]))
        status = int(query.get("answer", ["200"])[0])
        content = ODD_BODY
        extra: list[tuple[str, str]] = []
        if "echo" in query:
            authorization = self.headers.get("Authorization", "")
            extra.append(("X-Echo-Authorization", authorization))
            content = f'{{"you sent":"{authorization}"}}'.encode()
        if "gzip" in query:
            content = gzip.compress(b'{"compressed": true}')
            extra.append(("Content-Encoding", "gzip"))
        self.send_response_only(status, "Custom Reason")
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Set-Cookie", "a=1; Path=/")
        self.send_header("Set-Cookie", "b=2; Path=/")
        self.send_header("x-odd-Case", "  spaced   value ")
        self.send_header("X-Empty", "")
        self.send_header("X-Hop", "dropped")
        self.send_header("Connection", "X-Hop")
        self.send_header("Keep-Alive", "timeout=5")
        self.send_header("Server", "odd-upstream/1.0")
        self.send_header("Date", "Tue, 01 Dec 2026 06:00:00 GMT")
        if status == 429:
            self.send_header("Retry-After", "7")
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    request_queue_size = 512  # 200 concurrent clients connect at once
    daemon_threads = True


@dataclass
class LocalUpstream:
    url: str
    log: UpstreamLog


@pytest.fixture
def upstream() -> Iterator[LocalUpstream]:
    log = UpstreamLog()
    handler = type("Handler", (OddUpstream,), {"log": log})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalUpstream(f"http://127.0.0.1:{server.server_address[1]}", log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def history(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore.open(tmp_path / "data") as store:
        yield store


async def hammer(base_url: str, clients: int, rounds: int = 1) -> list[int]:
    """`clients` concurrent clients, each POSTing `rounds` events (keyValue c<client>-<round>@example.com)
    over its own keep-alive connection; the statuses, in order. The clients run on a loop of their own, in a
    thread, as foreign clients do: on the proxy's loop they would starve it, and an answer they are slow to
    take would look like an idle connection to close."""
    return await asyncio.to_thread(asyncio.run, _clients(base_url, clients, rounds))


async def _clients(base_url: str, clients: int, rounds: int) -> list[int]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, limits=limits, timeout=60) as client:

        async def one(number: int) -> list[int]:
            statuses = []
            for round_ in range(rounds):
                event = {**VALID_EVENT, "keyValue": f"c{number}-{round_}@example.com"}
                answer = await client.post("/api/v2/event", content=body(event),
                                           headers={"Content-Type": "application/json"})
                statuses.append(answer.status_code)
            return statuses

        return [status for statuses in await asyncio.gather(*(one(n) for n in range(clients))) for status in statuses]


SHORT = Timeouts(connect=2.0, read=1.0, write=1.0, pool=2.0, total=1.0)


@pytest_asyncio.fixture
async def relay(upstream: LocalUpstream, history: HistoryStore) -> AsyncIterator[Relay]:
    proxy = Relay(upstream_for(upstream.url), port=0, store=history, timeouts=SHORT)
    async with proxy:
        yield proxy
