"""The control endpoints of the account (no auth; the same Host and Origin rules as every control endpoint):

    GET  /_sandbox/contacts?limit=      {"contacts": [... newest first, with createdAt/updatedAt], "total": n}
    DELETE /_sandbox/contacts           forget every contact, workflow instance and message: {"deleted": n}
    GET  /_sandbox/workflows?limit=     {"workflows": [definitions], "instances": [... newest first, state
                                         waiting|cancelled|sent|lost, with the reason], "timeScale": x}
    GET  /_sandbox/messages?limit=      {"messages": [every delivery, newest first: activity and message fields]}
    GET  /_sandbox/webhook              200: the check a webhook sender makes first; with the sandbox's own
                                         deliveries (`--webhook`), their outcomes
    POST /_sandbox/webhook              receive a data-export webhook's JSON (e.g. a real account's): recorded
                                         as endpoint "webhook" in GET /_sandbox/events; 200 when it is JSON
limit is 0..10000 (default 50).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from yespo_console.core.http.masking import mask_url
from yespo_console.sandbox.account_api import parse_json
from yespo_console.sandbox.intake import read_body, request_record
from yespo_console.sandbox.queries import Query, QueryError

if TYPE_CHECKING:
    from yespo_console.sandbox.endpoints import Endpoints
    from yespo_console.sandbox.server import Sandbox

MAX_LIMIT = 10_000


class AccountControl:
    def __init__(self, sandbox: Sandbox, endpoints: Endpoints) -> None:
        self._sandbox = sandbox
        self._endpoints = endpoints

    def routes(self) -> list[Route]:
        return [
            Route("/_sandbox/contacts", self._contacts, methods=["GET", "DELETE"]),
            Route("/_sandbox/workflows", self._workflows, methods=["GET"]),
            Route("/_sandbox/messages", self._messages, methods=["GET"]),
            Route("/_sandbox/webhook", self._webhook, methods=["GET", "POST"]),
        ]

    def _limit(self, request: Request) -> int | Response:
        """The `limit` parameter, or the 400 answer."""
        try:
            return Query(request.query_params, ("limit",), request.url.path).number("limit", 0, MAX_LIMIT, 50)
        except QueryError as exc:
            return PlainTextResponse(str(exc), status_code=400)

    async def _contacts(self, request: Request) -> Response:
        if request.method == "DELETE":
            return JSONResponse({"deleted": self._sandbox.automation.clear()})
        limit = self._limit(request)
        if isinstance(limit, Response):
            return limit
        db = self._sandbox.automation.db
        return JSONResponse({"contacts": db.contacts(limit), "total": db.contact_count()})

    async def _workflows(self, request: Request) -> Response:
        limit = self._limit(request)
        if isinstance(limit, Response):
            return limit
        automation = self._sandbox.automation
        return JSONResponse({"workflows": [w.describe() for w in automation.workflows],
                             "instances": [i.as_dict() for i in automation.db.instances(limit)],
                             "timeScale": self._sandbox.account.time_scale})

    async def _messages(self, request: Request) -> Response:
        limit = self._limit(request)
        if isinstance(limit, Response):
            return limit
        return JSONResponse({"messages": self._sandbox.automation.db.recent_deliveries(limit)})

    async def _webhook(self, request: Request) -> Response:
        if request.method == "GET":
            sender = self._sandbox.webhook
            return JSONResponse({"ok": True, "deliveringTo": mask_url(sender.url) if sender else None,
                                 "deliveries": list(sender.log) if sender else []})
        started = time.perf_counter()
        try:
            body = await read_body(request.stream(), self._endpoints.max_body,
                                   timeout_s=self._endpoints.body_timeout_s)
        except ClientDisconnect:
            return Response(status_code=400)
        record = request_record(request, "webhook", body.data)
        status, text = 200, "ok"
        if body.truncated:
            status, text = 413, f"The body is larger than {self._endpoints.max_body:,} bytes."
        else:
            try:
                data = parse_json(body.data)
                record.event_count = len(data) if isinstance(data, list) else 1
                record.valid = True
            except ValueError as exc:
                status, text, record.valid = 400, str(exc), False
        record.status, record.response = status, text
        record.duration_ms = round((time.perf_counter() - started) * 1000.0, 3)
        self._sandbox.record(record)
        return PlainTextResponse(text, status_code=status,
                                 headers={"Connection": "close"} if not body.complete else None)
