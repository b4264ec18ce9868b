"""What the account's read endpoints answer, read defensively: every answer is a stranger's bytes, so a
wrong shape (an object where a list belongs, a number where text belongs, an entry that is not an object)
becomes a `BadAnswer` with a sentence, or an entry is skipped, never a traceback. Field names follow the
OpenAPI file (AccountInfo, BaseContact/Contact, ContactActivity, ContactMessage, Workflow, IDResult,
FailedOrders).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

# An answer nested deeper than this is not one of these shapes: refused before Python's recursion limit.
MAX_DEPTH = 64
# Text from the server longer than this is cut: a name or a status is never this long.
MAX_TEXT = 2000


_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


class BadAnswer(ValueError):
    """The answer is not what the endpoint documents: not JSON, or JSON of another shape."""


def parse_json(body: bytes) -> Any:
    """The JSON value of an answer's body, or BadAnswer in words."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadAnswer("the answer is not UTF-8 text") from None
    if not text.strip():
        raise BadAnswer("the answer is empty")
    if _depth(text) > MAX_DEPTH:
        raise BadAnswer(f"the answer nests more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadAnswer(f"the answer is not JSON ({exc})") from None


def _depth(text: str) -> int:
    """How deep the brackets go (strings included: an overestimate is only ever safer)."""
    depth = deepest = 0
    for char in _NOT_BRACKETS.sub("", text):  # the loop walks brackets only, not every character
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, int | float):
        return str(value)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 20:
        return int(value)
    return None


def _object(data: Any, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadAnswer(f"{what}: expected a JSON object, got {_kind(data)}")
    return data


def _list(data: Any, what: str) -> list[Any]:
    if not isinstance(data, list):
        raise BadAnswer(f"{what}: expected a JSON array, got {_kind(data)}")
    return data


def _kind(data: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(data), "a number")


# -- the shapes ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountInfo:
    organisation: str | None
    user_email: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"organisationName": self.organisation, "userEmail": self.user_email}


def account_info(data: Any) -> AccountInfo:
    obj = _object(data, "account info")
    info = AccountInfo(_text(obj.get("organisationName")), _text(obj.get("userEmail")))
    if info.organisation is None and info.user_email is None:
        raise BadAnswer("account info: neither organisationName nor userEmail is in the answer")
    return info


@dataclass(frozen=True, slots=True)
class Channel:
    type: str
    value: str


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    first_name: str | None = None
    last_name: str | None = None
    channels: tuple[Channel, ...] = ()
    external_customer_id: str | None = None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "firstName": self.first_name, "lastName": self.last_name,
            "externalCustomerId": self.external_customer_id,
            "channels": [{"type": c.type, "value": c.value} for c in self.channels],
        }


def contact(data: Any) -> Contact:
    obj = _object(data, "contact")
    contact_id = _int(obj.get("id"))
    if contact_id is None:
        raise BadAnswer("contact: the answer has no numeric id")
    listed = obj.get("channels")
    channels = []
    for entry in listed if isinstance(listed, list) else ():
        if isinstance(entry, dict) and (kind := _text(entry.get("type"))) and (value := _text(entry.get("value"))):
            channels.append(Channel(kind, value))
    return Contact(contact_id, _text(obj.get("firstName")), _text(obj.get("lastName")), tuple(channels),
                   _text(obj.get("externalCustomerId")))


def contacts(data: Any) -> list[Contact]:
    """A contact search's answer; entries without an id are skipped."""
    found = []
    for entry in _list(data, "contact search"):
        try:
            found.append(contact(entry))
        except BadAnswer:
            continue
    return found


def id_result(data: Any, what: str) -> int:
    found = _int(_object(data, what).get("id"))
    if found is None:
        raise BadAnswer(f"{what}: the answer has no numeric id")
    return found


@dataclass(frozen=True, slots=True)
class Activity:
    """One entry of a contact's activity (ContactActivity)."""

    status: str | None = None
    time: str | None = None
    media_type: str | None = None
    message_name: str | None = None
    source_event_key: str | None = None
    source_event_type_key: str | None = None
    workflow_id: int | None = None
    workflow_instance_id: str | None = None
    status_description: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def activities(data: Any) -> list[Activity]:
    found = []
    for entry in _list(data, "contact activity"):
        if not isinstance(entry, dict):
            continue
        found.append(Activity(
            status=_text(entry.get("activityStatus")), time=_text(entry.get("activityDateTime")),
            media_type=_text(entry.get("mediaType")), message_name=_text(entry.get("messageName")),
            source_event_key=_text(entry.get("sourceEventKey")),
            source_event_type_key=_text(entry.get("sourceEventTypeKey")),
            workflow_id=_int(entry.get("workflowId")), workflow_instance_id=_text(entry.get("workflowInstanceId")),
            status_description=_text(entry.get("statusDescription")),
        ))
    return found


@dataclass(frozen=True, slots=True)
class Message:
    """One message sent to a contact (ContactMessage)."""

    channel: str | None = None
    time: str | None = None
    status: str | None = None
    subject: str | None = None
    message_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def messages(data: Any) -> list[Message]:
    found = []
    for entry in _list(data, "contact messages"):
        if not isinstance(entry, dict):
            continue
        found.append(Message(
            channel=_text(entry.get("channelType")), time=_text(entry.get("sentDateTime")),
            status=_text(entry.get("activityStatus")),
            subject=_text(entry.get("subject")) or _text(entry.get("text")), message_id=_int(entry.get("messageId")),
        ))
    return found


@dataclass(frozen=True, slots=True)
class Workflow:
    id: int
    name: str | None
    status: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def workflows(data: Any) -> list[Workflow]:
    found = []
    for entry in _list(data, "workflows"):
        if isinstance(entry, dict) and (workflow_id := _int(entry.get("id"))) is not None:
            found.append(Workflow(workflow_id, _text(entry.get("name")), _text(entry.get("status"))))
    return found


def failed_orders(data: Any) -> list[Any]:
    """The orders Yespo did not take (FailedOrders.failedOrders); an empty answer means none failed."""
    if data is None or data == "":
        return []
    failed = _object(data, "orders").get("failedOrders") or []
    return _list(failed, "orders: failedOrders")
