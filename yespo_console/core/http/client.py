"""The async client core: one `httpx.AsyncClient` per environment, used by the GUI, the CLI and the
scenario runner.

`EventClient.send(body)` POSTs the exact bytes it is given (`Content-Type: application/json;
charset=UTF-8`) and always returns a `SendResult`: an `Outcome`, the status, headers and body of the
answer, the time taken, and an `Explanation` in plain words (what happened, what to check). Network
failures are results, not exceptions; only cancellation propagates (after the exchange is recorded as
cancelled). Every attempt is written to the `ExchangeRecorder` (the history store): `begin` just
before the request leaves, `complete` when the answer or the error arrives. Concurrent sends on a
busy loop share these writes' transactions (see `_RecordGroups`); each still waits for its own.

Retries are opt-in (`RetryPolicy(attempts=3)`): a 429 waits for its Retry-After (up to a cap), a
5xx backs off exponentially. A client-side limiter keeps to Yespo's documented 350 requests/s unless
the environment says otherwise.

Create clients inside the running loop and close them (`aclose`) on the same loop. `ClientPool`
keeps one client per environment and replaces it when the environment or its secret changes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import socket
import ssl
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from yespo_console import __version__
from yespo_console.core.errors import InputError
from yespo_console.core.events.diagnostics import inspect_body
from yespo_console.core.events.findings import Report
from yespo_console.core.http.environments import YESPO_EVENT_RATE_LIMIT, AuthMode, Environment, is_loopback_url
from yespo_console.core.http.exchange import ExchangeRecorder, ExchangeRequest, ExchangeResult
from yespo_console.core.http.masking import mask_headers, scrub, scrub_bytes
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.http.ratelimit import RateLimiter
from yespo_console.core.http.secrets import Secret, SecretSource, check_secret
from yespo_console.core.http.sending import (
    Explanation,
    RetryPolicy,
    SendResult,
    Timeouts,
    header_value,
    parse_retry_after,
)
from yespo_console.core.http.streams import read_capped

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/json; charset=UTF-8"
USER_AGENT = f"yespo-console/{__version__}"
MAX_RESPONSE_BYTES = 1024 * 1024  # more is read and dropped; the body is marked truncated
TRUNCATION_MARK = b"\n[... truncated by Yespo Console]"


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
        if sandbox:
            return Explanation(
                f"Accepted ({status}) by the sandbox{where}.",
                "It is recorded in the sandbox inbox; nothing reached Yespo.",
            )
        return Explanation(
            f"Accepted ({status}){where}.",
            "Yespo took the event. Whether a contact was found shows in Yespo under Automation → Event history.",
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

    if failure.has(ssl.SSLError | ssl.CertificateError) or failure.says("[ssl"):
        reason = next((str(e) for e in chain if isinstance(e, ssl.SSLError | ssl.CertificateError)), str(exc))
        if failure.says("certificate_verify_failed", "certificate verify failed"):
            detail = (
                "The server's certificate is not trusted (self-signed, expired, or for another name). "
                "Check the URL and your clock; a company proxy that intercepts TLS needs its "
                "certificate installed."
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


_NETWORK_TITLES = {
    Outcome.TIMEOUT: "Timed out.",
    Outcome.CONNECTION_ERROR: "Connection failed.",
    Outcome.TLS_ERROR: "TLS error.",
    Outcome.CANCELLED: "Cancelled.",
    Outcome.INTERRUPTED: "Interrupted: the console stopped before the answer arrived.",
    Outcome.PENDING: "Waiting for the answer.",
}


def explain(result: ExchangeResult, *, environment: Environment | None = None) -> Explanation:
    """The explanation of any recorded result (e.g. a history row)."""
    if result.status is not None:
        return explain_status(result.status, result.headers, result.body, environment=environment)
    if result.error:
        title, _, detail = result.error.partition("\n")
        return Explanation(title, detail)
    return Explanation(_NETWORK_TITLES.get(result.outcome, result.outcome.label))


MIN_SCRUB_LENGTH = 6  # shorter "secrets" (test keys like "k") would mangle every word they occur in


def _scrubbable(secret: Secret | None) -> list[str]:
    if secret is None or secret.source is SecretSource.SANDBOX_DEFAULT or len(secret.value) < MIN_SCRUB_LENGTH:
        return []
    return [secret.value]


def scrub_secret(text: str, secret: Secret | None) -> str:
    """`text` with the secret (and its Basic-auth forms) masked, for showing server answers and errors."""
    return scrub(text, _scrubbable(secret))


def _error_text(explanation: Explanation) -> str:
    """How an explanation is stored in ExchangeResult.error: title, a newline, the detail."""
    return f"{explanation.title}\n{explanation.detail}" if explanation.detail else explanation.title


# -- the client ----------------------------------------------------------------------------------


def authorization_header(environment: Environment, secret: str) -> str:
    if environment.auth == AuthMode.BEARER:
        return f"Bearer {secret}"
    token = base64.b64encode(f"{environment.username}:{secret}".encode()).decode("ascii")
    return f"Basic {token}"


def check_header_secret(secret: Secret, environment: Environment) -> None:
    """InputError (never a crash mid-send) when a key or token cannot go into an HTTP header."""
    what = "token" if environment.auth == AuthMode.BEARER else "API key"
    try:
        check_secret(secret.value)
    except InputError as exc:
        raise InputError(f"The {what} from {secret.origin} cannot be used: {exc}") from None
    if environment.auth == AuthMode.BEARER and not secret.value.isascii():
        raise InputError(f"The {what} from {secret.origin} contains non-ASCII characters; a token is plain ASCII.")


_DEFAULT = object()
_NOT_SENT = _error_text(
    Explanation("Cancelled before the request was sent.", "It never left this computer: nothing reached the server.")
)


class _RecordGroups:
    """Groups the history writes of the concurrent sends of one client into shared transactions.

    A send hands over its pending row (before its request leaves) or its result (after the answer)
    and waits; the group is written in one transaction (the recorder's `write_many`) and every send
    in it resumes. So the guarantees are those of one write per call: a request leaves only after
    its pending row is committed, and `send()` returns only after its result is committed and
    searchable. What changes is the cost: one commit and one full-text index segment per group
    instead of one per write (each dearer than writing a small row), and fewer loop turns blocked
    on SQLite.

    The group is written as soon as waiting cannot make it grow: at once when every send in flight
    on this client is in it (a lone send, the GUI's, is written on the spot, as without groups);
    else at the first turn of the loop that ran nothing else (the loop is idle, so the other sends
    are waiting on the network, not on the CPU); at the latest `max_wait_s` after it began, or at
    `max_group` writes. Only a busy loop (sends arriving faster than the CPU serves them: a bulk
    run against a fast server) builds groups, and there waiting costs no throughput.
    """

    max_wait_s = 0.02
    idle_turn_s = 0.0002  # a turn quicker than this ran nothing else: the loop is idle
    max_group = 256

    def __init__(self, write_many: Callable[..., list[int]], in_flight: Callable[[], int]) -> None:
        self._write_many = write_many
        self._in_flight = in_flight
        self._begins: list[tuple[ExchangeRequest, asyncio.Future[tuple[int | None, str]]]] = []
        self._completes: list[tuple[int, ExchangeResult, asyncio.Future[str]]] = []
        self._handle: asyncio.Handle | None = None
        self._first = self._last_turn = 0.0

    def begin(self, request: ExchangeRequest) -> asyncio.Future[tuple[int | None, str]]:
        """A future for (id, history error). Cancelled before the group is written: no row."""
        future: asyncio.Future[tuple[int | None, str]] = asyncio.get_running_loop().create_future()
        self._begins.append((request, future))
        self._arm()
        return future

    def complete(self, exchange_id: int, result: ExchangeResult) -> asyncio.Future[str]:
        """A future for the history error ("" when recorded). Written even if the future is cancelled."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._completes.append((exchange_id, result, future))
        self._arm()
        return future

    def _arm(self) -> None:
        waiting = len(self._begins) + len(self._completes)
        if waiting >= self._in_flight() or waiting >= self.max_group:
            self.flush()  # no other send could join: written now, and the caller's future is done
        elif self._handle is None:
            loop = asyncio.get_running_loop()
            self._first = self._last_turn = loop.time()
            self._handle = loop.call_soon(self._turn)

    def _turn(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        busy = now - self._last_turn >= self.idle_turn_s
        self._last_turn = now
        waiting = len(self._begins) + len(self._completes)
        if busy and waiting < self._in_flight() and waiting < self.max_group and now - self._first < self.max_wait_s:
            self._handle = loop.call_soon(self._turn)
        else:
            self._handle = None
            self.flush()

    def flush(self) -> None:
        """Write the group now (also on close, and when a waiting send is cancelled)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        completes, self._completes = self._completes, []
        begins = [(request, future) for request, future in self._begins if not future.cancelled()]
        self._begins = []
        if not completes and not begins:
            return
        try:
            ids: list[int | None] = list(
                self._write_many(
                    begin=[request for request, _ in begins],
                    complete=[(exchange_id, result) for exchange_id, result, _ in completes],
                )
            )
            error = ""
        except Exception as exc:
            log.warning("could not write %d exchanges to history: %s", len(begins) + len(completes), exc)
            ids, error = [None] * len(begins), str(exc)
        for _, _, done in completes:
            if not done.done():
                done.set_result(f"The result was not recorded in history: {error}" if error else "")
        for (_, future), exchange_id in zip(begins, ids, strict=True):
            future.set_result((exchange_id, f"Not recorded in history: {error}" if error else ""))


class EventClient:
    """Sends events to one environment over one long-lived `httpx.AsyncClient`.

    `secret=None` sends no Authorization header (the server answers 401, explained as such).
    `rate_limit` overrides the environment's (None = no limiter). `transport` is for tests.
    `group_records` (on by default; used when the recorder also has `write_many`, as the history
    store does): concurrent sends share their history transactions, each still waiting for its own
    rows to be committed (see `_RecordGroups`). Off: one `begin` and one `complete` per send.
    """

    def __init__(
        self,
        environment: Environment,
        *,
        secret: Secret | str | None = None,
        recorder: ExchangeRecorder | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        rate_limit: float | object | None = _DEFAULT,
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 100,
        inspect: bool = True,
        group_records: bool = True,
    ) -> None:
        if isinstance(secret, str):
            secret = Secret(secret, SecretSource.ENVIRONMENT, "the caller")
        if secret is not None:
            check_header_secret(secret, environment)
        self.environment = environment
        self.secret: Secret | None = secret
        self.recorder = recorder
        write_many = getattr(recorder, "write_many", None)
        self._groups: _RecordGroups | None = (
            _RecordGroups(write_many, lambda: len(self._in_flight)) if group_records and callable(write_many) else None
        )
        self.timeouts = timeouts or Timeouts.for_environment(environment)
        self.retry = retry or RetryPolicy()
        rate = environment.rate_limit if rate_limit is _DEFAULT else rate_limit
        if rate is not None and not isinstance(rate, int | float):
            raise TypeError("rate_limit must be a number of requests per second or None")
        self.limiter: RateLimiter | None = (
            RateLimiter(float(rate), burst=max(1, min(50, int(rate // 10)))) if rate else None
        )
        self.inspect = inspect
        self._transport = transport
        self._max_connections = max_connections
        self._http: httpx.AsyncClient | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._headers = {
            "Content-Type": CONTENT_TYPE,
            "Accept": "application/json, text/plain, */*",
            "User-Agent": USER_AGENT,
        }
        if secret is not None:
            self._headers["Authorization"] = authorization_header(environment, secret.value)
        self._masked_headers = tuple(mask_headers(self._headers))

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying client, created on first use (inside the running loop)."""
        if self._closed:
            raise RuntimeError("this EventClient is closed")
        if self._http is None:
            limits = httpx.Limits(
                max_connections=self._max_connections,
                max_keepalive_connections=min(self._max_connections, 50),
            )
            loopback = is_loopback_url(self.environment.url)
            self._http = httpx.AsyncClient(
                timeout=self.timeouts.to_httpx(),
                limits=limits,
                verify=self.environment.verify_tls,
                transport=self._transport,
                trust_env=not loopback,  # never send the local sandbox through a proxy
                follow_redirects=False,
            )
        return self._http

    async def aclose(self) -> None:
        self._closed = True
        if self._groups is not None:
            self._groups.flush()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> EventClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        return self._closed

    def cancel_all(self) -> int:
        """Cancel every send in flight on this client; each is recorded as cancelled. Returns the count."""
        tasks = [task for task in self._in_flight if not task.done()]
        for task in tasks:
            task.cancel()
        return len(tasks)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    # -- what would be sent ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.environment.url

    @property
    def masked_headers(self) -> tuple[tuple[str, str], ...]:
        return self._masked_headers

    def diagnose(self, body: bytes) -> Report | None:
        try:
            return inspect_body(body, api_version=self.environment.api_version)
        except Exception:  # the inspector must never stop a send
            log.exception("diagnostics failed on a body; sending without them")
            return None

    def prepare(
        self, body: bytes | str, *, report: Report | None = None, note: str = "", run_id: str | None = None
    ) -> ExchangeRequest:
        """The request as it would be recorded (masked headers, diagnostics), without sending."""
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        if report is None and self.inspect:
            report = self.diagnose(data)
        return ExchangeRequest(
            url=self.environment.url,
            body=data,
            environment=self.environment.name,
            headers=self._masked_headers,
            event_type=report.event_type if report else None,
            key_value=report.key_value if report else None,
            key_value_source=report.key_value_source if report else None,
            diagnostics=tuple(f.as_dict() for f in report.findings) if report else (),
            run_id=run_id,
            note=note,
        )

    # -- sending ---------------------------------------------------------------------------------

    async def send(
        self, body: bytes | str, *, report: Report | None = None, note: str = "", run_id: str | None = None
    ) -> SendResult:
        """POST the body; retry per the policy. Cancelling the calling task cancels the exchange."""
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        if report is None and self.inspect:
            report = self.diagnose(data)
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            earlier: list[SendResult] = []
            attempt = 1
            while True:
                attempt_note = (
                    note if self.retry.attempts == 1 else f"{note} (attempt {attempt} of {self.retry.attempts})".strip()
                )
                request = self.prepare(data, report=report, note=attempt_note, run_id=run_id)
                outcome = await self._send_once(request, attempt, report, tuple(earlier))
                delay = self.retry.delay_after(outcome, attempt)
                if delay is None:
                    return outcome
                earlier.append(replace(outcome, earlier=()))
                attempt += 1
                await asyncio.sleep(delay)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def _send_once(
        self, request: ExchangeRequest, attempt: int, report: Report | None, earlier: tuple[SendResult, ...]
    ) -> SendResult:
        if self.limiter is not None:
            await self.limiter.acquire()
        http = self.http
        exchange_id, history_error = await self._begin_async(request)
        started = time.perf_counter()
        try:
            http_request = http.build_request("POST", request.url, content=request.body, headers=self._headers)
            async with asyncio.timeout(self.timeouts.total):
                response = await http.send(http_request, stream=True)
                try:
                    # A server that echoes the request (a gateway's 401 page) would put the key in history.
                    content = scrub_bytes(await _read_capped(response), _scrubbable(self.secret))
                finally:
                    await response.aclose()
        except asyncio.CancelledError:
            explanation = Explanation(
                "Cancelled before the answer arrived.",
                "The request may already have reached the server; check before sending again.",
            )
            result = ExchangeResult(Outcome.CANCELLED, duration_ms=_ms(started), error=_error_text(explanation))
            history_error = self._complete(exchange_id, result) or history_error
            raise
        except Exception as exc:  # every failure is an outcome, never a crash
            outcome, explanation = classify_error(
                exc, url=request.url, timeouts=self.timeouts, environment=self.environment
            )
            explanation = Explanation(
                scrub_secret(explanation.title, self.secret), scrub_secret(explanation.detail, self.secret)
            )
            result = ExchangeResult(outcome, duration_ms=_ms(started), error=_error_text(explanation))
        else:
            status = response.status_code
            headers = tuple(mask_headers(response.headers.multi_items()))
            outcome = Outcome.from_status(status)
            explanation = explain_status(status, headers, content, environment=self.environment, secret=self.secret)
            result = ExchangeResult(
                outcome,
                status=status,
                headers=headers,
                body=content,
                duration_ms=_ms(started),
                error="" if outcome is Outcome.ACCEPTED else _error_text(explanation),
            )
        history_error = await self._complete_async(exchange_id, result) or history_error
        return SendResult(request, result, explanation, exchange_id, attempt, earlier, history_error, report)

    def _begin(self, request: ExchangeRequest) -> tuple[int | None, str]:
        if self.recorder is None:
            return None, ""
        try:
            return self.recorder.begin(request), ""
        except Exception as exc:
            log.warning("could not record the exchange: %s", exc)
            return None, f"Not recorded in history: {exc}"

    async def _begin_async(self, request: ExchangeRequest) -> tuple[int | None, str]:
        if self._groups is None:
            return self._begin(request)
        future = self._groups.begin(request)
        try:
            return await future
        except asyncio.CancelledError:
            # Cancelled while the row was being written: the request never left. A row written
            # meanwhile is closed as cancelled; one not written yet never will be.
            if future.done() and not future.cancelled():
                exchange_id, _ = future.result()
                self._complete(exchange_id, ExchangeResult(Outcome.CANCELLED, duration_ms=0.0, error=_NOT_SENT))
            raise

    async def _complete_async(self, exchange_id: int | None, result: ExchangeResult) -> str:
        if self._groups is None or exchange_id is None:
            return self._complete(exchange_id, result)
        try:
            return await self._groups.complete(exchange_id, result)
        except asyncio.CancelledError:
            self._groups.flush()  # the answer did arrive: written now, whatever becomes of the loop
            raise

    def _complete(self, exchange_id: int | None, result: ExchangeResult) -> str:
        if self.recorder is None or exchange_id is None:
            return ""
        try:
            self.recorder.complete(exchange_id, result)
        except Exception as exc:
            log.warning("could not record the result of exchange %s: %s", exchange_id, exc)
            return f"The result was not recorded in history: {exc}"
        return ""


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)


async def _read_capped(response: httpx.Response) -> bytes:
    data, truncated = await read_capped(response.aiter_bytes(), MAX_RESPONSE_BYTES)
    return data + TRUNCATION_MARK if truncated else data


# -- one client per environment ------------------------------------------------------------------


@dataclass
class _Entry:
    client: EventClient
    signature: tuple[Any, ...]


@dataclass
class ClientPool:
    """One `EventClient` per environment name, rebuilt when the environment or its secret changes.

    The GUI keeps one pool for its lifetime and closes it on quit, on the loop that used it.
    """

    recorder: ExchangeRecorder | None = None
    retry: RetryPolicy | None = None
    timeouts: Timeouts | None = None
    transport: httpx.AsyncBaseTransport | None = None
    _clients: dict[str, _Entry] = field(default_factory=dict)
    _retired: list[EventClient] = field(default_factory=list)

    def client(self, environment: Environment, secret: Secret | None) -> EventClient:
        signature = (
            environment,
            secret.value if secret else None,
            secret.source if secret else None,
            self.retry,
            self.timeouts,
        )
        entry = self._clients.get(environment.name)
        if entry is not None and entry.signature == signature and not entry.client.closed:
            return entry.client
        if entry is not None:
            self._retired.append(entry.client)  # closed at the next aclose/prune; may still be sending
        client = EventClient(
            environment,
            secret=secret,
            recorder=self.recorder,
            retry=self.retry,
            timeouts=self.timeouts,
            transport=self.transport,
        )
        self._clients[environment.name] = _Entry(client, signature)
        return client

    async def prune(self) -> None:
        """Close replaced clients that have nothing in flight."""
        keep: list[EventClient] = []
        for client in self._retired:
            if client.in_flight:
                keep.append(client)
            else:
                await client.aclose()
        self._retired = keep

    def cancel_all(self) -> int:
        return sum(entry.client.cancel_all() for entry in self._clients.values()) + sum(
            client.cancel_all() for client in self._retired
        )

    async def aclose(self) -> None:
        clients = [entry.client for entry in self._clients.values()] + self._retired
        self._clients.clear()
        self._retired = []
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()


__all__ = [
    "CONTENT_TYPE",
    "YESPO_EVENT_RATE_LIMIT",
    "ClientPool",
    "EventClient",
    "Explanation",
    "RetryPolicy",
    "SendResult",
    "Timeouts",
    "authorization_header",
    "classify_error",
    "explain",
    "explain_status",
    "parse_retry_after",
    "scrub_secret",
]
