"""Contacts as the sandbox takes them: one `POST /api/v1/contact` body (Yespo's `Contact` JSON), a seed file
(`sandbox --contacts FILE`: YAML, JSON or CSV), or an event's locators; and how an event finds its contact.

A contact body needs at least one channel (as Yespo's reference says); an email channel needs an address with
an @, an sms channel a number with at least 5 digits. A seed file is a list of contacts (or {"contacts":
[...]}), each either a `Contact` object or the short form {email, phone, externalCustomerId, firstName,
lastName}; a CSV file has those columns. An event is matched by its keyValue's source: the locator that gave
it (contactId, externalCustomerId, email, phone, pushToken), or, for an explicit keyValue that no locator
repeats, the contact whose id, external ID, email or phone it is (tried in that order).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from yespo_console.core.documents import DocumentError, Problem, line_at, load_document, path_text
from yespo_console.core.events.locators import resolve_body
from yespo_console.core.textfiles import read_text

CHANNEL_TYPES = ("email", "sms", "viber", "mobilepush", "webpush", "appinbox", "widget", "inapp")
MAX_CHANNELS, MAX_FIELDS, MAX_VALUE = 20, 200, 1000
MAX_SEED_BYTES = 16 * 1024 * 1024
MAX_SEED_CONTACTS = 100_000
_TEXT_KEYS = ("firstName", "lastName", "externalCustomerId", "contactKey", "languageCode", "timeZone")
_KEYS = (*_TEXT_KEYS, "channels", "fields", "address", "addressBookId", "id", "groups")
_SHORT_KEYS = {"email": "email", "phone": "sms", "sms": "sms", "externalcustomerid": "externalCustomerId",
               "firstname": "firstName", "lastname": "lastName"}
_PHONE = re.compile(r"\+?[\d\s().-]{5,40}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} should be a non-empty string")
    if len(value) > MAX_VALUE:
        raise ValueError(f"{name} is longer than {MAX_VALUE} characters")
    return value.strip()


def _channel(item: Any, index: int) -> dict[str, Any]:
    where = f"channels[{index}]"
    if not isinstance(item, dict):
        raise ValueError(f'{where} should be an object {{"type": "email", "value": "ann@example.com"}}')
    kind = item.get("type")
    if kind not in CHANNEL_TYPES:
        raise ValueError(f"{where}.type should be one of {', '.join(CHANNEL_TYPES)}")
    value = _text(item.get("value"), f"{where}.value")
    if kind == "email" and not _EMAIL.fullmatch(value):
        raise ValueError(f"{where}.value {value[:80]!r} is not an email address")
    if kind == "sms" and len(re.sub(r"\D", "", value)) < 5:
        raise ValueError(f"{where}.value {value[:80]!r} is not a phone number")
    return {**{k: v for k, v in item.items() if k in ("device", "webPushSubscription")}, "type": kind,
            "value": value}


def contact_doc(data: Any) -> dict[str, Any]:
    """A `Contact` object checked and cleaned (the id kept, if sent); ValueError saying what is wrong."""
    if not isinstance(data, dict):
        raise ValueError('the contact should be a JSON object such as {"channels": [{"type": "email", '
                         '"value": "ann@example.com"}], "firstName": "Ann"}')
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise ValueError(f"unknown field {unknown[0][:60]!r} (a contact has {', '.join(_KEYS)})")
    doc: dict[str, Any] = {}
    for name in _TEXT_KEYS:
        if data.get(name) is not None:
            doc[name] = _text(data[name], name)
    channels = data.get("channels")
    if not isinstance(channels, list) or not channels:
        raise ValueError("channels should list at least one channel, e.g. [{\"type\": \"email\", \"value\": "
                         "\"ann@example.com\"}]")
    if len(channels) > MAX_CHANNELS:
        raise ValueError(f"at most {MAX_CHANNELS} channels per contact")
    doc["channels"] = [_channel(item, index) for index, item in enumerate(channels)]
    fields = data.get("fields", [])
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS or not all(
            isinstance(f, dict) and isinstance(f.get("id"), int) and not isinstance(f.get("id"), bool)
            for f in fields):
        raise ValueError(f'fields should be a list of at most {MAX_FIELDS} objects {{"id": 123, "value": "..."}}')
    if fields:
        doc["fields"] = [{"id": f["id"], "value": "" if f.get("value") is None else str(f["value"])[:MAX_VALUE]}
                         for f in fields]
    for name, kind in (("address", dict), ("groups", list)):
        if data.get(name) is not None:
            if not isinstance(data[name], kind):
                raise ValueError(f"{name} should be a JSON {'object' if kind is dict else 'list'}")
            doc[name] = data[name]
    for name in ("addressBookId", "id"):
        value = data.get(name)
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**63:
                raise ValueError(f"{name} should be a positive whole number")
            doc[name] = value
    return doc


def merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """An update: what `new` sends replaces, channels and fields are added to (by type and value, by id)."""
    doc = {**old, **{key: value for key, value in new.items() if key not in ("channels", "fields")}}
    seen = {(c["type"], c["value"].lower()) for c in old.get("channels", [])}
    doc["channels"] = [*old.get("channels", []),
                       *(c for c in new.get("channels", []) if (c["type"], c["value"].lower()) not in seen)]
    fields = {f["id"]: f for f in old.get("fields", [])}
    fields.update({f["id"]: f for f in new.get("fields", [])})
    if fields:
        doc["fields"] = list(fields.values())
    return doc


def lookups(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """How a posted contact finds the contact it updates: its id, external ID, then its emails and phones."""
    found: list[tuple[str, str]] = []
    if doc.get("id") is not None:
        found.append(("contactId", str(doc["id"])))
    if doc.get("externalCustomerId"):
        found.append(("externalCustomerId", doc["externalCustomerId"]))
    for kind, channel in (("email", "email"), ("phone", "sms")):
        found += [(kind, c["value"]) for c in doc.get("channels", []) if c["type"] == channel]
    return found


def short_doc(item: Any) -> dict[str, Any]:
    """A seed entry: a `Contact` object, or {email, phone, externalCustomerId, firstName, lastName}."""
    if isinstance(item, dict) and "channels" not in item:
        long: dict[str, Any] = {"channels": []}
        for key, value in item.items():
            name = _SHORT_KEYS.get(str(key).lower())
            if name is None:
                raise ValueError(f"unknown column {str(key)[:60]!r} (email, phone, externalCustomerId, firstName, "
                                 "lastName; or a Yespo contact with channels)")
            if value in (None, ""):
                continue
            if name in ("email", "sms"):
                long["channels"].append({"type": name, "value": str(value)})
            else:
                long[name] = str(value)
        item = long
    return contact_doc(item)


def load_seed(path: str | Path) -> list[dict[str, Any]]:
    """The contacts of a seed file; DocumentError naming each mistake's line."""
    source = str(path)
    text = read_text(path, "contacts file", limit=MAX_SEED_BYTES)
    if Path(path).suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        rows = [(reader.line_num, row) for row in reader]
        entries: list[tuple[int | None, str, Any]] = [
            (line, f"row {index + 1}", {k: v for k, v in row.items() if k is not None})
            for index, (line, row) in enumerate(rows)]
    else:
        data, marks = load_document(text, source, is_json=Path(path).suffix.lower() == ".json")
        items, prefix = (data.get("contacts"), ("contacts",)) if isinstance(data, dict) else (data, ())
        if not isinstance(items, list):
            raise DocumentError(source, [Problem(1, "(file)", "a contacts file is a list of contacts, or "
                                                 "{contacts: [...]}")])
        entries = [(line_at(marks, (*prefix, index)), path_text((*prefix, index)), item)
                   for index, item in enumerate(items)]
    if len(entries) > MAX_SEED_CONTACTS:
        raise DocumentError(source, [Problem(None, "(file)", f"more than {MAX_SEED_CONTACTS:,} contacts")])
    docs, problems = [], []
    for line, where, item in entries:
        try:
            docs.append(short_doc(item))
        except ValueError as exc:
            problems.append(Problem(line, where, str(exc)))
    if problems:
        raise DocumentError(source, problems[:50])
    return docs


