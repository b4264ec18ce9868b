"""What a scenario's account steps need of the account, and the polling behind `expect: {message|activity|
no_message: ...}`.

The runner reaches the account through an `AccountLink`: any client with the methods of `Account` (the
follow-up client, core.followup.client.AccountClient, has them; this package may not import it) and the
exception type its calls raise instead of an answer. An error whose `network` attribute is true counts as no
answer at all (the run's exit 3), as for events.

Whose messages: the scenario's contact (`Who`), named by its last contact step, or else by the first event or
order that names one (its locators). What is new: before the step that first names the contact, the runner notes
what the account already shows for it (`Trail.note_before`); a message or an activity entry counts when it is
not among those and is not dated before the scenario started (give or take `CLOCK_SKEW`). So a message left by
an earlier run for the same test contact is not taken for this run's.

Polling is polite: the pause after each poll grows from 2 s to 20 s, but never beyond a tenth of the window (a
window scaled by --wait-scale is short), and each call keeps to its endpoint's rate limit in the client; a poll
that gets no answer, or a 429 after the client's own retries, is waited out until the window ends. A
`message` or `activity` expectation holds at the first poll that finds one; `no_message` holds only when the
last poll, at the end of the window, still finds none.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from yespo_console.core.durations import parse_moment, poll_pause
from yespo_console.core.events.locators import resolve_body
from yespo_console.core.events.tracker_catalog import GENERAL_INFO
from yespo_console.core.scenarios.account_steps import ActivityCheck, FollowCheck, MessageCheck, NoMessageCheck
from yespo_console.core.scenarios.spans import span_text

CLOCK_SKEW = timedelta(minutes=2)  # between this computer's clock and the account's
QUERY_MARGIN = timedelta(days=1)  # the endpoints may read dates in the account's time zone: ask wide, filter after
MIN_PAUSE_S = 0.2
_ALIASES = {"telegram": ("telegram", "telegrambot")}


class SentMessage(Protocol):
    @property
    def channel(self) -> str | None: ...
    @property
    def time(self) -> str | None: ...
    @property
    def subject(self) -> str | None: ...


class ActivityEntry(Protocol):
    @property
    def status(self) -> str | None: ...
    @property
    def time(self) -> str | None: ...
    @property
    def media_type(self) -> str | None: ...
    @property
    def message_name(self) -> str | None: ...
    @property
    def source_event_type_key(self) -> str | None: ...
    @property
    def workflow_id(self) -> int | None: ...
    @property
    def workflow_instance_id(self) -> str | None: ...


class WorkflowEntry(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str | None: ...


class Account(Protocol):
    async def save_contact(self, contact: Mapping[str, Any]) -> int: ...
    async def send_orders(self, orders: list[Mapping[str, Any]]) -> list[Any]: ...
    async def messages(self, date_from: datetime, date_to: datetime, *, contact_id: int | None = None,
                       email: str | None = None, phone: str | None = None,
                       external_customer_id: str | None = None) -> Sequence[SentMessage]: ...
    async def activity(self, date_from: datetime, date_to: datetime, *, email: str | None = None,
                       sms: str | None = None) -> Sequence[ActivityEntry]: ...
    async def workflows(self) -> Sequence[WorkflowEntry]: ...
    async def aclose(self) -> None: ...


class AccountLink:
    """The account a run writes to and polls: the client, the exception its calls raise, its workflows (asked
    once a run)."""

    def __init__(self, client: Account, errors: type[Exception]) -> None:
        self.client = client
        self.errors = errors
        self._workflows: Sequence[WorkflowEntry] | None = None

    async def workflows(self) -> Sequence[WorkflowEntry]:
        if self._workflows is None:
            self._workflows = await self.client.workflows()
        return self._workflows


def is_network(error: BaseException) -> bool:
    return getattr(error, "network", False) is True


# -- whose messages --------------------------------------------------------------------------------


@dataclass
class Who:
    """The scenario's contact as the account's endpoints look it up."""

    email: str | None = None
    phone: str | None = None
    external_id: str | None = None
    contact_id: int | None = None

    @property
    def text(self) -> str:
        return self.email or self.phone or self.external_id or f"contact #{self.contact_id}"

    def message_query(self) -> dict[str, Any]:
        """One locator for the messages endpoint: the contact's id once known, else its email, phone or ID."""
        if self.contact_id is not None:
            return {"contact_id": self.contact_id}
        for key, value in (("email", self.email), ("phone", self.phone), ("external_customer_id", self.external_id)):
            if value:
                return {key: value}
        return {}

    def activity_query(self) -> dict[str, Any]:
        """The activity endpoint finds a contact by email or phone only ({} when it has neither)."""
        return {"email": self.email} if self.email else {"sms": self.phone} if self.phone else {}


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value)


