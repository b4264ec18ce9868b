"""Reading a byte stream from the network without trusting its size."""

from __future__ import annotations

from collections.abc import AsyncIterable


async def read_capped(chunks: AsyncIterable[bytes], limit: int) -> tuple[bytes, bool]:
    """At most `limit` bytes of a stream, and whether it had more. The rest is still read and dropped, so
    that the connection stays usable and the peer is not left waiting on a half-read body."""
    kept: list[bytes] = []
    size = 0
    over = False
    async for chunk in chunks:
        if over:
            continue
        if size + len(chunk) > limit:
            kept.append(chunk[: limit - size])
            over = True
            continue
        kept.append(chunk)
        size += len(chunk)
    return b"".join(kept), over
