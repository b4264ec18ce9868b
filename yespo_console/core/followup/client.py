"""`AccountClient`: the account's read side (and the two writes a test needs), on the same machinery as
sends: the environment's timeouts, TLS and proxy settings, its secret in the same Authorization header,
every secret masked (in every encoding) in all that is recorded, and each call written to the history as
an exchange of kind "lookup" before the request leaves.

The base URL comes from the environment's event URL: everything before `/api/` plus `/api`
(`https://yespo.io/api/v2/event` → `https://yespo.io/api`, a sandbox's `http://127.0.0.1:8750/api/v2/event` →
`http://127.0.0.1:8750/api`).

Each endpoint keeps to its documented rate limit with a limiter of its own (contact search 50 requests/s,
messages 10/s, the push-token lookup 150/s, everything else 200/s). A 429 waits for its Retry-After (or
backs off) and tries again, a few times at most; a Retry-After past `max_retry_after` ends the call.

A call that writes (a test contact, an order) to an environment that asks before sends (production, by
default) first asks the caller's `confirm` callback; without one, or when it says no, nothing is sent.

Every failure is a `FollowupError` with a kind (`no_key`, `unauthorized`, `forbidden`, `not_found`,
`rate_limited`, `http_error`, `unreachable`, `timeout`, `not_yespo`, `refused`) and a sentence; only
cancellation propagates as itself.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, TypeVar
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx

from yespo_console import __version__
from yespo_console.core.errors import InputError
from yespo_console.core.followup import answers
from yespo_console.core.followup.answers import BadAnswer
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.exchange import ExchangeRecorder, ExchangeRequest, ExchangeResult
from yespo_console.core.http.explain import classify_error
from yespo_console.core.http.masking import mask_headers, mask_url
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.http.ratelimit import RateLimiter
from yespo_console.core.http.recording import Recording
from yespo_console.core.http.secrets import Secret, authorization_header, check_header_secret, masker_for
from yespo_console.core.http.sending import Explanation, Timeouts, header_value, parse_retry_after
from yespo_console.core.http.streams import read_capped
from yespo_console.core.http.tls import transport_options

T = TypeVar("T")

MAX_ANSWER_BYTES = 4 * 1024 * 1024  # an activity page of 500 entries fits many times over
OTHER_RATE = 200.0  # Yespo's documented limit for the methods it does not name


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str  # for people and for the history row's note
    method: Literal["GET", "POST"]
    path: str  # below the base URL, with {placeholders}
    rate: float  # requests per second, as documented
    writes: bool = False


ACCOUNT_INFO = Endpoint("account info", "GET", "/v1/account/info", OTHER_RATE)
CONTACT_SEARCH = Endpoint("contact search", "GET", "/v1/contacts", 50.0)
CONTACT = Endpoint("contact", "GET", "/v1/contact/{id}", OTHER_RATE)
CONTACT_BY_TOKEN = Endpoint("contact by push token", "GET", "/v1/contact/token/{app}/{token}/contactId", 150.0)
ACTIVITY = Endpoint("contact activity", "GET", "/v2/contacts/activity", OTHER_RATE)
MESSAGES = Endpoint("contact messages", "GET", "/v2/contacts/messages", 10.0)
WORKFLOWS = Endpoint("workflows", "GET", "/v1/workflows", OTHER_RATE)
SAVE_CONTACT = Endpoint("create or update a contact", "POST", "/v1/contact", OTHER_RATE, writes=True)
ORDERS = Endpoint("orders", "POST", "/v1/orders", OTHER_RATE, writes=True)

ErrorKind = Literal["no_key", "unauthorized", "forbidden", "not_found", "rate_limited", "http_error",
                    "unreachable", "timeout", "not_yespo", "refused"]
NETWORK_KINDS = frozenset({"unreachable", "timeout"})

# Asked before a write to an environment that confirms sends: (environment, what would be done) -> yes/no.
Confirm = Callable[[Environment, str], bool | Awaitable[bool]]


class FollowupError(Exception):
    """A call that did not give its answer, in words: `title` what happened, `detail` what to check."""

    def __init__(self, kind: ErrorKind, title: str, detail: str = "", *, status: int | None = None,
                 exchange_id: int | None = None) -> None:
        super().__init__(f"{title} {detail}".strip())
        self.kind: ErrorKind = kind
        self.title = title
        self.detail = detail
        self.status = status
        self.exchange_id = exchange_id

    @property
    def network(self) -> bool:
        """No answer came (the CLI's exit 3)."""
        return self.kind in NETWORK_KINDS

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "detail": self.detail, "status": self.status,
                "historyId": self.exchange_id}


