"""History as runnable scripts: cURL commands and httpx programs that send the same bytes again.

No script ever holds a credential. Headers are masked in the store already and are masked again
here; a script that must authenticate reads the key from the environment (`${YESPO_API_KEY}`,
`os.environ["YESPO_API_KEY"]`) when it runs, and a masked header it cannot rebuild is named in a
comment for the person to add.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TextIO

from yespo_console.core.history.models import Exchange, Headers
from yespo_console.core.history.records import body_text, iso, safe_headers
from yespo_console.core.http.exchange import ExchangeRequest
from yespo_console.core.http.masking import MASK, mask_url

# The variables `yespo_console.core.http.secrets` reads; repeated here (a test keeps them equal) because
# importing that module pulls in the environments and with them pydantic, which nothing else in the history
# package loads (keyring is imported only when a secret is read, httpx not at all).
API_KEY_ENV = "YESPO_API_KEY"
TOKEN_ENV = "YESPO_TOKEN"
BASIC_USER = "user"  # Yespo ignores the Basic user name; the key is the password
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# Headers a replay must not copy: the tool computes them, or they would ask for a compressed answer
# the script does not unpack.
_REPLAY_SKIP = frozenset({"host", "content-length", "connection", "transfer-encoding", "accept-encoding"})


def _sh(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


@dataclass(frozen=True, slots=True)
class _Credential:
    kind: Literal["basic", "header", "omit"]
    name: str = ""  # the header, for "header" and "omit"
    prefix: str = ""  # what comes before the secret in the header value: "Bearer "
    variable: str = ""  # the environment variable holding the secret


def _replay_headers(headers: Headers) -> tuple[list[tuple[str, str]], list[_Credential], set[str]]:
    """(headers to send as they are, how to send the credentials, variables needed)."""
    plain: list[tuple[str, str]] = []
    credentials: list[_Credential] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in _REPLAY_SKIP:
            continue
        if lowered == "authorization":
            scheme = value.partition(" ")[0]
            if scheme.lower() == "basic":
                credentials.append(_Credential("basic", variable=API_KEY_ENV))
            else:
                variable = TOKEN_ENV if scheme.lower() == "bearer" else API_KEY_ENV
                credentials.append(_Credential("header", name, f"{scheme} ", variable))
        elif lowered == "x-api-key":
            credentials.append(_Credential("header", name, "", API_KEY_ENV))
        elif MASK in value or lowered in ("cookie", "proxy-authorization", "set-cookie"):
            credentials.append(_Credential("omit", name))
        else:
            plain.append((name, value))
    return plain, credentials, {c.variable for c in credentials if c.variable}


def _describe(exchange: Exchange) -> str:
    """A one-line comment: control characters removed, so no value can end the comment line."""
    status = exchange.status if exchange.status is not None else "-"
    text = (f"#{exchange.id} {iso(exchange.started_at)} {exchange.event_type or '-'} "
            f"{exchange.outcome.value} {status} ({exchange.environment})")
    return _CONTROL_RE.sub(" ", text)


@dataclass(frozen=True, slots=True)
class _Replay:
    """What a cURL command or an httpx script needs: a recorded exchange, or a request not sent yet."""

    comment: str
    method: str
    url: str
    headers: Headers
    body: bytes


def _replay(item: Exchange | ExchangeRequest) -> _Replay:
    if isinstance(item, ExchangeRequest):
        comment = _CONTROL_RE.sub(" ", f"{iso(item.started_at)} {item.event_type or '-'} not sent yet "
                                       f"({item.environment})")
        return _Replay(comment, item.method, item.url, item.headers, item.body)
    return _Replay(_describe(item), item.method, item.url, item.request_headers, item.request_body)


def curl_command(item: Exchange | ExchangeRequest) -> str:
    """One cURL command sending the same bytes; credentials come from the environment."""
    replay = _replay(item)
    plain, credentials, _needed = _replay_headers(safe_headers(replay.headers))
    lines = [f"# {replay.comment}"]
    args = ["curl --silent --show-error", f"--request {_sh(replay.method)}", _sh(mask_url(replay.url))]
    for credential in credentials:
        if credential.kind == "basic":
            args.append(f'--user "{BASIC_USER}:${{{credential.variable}}}"')
        elif credential.kind == "header":
            literal = _sh(f"{credential.name}: {credential.prefix}")
            args.append(f'--header {literal}"${{{credential.variable}}}"')
        else:
            lines.append(f"# header {_CONTROL_RE.sub(' ', credential.name)} was masked in history: "
                         "add it yourself")
    args += [f"--header {_sh(f'{name}: {value}')}" for name, value in plain]
    body = replay.body
    text, encoding = body_text(body)
    if encoding == "utf-8" and "\x00" not in text:
        args.append(f"--data-binary {_sh(text)}")
        prefix = ""
    else:  # bytes a shell argument cannot carry: decode them on the way in
        args.append("--data-binary @-")
        prefix = f"printf '%s' {_sh(base64.b64encode(body).decode('ascii'))} | base64 --decode | "
    lines.append(prefix + " \\\n  ".join(args))
    lines.append("echo")
    return "\n".join(lines) + "\n"


def _needed_variables(exchanges: Iterable[Exchange]) -> tuple[list[Exchange], set[str]]:
    items = list(exchanges)
    needed: set[str] = set()
    for exchange in items:
        needed |= _replay_headers(safe_headers(exchange.request_headers))[2]
    return items, needed


def write_curl(exchanges: Iterable[Exchange], out: TextIO) -> int:
    items, needed = _needed_variables(exchanges)
    out.write("#!/bin/sh\n# Requests exported from Yespo Console history. No credential is in this file:\n"
              f"# export {API_KEY_ENV} (Basic auth) or {TOKEN_ENV} (Bearer) before running it.\nset -u\n")
    for variable in sorted(needed):
        out.write(f': "${{{variable}:?set {variable} first}}"\n')
    for exchange in items:
        out.write("\n" + curl_command(exchange))
    return len(items)


def _httpx_call(item: Exchange | ExchangeRequest, indent: str) -> str:
    replay = _replay(item)
    plain, credentials, _needed = _replay_headers(safe_headers(replay.headers))
    header_items = [f"({name!r}, {value!r})" for name, value in plain]
    auth_arg = None
    notes = []
    for credential in credentials:
        if credential.kind == "basic":
            auth_arg = f"({BASIC_USER!r}, os.environ[{credential.variable!r}])"
        elif credential.kind == "header":
            header_items.append(f"({credential.name!r}, {credential.prefix!r} + os.environ[{credential.variable!r}])")
        else:
            notes.append(f"{indent}# header {_CONTROL_RE.sub(' ', credential.name)} was masked in history: "
                         "add it yourself\n")
    text, encoding = body_text(replay.body)
    content = f"{text!r}.encode()" if encoding == "utf-8" else repr(replay.body)
    lines = [
        f"{indent}# {replay.comment}\n",
        *notes,
        f"{indent}response = client.request(\n",
        f"{indent}    {replay.method!r},\n",
        f"{indent}    {mask_url(replay.url)!r},\n",
        f"{indent}    headers=[{', '.join(header_items)}],\n",
        f"{indent}    content={content},\n",
    ]
    if auth_arg:
        lines.append(f"{indent}    auth={auth_arg},\n")
    lines += [f"{indent})\n", f"{indent}print(response.status_code, response.text)\n"]
    return "".join(lines)


_HTTPX_HEAD = (
    '"""Requests exported from Yespo Console history.\n\n'
    f"No credential is in this file: set {API_KEY_ENV} (Basic auth) or {TOKEN_ENV} (Bearer) in the\n"
    'environment before running it."""\n\nimport os\n\nimport httpx\n\n'
)


def httpx_snippet(item: Exchange | ExchangeRequest) -> str:
    """A runnable Python script sending the same bytes with httpx."""
    return _HTTPX_HEAD + "with httpx.Client(timeout=30.0) as client:\n" + _httpx_call(item, "    ")


def write_httpx(exchanges: Iterable[Exchange], out: TextIO) -> int:
    items = list(exchanges)
    out.write(_HTTPX_HEAD + "with httpx.Client(timeout=30.0) as client:\n")
    if not items:
        out.write("    pass\n")
    for number, exchange in enumerate(items):
        out.write(("\n" if number else "") + _httpx_call(exchange, "    "))
    return len(items)
