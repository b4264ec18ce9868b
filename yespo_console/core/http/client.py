"""The event client: `EventClient` sends events to one environment over one long-lived
`httpx.AsyncClient` (for the GUI, the CLI and the scenario runner), and `ClientPool` keeps one per
environment.

`EventClient.send(body)` POSTs the exact bytes it is given (`Content-Type: application/json;
charset=UTF-8`) and always returns a `SendResult`: an `Outcome`, the status, headers and body of the
answer, the time taken, and an `Explanation` in plain words (what happened, what to check). Network
failures are results, not exceptions; only cancellation propagates (after the exchange is recorded as
cancelled). Every attempt is written to the `ExchangeRecorder` (the history store): `begin` just
before the request leaves, `complete` when the answer or the error arrives. Concurrent sends on a
busy loop share these writes' transactions (see `recording`); each still waits for its own. What a
status or a transport error means in words comes from `explain`.

Retries are opt-in (`RetryPolicy(attempts=3)`): a 429 waits for its Retry-After (up to a cap), a
5xx backs off exponentially. A client-side limiter keeps to Yespo's documented 350 requests/s unless
the environment says otherwise.

Create clients inside the running loop and close them (`aclose`) on the same loop. `ClientPool`
keeps one client per environment and replaces it when the environment or its secret changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from yespo_console import __version__
from yespo_console.core.events.findings import Report
from yespo_console.core.events.tracker_rules import inspect_wire
from yespo_console.core.http.environments import AuthMode, Environment
from yespo_console.core.http.exchange import ExchangeRecorder, ExchangeRequest, ExchangeResult
from yespo_console.core.http.explain import classify_error, explain_status
from yespo_console.core.http.masking import mask_headers, mask_url
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.http.ratelimit import RateLimiter
from yespo_console.core.http.recording import Recording
from yespo_console.core.http.secrets import (
    Secret,
    SecretSource,
    authorization_header,
    check_header_secret,
    masker_for,
)
from yespo_console.core.http.sending import Explanation, RetryPolicy, SendResult, Timeouts
from yespo_console.core.http.streams import read_capped
from yespo_console.core.http.tls import transport_options

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/json; charset=UTF-8"
USER_AGENT = f"yespo-console/{__version__}"
MAX_RESPONSE_BYTES = 1024 * 1024  # more is read and dropped; the body is marked truncated
TRUNCATION_MARK = b"\n[... truncated by Yespo Console]"
MAX_CONNECTIONS = 100

_DEFAULT = object()


class EventClient:
    """Sends events to one environment over one long-lived `httpx.AsyncClient`.

    `secret=None` sends no Authorization header (the server answers 401, explained as such).
    `rate_limit` overrides the environment's (None = no limiter). `transport` is for tests.
    `inspect=False` skips the local diagnostics of each body (the history row has none then).
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
        inspect: bool = True,
    ) -> None:
        if isinstance(secret, str):
            secret = Secret(secret, SecretSource.ENVIRONMENT, "the caller")
        if secret is not None:
            check_header_secret(secret, environment)
        self.environment = environment
        self.secret: Secret | None = secret
        self._recording = Recording(recorder, lambda: len(self._in_flight))
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
        self._http: httpx.AsyncClient | None = None
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._closed = False
        self._headers = {
            "Content-Type": CONTENT_TYPE,
            "Accept": "application/json, text/plain, */*",
            "User-Agent": environment.user_agent or USER_AGENT,
        }
        if secret is not None and environment.auth is not AuthMode.NONE:
            self._headers["Authorization"] = authorization_header(environment, secret.value)
        # Every secret in use, in every encoding: masked in all that is recorded or shown of an exchange.
        self.masker = masker_for(secret, environment)
        self._masked_headers = tuple(mask_headers(self._headers, self.masker))

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying client, created on first use (inside the running loop)."""
        if self._closed:
            raise RuntimeError("this EventClient is closed")
        if self._http is None:
            limits = httpx.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=50)
            self._http = httpx.AsyncClient(
                timeout=self.timeouts.to_httpx(),
                limits=limits,
                transport=self._transport,
                follow_redirects=False,
                **transport_options(self.environment),
            )
        return self._http

    async def aclose(self) -> None:
        self._closed = True
        self._recording.flush()
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

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    # -- what would be sent ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.environment.url

    def diagnose(self, body: bytes) -> Report | None:
        try:
            return inspect_wire(body, api_version=self.environment.api_version)
        except Exception:  # the inspector must never stop a send
            log.exception("diagnostics failed on a body; sending without them")
            return None

    def prepare(
        self, body: bytes | str, *, report: Report | None = None, note: str = "", run_id: str | None = None
    ) -> ExchangeRequest:
        """The request as it would be recorded, without sending: the secrets masked everywhere (headers,
        URL, body, diagnostics), with the diagnostics."""
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        if report is None and self.inspect:
            report = self.diagnose(data)
        mask = self.masker
        return ExchangeRequest(
            url=mask.text(mask_url(self.environment.url)),
            body=mask.bytes(data),
            environment=self.environment.name,
            headers=self._masked_headers,
            event_type=mask.text(report.event_type) if report and report.event_type else None,
            key_value=mask.text(report.key_value) if report and report.key_value else None,
            key_value_source=report.key_value_source if report else None,
            diagnostics=tuple(mask.value(f.as_dict()) for f in report.findings) if report else (),
            run_id=run_id,
            note=mask.text(note),
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
                outcome = await self._send_once(request, data, attempt, report, tuple(earlier))
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
        self, request: ExchangeRequest, data: bytes, attempt: int, report: Report | None,
        earlier: tuple[SendResult, ...]
    ) -> SendResult:
        """Send `data` (the real bytes; `request` is what is recorded of it, masked)."""
        if self.limiter is not None:
            await self.limiter.acquire()
        exchange_id, history_error = await self._recording.begin(request)
        started = time.perf_counter()
        try:
            http = self.http  # inside: a CA bundle that cannot be loaded is this exchange's outcome
            http_request = http.build_request("POST", self.environment.url, content=data, headers=self._headers)
            async with asyncio.timeout(self.timeouts.total):
                response = await http.send(http_request, stream=True)
                try:
                    # A server that echoes the request (a gateway's 401 page) would put the key in history.
                    content = self.masker.bytes(await _read_capped(response))
                finally:
                    await response.aclose()
        except asyncio.CancelledError:
            explanation = Explanation(
                "Cancelled before the answer arrived.",
                "The request may already have reached the server; check before sending again.",
            )
            result = ExchangeResult(Outcome.CANCELLED, duration_ms=_ms(started), error=explanation.as_error())
            history_error = self._recording.complete_now(exchange_id, result) or history_error
            raise
        except Exception as exc:  # every failure is an outcome, never a crash
            outcome, explanation = classify_error(
                exc, url=request.url, timeouts=self.timeouts, environment=self.environment
            )
            explanation = Explanation(self.masker.text(explanation.title), self.masker.text(explanation.detail))
            result = ExchangeResult(outcome, duration_ms=_ms(started), error=explanation.as_error())
        else:
            status = response.status_code
            headers = tuple(mask_headers(response.headers.multi_items(), self.masker))
            outcome = Outcome.from_status(status)
            explanation = explain_status(status, headers, content, environment=self.environment, secret=self.secret)
            explanation = Explanation(self.masker.text(explanation.title), self.masker.text(explanation.detail))
            result = ExchangeResult(
                outcome,
                status=status,
                headers=headers,
                body=content,
                duration_ms=_ms(started),
                error="" if outcome is Outcome.ACCEPTED else explanation.as_error(),
            )
        history_error = await self._recording.complete(exchange_id, result) or history_error
        return SendResult(request, result, explanation, exchange_id, attempt, earlier, history_error, report)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)


async def _read_capped(response: httpx.Response) -> bytes:
    data, truncated = await read_capped(response.aiter_bytes(), MAX_RESPONSE_BYTES)
    return data + TRUNCATION_MARK if truncated else data


# -- one client per environment ------------------------------------------------------------------


@dataclass
class ClientPool:
    """One `EventClient` per environment name, rebuilt when the environment or its secret changes.

    The GUI keeps one pool for its lifetime and closes it on quit, on the loop that used it. A replaced
    client may still be sending (a run goes on with the client it started with), so it is kept and
    closed with the pool. `transport` is for tests.
    """

    recorder: ExchangeRecorder | None = None
    transport: httpx.AsyncBaseTransport | None = None
    _clients: dict[str, EventClient] = field(default_factory=dict)
    _retired: list[EventClient] = field(default_factory=list)

    def client(self, environment: Environment, secret: Secret | None) -> EventClient:
        current = self._clients.get(environment.name)
        if current is not None:
            if not current.closed and current.environment == environment and current.secret == secret:
                return current
            self._retired.append(current)
        client = EventClient(environment, secret=secret, recorder=self.recorder, transport=self.transport)
        self._clients[environment.name] = client
        return client

    async def aclose(self) -> None:
        clients = [*self._clients.values(), *self._retired]
        self._clients.clear()
        self._retired = []
        for client in clients:
            with contextlib.suppress(Exception):
                await client.aclose()
