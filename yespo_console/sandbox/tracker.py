"""The sandbox's double of the web tracking endpoint: `POST /tracker/api/v2`, and the same at the bare
`POST /api/v2` (Yespo's is `POST https://tracker.yespo.io/api/v2`, the second wire format,
core.events.tracker_catalog), so a shop's integration is pointed at the sandbox by changing only its base URL
(`http://127.0.0.1:8750/api/v2`): Generate event's paths all go further (/api/v2/event), none is the bare one.

Its page documents one answer, 200, and no authorization, so this route answers 200 to every body it could read,
judged by the tracker inspector (core.events.tracker_rules): `{"status": "accepted", "id", "eventName",
"visitor", "contact", "contactSource", "warnings", "downstreamProblems"}` (the real tracker's body is not
documented: rely on the status only), with `X-Sandbox-Findings` (the problems that break something downstream).
A StatusCart or PurchasedItems is also judged with the same visitor's earlier carts among the last
`SEQUENCE_WINDOW` records (`check_sequence`: a GUID that did not change with the cart, a purchase without the
last cart's GUID or with products never in it), earlier bodies named by their record id (`#12`). Credentials are
not checked but recorded as what they are: WooCommerce sends Basic `":"+key`, Shopify Basic `"user:"+key`,
OpenCart none (masked in the record). A body over the sandbox's cap → 413; one that arrives too slowly → 408;
both close the connection. Every request is recorded in the inbox with the endpoint name `tracker`. The
sandbox's Host/Origin guard applies as to every route; its faults do not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from yespo_console.core.events.findings import Finding, Severity, downstream_problems
from yespo_console.core.events.tracker_identity import resolve_visitor
from yespo_console.core.events.tracker_rules import TrackerReport, check_sequence, inspect_tracker_body
from yespo_console.core.http.addresses import SANDBOX_TRACKER_PATH
from yespo_console.core.http.sending import SANDBOX_FINDINGS
from yespo_console.sandbox.intake import EXCERPT_BYTES, MAX_BODY_BYTES, read_body, request_record
from yespo_console.sandbox.judge import check_auth
from yespo_console.sandbox.store import NewEvent, json_text

if TYPE_CHECKING:
    from yespo_console.sandbox.server import Sandbox

TRACKER_ENDPOINT = "tracker"
BARE_PATH = "/api/v2"
SEQUENCE_WINDOW = 200  # records looked back through for a visitor's earlier carts
_CART_EVENTS = ("StatusCart", "PurchasedItems")

Handler = Callable[[Request], Awaitable[Response]]


def _auth_text(header: str | None) -> str:
    if not header or not header.strip():
        return "none (the tracker's page says none is needed)"
    checked = check_auth(header, None)
    return f"{checked.description} (not checked: the tracker's page says none is needed)"


def _notes(content_type: str | None) -> tuple[str, ...]:
    media = (content_type or "").partition(";")[0].strip().lower()
    if media == "application/json":
        return ()
    shown = f"Content-Type {content_type!r}" if content_type else "No Content-Type"
    return (f"{shown}: the tracker's page documents application/json.",)


def _visitor(body: dict[str, Any]) -> str | None:
    """Who a body is about, to find the same visitor's earlier carts: the sc cookie, else a contact identifier."""
    identity = resolve_visitor(body)
    contact = identity.contact
    return identity.cookie or (contact.value if contact is not None else None)


