"""Did a sent event do anything? `verify` finds the contact the event resolves to, then polls the
contact's activity and messages until something linked to the event appears, the wait runs out, or the
caller cancels.

Linked means: an activity entry whose `sourceEventTypeKey` is the event's type and whose
`sourceEventKey`, when Yespo gives one, is the event's keyValue (`this_event` then), dated no earlier than
the send; or a message sent after the send (Yespo does not link messages to events, so any message that
follows counts, and says so). Times without a zone are read as UTC.

Polling is polite: intervals grow (2 s, 3 s, 4.5 s … up to 20 s by default), each call keeps to its
endpoint's rate limit, a 429 or a timeout during polling is waited out and polling goes on until the wait
ends. Cancelling the task stops it at once: the result so far comes back, with status `cancelled`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from yespo_console.core.durations import (
    FIRST_POLL_PAUSE_S,
    MAX_POLL_PAUSE_S,
    POLL_PAUSE_FACTOR,
    poll_pause,
)
from yespo_console.core.durations import parse_moment as parse_time
from yespo_console.core.followup.answers import Activity, Contact, Message
from yespo_console.core.followup.client import AccountClient, FollowupError

NOT_FOUND_TEXT = "Contact not found — Yespo will record the event but start no workflow."
CLOCK_SKEW = timedelta(minutes=2)  # between this computer's clock and Yespo's
# The dates asked for start this long before the send: the endpoints may read them in the account's time zone
# (up to 14 hours from UTC). What comes back is filtered by its own time afterwards.
LOOK_BACK = timedelta(hours=14)

LocatorKind = Literal["email", "sms", "externalCustomerId", "contactId", "pushToken"]
Status = Literal["linked", "nothing", "contact_not_found", "contact_unknown", "error", "cancelled"]

_SOURCES: dict[str, LocatorKind] = {
    "email": "email", "phone": "sms", "sms": "sms", "externalcustomerid": "externalCustomerId",
    "contactid": "contactId", "pushtoken": "pushToken",
}
_PHONE = re.compile(r"^\+?[\d\s()-]{7,20}$")


@dataclass(frozen=True, slots=True)
class SentEvent:
    """What verification needs of a sent event (a history row has it all)."""

    event_type: str | None
    key_value: str | None
    key_value_source: str | None  # "keyValue", a locator param name, or None
    sent_at: datetime


@dataclass(frozen=True, slots=True)
class Locator:
    kind: LocatorKind
    value: str


def locator_for(key_value: str | None, source: str | None) -> Locator | None:
    """How to look the event's contact up: from the locator the keyValue came from; an explicit keyValue
    is read as an email when it has an @, else as a phone when it looks like one, else as an
    externalCustomerId."""
    if not key_value:
        return None
    kind = _SOURCES.get((source or "").lower())
    if kind is None:
        if "@" in key_value:
            kind = "email"
        elif _PHONE.match(key_value):
            kind = "sms"
        else:
            kind = "externalCustomerId"
    return Locator(kind, key_value)


@dataclass(frozen=True, slots=True)
class LinkedActivity:
    activity: Activity
    workflow_name: str | None = None
    this_event: bool = False  # its sourceEventKey is the event's keyValue

    def as_dict(self) -> dict[str, Any]:
        return {**self.activity.as_dict(), "workflowName": self.workflow_name, "thisEvent": self.this_event}


@dataclass
class Verification:
    status: Status
    summary: str
    locator: Locator | None = None
    contact: Contact | None = None
    activities: list[LinkedActivity] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    polls: int = 0
    waited_s: float = 0.0
    problems: list[str] = field(default_factory=list)  # polls that failed but did not end the wait
    error: FollowupError | None = None
    finished_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def linked(self) -> bool:
        return bool(self.activities or self.messages)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "summary": self.summary,
            "locator": {"kind": self.locator.kind, "value": self.locator.value} if self.locator else None,
            "contact": self.contact.as_dict() if self.contact else None,
            "activities": [a.as_dict() for a in self.activities],
            "messages": [m.as_dict() for m in self.messages],
            "polls": self.polls, "waitedS": round(self.waited_s, 1), "problems": self.problems,
            "error": self.error.as_dict() if self.error else None,
            "finishedAt": self.finished_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class PollPlan:
    wait_s: float = 120.0
    first_interval_s: float = FIRST_POLL_PAUSE_S
    factor: float = POLL_PAUSE_FACTOR
    max_interval_s: float = MAX_POLL_PAUSE_S

    def interval(self, poll: int) -> float:
        """The pause after poll number POLL (1-based)."""
        return poll_pause(poll, first_s=self.first_interval_s, factor=self.factor, max_s=self.max_interval_s)


@dataclass(frozen=True, slots=True)
class Progress:
    stage: Literal["contact", "polling", "waiting"]
    polls: int
    remaining_s: float


def activity_line(entry: Activity, workflow: str | None = None) -> str:
    """One activity entry for people: time, status, channel, workflow, the event that started it."""
    source = entry.source_event_type_key or "-"
    if entry.source_event_key:
        source += f" ({entry.source_event_key})"
    flow = workflow or (f"workflow #{entry.workflow_id}" if entry.workflow_id is not None else "-")
    why = f" — {entry.status_description}" if entry.status_description else ""
    return (f"{entry.time or '-'}  {entry.status or '-'}  {entry.media_type or '-'}  {flow}  "
            f"from {source}{why}")


def message_line(message: Message) -> str:
    subject = f"  {message.subject}" if message.subject else ""
    return f"{message.time or '-'}  {message.channel or '-'}  {message.status or '-'}{subject}"


def result_lines(result: Verification) -> list[str]:
    """A verification for people: the summary, then what followed, then what went wrong on the way."""
    lines = [result.summary]
    if result.error is not None and result.error.detail:
        lines.append(f"  {result.error.detail}")
    lines += ["  activity  " + activity_line(a.activity, a.workflow_name) for a in result.activities]
    lines += ["  message   " + message_line(m) for m in result.messages]
    lines += [f"  note: {problem}" for problem in result.problems]
    return lines


def contact_text(contact: Contact) -> str:
    channels = ", ".join(f"{c.type} {c.value}" for c in contact.channels) or "no channels"
    name = f" {contact.name}" if contact.name else ""
    return f"Contact found: #{contact.id}{name} ({channels})."


async def find_contact(client: AccountClient, locator: Locator) -> Contact | None:
    """The contact a locator resolves to (the first match), or None. FollowupError when the call fails;
    ValueError for a push token, which needs the app's id to be looked up."""
    if locator.kind == "pushToken":
        raise ValueError("a pushToken event's contact is found with the app's id (app_uuid), which the event "
                         "does not carry: look it up in Yespo, or send with email, phone or externalCustomerId")
    if locator.kind == "contactId":
        if not locator.value.strip().isdigit():
            return None
        return await client.contact(int(locator.value.strip()))
    search = {"email": {"email": locator.value}, "sms": {"sms": locator.value},
              "externalCustomerId": {"external_customer_id": locator.value}}[locator.kind]
    found = await client.find_contacts(**search, max_rows=2)
    return found[0] if found else None


