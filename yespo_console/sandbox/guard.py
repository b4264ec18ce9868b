"""Who may talk to the sandbox: programs on this machine, never a web page.

A page in any browser tab can reach 127.0.0.1: it can POST a `text/plain` body without asking first, and
with DNS rebinding (its own name re-pointed at 127.0.0.1) it can even read the answers. Three checks close
both doors before a byte of the body is read:

- `Host` must name this sandbox: 127.0.0.1, localhost or [::1] (or the address it listens on, or a name
  given with `allowed_hosts`), with its port or none. A rebound page sends its own name: refused (421).
- `Origin`, which browsers add to every cross-origin request and every POST, must be the sandbox's own
  origin; `Sec-Fetch-Site` must be `same-origin` or `none` (typed into the address bar). Else 403.
- A state-changing control request (PUT/DELETE) must not carry a form or text content type, the ones a
  page may send without a CORS preflight.

Programs (curl, httpx, the console) send neither Origin nor Sec-Fetch-Site and pass unchanged.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
_WILDCARDS = frozenset({"", "0.0.0.0", "::"})
# The content types a page may POST (or PUT via a form) with no preflight: the CORS "simple" ones.
SIMPLE_CONTENT_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    text: str
    reason: str  # for the log: what was refused, without the stranger's text


def folded_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """An ASGI scope's headers for `Gate.check`: lower-case names, a repeated one joined with ", " (so that
    a second Host or Origin cannot slip past the check)."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _split_host(value: str) -> tuple[str, int | None] | None:
    """("name", port or None) of a Host header value; None when it is not a host[:port] at all."""
    try:
        parts = urlsplit(f"//{value}")
        port = parts.port
    except ValueError:
        return None
    if parts.hostname is None or parts.username is not None or parts.path or parts.query or parts.fragment:
        return None
    return parts.hostname.lower().rstrip("."), port


def _normalised(name: str) -> str:
    name = name.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        return ipaddress.ip_address(name).compressed
    except ValueError:
        return name


class Gate:
    """The Host/Origin rules of one sandbox (or of the recording proxy: `what` names it in the answers).
    `port` is read at each request (it is known once listening)."""

    def __init__(self, listen_host: str, allowed_hosts: Iterable[str] = (), *, what: str = "sandbox") -> None:
        self.what = what
        names = set(LOOPBACK_NAMES)
        if _normalised(listen_host) not in _WILDCARDS:
            names.add(_normalised(listen_host))
        names.update(_normalised(name) for name in allowed_hosts if name.strip())
        self.names = frozenset(names)

    def _ours(self, name: str, port: int | None, own_port: int) -> bool:
        return _normalised(name) in self.names and port in (None, own_port)

    def check(self, headers: dict[str, str], own_port: int) -> Refusal | None:
        """None when the request may go on; else what to answer. `headers`: lower-case names."""
        host = headers.get("host")
        if host is not None:
            split = _split_host(host)
            if split is None or not self._ours(*split, own_port):
                return Refusal(
                    421,
                    f"This is a Yespo Console {self.what}: it answers only requests addressed to 127.0.0.1, "
                    "localhost or [::1] (start it with --allow-host NAME to accept another name).",
                    f"a Host header that does not name this {self.what} ({host[:100]!r})",
                )
        origin = headers.get("origin")
        if origin is not None and not self._own_origin(origin, own_port):
            return Refusal(
                403,
                f"Requests from web pages are refused: the {self.what} serves programs on this machine only.",
                "a request from a web page (Origin header)",
            )
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site.strip().lower() not in ("same-origin", "none"):
            return Refusal(
                403,
                f"Requests from web pages are refused: the {self.what} serves programs on this machine only.",
                "a request from a web page (Sec-Fetch-Site header)",
            )
        return None

    def _own_origin(self, origin: str, own_port: int) -> bool:
        try:
            parts = urlsplit(origin.strip())
            port = parts.port
        except ValueError:
            return False
        if parts.scheme != "http" or parts.hostname is None:
            return False
        # An origin without a port is on port 80: another local web server's page, unless that is us.
        return self._ours(parts.hostname, 80 if port is None else port, own_port)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").partition(";")[0].strip().lower()


def refuses_simple_content(method: str, content_type: str | None) -> bool:
    """A state-changing control request with a content type a page may send without a preflight."""
    return method in ("PUT", "DELETE", "POST") and _media_type(content_type) in SIMPLE_CONTENT_TYPES
