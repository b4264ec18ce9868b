"""Plain words for how an exchange ended: `explain_status` turns an HTTP answer (status, headers, the
start of the body) into an `Explanation` (what happened, what to check), and `classify_error` turns an
exchange that ended without an answer (DNS, refused, reset, TLS, timeouts, a server that does not
speak HTTP) into an `Outcome` and an `Explanation`, by walking the exception, its causes and the
members of exception groups through a table of rules. Imports httpx (its exception types): only the
client loads this module.
"""

from __future__ import annotations

import socket
import ssl
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

from yespo_console.core.http.environments import AuthMode, Environment
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.http.secrets import Secret
from yespo_console.core.http.sending import SANDBOX_FINDINGS, Explanation, Timeouts, header_value, parse_retry_after
from yespo_console.core.http.tls import TLSSetupError


def _body_hint(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


# Answers explained by words alone: (title with `{where}`, detail); the detail is followed by what the server said.
_STATUS_TEXTS: dict[int, tuple[str, str]] = {
    403: (
        "Forbidden (403){where}: the credentials are valid but lack the rights for events.",
        "Give the API key event access in Yespo (Settings → API: full access, or events).",
    ),
    404: (
        "Not found (404){where}: nothing answers at this URL.",
        "Check the URL: the v2 event endpoint ends with /api/v2/event.",
    ),
    405: (
        "Method not allowed (405){where}.",
        "The URL is not an event endpoint; it should end with /api/v2/event.",
    ),
    413: (
        "Too large (413){where}.",
        "Yespo accepts at most 20 KB of event data; send fewer items.",
    ),
    415: (
        "Unsupported media type (415){where}.",
        "The server did not accept application/json.",
    ),
}


def _retry_after(headers: tuple[tuple[str, str], ...], source: str = "") -> str:
    """` It asks to retry after N s<source>.` when the answer has a usable Retry-After header, else ""."""
    seconds = parse_retry_after(header_value(headers, "Retry-After"))
    return f" It asks to retry after {seconds:g} s{source}." if seconds is not None else ""


def explain_status(
    status: int,
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    *,
    environment: Environment | None = None,
    secret: Secret | None = None,
) -> Explanation:
    """A plain explanation of an HTTP answer."""
    where = f" ({environment.label})" if environment else ""
    said = _body_hint(body)
    said_text = f' The server said: "{said}"' if said else ""
    sandbox = environment is not None and environment.is_sandbox
    if 200 <= status < 300:
        problems = header_value(headers, SANDBOX_FINDINGS)
        if sandbox and problems is not None and problems.strip().isdigit():  # a console sandbox's count
            count = int(problems)
            downstream = f"; {count} problem{'s' if count != 1 else ''} downstream" if count else ""
            return Explanation(
                f"Accepted by the sandbox{where} — Yespo would accept it too{downstream}.",
                "It is recorded in the sandbox inbox; nothing reached Yespo."
                + (" See the diagnostics for what will not work as meant (a trigger's condition, segmentation, "
                   "recommendations)." if count else ""),
            )
        if sandbox:
            return Explanation(
                f"Accepted ({status}) by the sandbox{where}.",
                "It is recorded in the sandbox inbox; nothing reached Yespo.",
            )
        if environment is None or environment.production:
            return Explanation(
                f"Accepted ({status}){where}.",
                "Yespo took the event. Whether a contact was found shows in Yespo under Automation → Event history.",
            )
        host = httpx.URL(environment.url).host
        return Explanation(
            f"Accepted ({status}) by {host}{where}.",
            f"{host} is neither a Yespo host nor a Yespo Console sandbox: whether the event reaches Yespo is up "
            "to that server.",
        )
    if status == 400:
        extra = ""
        if "should have the following params" in said:
            extra = (
                " The event type has parameter validation switched on and the event lacks a "
                "required param: add the params it lists."
            )
        return Explanation(
            f"Rejected as invalid (400){where}.",
            f"The server refused the body.{said_text}{extra} Compare with the local diagnostics.",
        )
    if status == 401:
        if secret is None:
            key = "No key or token was sent."
        else:
            key = (
                f"The {'token' if (environment and environment.auth == AuthMode.BEARER) else 'key'} sent was "
                f"{secret.describe()}."
            )
        auth_hint = (
            "For Bearer auth, check the token has not expired (OAuth tokens last 48 hours by default) and "
            "that this endpoint accepts Bearer tokens."
            if environment is not None and environment.auth == AuthMode.BEARER
            else "For Basic auth the API key is the password (the user name can be anything). A key unused "
            "for 90 days is disabled."
        )
        return Explanation(
            f"Not authorised (401){where}: the API key or token was not accepted.",
            f"{key} {auth_hint}{said_text}",
        )
    if status in _STATUS_TEXTS:
        title, detail = _STATUS_TEXTS[status]
        return Explanation(title.format(where=where), detail + said_text)
    if status == 429:
        return Explanation(
            f"Rate limited (429){where}: too many requests.{_retry_after(headers, ' (Retry-After)')}",
            "Yespo allows 350 requests/s for this method. Send more slowly, or turn on retries." + said_text,
        )
    if status >= 500:
        return Explanation(
            f"Server error ({status}){where}: the problem is on the server's side.{_retry_after(headers)}",
            "Try again later, or turn on retries with backoff. If it persists, give Yespo "
            "support the time and the body." + said_text,
        )
    if 300 <= status < 400:
        location = header_value(headers, "Location")
        moved = f" to {location}" if location else ""
        return Explanation(
            f"Redirected ({status}){moved}{where}.",
            "Event requests are not redirected: use the final URL in the environment.",
        )
    return Explanation(f"Rejected ({status}){where}.", "See the server's answer." + said_text)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its causes and contexts, and the members of exception groups."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                stack.append(linked)


_DNS_TEXTS = (
    "name or service not known",
    "nodename nor servname",
    "getaddrinfo failed",
    "temporary failure in name resolution",
    "no address associated",
    "name resolution",
)


@dataclass(frozen=True, slots=True)
class _Failure:
    """An exception that ended an exchange, everything linked to it (see `_chain`) and their texts, lower case."""

    exc: BaseException
    chain: tuple[BaseException, ...]
    texts: str

    def has(self, kind: type[BaseException] | types.UnionType) -> bool:
        return any(isinstance(e, kind) for e in self.chain)

    def says(self, *words: str) -> bool:
        return any(word in self.texts for word in words)


# (matches, title, detail): the first rule that matches explains the failure. Title and detail are templates over
# the words of `classify_error`: {target} (host:port), {host}, {url}, {exc}, {sandbox} (a hint, or ""), {within}
# (" within N s", or ""), and the timeouts' {connect}, {read}, {write}, {pool} seconds.
_Rule = tuple[Callable[[_Failure], bool], str, str]

_TIMEOUT_RULES: tuple[_Rule, ...] = (
    (
        lambda f: isinstance(f.exc, TimeoutError),
        "No complete answer from {target}{within}.",
        "The server is slow or hanging. Try again, or raise the environment's timeout.",
    ),
    (
        lambda f: isinstance(f.exc, httpx.ConnectTimeout),
        "Could not connect to {target} within {connect:g} s.",
        "Check the host and port, your network, firewall, VPN or proxy.{sandbox}",
    ),
    (
        lambda f: isinstance(f.exc, httpx.ReadTimeout),
        "{target} took the request but did not answer within {read:g} s.",
        "The server may be overloaded or hanging; the event may or may not have been received. Try again "
        "later, or raise the timeout.",
    ),
    (
        lambda f: isinstance(f.exc, httpx.WriteTimeout),
        "Could not send the request to {target} within {write:g} s.",
        "The connection is too slow or stalled.",
    ),
    (
        lambda f: isinstance(f.exc, httpx.PoolTimeout),
        "No free connection to {target} within {pool:g} s.",
        "Too many requests are in flight at once; lower the concurrency.",
    ),
)

_CONNECTION_RULES: tuple[_Rule, ...] = (
    (
        lambda f: f.has(socket.gaierror) or f.says(*_DNS_TEXTS),
        "Could not find the host {host!r} (DNS lookup failed).",
        "Check the spelling of the URL and your network connection, VPN or DNS settings.",
    ),
    (
        lambda f: f.has(ConnectionRefusedError) or f.says("connection refused"),
        "Connection refused by {target}: nothing is listening there.",
        "Check the host and port in the URL.{sandbox}",
    ),
    (
        lambda f: isinstance(f.exc, httpx.RemoteProtocolError) and f.says("without sending", "disconnected"),
        "{target} closed the connection without answering.",
        "The server dropped the request (overloaded, restarting, or a proxy cut it). "
        "The event may or may not have been received; try again.",
    ),
    (
        lambda f: isinstance(f.exc, httpx.RemoteProtocolError),  # not the parser's message: it quotes raw bytes
        "{target} answered with something that is not valid HTTP.",
        "Check that the URL points at the Yespo API and not at another kind of server (or at the wrong port).",
    ),
    (
        lambda f: (
            f.has(ConnectionResetError | BrokenPipeError) or isinstance(f.exc, httpx.ReadError | httpx.WriteError)
        ),
        "The connection to {target} was cut (reset by the server or the network).",
        "The event may or may not have been received; try again.",
    ),
    (
        lambda f: isinstance(f.exc, httpx.ConnectError),
        "Could not connect to {target}: {exc}",
        "Check the URL, your network and any proxy.{sandbox}",
    ),
    (
        lambda f: isinstance(f.exc, httpx.UnsupportedProtocol | httpx.InvalidURL),
        "The URL {url!r} cannot be used: {exc}",
        "Use an http:// or https:// URL.",
    ),
)


def _first_rule(rules: tuple[_Rule, ...], failure: _Failure, words: dict[str, object]) -> Explanation | None:
    for matches, title, detail in rules:
        if matches(failure):
            return Explanation(title.format(**words), detail.format(**words))
    return None


def classify_error(
    exc: BaseException, *, url: str, timeouts: Timeouts, environment: Environment | None = None
) -> tuple[Outcome, Explanation]:
    """The outcome and explanation of an exchange that ended without an HTTP answer."""
    parsed = httpx.URL(url)
    target = f"{parsed.host}:{parsed.port or (443 if parsed.scheme == 'https' else 80)}"
    sandbox_hint = (
        " Is the sandbox running? Start it with `yespo-console sandbox`."
        if environment is not None and environment.is_sandbox
        else ""
    )
    chain = list(_chain(exc))
    failure = _Failure(exc, tuple(chain), " | ".join(str(e) for e in chain).lower())
    words: dict[str, object] = {
        "target": target,
        "host": parsed.host,
        "url": url,
        "exc": exc,
        "sandbox": sandbox_hint,
        "within": f" within {timeouts.total:g} s" if timeouts.total is not None else "",
        "connect": timeouts.connect,
        "read": timeouts.read,
        "write": timeouts.write,
        "pool": timeouts.pool,
    }

    explanation = _first_rule(_TIMEOUT_RULES, failure, words)
    if explanation is not None:
        return Outcome.TIMEOUT, explanation

    if isinstance(exc, TLSSetupError):
        return Outcome.TLS_ERROR, Explanation(str(exc), "Nothing was sent.")
    if failure.has(ssl.SSLError | ssl.CertificateError) or failure.says("[ssl"):
        reason = next((str(e) for e in chain if isinstance(e, ssl.SSLError | ssl.CertificateError)), str(exc))
        if failure.says("certificate_verify_failed", "certificate verify failed"):
            bundle = environment.ca_bundle if environment is not None else None
            trusted = "this computer's trust store" + (f" or the CA bundle {bundle!r}" if bundle else "")
            detail = (
                f"The server's certificate is not trusted by {trusted} (self-signed, expired, or for another "
                "name). Check the URL and your clock. Behind a company proxy that inspects TLS, install the "
                "company's CA certificate in the operating system (Yespo Console trusts what the system "
                "trusts), or name it as the environment's CA bundle."
            )
        elif failure.says("wrong_version_number", "record layer failure"):
            detail = "The server does not speak TLS on this port: should the URL start with http:// ?"
        else:
            detail = "Check the URL, your clock, and any proxy between you and the server."
        return Outcome.TLS_ERROR, Explanation(f"TLS error with {target}: {reason}", detail)

    explanation = _first_rule(_CONNECTION_RULES, failure, words)
    if explanation is not None:
        return Outcome.CONNECTION_ERROR, explanation
    return Outcome.CONNECTION_ERROR, Explanation(
        f"The request to {target} failed: {type(exc).__name__}: {exc}", "Check the URL and your network."
    )
