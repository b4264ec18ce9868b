"""A real HTTP server on 127.0.0.1, in a thread, for tests that need a stranger to talk to (an echoing
gateway, something on the sandbox's port, an HTTPS server, a proxy), and `Scripted`: a server answering
each path with scripted answers (status, JSON or raw bytes, headers, a delay), keeping every request."""

from __future__ import annotations

import contextlib
import http.server
import json
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@contextlib.contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler],
            tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """`host:port` of a server answering with `handler` (over TLS when given a server context)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class Answer:
    """One scripted answer: a status, a body (bytes, or any JSON value), headers, and a delay before it."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    def content(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


class Scripted:
    """Answers by path (without the query): each path's answers in turn, the last one repeated; 404 for a
    path with none. Every request is kept in `seen`, in order."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Answer]] = {}
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def on(self, path: str, *answers: Answer) -> Scripted:
        self.routes[path] = list(answers)
        return self

    def hits(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    def _next(self, path: str) -> Answer:
        with self._lock:
            answers = self.routes.get(path)
            if not answers:
                return Answer(404, {"error": "no such path"})
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        script = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with script._lock:
                    script.seen.append(Seen(self.command, split.path, parse_qs(split.query), dict(self.headers), body))
                answer = script._next(split.path)
                if answer.delay_s:
                    time.sleep(answer.delay_s)
                content = answer.content()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(content)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(content)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout under test)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
