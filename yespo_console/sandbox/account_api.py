"""The account endpoints that close the loop, in the OpenAPI file's shapes (reference/yespo-openapi.json):

    GET  /api/v1/account/info                        {userEmail, organisationName} (from the settings)
    GET  /api/v1/contacts?email=&sms=&externalCustomerId=&firstname=&lastname=&startindex=&maxrows=
                                                     [BaseContact], the total in the TotalCount header; maxrows ≤ 500
    GET  /api/v1/contact/{id}                        the Contact, or 404
    GET  /api/v1/contact/token/{app_uuid}/{token_id}/contactId   {id} of the contact with that push token, or 404
    GET  /api/v2/contacts/activity?dateFrom=&dateTo=&email=|sms=|webPushToken=|mobPushToken=&activityStatus=
         &messageTag=&offset=&maxrows=               [ContactActivity]; maxrows ≤ 25,000 (the default); offset is
                                                     the last entry's `offset` of a previous answer; also
                                                     sourceEventKey, sourceEventTypeKey, workflowId,
                                                     workflowInstanceId (the sandbox's own filters)
    GET  /api/v2/contacts/messages?dateFrom=&dateTo=&contactId=|externalCustomerId=|email=|phone=
         &channelTypes=&offset=&maxrows=             [ContactMessage]; offset counts from 0; maxrows ≤ 100 (10)
    GET  /api/v1/workflows?name=&startindex=&maxrows=   [Workflow]
    POST /api/v1/contact                             create or update one contact → {id}
    POST /api/v1/orders   {"orders": [...]}          → {failedOrders}; a purchase stops the contact's waiting
                                                     workflows that an order cancels

Auth as for events (no or a wrong key → 401); then the faults: latency, a forced status, random failures, and
with `rate_limits` Yespo's documented per-second limits (429 with Retry-After). A parameter mistake → 400 with
one plain line. Dates are UTC; a date alone in dateTo takes in the whole day. The POSTs are recorded (GET
/_sandbox/events, endpoint "v1/contact" or "v1/orders"); the GETs are not.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from yespo_console.sandbox.accountdb import key_of
from yespo_console.sandbox.automation import activity_of, message_of
from yespo_console.sandbox.contacts import CHANNEL_TYPES, contact_doc
from yespo_console.sandbox.intake import EXCERPT_BYTES, read_body, request_record
from yespo_console.sandbox.judge import check_auth
from yespo_console.sandbox.queries import Query, QueryError
from yespo_console.sandbox.ratelimits import DEFAULT_LIMIT, DOCUMENTED, RateWindows
from yespo_console.sandbox.store import NewEvent, json_text

if TYPE_CHECKING:
    from yespo_console.sandbox.endpoints import Endpoints
    from yespo_console.sandbox.server import Sandbox

MAX_CONTACT_ROWS, MAX_MESSAGE_ROWS, MAX_ACTIVITY_ROWS = 500, 100, 25_000
DEFAULT_MESSAGE_ROWS = 10
MAX_ORDERS = 1000
MAX_DEPTH = 32
ACTIVITY_STATUSES = ("DELIVERED", "UNDELIVERED", "READ", "UNSUBSCRIBED", "CLICKED", "SPAM")
ORDER_STATUSES = ("INITIALIZED", "IN_PROGRESS", "DELIVERED", "CANCELLED", "ABANDONED_SHOPPING_CART")
_BASE_CONTACT = ("firstName", "lastName", "channels", "fields", "addressBookId", "id")
_CONTACT = ("firstName", "lastName", "channels", "address", "fields", "addressBookId", "id", "externalCustomerId",
            "contactKey", "groups", "languageCode", "timeZone")
_ACTIVITY_LOCATORS = {"email": "email", "sms": "phone", "webPushToken": "pushToken", "mobPushToken": "pushToken"}
_MESSAGE_LOCATORS = {"contactId": "contactId", "externalCustomerId": "externalCustomerId", "email": "email",
                     "phone": "phone"}
_ACTIVITY_FILTERS = ("sourceEventKey", "sourceEventTypeKey", "workflowId", "workflowInstanceId", "messageTag")


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack += [(child, level + 1) for child in item.values()]
        elif isinstance(item, list):
            stack += [(child, level + 1) for child in item]
    return deepest


def parse_json(data: bytes) -> Any:
    """A request body's JSON; ValueError with the 400 text when it is not UTF-8 JSON or nests too deep."""
    try:
        value = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("The body is not UTF-8.") from None
    except RecursionError:
        raise ValueError(f"The body nests deeper than {MAX_DEPTH} levels.") from None
    except ValueError as exc:
        raise ValueError(f"The body is not valid JSON: {exc}") from None
    if _depth(value) > MAX_DEPTH:
        raise ValueError(f"The body nests deeper than {MAX_DEPTH} levels.")
    return value


