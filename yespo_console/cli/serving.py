"""Running a server command (`sandbox`, `proxy`) until Ctrl+C or SIGTERM: start it, say where it listens,
wait for the signal, stop it cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from typing import Protocol

from yespo_console.cli.io import fail


class Server(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def serve_until_signalled(server: Server, refused: type[Exception], listening: Callable[[], None]) -> int:
    """Start `server` (exit 2 with its message when it raises `refused`), call `listening` once it accepts
    connections, and stop it on SIGINT or SIGTERM; 0 then."""
    try:
        await server.start()
    except refused as exc:
        return fail(str(exc))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not on this platform/thread
            loop.add_signal_handler(sig, stop.set)
    try:
        listening()
        await stop.wait()
    finally:
        await server.stop()
    return 0
