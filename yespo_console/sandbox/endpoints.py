"""The sandbox's HTTP face (Starlette): Yespo's endpoints, judged and recorded, and the control endpoints.

Endpoints (Yespo's):
    POST /api/v2/event        v2 rules: values may be strings or objects
    POST /api/v1/event        v1 rules: every value must be a string
    POST /api/v2/past_events  {"events": [...]}: at most 500, each with occurred, eventTypeKey, keyValue

Who may ask (`guard`): programs on this machine. A Host that does not name the sandbox → 421, a
browser's cross-origin request (an Origin that is not the sandbox's own, Sec-Fetch-Site other than
same-origin/none) → 403; neither is read further nor recorded.

Answers: no Authorization → 401; with an API key configured, a wrong key → 401 (otherwise any Basic
or Bearer credentials pass). Credentials and Content-Type are checked before the body is read: a
refused request keeps only its first 4 KiB (`intake.EXCERPT_BYTES`), judged only when that is all of it.
The body is judged as Yespo would for the account in `Sandbox.account` (a profile and its Validate parameters
switches, `judge.judge_event`): what Yespo always rejects → 400 with one plain line per reason; a missing
required param when the event type has Validate parameters on → 400 with Yespo's `The event should have the
following params: [...]` (the type's whole structure); anything else → 200 with a small JSON object
`{"status": "accepted", "id": <record id>, "eventTypeKey", "keyValue", "keyValueSource", "warnings",
"downstreamProblems", "contact" ("Contact found", "Contact not found", "Contact created"), "contactId"}`
(Yespo's own success body is not documented; clients should rely on the 2xx status only). Every event answer
carries `X-Sandbox-Findings` (the problems Yespo accepts but that break something downstream) and
`X-Sandbox-Validation: on|off`. past_events → 200 with `{"results": [{"index", "status", "errors"}],
"successCount", "errorCount"}` (status: the documented ACCEPTED, OCCURRED_DATE_IS_REQUIRED,
INCORRECT_OCCURRED_DATE_FORMAT, OCCURRED_TIME_TOO_DEPTH, OCCURRED_TIME_IN_FUTURE, EVENT_SEGMENTATION_DISABLED,
or the sandbox's own ERROR for an event Yespo rejects), or 400 for a malformed request. A Content-Type that is
not JSON → 415. A body over 1 MiB → 413; one that takes over 30 s to arrive → 408 (both close the
connection). The faults (`faults.Faults`) apply to these endpoints only.

Control endpoints (no auth; the same Host and Origin rules; PUT/DELETE refuse form and text bodies):
    GET    /_sandbox/health              {"service": "yespo-console-sandbox", ...}
    GET    /_sandbox/events?limit=&since_id=   {"events": [...newest first], "total": n}
                                         limit 0..10000 (default 50), since_id 0 or more; else 400
    GET    /_sandbox/events/{id}
    DELETE /_sandbox/events              {"deleted": n}
    GET    /_sandbox/faults              the fault settings
    PUT    /_sandbox/faults              change some of them (JSON object); DELETE resets them
    GET    /_sandbox/settings            the account: profile, event types, Validate parameters switches
    PUT    /_sandbox/settings            {"validate": "none"|"all"|[types], "pastEventsMaxAgeDays": n,
                                          "segmentationOff": [types], "timeScale": x, "autoContacts": bool}

The account endpoints (contacts, activity, messages, workflows, orders: `account_api`) and their control
endpoints (/_sandbox/contacts, /workflows, /messages, /webhook: `account_control`) are routes of this app too.

Every answer goes through the `Sandbox`'s Python API (its faults, key, records and listeners), so the
two never disagree.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from yespo_console import __version__
from yespo_console.core.http.sending import SANDBOX_FINDINGS
from yespo_console.sandbox.faults import Faults
from yespo_console.sandbox.guard import Gate, refuses_simple_content
from yespo_console.sandbox.intake import BODY_TIMEOUT_S, EXCERPT_BYTES, MAX_BODY_BYTES, read_body, request_record
from yespo_console.sandbox.judge import Endpoint, check_auth, judge_event, judge_past_events
from yespo_console.sandbox.store import MAX_ID, NewEvent, json_text
from yespo_console.sandbox.tracker import tracker_routes

if TYPE_CHECKING:
    from yespo_console.sandbox.server import Sandbox

log = logging.getLogger(__name__)

SERVICE = "yespo-console-sandbox"
MAX_EVENTS_LIMIT = 10_000
GARBAGE = b"\x00\xffYESPO-SANDBOX this is not HTTP\r\n\r\n"
_ABORT_KEY = "yespo_console.abort"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _abort_connection(send: Send, data: bytes | None) -> bool:
    """Close the client's socket without an HTTP answer (after writing `data`, if any).

    ASGI has no such operation; uvicorn's send callable is a bound method of its per-request cycle,
    which holds the transport. Returns False when the server is not uvicorn (the caller answers 500).
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        return False
    if data:
        transport.write(data)
    transport.abort()
    return True


