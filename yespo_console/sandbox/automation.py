"""The account's behaviour after an event is accepted: which contact it reached, which workflows it starts or
stops, and the message each workflow sends when its delay ends.

Called by the `Sandbox` for every accepted event (`before_record` finds the contact, so the record says
"Contact found", "Contact not found" or "Contact created"; `after_record` starts and cancels workflow
instances) and by the orders endpoint (`on_order`). Timers run on the sandbox's own loop with the delay times
the account's time scale; they do not survive a stop (a waiting instance is then marked "lost").
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from yespo_console.core.events.tracker_identity import resolve_visitor
from yespo_console.sandbox.accountdb import CANCELLED, LOST, SENT, WAITING, AccountDB, Instance, now_text
from yespo_console.sandbox.contacts import event_contact, event_lookups, lookups, merged
from yespo_console.sandbox.store import NewEvent, SandboxEvent
from yespo_console.sandbox.tracker import TRACKER_ENDPOINT
from yespo_console.sandbox.workflows import Workflow

if TYPE_CHECKING:
    from yespo_console.sandbox.settings import AccountSettings

log = logging.getLogger(__name__)

FOUND, NOT_FOUND, CREATED = "Contact found", "Contact not found", "Contact created"
EVENT_ENDPOINTS = ("v2/event", "v1/event", TRACKER_ENDPOINT)
# A web tracking body names its visitor in GeneralInfo; these fields are the contact's identifiers.
_TRACKER_LOOKUPS = {"user_es_contact_id": "contactId", "externalCustomerId": "externalCustomerId",
                    "user_email": "email", "user_phone": "phone"}


def _contact_lookups(endpoint: str, body: dict[str, Any]) -> list[tuple[str, str]]:
    if endpoint != TRACKER_ENDPOINT:
        return event_lookups(body)
    return [(_TRACKER_LOOKUPS[c.name], c.value) for c in resolve_visitor(body).candidates[1:]
            if c.usable and c.value is not None and c.name in _TRACKER_LOOKUPS]


def _params(endpoint: str, event_type: str | None, body: dict[str, Any]) -> Any:
    """What a workflow's conditions read: an event's params, or a tracker event object's fields as params."""
    if endpoint != TRACKER_ENDPOINT:
        return body.get("params")
    fields = body.get(event_type or "")
    return [{"name": name, "value": value} for name, value in fields.items()] if isinstance(fields, dict) else []
ORDER_STOPS = ("INITIALIZED", "IN_PROGRESS", "DELIVERED")  # an order in these states is a purchase
_CHANNEL_OF = {"email": "email", "sms": "sms", "webpush": "webpush", "mobilepush": "mobilepush"}
ACTIVITY_KEYS = ("iid", "contactId", "externalCustomerId", "email", "sms", "webPushToken", "mobPushToken",
                 "mediaType", "activityStatus", "messageId", "messageInstanceId", "messageName", "messageTag",
                 "activityDateTime", "statusDescription", "viewMessageLink", "sourceEventKey", "sourceEventTypeKey",
                 "workflowBlockId", "workflowId", "workflowInstanceId", "from", "offset")
MESSAGE_KEYS = ("contactId", "email", "phone", "messageId", "messageInstanceId", "messageTags", "channelType",
                "sentDateTime", "activityStatus", "from", "subject", "text", "viewMessageLink")

Notify = Callable[[str, dict[str, Any]], None]


def activity_of(delivery: dict[str, Any]) -> dict[str, Any]:
    """A delivery in the `ContactActivity` shape."""
    return {key: delivery.get(key) for key in ACTIVITY_KEYS}


def message_of(delivery: dict[str, Any]) -> dict[str, Any]:
    """A delivery in the `ContactMessage` shape."""
    return {key: delivery.get(key) for key in MESSAGE_KEYS}


def _first(contact: dict[str, Any], channel: str) -> str | None:
    return next((c["value"] for c in contact.get("channels", []) if c.get("type") == channel), None)


