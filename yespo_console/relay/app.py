"""The proxy's HTTP face: a bare ASGI app (every method, every path relayed; no routes of its own).

Before a byte of the body is read, the sandbox's gate (`sandbox.guard`) checks the request: a Host that
does not name the proxy → 421, a browser's cross-origin request → 403; neither is relayed nor recorded.
The body is read with the sandbox's intake (`sandbox.intake`): over 1 MiB → 413, slower than the body
timeout → 408 (both close the connection and are recorded, not relayed). Everything else goes to
`Relay.exchange`, which answers with the upstream's status, headers and body (and records the exchange after).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from yespo_console.sandbox.guard import Gate, folded_headers
from yespo_console.sandbox.intake import MAX_BODY_BYTES, read_body

if TYPE_CHECKING:
    from yespo_console.relay.server import Relay

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ClientGone(Exception):
    """The client closed its connection before its request arrived whole: nobody is waiting for an answer."""


@dataclass(frozen=True, slots=True)
class Incoming:
    method: str
    raw_path: bytes
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    client: str


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    close: bool = False


Reply = Callable[[Answer], Awaitable[None]]


def plain(status: int, text: str, *, close: bool = False) -> Answer:
    """An answer the console makes itself (never the upstream's): plain text, marked as the proxy's."""
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("X-Yespo-Console-Proxy", "answered-by-proxy")]
    return Answer(status, headers, text.encode("utf-8", "backslashreplace"), close)


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        yield bytes(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _respond(send: Send, answer: Answer, *, head: bool) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers]
    if not (head and any(name.lower() == "content-length" for name, _ in answer.headers)):
        headers.append((b"content-length", str(len(answer.body)).encode()))
    if answer.close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else answer.body})


class RelayApp:
    """The ASGI app of one `Relay`."""

    def __init__(self, relay: Relay, gate: Gate, *, body_timeout_s: float) -> None:
        self._relay = relay
        self._gate = gate
        self._body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan is off and websockets are not served
        headers = folded_headers(scope["headers"])
        peer = scope.get("client")
        client = f"{peer[0]}:{peer[1]}" if peer else "unknown"
        head = scope["method"] == "HEAD"
        refused = self._gate.check(headers, self._relay.port)
        if refused is not None:
            log.warning("refused %s from %s", refused.reason, client)
            await _respond(send, plain(refused.status, refused.text, close=True), head=head)
            return
        try:
            body = await read_body(_chunks(receive), MAX_BODY_BYTES, timeout_s=self._body_timeout_s)
        except ClientGone:
            return
        incoming = Incoming(str(scope["method"]), bytes(scope.get("raw_path") or scope["path"].encode()),
                            bytes(scope.get("query_string", b"")), list(scope["headers"]), body.data, client)
        if body.timed_out:
            answer = await self._relay.refuse(incoming, 408, f"The body did not arrive within "
                                              f"{self._body_timeout_s:g} s: it was not relayed.")
        elif not body.complete:
            answer = await self._relay.refuse(incoming, 413, f"The body is larger than {MAX_BODY_BYTES:,} bytes: "
                                              "the console relays at most that (Yespo accepts far less).")
        else:
            await self._relay.exchange(incoming, functools.partial(_respond, send, head=head))
            return
        await _respond(send, answer, head=head)
