"""Masking of secrets for every display, log, history row and export."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from urllib.parse import unquote_plus, urlsplit, urlunsplit

MASK = "••••"
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})


def mask_secret(secret: str | None, visible: int = 4) -> str:
    """`••••abcd` for a long secret (its last characters, enough to tell two keys apart); only the
    mask for a short one, so that a short secret is never mostly shown."""
    if not secret:
        return ""
    if len(secret) < 12:
        return MASK
    return MASK + secret[-visible:]


def mask_authorization(value: str) -> str:
    """Keep the scheme, hide the credentials: `Basic ••••`, `Bearer ••••`."""
    scheme, _, _credentials = value.partition(" ")
    return f"{scheme} {MASK}" if _credentials else MASK


def mask_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers as (name, value) pairs with every credential-bearing value masked."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    masked: list[tuple[str, str]] = []
    for name, value in items:
        lowered = name.lower()
        if lowered in ("authorization", "proxy-authorization"):
            masked.append((name, mask_authorization(value)))
        elif lowered in SENSITIVE_HEADERS:
            masked.append((name, MASK))
        else:
            masked.append((name, value))
    return masked


def secret_forms(secret: str, user: str = "") -> list[bytes]:
    """Every byte form in which `secret` could leak: itself and its Basic-auth base64 encodings.
    Used by leak checks over databases, logs and exports."""
    forms = [secret.encode()]
    for candidate_user in {user, "", "user"}:
        token = base64.b64encode(f"{candidate_user}:{secret}".encode())
        forms.append(token)
    return forms


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace each known secret (and its Basic-auth forms) in free text with the mask."""
    for secret in secrets:
        if not secret:
            continue
        text = text.replace(secret, MASK)
        for form in secret_forms(secret)[1:]:
            text = text.replace(form.decode(), MASK)
    return text


def scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    """`scrub` for raw bytes (a response body that echoes the key), which need not be valid UTF-8."""
    for secret in secrets:
        if secret:
            for form in secret_forms(secret):
                data = data.replace(form, MASK.encode())
    return data


_SECRET_QUERY_NAMES = frozenset({"apikey", "api_key", "api-key", "key", "token", "access_token", "password",
                                 "secret"})


def mask_url(url: str) -> str:
    """The URL with a password in it, or a credential-like query parameter, masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}{':' + MASK if sep else ''}@{host}"
    query = parts.query
    if query:
        # Rebuilt piece by piece so that every other parameter keeps its exact spelling.
        pieces = []
        for piece in query.split("&"):
            name, sep, _value = piece.partition("=")
            secret = sep and unquote_plus(name).lower() in _SECRET_QUERY_NAMES
            pieces.append(f"{name}={MASK}" if secret else piece)
        query = "&".join(pieces)
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