def _after(text: str | None, sent_at: datetime) -> bool | None:
    moment = parse_time(text)
    return None if moment is None else moment >= sent_at - CLOCK_SKEW


def linked_activities(entries: Sequence[Activity], event: SentEvent) -> list[tuple[Activity, bool]]:
    """The entries linked to the event, each with whether it names this very event."""
    linked = []
    for entry in entries:
        if event.event_type is None or entry.source_event_type_key != event.event_type:
            continue
        if entry.source_event_key is not None and entry.source_event_key != event.key_value:
            continue
        if _after(entry.time, event.sent_at) is False:
            continue
        linked.append((entry, entry.source_event_key is not None))
    return linked


def messages_after(entries: Sequence[Message], sent_at: datetime) -> list[Message]:
    return [entry for entry in entries if _after(entry.time, sent_at)]


async def verify(client: AccountClient, event: SentEvent, plan: PollPlan | None = None, *,
                 progress: Callable[[Progress], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> Verification:
    """Verify EVENT through CLIENT (see the module's docstring). Never raises FollowupError: a failure
    is the result's `error` (status `error`)."""
    plan = plan or PollPlan()
    started = clock()
    result = Verification("nothing", "", locator=locator_for(event.key_value, event.key_value_source))
    try:
        await _run(client, event, plan, result, progress or (lambda _: None), clock, started)
    except asyncio.CancelledError:
        result.status = "cancelled"
        result.summary = "Stopped before anything linked appeared." if not result.linked else result.summary
    except FollowupError as exc:
        result.status, result.error = "error", exc
        result.summary = exc.title
    result.waited_s = clock() - started
    result.finished_at = datetime.now(UTC)
    return result


async def _run(client: AccountClient, event: SentEvent, plan: PollPlan, result: Verification,
               progress: Callable[[Progress], None], clock: Callable[[], float], started: float) -> None:
    if result.locator is None:
        result.status = "contact_unknown"
        result.summary = "The event has no keyValue or locator, so there is no contact to follow."
        return
    progress(Progress("contact", 0, plan.wait_s))
    try:
        contact = await find_contact(client, result.locator)
    except ValueError as exc:
        result.status, result.summary = "contact_unknown", f"Contact not looked up: {exc}."
        return
    if contact is None:
        result.status, result.summary = "contact_not_found", NOT_FOUND_TEXT
        return
    result.contact = contact
    result.summary = contact_text(contact) + " Nothing linked to the event yet."
    names: dict[int, str | None] | None = None
    deadline = started + plan.wait_s
    while True:
        result.polls += 1
        progress(Progress("polling", result.polls, max(0.0, deadline - clock())))
        try:
            activities, found_messages = await _poll(client, event, contact, result.locator)
        except FollowupError as exc:
            if exc.kind not in ("rate_limited", "timeout"):
                raise
            result.problems.append(exc.title)
        else:
            linked = linked_activities(activities, event)
            if linked and names is None:
                names = await _workflow_names(client, result)
            result.activities = [LinkedActivity(a, (names or {}).get(a.workflow_id or -1), mine) for a, mine in linked]
            result.messages = messages_after(found_messages, event.sent_at)
            if result.linked:
                result.status = "linked"
                result.summary = contact_text(contact) + " " + _what_followed(result)
                return
        remaining = deadline - clock()
        if remaining <= 0:
            result.summary = contact_text(contact) + f" Nothing linked to the event appeared within {plan.wait_s:g} s."
            return
        await _wait(min(plan.interval(result.polls), remaining), result.polls, deadline, progress, clock)


async def _poll(client: AccountClient, event: SentEvent, contact: Contact,
                locator: Locator) -> tuple[list[Activity], list[Message]]:
    now = datetime.now(UTC)
    since, until = event.sent_at - LOOK_BACK, now + timedelta(days=1)
    email = locator.value if locator.kind == "email" else _channel(contact, "email")
    sms = locator.value if locator.kind == "sms" else _channel(contact, "sms")
    activities: list[Activity] = []
    if email or sms:  # the activity endpoint finds a contact by email or phone only
        activities = await client.activity(since, until, email=email, sms=None if email else sms)
    found_messages = await client.messages(since, until, contact_id=contact.id)
    return activities, found_messages


def _channel(contact: Contact, kind: str) -> str | None:
    return next((c.value for c in contact.channels if c.type == kind), None)


async def _workflow_names(client: AccountClient, result: Verification) -> dict[int, str | None]:
    try:
        return {w.id: w.name for w in await client.workflows()}
    except FollowupError as exc:  # the names are a nicety: the key may lack workflow access
        result.problems.append(f"Workflow names not shown: {exc.title}")
        return {}


def _what_followed(result: Verification) -> str:
    parts = []
    if result.activities:
        mine = sum(1 for a in result.activities if a.this_event)
        parts.append(f"{len(result.activities)} activit{'y' if len(result.activities) == 1 else 'ies'} linked to "
                     f"the event type" + (f" ({mine} to this very event)" if mine else ""))
    if result.messages:
        parts.append(f"{len(result.messages)} message{'s' if len(result.messages) != 1 else ''} sent after it")
    return "Followed by " + " and ".join(parts) + "."


async def _wait(seconds: float, polls: int, deadline: float, progress: Callable[[Progress], None],
                clock: Callable[[], float]) -> None:
    """Sleep SECONDS, telling PROGRESS the time left about once a second."""
    until = clock() + seconds
    while (left := until - clock()) > 0:
        progress(Progress("waiting", polls, max(0.0, deadline - clock())))
        await asyncio.sleep(min(1.0, left))
