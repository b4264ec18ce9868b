"""Historical events: POST /api/v2/past_events with `{"events": [...]}`, at most 500 a request.

Yespo stores past events without starting workflows; each needs `eventTypeKey`, `keyValue` and the
time it happened (`occurred`), and the reply judges each event (`results`, `successCount`,
`errorCount`). This module reads events (NDJSON, a JSON array, or `{"events": [...]}`), sends them
in batches at most 100 requests/s (the documented limit for this method), and reports every
event's own result. When a server accepts a batch without per-event results, each of its events
says so instead of claiming success it was not told about.

The one URL rule: the past_events URL is the environment's event URL with its last path segment
`event` replaced by `past_events` (`…/api/v2/event` → `…/api/v2/past_events`); see `past_events_url`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from yespo_console.core.errors import InputError
from yespo_console.core.events.diagnostics import finite_decoder, loads_finite
from yespo_console.core.events.payload import dump_json
from yespo_console.core.http.client import EventClient
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.exchange import new_run_id
from yespo_console.core.http.outcome import NETWORK_OUTCOMES, Outcome
from yespo_console.core.http.ratelimit import RateLimiter
from yespo_console.core.http.sending import SendResult
from yespo_console.core.textfiles import decode_text

MAX_BATCH = 500
PAST_EVENTS_RATE = 100.0  # requests per second, Yespo's documented limit for past_events
MAX_LISTED_PROBLEMS = 20
# The documented forms of `occurred` (D how-send-past-events.md): a date, or a date and a time to the minute.
_OCCURRED_FORMS = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?")

EventStatus = Literal["ok", "error", "unknown"]


def past_events_url(event_url: str) -> str:
    """The past_events URL of an environment: its event URL with the last path segment `event`
    replaced by `past_events`. InputError for a URL that does not end in /event."""
    parts = urlsplit(event_url)
    path = parts.path.rstrip("/")
    head, _, last = path.rpartition("/")
    if last != "event":
        raise InputError(f"{event_url}: cannot find the past_events URL: it is the event URL (ending in /event) "
                         "with /event replaced by /past_events")
    return urlunsplit((parts.scheme, parts.netloc, f"{head}/past_events", parts.query, parts.fragment))


def past_events_environment(env: Environment) -> Environment:
    """The environment aimed at its past_events URL (same auth, timeouts, TLS), paced at 100/s."""
    moved = env.with_url(past_events_url(env.url))
    return moved.model_copy(update={"rate_limit": min(env.rate_limit or PAST_EVENTS_RATE, PAST_EVENTS_RATE)})


# -- input -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PastEvent:
    index: int  # 0-based position in the input
    line: int | None  # where it starts in the file
    event: dict[str, Any]

    @property
    def event_type(self) -> str | None:
        value = self.event.get("eventTypeKey")
        return value if isinstance(value, str) else None

    @property
    def key_value(self) -> str | None:
        value = self.event.get("keyValue")
        return value if isinstance(value, str) else None

    @property
    def occurred(self) -> str:
        value = self.event.get("occurred")
        return value if isinstance(value, str) else json.dumps(value)

    def occurred_warning(self) -> str | None:
        """Why `occurred` may be refused (INCORRECT_OCCURRED_DATE_FORMAT), or None in a documented form."""
        value = self.event.get("occurred")
        if isinstance(value, str) and _OCCURRED_FORMS.fullmatch(value):
            return None
        where = f"line {self.line}" if self.line is not None else f"event {self.index + 1}"
        shown = value if isinstance(value, str) else json.dumps(value)
        return (f"{where}: occurred {shown[:60]!r} is not in a documented form (YYYY-MM-DD or YYYY-MM-DDTHH:mm, "
                "the contact's time zone); whether Yespo accepts it is not documented")


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _array_items(text: str, start: int, source: str) -> tuple[list[tuple[int | None, Any]], int]:
    """(line, value) of each item of the JSON array that opens at `start`, and the index after its `]`."""
    decoder = finite_decoder()
    length = len(text)
    items: list[tuple[int | None, Any]] = []

    def skip(position: int) -> int:
        while position < length and text[position] in " \t\r\n":
            position += 1
        return position

    index = skip(start + 1)
    if index < length and text[index] == "]":
        return items, index + 1
    while True:
        index = skip(index)
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
        except ValueError as exc:  # NaN, Infinity, 1e999
            raise InputError(f"{source}:{_line_at(text, index)}: not valid JSON: {exc}") from None
        except RecursionError:
            raise InputError(f"{source}:{_line_at(text, index)}: nested too deeply") from None
        items.append((_line_at(text, index), value))
        index = skip(end)
        if index < length and text[index] == ",":
            index += 1
            continue
        if index < length and text[index] == "]":
            return items, index + 1
        raise InputError(f"{source}:{_line_at(text, index)}: expected ',' or ']' in the list of events")


def _document_items(text: str, source: str) -> list[tuple[int | None, Any]] | None:
    """The events of a whole-file JSON document, or None when the text is not one (NDJSON)."""
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    if stripped.startswith("["):
        items, after = _array_items(text, offset, source)
        rest = text[after:]
        if rest.strip():
            where = _line_at(text, after + len(rest) - len(rest.lstrip()))
            raise InputError(f"{source}:{where}: unexpected text after the list of events")
        return items
    if stripped.startswith("{"):
        try:
            document = loads_finite(text)
        except json.JSONDecodeError:
            return None  # several objects, one a line
        except ValueError as exc:
            raise InputError(f"{source}: not valid JSON: {exc}") from None
        except RecursionError:
            raise InputError(f"{source}: nested too deeply") from None
        if isinstance(document, dict) and "events" in document:
            events = document["events"]
            if not isinstance(events, list):
                raise InputError(f'{source}: "events" must be a list of events')
            start = text.find("[", text.find('"events"'))
            if start >= 0:
                try:
                    found = _array_items(text, start, source)[0]
                except InputError:
                    found = []
                if [value for _, value in found] == events:  # the lines belong to this very list
                    return found
            return [(None, item) for item in events]
        return None
    return None


def _ndjson_items(text: str, source: str) -> list[tuple[int | None, Any]]:
    items: list[tuple[int | None, Any]] = []
    for number, row in enumerate(text.splitlines(), start=1):
        if not row.strip():
            continue
        try:
            items.append((number, loads_finite(row)))
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}:{number}: not valid JSON ({exc.msg} at column {exc.colno}); NDJSON has "
                             "one event object per line") from None
        except ValueError as exc:
            raise InputError(f"{source}:{number}: not valid JSON: {exc}") from None
        except RecursionError:
            raise InputError(f"{source}:{number}: nested too deeply") from None
    return items


def parse_events(data: bytes | str, source: str = "<events>") -> list[PastEvent]:
    """Past events from NDJSON (one object a line), a JSON array, or `{"events": [...]}`. Each must
    be an object with `occurred`; InputError naming each problem with its line."""
    text = decode_text(data, source) if isinstance(data, bytes) else data
    if not text.strip():
        raise InputError(f"{source}: no events (the file is empty)")
    items = _document_items(text, source)
    if items is None:
        items = _ndjson_items(text, source)
    if not items:
        raise InputError(f"{source}: no events")
    problems: list[str] = []
    events: list[PastEvent] = []
    for index, (line, item) in enumerate(items):
        where = f"{source}:{line}" if line is not None else f"{source}: event {index + 1}"
        if not isinstance(item, dict):
            problems.append(f"{where}: an event is a JSON object, not {type(item).__name__}")
        elif item.get("occurred") in (None, ""):
            problems.append(f"{where}: no `occurred`: a past event needs the time it happened, in the contact's "
                            "time zone (YYYY-MM-DD or YYYY-MM-DDTHH:mm, e.g. 2023-03-22T14:30)")
        elif (unsendable := _unsendable(item)) is not None:
            problems.append(f"{where}: {unsendable}")
        else:
            events.append(PastEvent(index, line, item))
    if problems:
        more = len(problems) - MAX_LISTED_PROBLEMS
        listed = problems[:MAX_LISTED_PROBLEMS] + ([f"… and {more} more"] if more > 0 else [])
        raise InputError("\n".join(listed))
    return events


def _unsendable(item: dict[str, Any]) -> str | None:
    """Why an event parsed from JSON cannot become the UTF-8 body of a request, or None."""
    try:
        dump_json(item).encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate (such as \\ud800), which is not UTF-8 text: Yespo reads UTF-8 only"
    except RecursionError:
        return "nested too deeply to be sent"
    return None


def batches(events: Sequence[PastEvent], size: int = MAX_BATCH) -> list[Sequence[PastEvent]]:
    if not 1 <= size <= MAX_BATCH:
        raise InputError(f"a batch holds 1 to {MAX_BATCH} events")
    return [events[start : start + size] for start in range(0, len(events), size)]


def batch_body(batch: Sequence[PastEvent]) -> bytes:
    return dump_json({"events": [event.event for event in batch]}).encode("utf-8")


# -- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventResult:
    index: int  # 0-based position in the input
    line: int | None
    batch: int  # 1-based
    event_type: str | None
    key_value: str | None
    occurred: str
    status: EventStatus
    errors: tuple[str, ...] = ()
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = list(self.errors)
        return data


@dataclass(frozen=True, slots=True)
class BatchResult:
    number: int  # 1-based
    first_index: int
    count: int
    status: int | None
    outcome: Outcome
    per_event: bool  # the reply had a result for each event
    success_count: int | None
    error_count: int | None
    exchange_id: int | None
    detail: str
    attempts: int = 1

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        return data


@dataclass
class PastEventsReport:
    url: str
    run_id: str
    results: list[EventResult] = field(default_factory=list)
    batches: list[BatchResult] = field(default_factory=list)
    seconds: float = 0.0
    cancelled: bool = False

    def count(self, status: EventStatus) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def network_errors(self) -> int:
        return sum(1 for batch in self.batches if batch.outcome in NETWORK_OUTCOMES)

    def exit_code(self) -> int:
        """0 every event OK (or accepted in a batch without detail), 1 an event or a batch was rejected,
        3 the only failures were batches with no answer, 130 stopped."""
        if self.cancelled:
            return 130
        if self.count("error"):
            return 1
        if self.network_errors:
            return 3
        return 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url, "runId": self.run_id, "seconds": self.seconds, "cancelled": self.cancelled,
            "events": len(self.results), "ok": self.count("ok"), "error": self.count("error"),
            "unknown": self.count("unknown"), "batches": [batch.as_dict() for batch in self.batches],
            "results": [result.as_dict() for result in self.results],
        }


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _messages(item: dict[str, Any]) -> tuple[str, ...]:
    for key in ("errors", "error", "message", "messages"):
        value = item.get(key)
        if isinstance(value, str) and value:
            return (value,)
        if isinstance(value, list):
            return tuple(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in value if v)
    return ()


# The per-event statuses Yespo documents (O EventsMigrationResult), in plain words; ACCEPTED is the one success.
RESULT_STATUSES: dict[str, str] = {
    "ACCEPTED": "stored",
    "OCCURRED_DATE_IS_REQUIRED": "occurred is missing: send when the event happened, YYYY-MM-DD or YYYY-MM-DDTHH:mm.",
    "INCORRECT_OCCURRED_DATE_FORMAT": "occurred is not in a documented form: write YYYY-MM-DD or YYYY-MM-DDTHH:mm "
                                      "(the contact's time zone).",
    "OCCURRED_TIME_TOO_DEPTH": "occurred lies further in the past than Yespo stores (the limit is not documented).",
    "OCCURRED_TIME_IN_FUTURE": "occurred lies in the future: past events must have happened already.",
    "EVENT_SEGMENTATION_DISABLED": "event segmentation is off for this event type: switch it on before importing "
                                   "its past events.",
    "SERVER_ERROR": "Yespo failed to store it (a server error): send it again later.",
}


def _documented_status(item: dict[str, Any]) -> str | None:
    status = item.get("status")
    code = status.strip().upper() if isinstance(status, str) else ""
    return code if code in RESULT_STATUSES else None


def _item_status(item: dict[str, Any]) -> EventStatus | None:
    documented = _documented_status(item)
    if documented is not None:
        return "ok" if documented == "ACCEPTED" else "error"
    status = item.get("status")
    if isinstance(status, str):
        lowered = status.strip().lower()
        if lowered in ("ok", "success", "accepted", "created"):
            return "ok"
        if lowered in ("error", "failed", "failure", "rejected"):
            return "error"
    success = item.get("success")
    if isinstance(success, bool):
        return "ok" if success else "error"
    return None


def judge_reply(batch: Sequence[PastEvent], number: int, sent: SendResult) -> tuple[BatchResult, list[EventResult]]:
    """Each event's result from a batch's answer: the reply's per-event `results` when it has them,
    otherwise the batch's fate, said plainly."""
    status = sent.status
    outcome = sent.outcome

    def result(event: PastEvent, state: EventStatus, detail: str, errors: tuple[str, ...] = ()) -> EventResult:
        return EventResult(event.index, event.line, number, event.event_type, event.key_value, event.occurred,
                           state, errors, detail)

    if outcome is not Outcome.ACCEPTED:
        word = sent.explanation.title
        if outcome in NETWORK_OUTCOMES or outcome is Outcome.CANCELLED:
            state: EventStatus = "unknown"
            detail = f"no answer for this batch: {word} Whether Yespo stored it is unknown."
        else:
            state, detail = "error", f"the whole batch was refused: {word}"
        body_hint = sent.body_text.strip()
        errors: tuple[str, ...] = (body_hint[:500],) if body_hint and state == "error" else ()
        batch_result = BatchResult(number, batch[0].index, len(batch), status, outcome, False, None, None,
                                   sent.exchange_id, detail, sent.attempts)
        return batch_result, [result(event, state, detail, errors) for event in batch]

    try:
        reply = json.loads(sent.result.body) if sent.result.body.strip() else None
    except (ValueError, RecursionError):
        reply = None
    items = reply.get("results") if isinstance(reply, dict) else None
    success_count = _count(reply.get("successCount")) if isinstance(reply, dict) else None
    error_count = _count(reply.get("errorCount")) if isinstance(reply, dict) else None
    counts = ""
    if success_count is not None or error_count is not None:
        counts = f" (it counted {success_count if success_count is not None else '?'} OK, " \
                 f"{error_count if error_count is not None else '?'} with errors)"
    if not isinstance(items, list):
        detail = f"accepted with the batch (HTTP {status}), but the server gave no per-event result{counts}"
        batch_result = BatchResult(number, batch[0].index, len(batch), status, outcome, False, success_count,
                                   error_count, sent.exchange_id, detail, sent.attempts)
        return batch_result, [result(event, "unknown", detail) for event in batch]

    by_position: dict[int, dict[str, Any]] = {}
    for position, item in enumerate(items):
        if isinstance(item, dict):
            where = item.get("index")
            by_position[where if isinstance(where, int) and not isinstance(where, bool) else position] = item
    results: list[EventResult] = []
    for position, event in enumerate(batch):
        item = by_position.get(position)
        state_of = _item_status(item) if item is not None else None
        if item is None or state_of is None:
            results.append(result(event, "unknown", f"the server's reply has no result for this event{counts}"))
        elif state_of == "ok":
            results.append(result(event, "ok", "stored"))
        else:
            documented = _documented_status(item)
            explained = (f"{documented}: {RESULT_STATUSES[documented]}",) if documented else ()
            reasons = explained + _messages(item)
            results.append(result(event, "error", "; ".join(reasons) or "rejected (no reason given)", reasons))
    complete = all(r.status != "unknown" for r in results)
    good, bad = sum(r.status == "ok" for r in results), sum(r.status == "error" for r in results)
    detail = f"HTTP {status}: {good} OK, {bad} with errors"
    batch_result = BatchResult(number, batch[0].index, len(batch), status, outcome, complete, success_count,
                               error_count, sent.exchange_id, detail, sent.attempts)
    return batch_result, results


