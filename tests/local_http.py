"""A real HTTP server on 127.0.0.1, in a thread, for tests that need a stranger to talk to (an echoing
gateway, something on the sandbox's port, an HTTPS server, a proxy)."""

from __future__ import annotations

import contextlib
import http.server
import ssl
import threading
from collections.abc import Iterator


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
