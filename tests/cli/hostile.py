"""Shared by the hostile-input tests: the escapes an attacker hides in text, and a server that answers with them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from tests.local_http import serving

# OSC 0 (window title), OSC 52 (clipboard write), CSI 2J (clear screen), a C1 CSI, a bidi override.
ESCAPES = "\x1b]0;pwned\x07\x1b]52;c;ZWNobyBoaQ==\x07\x1b[2J\x9b2J\u202e"
# What must never reach a terminal raw from a stranger's text.
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def no_raw_controls(text: str) -> bool:
    return not any(char in text for char in RAW_CONTROLS)


def hostile_record(key_value: str = f"kv{ESCAPES}", **extra: object) -> str:
    """One NDJSON export line whose stranger's fields (keyValue, event type, response) carry escapes."""
    record = {
        "time": "2025-01-01T00:00:00Z", "url": "http://127.0.0.1:1/api/v2/event", "eventTypeKey": f"ev{ESCAPES}",
        "keyValue": key_value, "outcome": "rejected", "status": 400, "error": f"said {ESCAPES}",
        "request": {"headers": [["Content-Type", "application/json"]], "body": json.dumps({"keyValue": key_value})},
        "response": {"headers": [["X-Evil", ESCAPES]], "body": f"bad {ESCAPES}\nline two"},
        **extra,
    }
    return json.dumps(record) + "\n"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        answer = f"The event is bad {ESCAPES}".encode()
        self.send_response(400)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def hostile_server() -> Iterator[str]:
    """A server on 127.0.0.1 answering every POST with a 400 whose body carries ESCAPES; yields its event URL."""
    with serving(_Handler) as address:
        yield f"http://{address}/api/v2/event"
