"""Reading a request's body without trusting its sender: how much is kept, how much more is read at all,
and for how long.

A refused request (no or wrong credentials, a content type that is not JSON) keeps only an excerpt; an
accepted one keeps up to `MAX_BODY_BYTES`. Past what is kept the body is read and dropped, up to
`MAX_BODY_BYTES` in all, so that an ordinary client still reads its answer (closing a socket with unread
data resets it, and the client may lose the answer); past that, or past the deadline, the connection is
closed with the answer instead. `request_record` is the record every endpoint starts from.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.requests import Request

from yespo_console.core.http.masking import mask_headers
from yespo_console.sandbox.store import NewEvent

MAX_BODY_BYTES = 1024 * 1024
EXCERPT_BYTES = 4 * 1024
BODY_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Body:
    data: bytes  # at most the `keep` asked for
    size: int  # bytes read in all (the body's size when `complete`)
    complete: bool  # the whole body was read: the connection may serve another request
    timed_out: bool = False

    @property
    def truncated(self) -> bool:
        return len(self.data) < self.size or not self.complete


async def read_body(
    chunks: AsyncIterator[bytes], keep: int, *, limit: int = MAX_BODY_BYTES, timeout_s: float = BODY_TIMEOUT_S
) -> Body:
    """Keep the first `keep` bytes; read on (dropping) until the body ends, `limit` bytes or `timeout_s`."""
    kept = bytearray()
    size = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in chunks:
                if len(kept) < keep:
                    kept += chunk[: keep - len(kept)]
                size += len(chunk)
                if size > limit:
                    return Body(bytes(kept), size, complete=False)
    except TimeoutError:
        return Body(bytes(kept), size, complete=False, timed_out=True)
    return Body(bytes(kept), size, complete=True)


def request_record(request: Request, endpoint: str, data: bytes, *, notes: tuple[str, ...] = (),
                   auth: str = "") -> NewEvent:
    """The record of a request to one of the sandbox's endpoints, its headers masked."""
    client = request.client
    return NewEvent(
        endpoint=endpoint,
        method=request.method,
        path=request.url.path,
        remote=f"{client.host}:{client.port}" if client else "unknown",
        headers=tuple(mask_headers((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw)),
        body=data,
        notes=notes,
        auth=auth,
    )