def _content_type_notes(content_type: str | None) -> tuple[list[str], str | None]:
    """(notes, refusal): remarks on the Content-Type, and a 415 message when it is not JSON."""
    if content_type is None or not content_type.strip():
        return ["No Content-Type header: Yespo expects application/json; charset=UTF-8."], None
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return [], f"Unsupported Content-Type {content_type!r}: send application/json; charset=UTF-8."
    notes = []
    for part in params.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            notes.append(f"The Content-Type says charset={value.strip()}; Yespo reads bodies as UTF-8.")
    return notes, None


def _whole_number(raw: str | None, name: str, high: int) -> int | None:
    """A query parameter that must be a whole number from 0 to `high`; None when absent or empty."""
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(high)) and int(raw) <= high):
        raise ValueError(f"{name} must be a whole number from 0 to {high:,}.")
    return int(raw)


def _fault_text(status: int) -> str:
    return f"{_REASONS.get(status, 'Error')} (sandbox fault injection)"


# A settings object is a few hundred bytes; more is not a settings object, and is not read on for ever.
SETTINGS_MAX_BYTES = 64 * 1024


async def _settings_object(request: Request) -> dict[str, Any] | None:
    """The JSON object a control endpoint's PUT carries, or None when it is not one (or too large, or slow)."""
    try:
        body = await read_body(request.stream(), SETTINGS_MAX_BYTES, limit=SETTINGS_MAX_BYTES, timeout_s=5.0)
        changes = json.loads(body.data) if body.complete else None
    except (ValueError, RecursionError, ClientDisconnect):
        return None
    return changes if isinstance(changes, dict) else None