def sequence_findings(sandbox: Sandbox, body: dict[str, Any] | None) -> tuple[Finding, ...]:
    """What `check_sequence` says of this cart or purchase after the same visitor's earlier ones."""
    if body is None or not any(key in body for key in _CART_EVENTS):
        return ()
    visitor = _visitor(body)
    if visitor is None:
        return ()
    earlier: list[tuple[str, Any]] = []
    for event in sandbox.events(SEQUENCE_WINDOW):  # newest first
        if event.endpoint != TRACKER_ENDPOINT or event.event_type not in _CART_EVENTS:
            continue
        try:
            old = json.loads(event.body)
        except ValueError:
            continue
        if isinstance(old, dict) and _visitor(old) == visitor:
            earlier.append((f"#{event.id}", old))
    earlier.reverse()
    found = check_sequence([old for _, old in earlier] + [body], [label for label, _ in earlier] + [""])
    # Only what concerns this body; an abandoned cart is only known once no purchase ever comes.
    return tuple(f for f in found if not f.path.startswith("#") and f.code != "tracker.sequence.abandoned")


def tracker_handler(sandbox: Sandbox, body_timeout_s: float) -> Handler:
    """The route's handler for one sandbox."""

    async def handle(request: Request) -> Response:
        started = time.perf_counter()
        try:
            body = await read_body(request.stream(), MAX_BODY_BYTES, timeout_s=body_timeout_s)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is listening for it
        record = request_record(request, TRACKER_ENDPOINT, body.data, notes=_notes(request.headers.get("content-type")),
                                auth=_auth_text(request.headers.get("authorization")))
        if body.timed_out or not body.complete:
            status, text = (408, "The body arrived too slowly.") if body.timed_out else (
                413, f"The body is larger than {MAX_BODY_BYTES:,} bytes.")
            record.body = body.data[:EXCERPT_BYTES]
            record.notes += (f"Not judged: the body was not read whole; its first {EXCERPT_BYTES:,} bytes are kept.",)
            return _answer(sandbox, record, started, status, text, close=True)
        report = inspect_tracker_body(body.data)
        findings = (*report.findings, *sequence_findings(sandbox, report.body))
        record.valid = not any(f.severity is Severity.ERROR for f in findings)
        record.diagnostics = tuple(f.as_dict() for f in findings)
        record.event_type, record.key_value = report.event_type, report.key_value
        record.key_value_source = report.key_value_source
        downstream = downstream_problems(findings, validated=True)  # the tracker has no Validate parameters
        identity = report.identity if isinstance(report, TrackerReport) else None
        fields = {"eventName": report.event_type, "visitor": identity.cookie if identity else None,
                  "contact": report.key_value if identity and identity.contact else None,
                  "contactSource": report.key_value_source if identity and identity.contact else None,
                  "warnings": sum(f.severity is Severity.WARNING for f in findings), "downstreamProblems": downstream}

        def respond(event_id: int) -> str:
            return json_text({"status": "accepted", "id": event_id, **fields})

        return _answer(sandbox, record, started, 200, "", respond=respond, headers={SANDBOX_FINDINGS: str(downstream)})

    return handle


def tracker_routes(sandbox: Sandbox, body_timeout_s: float) -> tuple[Route, Route]:
    """The tracker's routes for one sandbox: /tracker/api/v2 and the bare /api/v2."""
    handler = tracker_handler(sandbox, body_timeout_s)
    return Route(SANDBOX_TRACKER_PATH, handler, methods=["POST"]), Route(BARE_PATH, handler, methods=["POST"])


def _answer(sandbox: Sandbox, record: NewEvent, started: float, status: int, text: str, *,
            respond: Callable[[int], str] | None = None, headers: dict[str, str] | None = None,
            close: bool = False) -> Response:
    record.status = status
    record.response = text
    record.duration_ms = round((time.perf_counter() - started) * 1000.0, 3)
    event = sandbox.record(record, respond)
    answer_headers = dict(headers or {})
    if close:  # the rest of the body was not read: the connection cannot carry another request
        answer_headers["Connection"] = "close"
    if event is not None and event.id:
        answer_headers["X-Sandbox-Event-Id"] = str(event.id)
    content = text
    if respond is not None:
        content = event.response if event is not None else respond(0)
    media = "application/json" if respond is not None else "text/plain; charset=utf-8"
    return Response(content.encode("utf-8", "backslashreplace"), status_code=status, headers=answer_headers,
                    media_type=media)
