"""The recording proxy: relays every request it gets to one upstream (Yespo, the tracker, any base URL) and
answers with the upstream's status, headers and body byte for byte, while each exchange is judged (`record`)
and written to the history as kind "proxied".

Embedding: `relay = Relay(upstream_for("yespo"), port=0, store=history_store)`; `await relay.start()`
returns once it listens (on the running loop: asyncio or qasync); `relay.base_url`;
`relay.add_listener(callback)` is called on that loop with each `ProxiedExchange`; `await relay.stop()`
(waits for the exchanges in flight and their records). The store is the caller's to close.

The hardening is the sandbox's: loopback only unless `host` says otherwise, Host/Origin checks (`guard`),
a connection cap and a header deadline (`connections`), a body cap and deadline (`intake`). The upstream
is reached over long-lived httpx clients (`pool`), TLS verified like the console's own client (`core.http.tls`),
with the upstream's `Timeouts`; when it does not answer, the client gets 504 (timeout) or 502 (anything
else) with a plain-text body saying why, and the history the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Iterable

import httpx

from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.core.http.exchange import ExchangeRecorder, ExchangeResult
from yespo_console.core.http.explain import classify_error, explain_status
from yespo_console.core.http.masking import Masker, mask_headers, mask_url
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.http.recording import Recording
from yespo_console.core.http.sending import Timeouts
from yespo_console.core.http.streams import read_capped
from yespo_console.core.http.tls import transport_options
from yespo_console.relay.app import Answer, Incoming, RelayApp, Reply, plain
from yespo_console.relay.pool import UpstreamPool
from yespo_console.relay.record import ProxiedExchange, judge, readable_body, request_record, summary
from yespo_console.relay.upstream import Upstream, forwarded_headers, request_masker
from yespo_console.sandbox.connections import DEFAULT_HEADER_TIMEOUT_S
from yespo_console.sandbox.guard import Gate
from yespo_console.sandbox.intake import BODY_TIMEOUT_S, EXCERPT_BYTES
from yespo_console.sandbox.logs import FOLDED
from yespo_console.sandbox.serving import ListenError, Served, Serving

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 1024 * 1024
_FOLDED_LOGGERS = ("yespo_console.relay.app", "yespo_console.relay.server", "yespo_console.sandbox.connections")

Listener = Callable[[ProxiedExchange], None]


class RelayError(RuntimeError):
    """The proxy cannot start (port in use, bad host)."""


class Relay(Served):
    """A recording pass-through proxy to one upstream. Create it anywhere; start and stop it on the loop
    that runs it. `store` is where exchanges are recorded (the history store); `transport` is for tests."""

    def __init__(
        self,
        upstream: Upstream,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        store: ExchangeRecorder | None,
        profile: Profile = BUILTIN,
        timeouts: Timeouts | None = None,
        allowed_hosts: Iterable[str] = (),
        max_connections: int | None = None,
        header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S,
        body_timeout_s: float = BODY_TIMEOUT_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        try:
            self._serving = Serving.guarded(host, port, max_connections=max_connections,
                                            header_timeout_s=header_timeout_s, body_timeout_s=body_timeout_s,
                                            what="proxy", named="recording proxy")
        except ListenError as exc:
            raise RelayError(str(exc)) from exc
        self.upstream = upstream
        self.host = host
        self.profile = profile
        self.timeouts = timeouts or Timeouts.for_environment(upstream.environment)
        self.store = store
        self._in_flight: set[asyncio.Task[object]] = set()
        self._recording = Recording(store, lambda: len(self._in_flight))
        self._listeners: list[Listener] = []
        self._transport = transport
        self._http: UpstreamPool | None = None
        self._header_timeout_s = header_timeout_s
        self._app = RelayApp(self, Gate(host, allowed_hosts, what="recording proxy"), body_timeout_s=body_timeout_s)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen; return once connections are accepted. RelayError when it cannot."""
        if self._serving.running:
            raise RelayError("The proxy is already running.")
        for name in _FOLDED_LOGGERS:
            if FOLDED not in logging.getLogger(name).filters:
                logging.getLogger(name).addFilter(FOLDED)
        try:
            # A CA bundle that cannot be loaded is said now, not at the first request.
            options = transport_options(self.upstream.environment)
        except Exception as exc:
            raise RelayError(str(exc)) from exc
        # As many upstream connections as clients may be in flight (the listening side's cap): Yespo answers in a
        # tenth of a second or more, so fewer would queue requests here; all kept alive, since a connection
        # closed after one request costs a new TLS handshake for the next.
        self._http = UpstreamPool(self._serving.max_connections, self._transport, timeout=self.timeouts.to_httpx(),
                                  follow_redirects=False, **options)
        try:
            await self._serving.start(
                self._app, name="yespo-relay-ticks",
                server_header=False, date_header=False,  # the upstream's Server and Date are relayed
                # An idle connection is closed by the header deadline (`connections`), not at uvicorn's 5 s,
                # which is just as long as httpx clients keep one: a client reusing it then would meet a reset.
                timeout_keep_alive=math.ceil(self._header_timeout_s) + 1,
            )
        except BaseException as exc:
            await self._http.aclose()
            self._http = None
            if isinstance(exc, ListenError):
                raise RelayError(str(exc)) from exc
            raise

    async def stop(self) -> None:
        """Stop listening, let the exchanges in flight finish (and be recorded), close connections."""
        if not await self._serving.stop():
            return
        if self._in_flight:
            await asyncio.wait(set(self._in_flight))
        self._recording.flush()
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        FOLDED.flush(log)

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(exchange)` after each exchange, on the proxy's loop. Returns a function that removes
        it. A listener that raises is logged and kept."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # -- one exchange ----------------------------------------------------------------------------

    async def exchange(self, incoming: Incoming, reply: Reply) -> None:
        """Relay one request, `reply` to the client with the upstream's answer (or 502/504), record and judge it."""
        async with self._tracked():
            await self._exchange(incoming, reply)

    async def refuse(self, incoming: Incoming, status: int, text: str) -> Answer:
        """Answer (and record) a request the proxy will not relay: its body too large or too slow."""
        async with self._tracked():
            return await self._refuse(incoming, status, text)

    @contextlib.asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        """Counts the exchange in flight: `stop` waits for it, and the history writes group by it."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def _refuse(self, incoming: Incoming, status: int, text: str) -> Answer:
        headers = forwarded_headers(incoming.headers)
        url = self.upstream.url(incoming.raw_path, incoming.query)
        masker = request_masker(headers, url)
        request = request_record(self.upstream, incoming.method, url, headers, incoming.body[:EXCERPT_BYTES],
                                 client=incoming.client, report=None, masker=masker, note="not relayed")
        answer = plain(status, f"Yespo Console proxy: {text}", close=True)
        result = ExchangeResult(Outcome.REJECTED, status=status, headers=tuple(answer.headers), body=answer.body,
                                duration_ms=0.0, error=f"Not relayed: {text}")
        exchange_id, history_error = await self._recording.begin(request)
        history_error = await self._recording.complete(exchange_id, result) or history_error
        self._tell(summary(exchange_id, request, result, client=incoming.client, path=_path(incoming, masker),
                           answered=status, report=None, history_error=history_error))
        return answer

    async def _exchange(self, incoming: Incoming, reply: Reply) -> None:
        started = time.perf_counter()
        headers = forwarded_headers(incoming.headers)
        url = self.upstream.url(incoming.raw_path, incoming.query)
        masker = request_masker(headers, url)
        report = judge(incoming.raw_path.decode("latin-1"), incoming.body, self.profile)
        request = request_record(self.upstream, incoming.method, url, headers, incoming.body,
                                 client=incoming.client, report=report, masker=masker)
        # The pending row is written while the request travels: the client does not wait for it.
        begun = asyncio.ensure_future(self._recording.begin(request))
        try:
            answer, result = await self._forward(incoming, url, headers, masker, started)
        finally:
            exchange_id, history_error = await begun
        # The request is in the history before its answer reaches the client; the answer follows it there, so
        # the client does not wait for that write (a crash in between leaves the row as interrupted, not lost).
        try:
            await reply(answer)
        finally:
            history_error = await self._recording.complete(exchange_id, result) or history_error
            self._tell(summary(exchange_id, request, result, client=incoming.client, path=_path(incoming, masker),
                               answered=answer.status, report=report, history_error=history_error))

    async def _forward(
        self, incoming: Incoming, url: str, headers: list[tuple[str, str]], masker: Masker, started: float
    ) -> tuple[Answer, ExchangeResult]:
        if self._http is None:
            raise RuntimeError("the proxy is not running")
        try:
            with self._http.lease() as http:
                outgoing = http.build_request(incoming.method, url, headers=headers, content=incoming.body)
                async with asyncio.timeout(self.timeouts.total):
                    response = await http.send(outgoing, stream=True)
                    try:
                        data, over = await read_capped(response.aiter_raw(), MAX_RESPONSE_BYTES)
                    finally:
                        await response.aclose()
        except Exception as exc:  # no answer: the client gets 502/504 saying why, the history the same
            outcome, explanation = classify_error(exc, url=masker.text(url), timeouts=self.timeouts,
                                                  environment=self.upstream.environment)
            status = 504 if outcome is Outcome.TIMEOUT else 502
            text = masker.text(explanation.text)
            answer = plain(status, f"Yespo Console proxy: the upstream {self.upstream.shown} did not answer. {text}")
            result = ExchangeResult(outcome, duration_ms=_ms(started), error=masker.text(explanation.as_error()))
            return answer, result
        status = response.status_code
        relayed = forwarded_headers(response.headers.raw)
        recorded_body, remark = readable_body(data, response.headers.get("content-encoding"))
        recorded_headers = tuple(mask_headers(relayed, masker))
        outcome = Outcome.from_status(status)
        error = ""
        if outcome is not Outcome.ACCEPTED:
            error = explain_status(status, recorded_headers, recorded_body,
                                   environment=self.upstream.environment).as_error()
        if over:
            error = (f"The upstream's answer is over {MAX_RESPONSE_BYTES:,} bytes: the client was answered 502 "
                     f"instead. {error}").strip()
        result = ExchangeResult(outcome, status=status, headers=recorded_headers, body=masker.bytes(recorded_body),
                                duration_ms=_ms(started), error=masker.text(f"{error}\n{remark}".strip()))
        if over:
            return plain(502, f"Yespo Console proxy: the upstream's answer is over {MAX_RESPONSE_BYTES:,} bytes, "
                              "more than the console relays."), result
        if incoming.method == "HEAD":  # no body to count: the upstream's length is the answer's
            relayed += [(name, value) for name, value in response.headers.multi_items() if name == "content-length"]
        return Answer(status, relayed, data), result

    def _tell(self, exchange: ProxiedExchange) -> None:
        for listener in list(self._listeners):
            try:
                listener(exchange)
            except Exception:
                log.exception("a proxy listener failed")


def _path(incoming: Incoming, masker: Masker) -> str:
    query = f"?{incoming.query.decode('latin-1')}" if incoming.query else ""
    return masker.text(mask_url(f"{incoming.raw_path.decode('latin-1')}{query}"))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)