def api_base(event_url: str) -> str:
    """The API's base URL from an environment's event URL (see the module's docstring)."""
    parts = urlsplit(event_url)
    path = parts.path
    at = path.find("/api/")
    prefix = path[:at] if at >= 0 else ""
    return urlunsplit((parts.scheme, parts.netloc, prefix + "/api", "", ""))


def _status_error(endpoint: Endpoint, status: int, body: bytes, environment: Environment) -> FollowupError:
    where = f" ({environment.label})"
    said = " ".join(body[:300].decode("utf-8", "replace").split())
    said_text = f' The server said: "{said}"' if said else ""
    if status == 401:
        return FollowupError("unauthorized", f"Wrong key (401){where}: the server did not accept the API key.",
                             "Check the key stored for this environment (Settings → Environments, or "
                             "$YESPO_API_KEY): it may be mistyped, revoked or from another account." + said_text,
                             status=status)
    if status == 403:
        return FollowupError("forbidden", f"No access for this call (403){where}: the key is valid but its access "
                             f"level does not allow {endpoint.name}.",
                             "Give the key the access this needs in Yespo (Settings → API keys: contacts for "
                             "contacts and activity, messages for messages, or full access)." + said_text,
                             status=status)
    if status == 404:
        return FollowupError("not_found", f"Not found (404){where}: {endpoint.name}.",
                             "Nothing answers there: is the environment's URL a Yespo API URL?" + said_text,
                             status=status)
    if status == 429:
        return FollowupError("rate_limited", f"Too many requests (429){where} for {endpoint.name}.",
                             "Yespo throttled the key; try again later." + said_text, status=status)
    return FollowupError("http_error", f"{endpoint.name}: the server answered {status}{where}.", said_text.strip(),
                         status=status)


