"""Where the proxy relays to, and what of a request and an answer crosses it.

`--to yespo` is https://yespo.io, `--to tracker` https://tracker.yespo.io, anything else a base URL (http
or https, loopback allowed). The client's path and query are kept as sent: the proxy adds them to the
base URL's own path (`https://example.test/prefix` + `/api/v2/event`).

Headers cross both ways as they are, except the hop-by-hop ones (RFC 9110 §7.6.1: `Connection` and the
names it lists, `Keep-Alive`, `Proxy-*`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`), `Host` (the
upstream's own is sent) and `Content-Length` (recomputed for the exact bytes relayed).

The client's own credentials go up untouched; everything stored or shown is masked with a `Masker` of
the credentials seen in that request (`request_masker`).
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from yespo_console.core.errors import InputError
from yespo_console.core.http.addresses import SANDBOX_TRACKER_PATH
from yespo_console.core.http.environments import Environment, check_url, is_loopback_url, is_production_url
from yespo_console.core.http.masking import Masker, mask_url, url_password

NAMED_UPSTREAMS = {"yespo": "https://yespo.io", "tracker": "https://tracker.yespo.io"}
# Paths whose bodies are Generate event bodies: judged by the inspector with these rules.
# tracker.yespo.io/api/v2, and the console sandbox's own tracker route (a proxy in front of the sandbox)
JUDGED_PATHS = {"/api/v2/event": "v2", "/api/v1/event": "v1", "/api/v2": "tracker",
                SANDBOX_TRACKER_PATH: "tracker"}
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
    "transfer-encoding", "upgrade",
})
_NOT_RELAYED = HOP_BY_HOP | {"host", "content-length"}


@dataclass(frozen=True, slots=True)
class Upstream:
    name: str  # the history's environment column: "yespo", "tracker", or "custom"
    base_url: str  # no trailing slash

    @property
    def production(self) -> bool:
        return is_production_url(self.base_url)

    @property
    def loopback(self) -> bool:
        return is_loopback_url(self.base_url)

    @property
    def environment(self) -> Environment:
        """For TLS (the OS trust store) and proxy settings, as the console's own client has them."""
        return Environment.custom(self.base_url)

    @property
    def shown(self) -> str:
        """The base URL with any password in it masked."""
        return mask_url(self.base_url)

    def url(self, raw_path: bytes, query: bytes) -> str:
        """The upstream URL of a request for `raw_path?query` (both as the client sent them)."""
        path = raw_path.decode("latin-1")
        target = path if path.startswith("/") else f"/{path}"
        return f"{self.base_url}{target}" + (f"?{query.decode('latin-1')}" if query else "")


def upstream_for(to: str) -> Upstream:
    """`yespo`, `tracker` or a base URL; InputError with a plain reason for anything else."""
    named = NAMED_UPSTREAMS.get(to.strip().lower())
    if named is not None:
        return Upstream(to.strip().lower(), named)
    url = check_url(to)
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise InputError(f"--to {url!r}: give a base URL without a query or fragment (the client's path and query "
                         "are added to it).")
    return Upstream("custom", url.rstrip("/"))


def forwarded_headers(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """The request's or the answer's headers as they cross the proxy: hop-by-hop ones, Host and
    Content-Length left out, every other one in its order, repeats kept."""
    pairs = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
    listed = {
        token.strip().lower()
        for name, value in pairs if name.lower() == "connection"
        for token in value.split(",")
    }
    return [(name, value) for name, value in pairs if name.lower() not in _NOT_RELAYED | listed]


def credentials(headers: Iterable[tuple[str, str]], url: str = "") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(secrets, Basic user names) a request carries: a Basic password, a Bearer token, an X-API-Key value,
    a password in the URL."""
    secrets: list[str] = []
    users: list[str] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == "x-api-key" and value.strip():
            secrets.append(value.strip())
        if lowered not in ("authorization", "proxy-authorization"):
            continue
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            secrets.append(token)
        elif scheme.lower() == "basic" and token:
            try:
                decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=False).decode("utf-8", "replace")
            except (binascii.Error, ValueError):
                continue
            user, sep, password = decoded.partition(":")
            if sep:
                secrets.append(password)
                users.append(user)
    in_url = url_password(url) if url else None
    if in_url:
        secrets.append(in_url)
    return tuple(sorted(set(secrets))), tuple(sorted(set(users)))


@functools.lru_cache(maxsize=64)
def _masker(secrets: tuple[str, ...], users: tuple[str, ...]) -> Masker:
    # An integration sends the same key with every request: one compiled masker serves them all.
    return Masker(secrets, users)


def request_masker(headers: Iterable[tuple[str, str]], url: str = "") -> Masker:
    """A Masker of every credential the request carries, in every encoding (see core.http.masking)."""
    return _masker(*credentials(headers, url))