# -- sending ---------------------------------------------------------------------------------------


class PastEventsSender:
    """Sends past events through a client aimed at the past_events URL (see
    `past_events_environment`), batch after batch, at most `rate` requests/s."""

    def __init__(
        self,
        client: EventClient,
        *,
        batch_size: int = MAX_BATCH,
        rate: float = PAST_EVENTS_RATE,
        run_id: str | None = None,
        on_batch: Callable[[BatchResult, list[EventResult]], None] | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise InputError(f"--batch must be between 1 and {MAX_BATCH}")
        if not 0 < rate <= PAST_EVENTS_RATE:
            raise InputError(f"the rate must be above 0 and at most {PAST_EVENTS_RATE:g} requests/s (Yespo's limit "
                             "for past_events)")
        self.client = client
        self.batch_size = batch_size
        self.limiter = RateLimiter(rate, burst=1)
        self.run_id = run_id or new_run_id("past-events")
        self.on_batch = on_batch

    async def send(self, events: Sequence[PastEvent]) -> PastEventsReport:
        report = PastEventsReport(self.client.url, self.run_id)
        started = time.perf_counter()
        parts = batches(events, self.batch_size)
        try:
            for number, batch in enumerate(parts, start=1):
                await self.limiter.acquire()
                first, last = batch[0].index + 1, batch[-1].index + 1
                note = f"past events: batch {number} of {len(parts)} (events {first}-{last})"
                sent = await self.client.send(batch_body(batch), note=note, run_id=self.run_id)
                batch_result, results = judge_reply(batch, number, sent)
                report.batches.append(batch_result)
                report.results.extend(results)
                if self.on_batch is not None:
                    self.on_batch(batch_result, results)
        except asyncio.CancelledError:
            report.cancelled = True
            raise
        finally:
            report.seconds = time.perf_counter() - started
        return report