class AccountClient:
    """Reads (and, when asked, writes) an account through one environment.

    `secret=None` means no key: every call fails with kind `no_key` and `missing_key` as its words; so does
    a key that cannot go into a header (a line break in it), with the reason. `sleep` is what waiting after a
    429 uses (tests pass a recording one). Create and close it on one loop.
    """

    def __init__(self, environment: Environment, *, secret: Secret | None,
                 recorder: ExchangeRecorder | None = None, timeouts: Timeouts | None = None,
                 confirm: Confirm | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 attempts: int = 3, max_retry_after: float = 60.0, missing_key: str = "",
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._unusable_key = ""
        if secret is not None:
            try:
                check_header_secret(secret, environment)
            except InputError as exc:
                self._unusable_key, secret = str(exc), None
        self.environment = environment
        self.secret = secret
        self.base = api_base(environment.url)
        self.timeouts = timeouts or Timeouts.for_environment(environment)
        self.confirm = confirm
        self.attempts = max(1, attempts)
        self.max_retry_after = max_retry_after
        self._missing_key = missing_key or f"No API key for environment {environment.name!r}."
        self._sleep = sleep
        # One call at a time per caller: each history write is done at once, never held for a group.
        self._recording = Recording(recorder, lambda: 1)
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._limiters: dict[str, RateLimiter] = {}
        self.masker = masker_for(secret, environment)
        self._headers = {"Accept": "application/json", "User-Agent": f"yespo-console/{__version__}"}
        if secret is not None:
            self._headers["Authorization"] = authorization_header(environment, secret.value)
        self._masked_headers = tuple(mask_headers(self._headers, self.masker))

    async def aclose(self) -> None:
        self._recording.flush()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> AccountClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- the endpoints -----------------------------------------------------------------------------

    async def account_info(self) -> answers.AccountInfo:
        return await self._answer(ACCOUNT_INFO, answers.account_info)

    async def find_contacts(self, *, email: str | None = None, sms: str | None = None,
                            external_customer_id: str | None = None, max_rows: int = 10) -> list[answers.Contact]:
        query = {"email": email, "sms": sms, "externalCustomerId": external_customer_id}
        if not any(query.values()):
            raise ValueError("a contact search needs an email, a phone (sms) or an externalCustomerId")
        return await self._answer(CONTACT_SEARCH, answers.contacts, query={**query, "maxrows": max_rows})

    async def contact(self, contact_id: int) -> answers.Contact | None:
        """The contact, or None when there is none with this id (404)."""
        try:
            return await self._answer(CONTACT, answers.contact, {"id": contact_id})
        except FollowupError as exc:
            if exc.kind == "not_found":
                return None
            raise

    async def contact_id_for_push_token(self, app_uuid: str, token: str) -> int | None:
        try:
            return await self._answer(CONTACT_BY_TOKEN, lambda data: answers.id_result(data, "contact by push token"),
                                      {"app": app_uuid, "token": token})
        except FollowupError as exc:
            if exc.kind == "not_found":
                return None
            raise

    async def activity(self, date_from: datetime, date_to: datetime, *, email: str | None = None,
                       sms: str | None = None, web_push_token: str | None = None, mob_push_token: str | None = None,
                       status: str | None = None, max_rows: int = 500) -> list[answers.Activity]:
        """The contact's activity between the dates (one locator: email, sms or a push token), optionally of
        one activityStatus. Filtering by source event or workflow is the caller's: the endpoint has no such
        parameters."""
        query = {"dateFrom": _date(date_from), "dateTo": _date(date_to), "email": email, "sms": sms,
                 "webPushToken": web_push_token, "mobPushToken": mob_push_token, "activityStatus": status,
                 "maxrows": max_rows}
        return await self._answer(ACTIVITY, answers.activities, query=query)

    async def messages(self, date_from: datetime, date_to: datetime, *, contact_id: int | None = None,
                       email: str | None = None, phone: str | None = None,
                       external_customer_id: str | None = None, max_rows: int = 100) -> list[answers.Message]:
        query = {"dateFrom": _date(date_from), "dateTo": _date(date_to), "contactId": contact_id, "email": email,
                 "phone": phone, "externalCustomerId": external_customer_id, "maxrows": max_rows}
        return await self._answer(MESSAGES, answers.messages, query=query)

    async def workflows(self, *, name: str | None = None, max_rows: int = 500) -> list[answers.Workflow]:
        return await self._answer(WORKFLOWS, answers.workflows, query={"name": name, "maxrows": max_rows})

    async def save_contact(self, contact: Mapping[str, Any]) -> int:
        """Create or update one contact (the OpenAPI Contact object); its id."""
        return await self._answer(SAVE_CONTACT, lambda data: answers.id_result(data, "contact saved"), body=contact)

    async def send_orders(self, orders: list[Mapping[str, Any]]) -> list[Any]:
        """Send orders (a purchase stops an abandoned-cart flow); the ones Yespo did not take."""
        return await self._answer(ORDERS, answers.failed_orders, body={"orders": orders}, empty_ok=True)

    # -- one call ----------------------------------------------------------------------------------

    async def _answer(self, endpoint: Endpoint, read: Callable[[Any], T], path: Mapping[str, Any] | None = None, *,
                      query: Mapping[str, Any] | None = None, body: Any = None, empty_ok: bool = False) -> T:
        """ENDPOINT's answer as READ makes it of the JSON, after the production question for writes and 429
        retries. An answer READ cannot take (BadAnswer) is an error of kind `not_yespo`."""
        if self.secret is None:
            raise FollowupError("no_key", self._unusable_key or self._missing_key)
        if endpoint.writes and self.environment.needs_confirmation:
            await self._ask(endpoint)
        url = self.base + endpoint.path.format(**{k: quote(str(v), safe="") for k, v in (path or {}).items()})
        pairs = [(k, str(v)) for k, v in (query or {}).items() if v is not None]
        if pairs:
            url += "?" + urlencode(pairs)
        data = b"" if body is None else json.dumps(body).encode("ascii")  # \u escapes: any text, even a lone surrogate
        for attempt in range(1, self.attempts + 1):
            status, headers, content, exchange_id = await self._once(endpoint, url, data, attempt)
            if status == 429 and attempt < self.attempts:
                delay = parse_retry_after(header_value(headers, "Retry-After"))
                if delay is None:
                    delay = min(8.0, 0.5 * 2 ** (attempt - 1)) * random.uniform(0.75, 1.25)
                if delay <= self.max_retry_after:
                    await self._sleep(delay)
                    continue
            if not 200 <= status < 300:
                error = _status_error(endpoint, status, content, self.environment)
                error.exchange_id = exchange_id
                raise error
            try:
                return read(None if empty_ok and not content.strip() else answers.parse_json(content))
            except BadAnswer as exc:
                raise FollowupError("not_yespo", f"Not a Yespo answer ({self.environment.label}): {exc}.",
                                    f"{endpoint.name} at {mask_url(url)} answered {status} with something else "
                                    "than its documented JSON: is the environment's URL a Yespo API URL?",
                                    status=status, exchange_id=exchange_id) from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _ask(self, endpoint: Endpoint) -> None:
        refused = FollowupError("refused", f"Not sent: {endpoint.name} writes to {self.environment.label}, which "
                                "asks before anything is sent there.",
                                "Confirm it (in the window), or pass --yes on the command line.")
        if self.confirm is None:
            raise refused
        answer = self.confirm(self.environment, endpoint.name)
        if inspect.isawaitable(answer):
            answer = await answer
        if not answer:
            raise refused

    def _limiter(self, endpoint: Endpoint) -> RateLimiter:
        limiter = self._limiters.get(endpoint.path)
        if limiter is None:
            limiter = RateLimiter(endpoint.rate, burst=max(1, min(10, int(endpoint.rate // 10))))
            self._limiters[endpoint.path] = limiter
        return limiter

    def _http_client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeouts.to_httpx(), transport=self._transport,
                                           follow_redirects=False, **transport_options(self.environment))
        return self._http

    async def _once(self, endpoint: Endpoint, url: str, data: bytes,
                    attempt: int) -> tuple[int, tuple[tuple[str, str], ...], bytes, int | None]:
        """One attempt, recorded: (status, masked headers, masked body, history id), or FollowupError."""
        await self._limiter(endpoint).acquire()
        headers = dict(self._headers)
        recorded_headers = self._masked_headers
        if data:
            headers["Content-Type"] = "application/json; charset=UTF-8"
            recorded_headers += (("Content-Type", headers["Content-Type"]),)
        note = endpoint.name if attempt == 1 else f"{endpoint.name} (attempt {attempt})"
        request = ExchangeRequest(url=self.masker.text(mask_url(url)), body=self.masker.bytes(data),
                                  environment=self.environment.name, method=endpoint.method,
                                  headers=recorded_headers, note=note, kind="lookup")
        exchange_id, _ = await self._recording.begin(request)
        started = time.perf_counter()
        try:
            http = self._http_client()
            async with asyncio.timeout(self.timeouts.total):
                response = await http.send(http.build_request(endpoint.method, url, content=data or None,
                                                              headers=headers), stream=True)
                try:
                    raw, too_big = await read_capped(response.aiter_bytes(), MAX_ANSWER_BYTES)
                finally:
                    await response.aclose()
        except asyncio.CancelledError:
            self._recording.complete_now(exchange_id, ExchangeResult(
                Outcome.CANCELLED, duration_ms=_ms(started), error="Cancelled before the answer arrived."))
            raise
        except Exception as exc:  # every failure is an error in words, never a crash
            outcome, explanation = classify_error(exc, url=request.url, timeouts=self.timeouts,
                                                  environment=self.environment)
            explanation = Explanation(self.masker.text(explanation.title), self.masker.text(explanation.detail))
            await self._recording.complete(exchange_id, ExchangeResult(
                outcome, duration_ms=_ms(started), error=explanation.as_error()))
            kind: ErrorKind = "timeout" if outcome is Outcome.TIMEOUT else "unreachable"
            raise FollowupError(kind, explanation.title, explanation.detail, exchange_id=exchange_id) from None
        content = self.masker.bytes(raw)
        status = response.status_code
        answer_headers = tuple(mask_headers(response.headers.multi_items(), self.masker))
        error = f"The answer was larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MB; the rest was dropped." \
            if too_big else ""
        await self._recording.complete(exchange_id, ExchangeResult(
            Outcome.from_status(status), status=status, headers=answer_headers, body=content,
            duration_ms=_ms(started), error=error))
        if too_big and 200 <= status < 300:
            raise FollowupError("not_yespo", f"Not a Yespo answer ({self.environment.label}): {endpoint.name} "
                                f"answered more than {MAX_ANSWER_BYTES // (1024 * 1024)} MB.",
                                "No documented answer is that large: is the environment's URL a Yespo API URL?",
                                status=status, exchange_id=exchange_id)
        return status, answer_headers, content, exchange_id


def _date(moment: datetime) -> str:
    """The endpoints' date format, `YYYY-MM-DDTHH:mm`."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000.0, 3)