def _bad(text: str, status: int = 400, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(text, status_code=status, headers=headers)


def _page(items: list[Any], offset: int, rows: int) -> list[Any]:
    return items[offset: offset + rows]


class AccountApi:
    def __init__(self, sandbox: Sandbox, endpoints: Endpoints) -> None:
        self._sandbox = sandbox
        self._endpoints = endpoints
        self._windows = RateWindows()

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/account/info", self._wrap("account", self._account_info), methods=["GET"]),
            Route("/api/v1/contacts", self._wrap("contacts", self._contacts), methods=["GET"]),
            Route("/api/v1/contact/{contact_id}", self._wrap("contact", self._contact), methods=["GET"]),
            Route("/api/v1/contact/token/{app_uuid}/{token_id}/contactId",
                  self._wrap("contact-token", self._contact_by_token), methods=["GET"]),
            Route("/api/v2/contacts/activity", self._wrap("activity", self._activity), methods=["GET"]),
            Route("/api/v2/contacts/messages", self._wrap("messages", self._messages), methods=["GET"]),
            Route("/api/v1/workflows", self._wrap("workflows", self._workflows), methods=["GET"]),
            Route("/api/v1/contact", self._wrap("contact-post", self._post_contact, post="v1/contact"),
                  methods=["POST"]),
            Route("/api/v1/orders", self._wrap("orders", self._post_orders, post="v1/orders"), methods=["POST"]),
        ]

    def _wrap(self, name: str, handler: Any, post: str | None = None) -> Any:
        async def endpoint(request: Request) -> Response:
            refusal = await self._admit(request, name)
            if refusal is not None:
                return refusal
            if post is None:
                try:
                    return await handler(request)  # type: ignore[no-any-return]
                except QueryError as exc:
                    return _bad(str(exc))
            return await self._posted(request, post, handler)

        return endpoint

    async def _admit(self, request: Request, name: str) -> Response | None:
        """The answer when auth or a fault decides it (a POST's body is read afterwards, by `_posted`)."""
        faults = self._sandbox.faults
        if faults.latency_ms:
            await self._endpoints.pause(faults.latency_ms / 1000.0)
        auth = check_auth(request.headers.get("authorization"), self._sandbox.api_key)
        if not auth.ok:
            return _bad(f"Unauthorized: {auth.description}.", 401, {"WWW-Authenticate": 'Basic realm="Yespo sandbox"'})
        retry = {"Retry-After": str(faults.retry_after)} if faults.retry_after is not None else {}
        if faults.status is not None:
            return _bad(f"Forced status {faults.status} (sandbox fault injection)", faults.status,
                        retry if faults.status in (429, 503) else None)
        if faults.fail_rate and self._endpoints.chance(faults.fail_rate):
            return _bad(f"Random failure {faults.fail_status} (sandbox fault injection)", faults.fail_status,
                        retry if faults.fail_status in (429, 503) else None)
        if faults.rate_limits:
            wait = self._windows.retry_after(name)
            if wait is not None:
                limit = DOCUMENTED.get(name, DEFAULT_LIMIT)
                return _bad(f"Too many requests: more than {limit} per second (the sandbox keeps Yespo's "
                            "documented rate limits).", 429, {"Retry-After": str(wait)})
        return None

    async def _posted(self, request: Request, endpoint: str, handler: Any) -> Response:
        """Read, check and record a POST's JSON body; `handler(data)` gives (status, answer, note)."""
        started = time.perf_counter()
        media = (request.headers.get("content-type") or "").partition(";")[0].strip().lower()
        try:
            body = await read_body(request.stream(), self._endpoints.max_body if media.endswith("json")
                                   else EXCERPT_BYTES, timeout_s=self._endpoints.body_timeout_s)
        except ClientDisconnect:
            return Response(status_code=400)
        auth = check_auth(request.headers.get("authorization"), self._sandbox.api_key)
        record = request_record(request, endpoint, body.data, auth=auth.description)
        status: int
        answer: Any
        if not media.endswith("json"):
            status, answer = 415, "Send JSON (Content-Type: application/json)."
        elif body.timed_out:
            status, answer = 408, "The body arrived too slowly."
        elif body.truncated:
            status, answer = 413, f"The body is larger than {self._endpoints.max_body:,} bytes."
        else:
            try:
                status, answer = handler(parse_json(body.data), record)
            except ValueError as exc:
                status, answer = 400, str(exc)
        record.status, record.valid = status, status == 200
        record.response = answer if isinstance(answer, str) else json_text(answer)
        record.duration_ms = round((time.perf_counter() - started) * 1000.0, 3)
        self._sandbox.record(record)
        headers = {"Connection": "close"} if not body.complete else None
        if isinstance(answer, str):
            return _bad(answer, status, headers)
        return JSONResponse(answer, status_code=status, headers=headers)

    # -- reads -----------------------------------------------------------------------------------

    async def _account_info(self, request: Request) -> Response:
        Query(request.query_params, (), "GET /api/v1/account/info")
        settings = self._sandbox.account
        return JSONResponse({"userEmail": settings.user_email, "organisationName": settings.organisation_name})

    async def _contacts(self, request: Request) -> Response:
        names = ("email", "sms", "externalCustomerId", "firstname", "lastname")
        query = Query(request.query_params, (*names, "startindex", "maxrows", "sortBy"), "GET /api/v1/contacts")
        sort = query.text("sortBy")
        if sort not in (None, "contactId"):
            raise QueryError("sortBy can only be contactId.")
        start = query.number("startindex", 1, 2**31 - 1, 1)
        rows = query.number("maxrows", 1, MAX_CONTACT_ROWS, MAX_CONTACT_ROWS)
        kinds = {"sms": "phone"}
        keys = [(kinds.get(name, name), value) for name in names if (value := query.text(name)) is not None]
        total, found = self._sandbox.automation.db.search(keys, start, rows)
        shaped = [{key: contact.get(key) for key in _BASE_CONTACT} for contact in found]
        return JSONResponse(shaped, headers={"TotalCount": str(total)})

    async def _contact(self, request: Request) -> Response:
        Query(request.query_params, (), "GET /api/v1/contact/{id}")
        raw = request.path_params["contact_id"]
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise QueryError(f"The contact id should be a whole number, not {raw[:40]!r}.")
        contact = self._sandbox.automation.db.contact(int(raw))
        if contact is None:
            return _bad(f"Contact {int(raw)} not found.", 404)
        return JSONResponse({key: contact.get(key) for key in _CONTACT})

    async def _contact_by_token(self, request: Request) -> Response:
        Query(request.query_params, (), "GET /api/v1/contact/token/{app_uuid}/{token_id}/contactId")
        token = request.path_params["token_id"]
        if len(token) > 1000:
            raise QueryError("The token is longer than 1,000 characters.")
        found = self._sandbox.automation.db.find("pushToken", token)
        if not found:
            return _bad("No contact has this push token.", 404)
        return JSONResponse({"id": found[0]})

    def _contact_ids(self, locator: tuple[str, str] | None, kinds: dict[str, str]) -> list[int] | None:
        if locator is None:
            return None
        return self._sandbox.automation.db.find(kinds[locator[0]], locator[1])

    async def _activity(self, request: Request) -> Response:
        allowed = ("dateFrom", "dateTo", *_ACTIVITY_LOCATORS, "activityStatus", "offset", "maxrows",
                   *_ACTIVITY_FILTERS)
        query = Query(request.query_params, allowed, "GET /api/v2/contacts/activity")
        date_from, date_to = query.period()
        locator = query.one_of(_ACTIVITY_LOCATORS, required=False)
        statuses = query.choices("activityStatus", ACTIVITY_STATUSES)
        after = query.number("offset", 0, 2**63 - 1, 0)  # the offset of the last entry already seen
        rows = query.number("maxrows", 1, MAX_ACTIVITY_ROWS, MAX_ACTIVITY_ROWS)
        filters = {name: value for name in _ACTIVITY_FILTERS if (value := query.text(name)) is not None}
        items = [activity_of(delivery) for delivery in self._sandbox.automation.db.deliveries(
            self._contact_ids(locator, _ACTIVITY_LOCATORS), date_from, date_to, after)]
        items = [item for item in items if (not statuses or item["activityStatus"] in statuses)
                 and all(str(item.get(name)) == value for name, value in filters.items())]
        return JSONResponse(items[:rows])

    async def _messages(self, request: Request) -> Response:
        allowed = ("dateFrom", "dateTo", *_MESSAGE_LOCATORS, "channelTypes", "offset", "maxrows")
        query = Query(request.query_params, allowed, "GET /api/v2/contacts/messages")
        date_from, date_to = query.period()
        locator = query.one_of(_MESSAGE_LOCATORS, required=True)
        channels = query.choices("channelTypes", (*CHANNEL_TYPES, "telegrambot"))
        offset = query.number("offset", 0, 2**31 - 1, 0)
        rows = query.number("maxrows", 1, MAX_MESSAGE_ROWS, DEFAULT_MESSAGE_ROWS)
        items = [message_of(delivery) for delivery in self._sandbox.automation.db.deliveries(
            self._contact_ids(locator, _MESSAGE_LOCATORS), date_from, date_to)]
        items = [item for item in items if not channels or item["channelType"] in channels]
        return JSONResponse(_page(items, offset, rows))

    async def _workflows(self, request: Request) -> Response:
        query = Query(request.query_params, ("name", "startindex", "maxrows"), "GET /api/v1/workflows")
        name = key_of("email", query.text("name") or "")  # lower case, like a search box
        start = query.number("startindex", 1, 2**31 - 1, 1)
        rows = query.number("maxrows", 1, MAX_CONTACT_ROWS, MAX_CONTACT_ROWS)
        found = [w.as_dict() for w in self._sandbox.automation.workflows if name in w.name.lower()]
        return JSONResponse(_page(found, start - 1, rows))

    # -- writes ----------------------------------------------------------------------------------

    def _post_contact(self, data: Any, record: NewEvent) -> tuple[int, Any]:
        doc = contact_doc(data)
        contact_id, created = self._sandbox.automation.upsert_contact(doc)
        record.contact, record.contact_id = ("Contact created" if created else "Contact updated"), contact_id
        return 200, {"id": contact_id}

    def _post_orders(self, data: Any, record: NewEvent) -> tuple[int, Any]:
        orders = data.get("orders") if isinstance(data, dict) else None
        if not isinstance(orders, list) or not orders:
            raise ValueError('The body should be {"orders": [ ... ]} with at least one order.')
        if len(orders) > MAX_ORDERS:
            raise ValueError(f"At most {MAX_ORDERS:,} orders per request; this one has {len(orders):,}.")
        record.event_count = len(orders)
        failed = []
        for order in orders:
            problem = _order_problem(order)
            if problem:
                failed.append({"order": order, "error": problem})
            else:
                self._sandbox.automation.on_order(order)
        record.valid = not failed
        return 200, {"failedOrders": failed}


def _order_problem(order: Any) -> str:
    """Why an order cannot be taken ('' when it can): the `Order` schema's required fields and types."""
    if not isinstance(order, dict):
        return "an order should be a JSON object"
    missing = [name for name in ("externalOrderId", "totalCost", "status", "date", "currency") if
               order.get(name) in (None, "")]
    if missing:
        return f"missing {', '.join(missing)}"
    if order["status"] not in ORDER_STATUSES:
        return f"status should be one of {', '.join(ORDER_STATUSES)}"
    try:
        float(order["totalCost"])
    except (TypeError, ValueError):
        return "totalCost should be a number"
    if not any(order.get(name) for name in ("externalCustomerId", "email", "phone")):
        return "the order names no contact (externalCustomerId, email or phone)"
    return ""
