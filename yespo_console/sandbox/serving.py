"""Running an ASGI app under uvicorn on one local socket, on the caller's loop: the sandbox's and the recording
proxy's lifecycle (`Serving`: start, stop, port, base URL), and what both show of it (`Served`: `async with`,
running, port, base URL). Each adds its app and what it does around it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from typing import Any, Self

import uvicorn

from yespo_console.sandbox.connections import GuardedH11Protocol, Limits, limits


class ListenError(RuntimeError):
    """The server cannot listen: a plain sentence naming the address and why."""


class Serving:
    """uvicorn on `host:port` (0: any free port) with the given protocol and limits; `start(app, ...)` returns
    once it listens, `stop` closes it (answers in flight are dropped after `graceful_s`)."""

    def __init__(
        self, host: str, port: int, limits: Limits, protocol: type[GuardedH11Protocol], *, what: str = "sandbox"
    ) -> None:
        if not (0 <= port <= 65535):
            raise ListenError(f"The port must be between 0 and 65535, not {port}.")
        self.host = host
        self.requested_port = port
        self._limits = limits
        self._protocol = protocol
        self._what = what  # named in the hint when the port is taken
        self._server: uvicorn.Server | None = None
        self._socket: socket.socket | None = None
        self._main_task: asyncio.Task[None] | None = None
        self._port: int | None = None

    @classmethod
    def guarded(
        cls, host: str, port: int, *, max_connections: int | None, header_timeout_s: float, body_timeout_s: float,
        what: str = "sandbox", named: str = "sandbox",
    ) -> Serving:
        """One with the guarded protocol (`connections`): its connection cap (`connections.limits`) and header
        deadline. `named` is what its 503 answer calls it. ListenError when a bound is not above 0."""
        chosen = limits(max_connections)
        if chosen.max_connections < 1 or header_timeout_s <= 0 or body_timeout_s <= 0:
            raise ListenError("max_connections, header_timeout_s and body_timeout_s must be more than 0.")
        protocol = GuardedH11Protocol.limited(chosen.max_connections, header_timeout_s, what=named)
        return cls(host, port, chosen, protocol, what=what)

    @property
    def max_connections(self) -> int:
        return self._limits.max_connections

    async def start(self, app: Any, *, name: str, graceful_s: float = 1.0, **options: Any) -> None:
        """Listen and serve `app`; `options` are uvicorn.Config's (server headers, keep-alive …)."""
        if self._server is not None:
            raise ListenError("It is already running.")
        sock = self._bind()
        config = uvicorn.Config(
            app, lifespan="off", interface="asgi3", http=self._protocol, backlog=self._limits.backlog,
            proxy_headers=False, log_config=None, log_level="warning", access_log=False, ws="none",
            timeout_graceful_shutdown=max(1, round(graceful_s)), **options,
        )
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)
        try:
            await server.startup(sockets=[sock])
        except BaseException:
            sock.close()
            raise
        self._server, self._socket = server, sock
        self._port = int(sock.getsockname()[1])
        self._main_task = asyncio.create_task(server.main_loop(), name=name)

    def _bind(self) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self.host, self.requested_port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise ListenError(f"Cannot listen on {self.host!r}: {exc.strerror or exc}.") from exc
        family, socktype, proto, _, address = infos[0]
        # proto must be IPPROTO_TCP (not 0): asyncio only sets TCP_NODELAY on accepted sockets that say
        # so, and without it every answer waits for the client's delayed ACK.
        sock = socket.socket(family, socktype, proto or socket.IPPROTO_TCP)
        try:
            if os.name != "nt":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(self._limits.backlog)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            hint = f" (another {self._what} or program is using it; pick another --port, or 0 for any free one)"
            in_use = exc.errno in (98, 48, 10048)
            raise ListenError(
                f"Cannot listen on {self.host}:{self.requested_port}: {exc.strerror or exc}{hint if in_use else ''}."
            ) from exc
        return sock

    async def stop(self) -> bool:
        """Stop listening and close connections; False when it was not running."""
        server, self._server = self._server, None
        if server is None:
            return False
        server.should_exit = True
        if self._main_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._main_task
            self._main_task = None
        await server.shutdown(sockets=[self._socket] if self._socket else None)
        self._socket = None
        return True

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        return self._port if self._port is not None else self.requested_port

    @property
    def base_url(self) -> str:
        host = self.host if self.host not in ("0.0.0.0", "") else "127.0.0.1"
        if host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"


class Served:
    """A server run by a `Serving` (the sandbox, the recording proxy): `async with` starts and stops it, and it
    tells whether it runs and where. A subclass sets `_serving` and defines `start` and `stop`."""

    _serving: Serving

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def running(self) -> bool:
        return self._serving.running

    @property
    def port(self) -> int:
        return self._serving.port

    @property
    def base_url(self) -> str:
        return self._serving.base_url