def who_of(kind: str, body: bytes) -> Who | None:
    """The contact a rendered contact, order or event body names; None when it names none."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    if kind == "contact":
        channels = {c.get("type"): c.get("value") for c in data.get("channels", []) if isinstance(c, dict)}
        who = Who(_text(channels.get("email")), _text(channels.get("sms")), _text(data.get("externalCustomerId")))
    elif kind == "order":
        who = Who(_text(data.get("email")), _text(data.get("phone")), _text(data.get("externalCustomerId")))
    elif isinstance(info := data.get(GENERAL_INFO), dict):  # a web tracking event
        who = Who(_text(info.get("user_email")), _text(info.get("user_phone")), _text(info.get("externalCustomerId")))
    else:
        found = {c.name.lower(): c.value for c in resolve_body(data).candidates[1:] if c.usable and c.value}
        contact_id = found.get("contactid")
        who = Who(found.get("email"), found.get("phone"), found.get("externalcustomerid"),
                  int(contact_id) if contact_id and contact_id.isdigit() else None)
        key = _text(data.get("keyValue"))
        if key and not (who.email or who.phone or who.external_id or who.contact_id):
            who = Who(email=key) if "@" in key else Who(external_id=key)
    return who if (who.email or who.phone or who.external_id or who.contact_id) else None


# -- one contact's trail through the account -------------------------------------------------------


def _message_key(message: SentMessage) -> Hashable:
    return "message", message.channel, message.time, message.subject  # not its status: that changes when read


def _activity_key(entry: ActivityEntry) -> Hashable:
    return ("activity", entry.status, entry.time, entry.media_type, entry.message_name, entry.workflow_id,
            entry.workflow_instance_id, entry.source_event_type_key)


@dataclass
class Trail:
    """One scenario contact's way through the account: who it is, since when, and what was there before."""

    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    who: Who | None = None
    before: Counter[Hashable] = field(default_factory=Counter)
    noted: bool = False
    note: str = ""  # why what was there before is not known

    def fresh(self, items: Sequence[Any], key: Any) -> list[Any]:
        """The items that appeared since the scenario started."""
        left = Counter(self.before)
        new = []
        for item in items:
            identity = key(item)
            if left[identity] > 0:
                left[identity] -= 1
                continue
            moment = parse_moment(item.time)
            if moment is None or moment >= self.started - CLOCK_SKEW:
                new.append(item)
        return new

    async def note_before(self, link: AccountLink, messages: bool, activity: bool) -> None:
        """What the account shows for the contact before the scenario's first step that names it."""
        self.noted = True
        assert self.who is not None
        try:
            if messages and self.who.message_query():
                self.before.update(_message_key(m) for m in await _messages(link, self))
            if activity and self.who.activity_query():
                self.before.update(_activity_key(a) for a in await _activities(link, self))
        except link.errors as exc:
            self.note = f"what the account showed before the scenario is not known ({exc})"


async def _messages(link: AccountLink, trail: Trail) -> Sequence[SentMessage]:
    assert trail.who is not None
    return await link.client.messages(trail.started - QUERY_MARGIN, datetime.now(UTC) + QUERY_MARGIN,
                                      **trail.who.message_query())


async def _activities(link: AccountLink, trail: Trail) -> Sequence[ActivityEntry]:
    assert trail.who is not None
    return await link.client.activity(trail.started - QUERY_MARGIN, datetime.now(UTC) + QUERY_MARGIN,
                                      **trail.who.activity_query())


# -- one expectation -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Followed:
    held: bool
    words: str
    network: bool = False  # failed only because the account gave no answer


def pause_after(poll: int, window_s: float) -> float:
    """The verifier's schedule (core.durations), but ten polls at least in a short window."""
    return max(MIN_PAUSE_S, min(poll_pause(poll), window_s / 10))


def _channel_matches(wanted: str | None, channel: str | None) -> bool:
    return wanted is None or (channel or "").lower() in _ALIASES.get(wanted, (wanted,))


def message_text(message: SentMessage) -> str:
    subject = f" {message.subject!r}" if message.subject else ""
    return f"{message.channel or 'a'} message{subject} at {message.time or '?'}"


