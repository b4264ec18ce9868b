"""Draft <-> exact wire body.

A `Draft` is what a form edits: the event type, an optional keyValue, the locators, the catalog
params (typed: numbers are numbers, nested values are dicts and lists) and any extra params. The
builder turns it into the bytes that go on the wire; the parser turns a body back into a draft.
For anything the builder makes, `build_body(parse_body(build_body(d))) == build_body(d)` and
`parse_body(build_body(d)) == d`.

Nested objects travel either as an escaped JSON string in `value` (the main doc's way, and the only
way v1 accepts) or as a real JSON object (v2 accepts it). The encoding is a choice at build time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from yespo_console.core.events.catalog import (
    LOCATOR_PRIORITY,
    EventSpec,
    FieldType,
    ParamSpec,
    Shape,
    is_locator,
)
from yespo_console.core.events.profiles import BUILTIN, Profile

NestedEncoding = Literal["string", "object"]
NESTED_ENCODINGS: tuple[NestedEncoding, ...] = ("string", "object")


# Plain dataclasses, not pydantic models: a draft is built at every keystroke and when the window opens,
# and pydantic (its import and the models' schemas) is most of the window's start-up cost.
@dataclass(frozen=True)
class ExtraParam:
    name: str
    value: Any


@dataclass
class Draft:
    """An event as a form holds it. Keys present in `locators` and `values` are sent; the GUI leaves
    out the fields a user left blank."""

    event_type: str = ""
    key_value: str | None = None
    locators: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    extra_params: list[ExtraParam] = field(default_factory=list)
    extra_fields: dict[str, Any] = field(default_factory=dict)  # top-level keys other than the three

    def __post_init__(self) -> None:
        # Own containers, as the pydantic model had: editing a draft never edits the dicts it was made from.
        self.locators = dict(self.locators)
        self.values = dict(self.values)
        self.extra_params = list(self.extra_params)
        self.extra_fields = dict(self.extra_fields)


class DraftError(ValueError):
    """A stored draft (a settings file, a saved draft) that does not read as one: says where and what."""


def draft_to_json(draft: Draft) -> dict[str, Any]:
    """A JSON-ready dict of DRAFT, as `draft_from_json` reads it back."""
    return {"event_type": draft.event_type, "key_value": draft.key_value, "locators": dict(draft.locators),
            "values": dict(draft.values),
            "extra_params": [{"name": extra.name, "value": extra.value} for extra in draft.extra_params],
            "extra_fields": dict(draft.extra_fields)}


def _text_keyed(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise DraftError(f"{name}: must be an object, not {type(value).__name__}")
    if not all(isinstance(key, str) for key in value):
        raise DraftError(f"{name}: every key must be text")
    return value


def draft_from_json(data: Any) -> Draft:
    """The draft `draft_to_json` wrote; DraftError (one line: where, what) for anything else. Keys it does
    not know are ignored, missing ones take their defaults, as a draft saved by another version may have."""
    if not isinstance(data, dict):
        raise DraftError(f"a draft is an object, not {type(data).__name__}")
    event_type = data.get("event_type", "")
    if not isinstance(event_type, str):
        raise DraftError("event_type: must be text")
    key_value = data.get("key_value")
    if key_value is not None and not isinstance(key_value, str):
        raise DraftError("key_value: must be text or null")
    items = data.get("extra_params", [])
    if not isinstance(items, list):
        raise DraftError(f"extra_params: must be a list, not {type(items).__name__}")
    extras = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or "value" not in item or not isinstance(item.get("name"), str):
            raise DraftError(f"extra_params.{index}: must be an object with a text name and a value")
        extras.append(ExtraParam(name=item["name"], value=item["value"]))
    return Draft(event_type=event_type, key_value=key_value, locators=_text_keyed(data, "locators"),
                 values=_text_keyed(data, "values"), extra_params=extras,
                 extra_fields=_text_keyed(data, "extra_fields"))


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _ordered_nested(param: ParamSpec, value: Any) -> Any:
    """Known keys in catalog order, then the others in the order the user added them."""
    if isinstance(value, dict):
        known = [spec.name for spec in param.fields if spec.name in value]
        rest = [key for key in value if key not in known]
        return {key: value[key] for key in (*known, *rest)}
    if isinstance(value, list):
        return [_ordered_nested(param, item) for item in value]
    return value


def _encode_value(param: ParamSpec | None, value: Any, nested: NestedEncoding) -> Any:
    if param is not None and param.shape is not Shape.SCALAR:
        value = _ordered_nested(param, value)
    if nested == "object":
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return _compact(value)
    # v1 requires every value to be a string; numbers in the string encoding follow that rule.
    return value if value is None or isinstance(value, bool) else _compact(value)


def body_object(draft: Draft, *, nested: NestedEncoding = "string", profile: Profile = BUILTIN) -> dict[str, Any]:
    """The body as a JSON-ready dict, keys in wire order (the profile's params in their order)."""
    spec = profile.spec(draft.event_type)
    params: list[dict[str, Any]] = []
    for name in LOCATOR_PRIORITY:
        if name in draft.locators:
            params.append({"name": name, "value": _encode_value(None, draft.locators[name], nested)})
    for param in spec.params:
        if param.name in draft.values and not is_locator(param.name):  # a locator param travels as a locator
            params.append({"name": param.name, "value": _encode_value(param, draft.values[param.name], nested)})
    for extra in draft.extra_params:
        params.append({"name": extra.name, "value": _encode_value(None, extra.value, nested)})
    body: dict[str, Any] = {"eventTypeKey": draft.event_type}
    if draft.key_value is not None:
        body["keyValue"] = draft.key_value
    body["params"] = params
    body.update(draft.extra_fields)
    return body


def dump_json(value: Any, *, pretty: bool = False) -> str:
    """UTF-8-ready JSON text: non-ASCII kept as is, never `\\u` escapes; NaN refused."""
    if pretty:
        return json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False)
    return _compact(value)