class Endpoints:
    """The ASGI app of one `Sandbox`. `stopping` is set while the sandbox stops: answers held back by the
    latency fault are then dropped instead of waited for."""

    def __init__(
        self, sandbox: Sandbox, gate: Gate, seed: int | None = None, *, body_timeout_s: float = BODY_TIMEOUT_S
    ) -> None:
        self._sandbox = sandbox
        self._gate = gate
        self._body_timeout_s = body_timeout_s
        self._random = random.Random(seed)
        self.stopping: asyncio.Event | None = None
        self._app = self._build_app()

    @property
    def max_body(self) -> int:
        return MAX_BODY_BYTES

    @property
    def body_timeout_s(self) -> float:
        return self._body_timeout_s

    def chance(self, rate: float) -> bool:
        """True with probability `rate` (the seeded random of the faults)."""
        return self._random.random() < rate

    async def pause(self, seconds: float) -> None:
        """Wait, but no longer than until the sandbox stops."""
        await self._pause(seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            scope[_ABORT_KEY] = lambda data: _abort_connection(send, data)
        await self._app(scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        """The answer to a request the sandbox will not serve at all (its body unread, nothing recorded)."""
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value  # a repeat cannot pass
        client = scope.get("client")
        who = f"{client[0]}:{client[1]}" if client else "unknown"
        refused = self._gate.check(headers, self._sandbox.port)
        if refused is not None:
            log.warning("refused %s from %s", refused.reason, who)
            return PlainTextResponse(refused.text, status_code=refused.status, headers={"Connection": "close"})
        path, method = str(scope["path"]), str(scope["method"])
        if path.startswith("/_sandbox/") and refuses_simple_content(method, headers.get("content-type")):
            log.warning("refused a %s of a control endpoint with a form or text body from %s", method, who)
            return PlainTextResponse(
                "The control endpoints take JSON only (Content-Type: application/json).",
                status_code=415,
                headers={"Connection": "close"},
            )
        return None

    def _build_app(self) -> Starlette:
        from yespo_console.sandbox.account_api import AccountApi
        from yespo_console.sandbox.account_control import AccountControl

        async def v2(request: Request) -> Response:
            return await self._handle(request, "v2/event")

        async def v1(request: Request) -> Response:
            return await self._handle(request, "v1/event")

        async def past(request: Request) -> Response:
            return await self._handle(request, "v2/past_events")

        routes = [
            Route("/api/v2/event", v2, methods=["POST"]),
            Route("/api/v1/event", v1, methods=["POST"]),
            Route("/api/v2/past_events", past, methods=["POST"]),
            *tracker_routes(self._sandbox, self._body_timeout_s),
            Route("/_sandbox/health", self._health, methods=["GET"]),
            Route("/_sandbox/events", self._events, methods=["GET", "DELETE"]),
            Route("/_sandbox/events/{event_id}", self._one_event, methods=["GET"]),
            Route("/_sandbox/faults", self._faults_endpoint, methods=["GET", "PUT", "DELETE"]),
            Route("/_sandbox/settings", self._settings_endpoint, methods=["GET", "PUT"]),
            Route("/", self._index, methods=["GET"]),
            *AccountApi(self._sandbox, self).routes(),
            *AccountControl(self._sandbox, self).routes(),
        ]
        return Starlette(routes=routes, exception_handlers={404: self._not_found})

    # -- the control endpoints -------------------------------------------------------------------

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        return PlainTextResponse(
            f"Not found: {request.url.path}. The Yespo Console sandbox serves POST /api/v2/event, "
            "POST /api/v1/event, POST /api/v2/past_events, the account endpoints (GET /api/v1/contacts, "
            "/api/v2/contacts/activity, ...) and GET /_sandbox/events.",
            status_code=404,
        )

    async def _index(self, request: Request) -> Response:
        return PlainTextResponse(
            f"Yespo Console sandbox {__version__}\n\n"
            "POST /api/v2/event, POST /api/v1/event, POST /api/v2/past_events (Basic or Bearer auth)\n"
            "GET /api/v1/account/info, /api/v1/contacts, /api/v1/contact/{id}, /api/v2/contacts/activity, "
            "/api/v2/contacts/messages, /api/v1/workflows; POST /api/v1/contact, /api/v1/orders\n"
            "GET /_sandbox/events?limit=N, DELETE /_sandbox/events, GET|PUT|DELETE /_sandbox/faults\n"
            "GET /_sandbox/contacts, /_sandbox/workflows, /_sandbox/messages; POST /_sandbox/webhook\n"
        )

    async def _health(self, request: Request) -> Response:
        return JSONResponse(
            {
                "service": SERVICE,
                "version": __version__,
                "apiKeyRequired": self._sandbox.api_key is not None,
                "faults": self._sandbox.faults.model_dump(),
                "events": self._sandbox.store.count(),
            }
        )

    async def _events(self, request: Request) -> Response:
        if request.method == "DELETE":
            return JSONResponse({"deleted": self._sandbox.clear()})
        unknown = sorted(set(request.query_params) - {"limit", "since_id"})
        if unknown:
            name = json.dumps(unknown[0][:40])
            return PlainTextResponse(
                f"Unknown query parameter {name}: GET /_sandbox/events takes limit and since_id.", status_code=400
            )
        try:
            limit = _whole_number(request.query_params.get("limit"), "limit", MAX_EVENTS_LIMIT)
            since_id = _whole_number(request.query_params.get("since_id"), "since_id", MAX_ID)
        except ValueError as exc:
            return PlainTextResponse(str(exc), status_code=400)
        events = self._sandbox.events(50 if limit is None else limit, since_id=since_id)
        return JSONResponse({"events": [event.as_dict() for event in events], "total": self._sandbox.store.count()})

    async def _one_event(self, request: Request) -> Response:
        try:
            event_id = _whole_number(request.path_params["event_id"], "id", MAX_ID)
        except ValueError:
            event_id = None
        event = self._sandbox.event(event_id) if event_id is not None else None
        if event is None:
            return PlainTextResponse("No such event.", status_code=404)
        return JSONResponse(event.as_dict())

    async def _faults_endpoint(self, request: Request) -> Response:
        if request.method == "DELETE":
            return JSONResponse(self._sandbox.reset_faults().model_dump())
        if request.method == "PUT":
            changes = await _settings_object(request)
            if changes is None:
                return PlainTextResponse("Send a JSON object of fault settings.", status_code=400)
            try:
                self._sandbox.set_faults(**changes)
            except ValueError as exc:
                return PlainTextResponse(f"Invalid fault settings: {exc}", status_code=400)
        return JSONResponse(self._sandbox.faults.model_dump())

    async def _settings_endpoint(self, request: Request) -> Response:
        if request.method == "PUT":
            changes = await _settings_object(request)
            if changes is None:
                return PlainTextResponse('Send a JSON object such as {"validate": "all"}.', status_code=400)
            try:
                self._sandbox.account = self._sandbox.account.changed(changes)
            except ValueError as exc:
                return PlainTextResponse(f"Invalid settings: {exc}", status_code=400)
        return JSONResponse(self._sandbox.account.as_dict())

    # -- the API endpoints -----------------------------------------------------------------------

    async def _pause(self, seconds: float) -> None:
        if self.stopping is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def _handle(self, request: Request, endpoint: Endpoint) -> Response:
        started = time.perf_counter()
        # Credentials and Content-Type come first: a request refused on them is read only as far as an
        # excerpt (a web page's or a stranger's 1 MB must not be judged and kept).
        auth = check_auth(request.headers.get("authorization"), self._sandbox.api_key)
        notes, refusal = _content_type_notes(request.headers.get("content-type"))
        admitted = auth.ok and refusal is None
        try:
            keep = MAX_BODY_BYTES if admitted else EXCERPT_BYTES
            body = await read_body(request.stream(), keep, timeout_s=self._body_timeout_s)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is listening for it
        faults = self._sandbox.faults
        record = request_record(request, endpoint, body.data, notes=tuple(notes), auth=auth.description)
        close = not body.complete
        if body.timed_out:
            record.notes += (f"The body did not arrive within {self._body_timeout_s:g} s.",)
            return self._answer(record, started, 408, "The body arrived too slowly.", close=True)
        if faults.latency_ms:
            await self._pause(faults.latency_ms / 1000.0)
            if self.stopping is not None and self.stopping.is_set():
                return await self._drop(request, record, "dropped: the sandbox is stopping", started)
        if faults.drop_rate and self._random.random() < faults.drop_rate:
            return await self._drop(request, record, "dropped (fault injection)", started)
        if faults.garbage_rate and self._random.random() < faults.garbage_rate:
            return await self._drop(request, record, "answered garbage (fault injection)", started, GARBAGE)

        if body.size > MAX_BODY_BYTES:
            record.body = body.data[:EXCERPT_BYTES]
            record.notes += (f"The body is over {MAX_BODY_BYTES:,} bytes: not judged; its first {EXCERPT_BYTES:,} "
                             "bytes are kept.",)
            return self._answer(record, started, 413, f"The body is larger than {MAX_BODY_BYTES:,} bytes.", close=True)
        accepted: dict[str, Any] | None = None
        account = self._sandbox.account
        verdict_headers: dict[str, str] = {}
        judged_status, judged_text = 400, ""
        if body.truncated:
            record.notes += (
                f"Not judged: the request was refused before its body was read; its first {len(body.data):,} "
                "bytes are kept.",
            )
        elif endpoint == "v2/past_events":
            batch = judge_past_events(body.data, profile=account.effective,
                                      max_age_days=account.past_events_max_age_days,
                                      segmentation_off=account.segmentation_off)
            record.valid, record.diagnostics, record.event_count = batch.valid, batch.diagnostics, batch.event_count
            judged_status = batch.status
            judged_text = batch.response if isinstance(batch.response, str) else json_text(batch.response)
        else:
            judged = judge_event(body.data, api_version="v1" if endpoint == "v1/event" else "v2",
                                 profile=account.effective)
            report = judged.report
            record.valid = report.valid
            record.diagnostics = tuple(f.as_dict() for f in report.findings)
            record.event_type, record.key_value = report.event_type, report.key_value
            record.key_value_source = report.key_value_source
            judged_status, judged_text = judged.status, judged.text
            verdict_headers = {SANDBOX_FINDINGS: str(judged.downstream),
                               "X-Sandbox-Validation": "on" if judged.validated else "off"}
            if judged.status == 200:
                accepted = {
                    "eventTypeKey": report.event_type,
                    "keyValue": report.key_value,
                    "keyValueSource": report.key_value_source,
                    "warnings": len(report.warnings),
                    "downstreamProblems": judged.downstream,
                }

        if not auth.ok:
            return self._answer(
                record,
                started,
                401,
                f"Unauthorized: {auth.description}.",
                extra_headers={"WWW-Authenticate": 'Basic realm="Yespo sandbox"'},
                close=close,
            )
        if faults.status is not None:
            record.fault = f"forced status {faults.status} (fault injection)"
            return self._answer(record, started, faults.status, _fault_text(faults.status), faults=faults, close=close)
        if faults.fail_rate and self._random.random() < faults.fail_rate:
            record.fault = f"random failure {faults.fail_status} (fault injection)"
            status = faults.fail_status
            return self._answer(record, started, status, _fault_text(status), faults=faults, close=close)
        if refusal is not None:
            return self._answer(record, started, 415, refusal, close=close)
        if accepted is not None:
            fields = accepted

            def respond(event_id: int) -> str:  # called once the account has matched the contact
                return json_text({"status": "accepted", "id": event_id, **fields, "contact": record.contact,
                                  "contactId": record.contact_id})

            return self._answer(record, started, 200, "", respond=respond, json_body=True,
                                extra_headers=verdict_headers)
        return self._answer(record, started, judged_status, judged_text, json_body=judged_status == 200,
                            extra_headers=verdict_headers)

    def _answer(
        self,
        record: NewEvent,
        started: float,
        status: int,
        text: str,
        *,
        respond: Callable[[int], str] | None = None,
        json_body: bool = False,
        faults: Faults | None = None,
        extra_headers: dict[str, str] | None = None,
        close: bool = False,
    ) -> Response:
        record.status = status
        record.response = text
        record.duration_ms = round((time.perf_counter() - started) * 1000.0, 3)
        event = self._sandbox.record(record, respond)
        headers = dict(extra_headers or {})
        if close:  # the rest of the body was not read: the connection cannot carry another request
            headers["Connection"] = "close"
        if faults is not None and status in (429, 503) and faults.retry_after is not None:
            headers["Retry-After"] = str(faults.retry_after)
        if event is not None and event.id:
            headers["X-Sandbox-Event-Id"] = str(event.id)
        media = "application/json" if json_body else "text/plain; charset=utf-8"
        content = text  # whole: the record keeps a capped copy
        if respond is not None:
            content = event.response if event is not None else respond(0)
        # A lone surrogate from the body may be quoted in a plain-text rejection: written as its JSON escape.
        data = content.encode("utf-8", "backslashreplace")
        return Response(content=data, status_code=status, headers=headers, media_type=media)

    async def _drop(
        self, request: Request, record: NewEvent, why: str, started: float, garbage: bytes | None = None
    ) -> Response:
        record.fault = why
        record.status = None
        record.duration_ms = round((time.perf_counter() - started) * 1000.0, 3)
        self._sandbox.record(record, None)
        abort = request.scope.get(_ABORT_KEY)
        if abort is None or not abort(garbage):
            return PlainTextResponse("The sandbox could not drop this connection.", status_code=500)
        await asyncio.sleep(0)  # let the server see the connection is gone; what follows is discarded
        return Response(status_code=204)