def activity_text(entry: ActivityEntry, names: Mapping[int, str | None]) -> str:
    workflow = names.get(entry.workflow_id) if entry.workflow_id is not None else None
    flow = repr(workflow) if workflow else f"#{entry.workflow_id}" if entry.workflow_id is not None else "-"
    text = (f"{entry.status or 'activity'} {entry.media_type or ''} of workflow {flow} from "
            f"{entry.source_event_type_key or '-'} at {entry.time or '?'}")
    return " ".join(text.split())  # the server's words on one line


class _Look:
    """One expectation's polls: each returns (what it wants, what else appeared)."""

    def __init__(self, link: AccountLink, check: FollowCheck, trail: Trail) -> None:
        self.link = link
        self.check = check
        self.trail = trail
        self.workflow_ids: set[int] | None = None
        self.names: dict[int, str | None] = {}

    async def prepare(self) -> str:
        """'' when polls can start, else why the expectation cannot be checked."""
        check = self.check
        who = self.trail.who
        if who is None:
            return "no step before it named a contact to follow"
        if isinstance(check, ActivityCheck):
            if not who.activity_query():
                return (f"the activity endpoint finds a contact by email or phone, and {who.text} has neither: "
                        "expect a message instead")
            if check.workflow is not None:
                workflows = await self.link.workflows()
                self.names = {w.id: w.name for w in workflows}
                wanted = str(check.workflow).casefold()
                self.workflow_ids = {w.id for w in workflows if str(w.id) == wanted or (w.name or "").casefold()
                                     == wanted}
                if not self.workflow_ids:
                    listed = ", ".join(repr(w.name) for w in workflows[:10]) or "none"
                    return f"the account has no workflow {check.workflow!r} (it has {listed})"
        return ""

    async def poll(self) -> tuple[list[str], list[str]]:
        check, trail = self.check, self.trail
        if isinstance(check, MessageCheck):
            fresh = trail.fresh(await _messages(self.link, trail), _message_key)
            wanted = [m for m in fresh if _channel_matches(check.channel, m.channel)]
            return [message_text(m) for m in wanted], [message_text(m) for m in fresh if m not in wanted]
        entries = trail.fresh(await _activities(self.link, trail), _activity_key)
        wanted = [a for a in entries if (self.workflow_ids is None or a.workflow_id in self.workflow_ids)
                  and (check.event is None or a.source_event_type_key == check.event)]
        return ([activity_text(a, self.names) for a in wanted],
                [activity_text(a, self.names) for a in entries if a not in wanted])


async def follow(link: AccountLink, check: FollowCheck, trail: Trail, window_s: float) -> Followed:
    """Poll for CHECK during WINDOW_S seconds (see the module's docstring). Cancellation propagates."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    look = _Look(link, check, trail)
    try:
        reason = await look.prepare()
    except link.errors as exc:
        return Followed(False, f"not checked: {exc}", is_network(exc))
    if reason:
        return Followed(False, f"not checked: {reason}")
    absent = isinstance(check, NoMessageCheck)
    polls, unanswered, last_error = 0, 0, ""
    others: list[str] = []
    while True:
        polls += 1
        try:
            found, others = await look.poll()
            last_error = ""
        except link.errors as exc:
            if not is_network(exc) and getattr(exc, "kind", "") != "rate_limited":
                return Followed(False, f"not checked: {exc}")
            unanswered, last_error = unanswered + is_network(exc), str(exc)
        else:
            if found:
                when = f"after {loop.time() - started:.1f} s, poll {polls}"
                if absent:
                    return Followed(False, f"expected no message; {found[0]} arrived ({when}){_noted(trail)}")
                return Followed(True, f"{found[0]} ({when})")
        remaining = started + window_s - loop.time()
        if remaining <= 0:
            break
        await asyncio.sleep(min(pause_after(polls, window_s), remaining))
    window = f"within {span_text(window_s)} ({polls} poll{'s' if polls != 1 else ''})"
    if last_error:
        return Followed(False, f"the account could not be asked at the end of the window: {last_error}",
                        network=unanswered == polls)  # a 429 is an answer: only silence is exit 3
    if absent:
        return Followed(True, f"no message {window}{_noted(trail)}")
    what = f"a message on {check.channel}" if isinstance(check, MessageCheck) and check.channel else (
        "a message" if isinstance(check, MessageCheck) else "matching activity")
    also = f"; other new entries: {'; '.join(others[:3])}" if others else ""
    return Followed(False, f"expected {what} for {trail.who.text if trail.who else '?'}; none {window}{also}")


def _noted(trail: Trail) -> str:
    return f" (note: {trail.note})" if trail.note else ""