def build_body(draft: Draft, *, nested: NestedEncoding = "string", pretty: bool = False,
               profile: Profile = BUILTIN) -> bytes:
    """The exact bytes that go on the wire."""
    return dump_json(body_object(draft, nested=nested, profile=profile), pretty=pretty).encode("utf-8")


def _decode_nested(param: ParamSpec, value: Any) -> Any:
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value  # left as is; the diagnostics say why it is wrong
        expected = dict if param.shape is Shape.OBJECT else list
        return decoded if isinstance(decoded, expected) else value
    return value


def _decode_scalar(param: ParamSpec, value: Any) -> Any:
    """Numbers sent as strings (the string encoding) come back as numbers."""
    if param.field is None or not isinstance(value, str):
        return value
    if param.field.type in (FieldType.FLAG, FieldType.NUMBER):
        try:
            number = json.loads(value)
        except ValueError:
            return value
        if isinstance(number, int | float) and not isinstance(number, bool) and _compact(number) == value:
            return number
    return value


def _well_formed(item: Any) -> bool:
    return isinstance(item, dict) and set(item) == {"name", "value"} and isinstance(item["name"], str)


def item_slots(spec: EventSpec, items: list[Any]) -> list[str]:
    """The draft slot each params item fills: its locator or catalog param name for the first
    well-formed occurrence, else "extra[j]" (the j-th extra param)."""
    slots: list[str] = []
    taken: set[str] = set()
    extras = 0
    for item in items:
        name = item["name"] if _well_formed(item) else None
        if name is not None and name not in taken and (is_locator(name) or spec.param(name) is not None):
            taken.add(name)
            slots.append(name)
        else:
            slots.append(f"extra[{extras}]")
            extras += 1
    return slots


def draft_from_object(body: dict[str, Any], profile: Profile = BUILTIN) -> Draft:
    """A draft from a parsed body. Anything that does not fit a form slot (a duplicate name, an item
    that is not a name/value pair) lands in `extra_params` or `extra_fields`, so nothing is dropped."""
    event_type = body.get("eventTypeKey")
    draft = Draft(event_type=event_type if isinstance(event_type, str) else "")
    if isinstance(body.get("keyValue"), str):
        draft.key_value = body["keyValue"]
    raw_params = body.get("params")
    items = raw_params if isinstance(raw_params, list) else []
    for key, value in body.items():
        consumed = (key == "params" and isinstance(value, list)) or (
            key in ("eventTypeKey", "keyValue") and isinstance(value, str))
        if not consumed:
            draft.extra_fields[key] = value
    spec = profile.spec(draft.event_type)
    for item, slot in zip(items, item_slots(spec, items), strict=True):
        if slot.startswith("extra["):
            is_dict = isinstance(item, dict)
            draft.extra_params.append(ExtraParam(name=str(item.get("name", "")) if is_dict else "",
                                                 value=item.get("value") if is_dict else item))
        elif is_locator(slot):
            draft.locators[slot] = item["value"]
        else:
            param = spec.param(slot)
            assert param is not None
            decode = _decode_scalar if param.shape is Shape.SCALAR else _decode_nested
            draft.values[slot] = decode(param, item["value"])
    return draft


def parse_body(data: str | bytes, profile: Profile = BUILTIN) -> Draft:
    """A draft from wire text. Raises ValueError when the text is not a JSON object."""
    body = json.loads(data)
    if not isinstance(body, dict):
        raise ValueError("the body is not a JSON object")
    return draft_from_object(body, profile)


def detect_nested_encoding(body: dict[str, Any]) -> NestedEncoding | None:
    """How a body carries its nested values, or None when it has none (or mixes nothing)."""
    params = body.get("params")
    for item in params if isinstance(params, list) else ():
        if isinstance(item, dict):
            value = item.get("value")
            if isinstance(value, dict | list):
                return "object"
            if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
                return "string"
    return None