def event_lookups(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The (kind, value) pairs an accepted event's contact is looked up by, in order; the first found wins."""
    resolution = resolve_body(body)
    winner = resolution.winner
    if winner is None or winner.value is None:
        return []
    if winner.name != "keyValue":
        return [(winner.name, winner.value)]
    for candidate in resolution.candidates[1:]:
        if candidate.usable and candidate.value == winner.value:
            return [(candidate.name, winner.value)]
    value = winner.value
    found = [("contactId", value)] if value.isdigit() else []
    found += [("externalCustomerId", value), ("email", value)]
    if _PHONE.fullmatch(value):
        found.append(("phone", value))
    return found


def event_contact(body: dict[str, Any]) -> dict[str, Any] | None:
    """A contact made from an event's locators (the auto-contacts setting), or None when it has none to use."""
    resolution = resolve_body(body)
    doc: dict[str, Any] = {"channels": []}
    for candidate in resolution.candidates:
        value = candidate.value
        if not candidate.usable or value is None:
            continue
        kind = "email" if candidate.name == "keyValue" and "@" in value else candidate.name
        if kind == "email" and _EMAIL.fullmatch(value):
            doc["channels"].append({"type": "email", "value": value})
        elif kind == "phone":
            doc["channels"].append({"type": "sms", "value": value})
        elif kind == "externalCustomerId":
            doc["externalCustomerId"] = value
    unique = {(c["type"], c["value"].lower()): c for c in doc["channels"]}
    doc["channels"] = list(unique.values())
    return doc if doc["channels"] or "externalCustomerId" in doc else None
