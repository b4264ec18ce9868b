"""The sandbox's workflows: what starts one, what stops it, and the message it sends after its delay.

A workflow file (`sandbox --workflows FILE`; the bundled default is resources/workflows/default.yaml):

    workflows:
      - id: 1001                         # a whole number, unique in the file (GET /api/v1/workflows)
        name: Abandoned cart
        status: active                   # or inactive: listed, never started
        tags: [ecommerce]
        trigger: cartUpdated             # the event type that starts it, for a known contact
        when:                            # optional: every condition must hold on the event's params
          - {param: products, is: not_empty}   # is: present | absent | empty | not_empty
          - {param: isFound, equals: 0}         # or equals / not_equals (compared as text)
        cancel:                          # optional: stops a waiting instance of the same contact
          events:
            - orderCreated
            - {event: cartUpdated, when: [{param: products, is: empty}]}
          orders: true                   # an order for the contact (POST /api/v1/orders)
        delay: 30m                       # 500ms, 2s, 30m, 12h, 3d… (multiplied by the time scale)
        message:
          channel: email                 # email | sms | webpush | mobilepush
          name: Abandoned cart reminder
          subject: You left something in your cart
          text: Your cart is waiting for you.

A new trigger for a contact whose instance of the same workflow is still waiting replaces that instance (it
is cancelled, "replaced by a newer event") so that one message follows a burst of cart updates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from yespo_console.core.documents import DocumentError, PathKey, Problem, line_at, load_document, path_text
from yespo_console.core.durations import parse_duration
from yespo_console.core.paths import resources_dir
from yespo_console.core.textfiles import read_text

CHANNELS = ("email", "sms", "webpush", "mobilepush")
TESTS = ("present", "absent", "empty", "not_empty")
MAX_WORKFLOWS = 500
MAX_DELAY = timedelta(days=365)
MAX_FILE_BYTES = 1024 * 1024


def default_file() -> Path:
    return resources_dir() / "workflows" / "default.yaml"


def _param(params: Any, name: str) -> tuple[bool, Any]:
    for item in params if isinstance(params, list) else ():
        if isinstance(item, dict) and item.get("name") == name:
            return True, item.get("value")
    return False, None


def _is_empty(value: Any) -> bool:
    if isinstance(value, str):
        text = value.strip()
        try:
            return text == "" or json.loads(text) in ([], {}, None)
        except ValueError:
            return False
    return value in (None, [], {})


@dataclass(frozen=True, slots=True)
class Condition:
    param: str
    test: str  # one of TESTS, or "equals" / "not_equals"
    value: str = ""

    def holds(self, params: Any) -> bool:
        present, value = _param(params, self.param)
        if self.test == "present":
            return present
        if self.test == "absent":
            return not present
        if self.test in ("empty", "not_empty"):
            return _is_empty(value) == (self.test == "empty")
        text = value if isinstance(value, str) else json.dumps(value)
        return present and (text == self.value) == (self.test == "equals")

    def describe(self) -> str:
        return f"{self.param} {self.test.replace('_', ' ')}" + (f" {self.value}" if self.value else "")


@dataclass(frozen=True, slots=True)
class EventRule:
    event: str
    when: tuple[Condition, ...] = ()

    def matches(self, event_type: str | None, params: Any) -> bool:
        return event_type == self.event and all(condition.holds(params) for condition in self.when)


@dataclass(frozen=True, slots=True)
class Message:
    channel: str
    name: str
    subject: str
    text: str


@dataclass(frozen=True, slots=True)
class Workflow:
    id: int
    name: str
    active: bool
    tags: tuple[str, ...]
    trigger: EventRule
    cancel_events: tuple[EventRule, ...]
    cancel_on_order: bool
    delay: timedelta
    message: Message

    def as_dict(self) -> dict[str, Any]:
        """The `Workflow` shape of GET /api/v1/workflows."""
        return {"id": self.id, "name": self.name, "status": "active" if self.active else "inactive",
                "tags": list(self.tags)}

    def describe(self) -> dict[str, Any]:
        """Everything about it, for GET /_sandbox/workflows."""
        return {**self.as_dict(), "trigger": self.trigger.event,
                "when": [c.describe() for c in self.trigger.when],
                "cancelledBy": [rule.event + "".join(f" ({c.describe()})" for c in rule.when)
                                for rule in self.cancel_events] + (["an order"] if self.cancel_on_order else []),
                "delaySeconds": self.delay.total_seconds(), "channel": self.message.channel,
                "messageName": self.message.name, "subject": self.message.subject}


class _Reader:
    """Reads one file's workflows, collecting every mistake with its line."""

    def __init__(self, source: str, marks: dict[PathKey, int]) -> None:
        self.source, self.marks, self.problems = source, marks, []  # type: str, dict[PathKey, int], list[Problem]

    def problem(self, path: PathKey, message: str) -> None:
        line = None
        for end in range(len(path), -1, -1):  # the nearest line known: the key's, else its parent's
            line = line_at(self.marks, path[:end])
            if line is not None:
                break
        self.problems.append(Problem(line, path_text(path) or "(file)", message))

    def text(self, data: dict[str, Any], path: PathKey, key: str, default: str | None = None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            self.problem((*path, key), f"{key} should be a non-empty text")
            return ""
        return value.strip()

    def conditions(self, value: Any, path: PathKey) -> tuple[Condition, ...]:
        if value is None:
            return ()
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            self.problem(path, "when should be a list of conditions such as {param: products, is: not_empty}")
            return ()
        found = []
        for index, item in enumerate(value):
            where = (*path, index)
            tests = [key for key in ("is", "equals", "not_equals") if isinstance(item, dict) and key in item]
            if not isinstance(item, dict) or not isinstance(item.get("param"), str) or len(tests) != 1 or set(
                    item) - {"param", *tests}:
                self.problem(where, "a condition is {param: NAME, is: present|absent|empty|not_empty}, "
                                    "{param: NAME, equals: VALUE} or {param: NAME, not_equals: VALUE}")
                continue
            test = tests[0]
            if test == "is":
                if item["is"] not in TESTS:
                    self.problem((*where, "is"), f"is should be one of {', '.join(TESTS)}")
                    continue
                found.append(Condition(item["param"], item["is"]))
            else:
                raw = item[test]
                found.append(Condition(item["param"], test, raw if isinstance(raw, str) else json.dumps(raw)))
        return tuple(found)

    def rule(self, value: Any, path: PathKey) -> EventRule | None:
        if isinstance(value, str) and value.strip():
            return EventRule(value.strip())
        if isinstance(value, dict) and isinstance(value.get("event"), str) and not set(value) - {"event", "when"}:
            return EventRule(value["event"].strip(), self.conditions(value.get("when"), (*path, "when")))
        self.problem(path, "name an event type (cartUpdated), or {event: TYPE, when: [conditions]}")
        return None

    def workflow(self, data: Any, path: PathKey) -> Workflow | None:
        if not isinstance(data, dict):
            self.problem(path, "a workflow is a mapping with id, name, trigger, delay and message")
            return None
        before = len(self.problems)
        allowed = {"id", "name", "status", "tags", "trigger", "when", "cancel", "delay", "message"}
        for key in sorted(set(map(str, data)) - allowed):
            self.problem((*path, key), f"unknown key {key!r} (a workflow has {', '.join(sorted(allowed))})")
        workflow_id = data.get("id")
        if not isinstance(workflow_id, int) or isinstance(workflow_id, bool) or not 0 < workflow_id < 2**31:
            self.problem((*path, "id"), "id should be a positive whole number")
        name = self.text(data, path, "name")
        status = data.get("status", "active")
        if status not in ("active", "inactive"):
            self.problem((*path, "status"), "status should be active or inactive")
        tags = data.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            self.problem((*path, "tags"), "tags should be a list of texts")
            tags = []
        trigger = self.rule(data.get("trigger"), (*path, "trigger"))
        when = self.conditions(data.get("when"), (*path, "when"))
        cancel_events, on_order = self.cancel(data.get("cancel"), (*path, "cancel"))
        delay = timedelta(0)
        raw_delay = data.get("delay")
        try:
            delay = parse_duration(str(raw_delay), bare_unit="s")
            if raw_delay is None or isinstance(raw_delay, bool) or delay > MAX_DELAY:
                raise ValueError
        except ValueError:
            self.problem((*path, "delay"), "delay should be a duration such as 30m, 2h or 3d (at most 365d)")
        message = self.message(data.get("message"), (*path, "message"))
        if len(self.problems) > before or trigger is None or message is None:
            return None
        assert isinstance(workflow_id, int)
        return Workflow(workflow_id, name, status == "active", tuple(tags), EventRule(trigger.event,
                        trigger.when + when), cancel_events, on_order, delay, message)

    def cancel(self, value: Any, path: PathKey) -> tuple[tuple[EventRule, ...], bool]:
        if value is None:
            return (), False
        if not isinstance(value, dict) or set(value) - {"events", "orders"}:
            self.problem(path, "cancel is a mapping: {events: [orderCreated, ...], orders: true}")
            return (), False
        events = value.get("events", [])
        if not isinstance(events, list):
            self.problem((*path, "events"), "events should be a list of event types or {event, when}")
            events = []
        rules = [self.rule(item, (*path, "events", index)) for index, item in enumerate(events)]
        orders = value.get("orders", False)
        if not isinstance(orders, bool):
            self.problem((*path, "orders"), "orders should be true or false")
        return tuple(rule for rule in rules if rule is not None), orders is True

    def message(self, value: Any, path: PathKey) -> Message | None:
        if not isinstance(value, dict):
            self.problem(path, "message should be a mapping: {channel: email, subject: ..., text: ...}")
            return None
        for key in sorted(set(map(str, value)) - {"channel", "name", "subject", "text"}):
            self.problem((*path, key), f"unknown key {key!r} (channel, name, subject, text)")
        channel = value.get("channel")
        if channel not in CHANNELS:
            self.problem((*path, "channel"), f"channel should be one of {', '.join(CHANNELS)}")
            return None
        subject = str(value.get("subject", ""))
        return Message(channel, str(value.get("name") or subject or channel), subject, str(value.get("text", "")))


def parse_workflows(text: str, source: str) -> tuple[Workflow, ...]:
    """The workflows of a file's text; DocumentError naming each mistake with its line."""
    data, marks = load_document(text, source, is_json=source.lower().endswith(".json"))
    reader = _Reader(source, marks)
    items = data.get("workflows") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise DocumentError(source, [Problem(1, "(file)", "a workflow file is a mapping with workflows: [...]")])
    if len(items) > MAX_WORKFLOWS:
        raise DocumentError(source, [Problem(None, "workflows", f"at most {MAX_WORKFLOWS} workflows")])
    found = [reader.workflow(item, ("workflows", index)) for index, item in enumerate(items)]
    seen: set[int] = set()
    for index, workflow in enumerate(found):
        if workflow is not None:
            if workflow.id in seen:
                reader.problem(("workflows", index, "id"), f"id {workflow.id} is used twice")
            seen.add(workflow.id)
    if reader.problems:
        raise DocumentError(source, reader.problems)
    return tuple(workflow for workflow in found if workflow is not None)


def load_workflows(path: str | Path | None = None) -> tuple[Workflow, ...]:
    """A workflow file's workflows (the bundled defaults without a path); InputError when it cannot be used."""
    path = default_file() if path is None else path
    return parse_workflows(read_text(path, "workflow file", limit=MAX_FILE_BYTES), str(path))
