"""Bodies and small helpers shared by the sandbox and client tests."""

from __future__ import annotations

import json
import socket

import pytest

VALID_EVENT = {
    "eventTypeKey": "pageViewed",
    "keyValue": "ann@example.com",
    "params": [
        {"name": "email", "value": "ann@example.com"},
        {"name": "page", "value": '{"location":"https://example.com/shoes"}'},
    ],
}
MISSING_PAGE_EVENT = {"eventTypeKey": "pageViewed", "keyValue": "ann@example.com", "params": []}


def body(obj: object = VALID_EVENT) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def free_port() -> int:
    """A port nothing listens on (bound and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def skip_unless_lookups_fail(host: str) -> None:
    """Skip the test unless this machine's resolver says at once that `host` does not exist: with no resolver
    to ask (or one that resolves everything), a failed lookup cannot be told from a slow or a found one."""
    try:
        socket.getaddrinfo(host, 80)
    except socket.gaierror:
        return
    except OSError as exc:
        pytest.skip(f"the resolver cannot be asked here: {exc}")
    pytest.skip(f"the resolver here finds {host!r}")