class Automation:
    """Contacts, workflows and their timers for one sandbox. Its methods run on the sandbox's loop."""

    def __init__(self, db: AccountDB, workflows: Sequence[Workflow], settings: Callable[[], AccountSettings]) -> None:
        self.db = db
        self.workflows = tuple(workflows)
        self._settings = settings
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listeners: list[Notify] = []

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def detach(self) -> None:
        """Stop every timer: the instances they belonged to are lost."""
        for instance_id, timer in list(self._timers.items()):
            timer.cancel()
            self.db.end_instance(instance_id, LOST, "the sandbox stopped before the delay ended")
        self._timers.clear()
        self._loop = None

    def clear(self) -> int:
        """Forget the account's contacts, instances and messages (stopping their timers); how many contacts."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        return self.db.clear()

    def add_listener(self, listener: Notify) -> Callable[[], None]:
        """`listener(kind, item)` with each change, on the sandbox's loop: ("contact", contact), ("instance",
        instance dict), ("delivery", delivery). Returns a function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, kind: str, item: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener(kind, item)
            except Exception:
                log.exception("an account listener failed")

    # -- contacts --------------------------------------------------------------------------------

    def upsert_contact(self, doc: dict[str, Any]) -> tuple[int, bool]:
        """Create or update the contact a checked `Contact` body names (by id, external ID, email or phone):
        (its id, whether it is new). ValueError when it names an id that does not exist."""
        for kind, value in lookups(doc):
            found = self.db.find(kind, value)
            if found:
                old = self.db.contact(found[0])
                assert old is not None
                contact_id = self.db.save_contact(merged(old, doc), found[0])
                self._notify("contact", {**merged(old, doc), "id": contact_id})
                return contact_id, False
            if kind == "contactId":
                raise ValueError(f"there is no contact with id {value}")
        contact_id = self.db.save_contact(doc)
        self._notify("contact", {**doc, "id": contact_id})
        return contact_id, True

    def find_contact(self, pairs: list[tuple[str, str]]) -> int | None:
        for kind, value in pairs:
            found = self.db.find(kind, value)
            if found:
                return found[0]
        return None

    # -- events ----------------------------------------------------------------------------------

    def before_record(self, record: NewEvent) -> None:
        """Mark an accepted event with the contact it reached (creating one when the setting says so)."""
        if record.endpoint not in EVENT_ENDPOINTS or record.status != 200:
            return
        body = _parsed(record.body)
        contact_id = self.find_contact(_contact_lookups(record.endpoint, body))
        record.contact, record.contact_id = (FOUND, contact_id) if contact_id is not None else (NOT_FOUND, None)
        if contact_id is None and self._settings().auto_contacts and record.endpoint != TRACKER_ENDPOINT:
            doc = event_contact(body)
            if doc is not None:
                record.contact_id, _ = self.upsert_contact(doc)
                record.contact = CREATED
        if record.contact == NOT_FOUND:
            record.notes += ("Contact not found: Yespo records the event but starts no workflow.",)

    def after_record(self, event: SandboxEvent) -> None:
        """Cancel what the event stops, then start what it triggers, for the event's contact."""
        if event.contact_id is None or event.endpoint not in EVENT_ENDPOINTS or event.status != 200:
            return
        params = _params(event.endpoint, event.event_type, _parsed(event.body))
        cancels = [w for w in self.workflows if any(rule.matches(event.event_type, params) for rule in w.cancel_events)]
        starts = [w for w in self.workflows if w.active and w.trigger.matches(event.event_type, params)]
        if not cancels and not starts:
            return
        waiting = self.db.instances(1000, contact_id=event.contact_id, state=WAITING)
        for workflow in cancels:
            self._cancel(workflow, waiting, f"cancelled by {event.event_type} (event #{event.id})")
        for workflow in starts:
            self._cancel(workflow, waiting, f"replaced by a newer {event.event_type} (event #{event.id})")
            self._start(workflow, event)

    def on_order(self, order: dict[str, Any]) -> int | None:
        """A purchase stops the waiting instances of the workflows an order cancels; the contact's id."""
        pairs = [(kind, str(order[key])) for kind, key in (("externalCustomerId", "externalCustomerId"),
                 ("email", "email"), ("phone", "phone")) if order.get(key)]
        contact_id = self.find_contact(pairs)
        if contact_id is not None and order.get("status") in ORDER_STOPS:
            waiting = self.db.instances(1000, contact_id=contact_id, state=WAITING)
            for workflow in self.workflows:
                if workflow.cancel_on_order:
                    self._cancel(workflow, waiting, f"cancelled by order {str(order.get('externalOrderId'))[:80]}")
        return contact_id

    def _cancel(self, workflow: Workflow, waiting: list[Instance], reason: str) -> None:
        """End the contact's `waiting` instances of `workflow` (those another event ended meanwhile are skipped)."""
        for instance in waiting:
            if instance.workflow_id == workflow.id and self.db.end_instance(instance.instance_id, CANCELLED, reason):
                timer = self._timers.pop(instance.instance_id, None)
                if timer is not None:
                    timer.cancel()
                self._notify("instance", {**instance.as_dict(), "state": CANCELLED, "reason": reason})

    def _start(self, workflow: Workflow, event: SandboxEvent) -> None:
        assert event.contact_id is not None
        seconds = workflow.delay.total_seconds() * self._settings().time_scale
        now = datetime.now(UTC)
        instance = Instance(str(uuid.uuid4()), workflow.id, workflow.name, event.contact_id, event.id,
                            event.event_type or "", event.key_value or "", WAITING, "", now_text(now),
                            now_text(now + timedelta(seconds=seconds)), None)
        self.db.add_instance(instance)
        self._notify("instance", instance.as_dict())
        if self._loop is None:  # not running: nothing can fire it
            self.db.end_instance(instance.instance_id, LOST, "the sandbox is not running")
            return
        self._timers[instance.instance_id] = self._loop.call_later(seconds, self._fire, workflow, instance)

    def _fire(self, workflow: Workflow, instance: Instance) -> None:
        self._timers.pop(instance.instance_id, None)
        contact = self.db.contact(instance.contact_id) or {"id": instance.contact_id, "channels": []}
        channel = workflow.message.channel
        address = _first(contact, _CHANNEL_OF[channel])
        delivered = address is not None
        reason = "message sent" if delivered else f"the contact has no {channel} channel: message undelivered"
        if not self.db.end_instance(instance.instance_id, SENT, reason):
            return
        at = now_text()
        delivery: dict[str, Any] = {
            "iid": str(uuid.uuid4()), "contactId": instance.contact_id,
            "externalCustomerId": contact.get("externalCustomerId"), "email": _first(contact, "email"),
            "sms": _first(contact, "sms"), "phone": _first(contact, "sms"),
            "webPushToken": _first(contact, "webpush"), "mobPushToken": _first(contact, "mobilepush"),
            "mediaType": channel, "channelType": channel,
            "activityStatus": "DELIVERED" if delivered else "UNDELIVERED",
            "statusDescription": "Delivered (sandbox)" if delivered else reason,
            "messageId": workflow.id, "messageInstanceId": uuid.uuid4().int % 2**31,
            "messageName": workflow.message.name, "messageTag": None, "messageTags": [],
            "activityDateTime": at, "sentDateTime": at, "viewMessageLink": None,
            "sourceEventKey": instance.key_value, "sourceEventTypeKey": instance.event_type,
            "workflowBlockId": "message", "workflowId": workflow.id, "workflowInstanceId": instance.instance_id,
            "from": "sandbox@example.com" if channel == "email" else "Yespo Console sandbox",
            "subject": workflow.message.subject, "text": workflow.message.text,
        }
        self.db.add_delivery(instance.contact_id, at, delivery)
        self._notify("instance", {**instance.as_dict(), "state": SENT, "reason": reason})
        self._notify("delivery", delivery)


def _parsed(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}
