"""Building an event type's structure from evidence, for a profile file the user then edits.

A Yespo 400 body (`The event should have the following params: [{"name":"…","required":true}, …]`, what an
event type with Validate parameters on answers) names every param and whether it is required, but not its
type. The bodies of sent events (the history) show the names and the values; `infer_event_type` takes, for
each param, the type its values share, nested fields of objects and lists included, and marks as required
what every body sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from yespo_console.core.errors import InputError
from yespo_console.core.events.catalog import (
    LOCATOR_ALIASES,
    LOCATOR_NAMES_LOWER,
    PARAM_NAME_MAX,
    EventSpec,
    FieldSpec,
    FieldType,
    ParamSpec,
    Shape,
)
from yespo_console.core.events.rules import currency_codes

STRUCTURE_PREFIX = "The event should have the following params:"
_STRUCTURE = re.compile(re.escape(STRUCTURE_PREFIX) + r"\s*(\[.*?\])\s*$", re.DOTALL | re.MULTILINE)
MAX_SAMPLES = 10_000  # bodies read per event type: enough to see every param, bounded on a huge history


def structure_from_rejection(text: str, event_type: str) -> EventSpec:
    """The structure a Yespo 400 body lists; InputError when the text holds none."""
    match = _STRUCTURE.search(text.strip())
    if match is None:
        raise InputError(f"no {STRUCTURE_PREFIX!r} list in this text: paste the whole body of Yespo's 400 answer")
    try:
        listed = json.loads(match.group(1))
    except ValueError as exc:
        raise InputError(f"the params list after {STRUCTURE_PREFIX!r} is not JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"the params list after {STRUCTURE_PREFIX!r} is nested too deeply to be one") from None
    if not isinstance(listed, list) or not listed:
        raise InputError("the params list is empty or not a list")
    params: list[ParamSpec] = []
    for index, item in enumerate(listed):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"item {index + 1} of the params list has no name")
        if not writable_name(name):
            raise InputError(f"item {index + 1} of the params list has a name with control characters or a lone "
                             "surrogate, which a profile file cannot hold")
        required = item.get("required") is True
        kind, example = _LOCATOR_TYPES.get(LOCATOR_ALIASES.get(name.lower()) or
                                           LOCATOR_NAMES_LOWER.get(name.lower(), ""), (FieldType.STRING, "text"))
        params.append(_scalar(name, required, kind, example,
                              "From Yespo's 400 answer: the type is not given there, so check it."))
    return EventSpec(event_type, event_type, "Built from Yespo's 400 answer (Validate parameters).",
                     params=tuple(params), example_locators=_locators(p.name for p in params))


# A param named like a contact field (EmailAddress is the email) gets that field's type and example.
_LOCATOR_TYPES: dict[str, tuple[FieldType, Any]] = {
    "email": (FieldType.EMAIL, "example@email.com"), "phone": (FieldType.PHONE, "380501234567"),
}


def writable_name(name: str) -> bool:
    """Whether a param name can go into a profile file and be read back: printable, not blank, not too long."""
    return bool(name.strip()) and name.isprintable() and len(name) <= PARAM_NAME_MAX


def _scalar(name: str, required: bool, kind: FieldType, example: Any, help_text: str) -> ParamSpec:
    return ParamSpec(name, Shape.SCALAR, name, help_text, required=required,
                     field=FieldSpec(name, kind, name, help_text, example, required=required))


def _locators(names: Iterable[str]) -> tuple[str, ...]:
    found = tuple(dict.fromkeys(LOCATOR_NAMES_LOWER[n.lower()] for n in names if n.lower() in LOCATOR_NAMES_LOWER))
    return found or ("email",)


# -- inferring from sent bodies -------------------------------------------------------------------------


def _decoded(value: Any) -> Any:
    """A nested value sent as an escaped JSON string, decoded; anything else as is."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _kind(value: Any) -> FieldType | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return FieldType.FLAG if value in (0, 1) and isinstance(value, int) else FieldType.NUMBER
    if not isinstance(value, str):
        return None
    text = value.strip()
    if re.fullmatch(r"[A-Z]{3}", text) and text in currency_codes():
        return FieldType.CURRENCY
    if re.match(r"https?://", text):
        return FieldType.URL
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        return FieldType.EMAIL
    return FieldType.STRING


def _merge_kinds(kinds: set[FieldType]) -> FieldType:
    if len(kinds) == 1:
        return next(iter(kinds))
    if kinds <= {FieldType.FLAG, FieldType.NUMBER}:
        return FieldType.NUMBER
    return FieldType.STRING


@dataclass
class _Seen:
    """What the bodies sent under one name: how often, the value kinds, an example, nested fields."""

    count: int = 0
    kinds: set[FieldType] = field(default_factory=set)
    shapes: set[Shape] = field(default_factory=set)
    example: Any = None
    items: int = 0  # objects seen inside (one per object, one per list item)
    nested: dict[str, _Seen] = field(default_factory=dict)

    def add(self, value: Any, *, depth: int = 0) -> None:
        self.count += 1
        value = _decoded(value)
        if isinstance(value, dict) and depth == 0:
            self.shapes.add(Shape.OBJECT)
            self._add_object(value)
        elif isinstance(value, list) and depth == 0:
            self.shapes.add(Shape.LIST)
            for item in value:
                if isinstance(item, dict):
                    self._add_object(item)
        else:
            self.shapes.add(Shape.SCALAR)
            kind = _kind(value)
            if kind is not None:
                self.kinds.add(kind)
                if self.example is None:
                    self.example = value

    def _add_object(self, obj: dict[str, Any]) -> None:
        self.items += 1
        for key, inner in obj.items():
            if writable_name(key):
                self.nested.setdefault(key, _Seen()).add(inner, depth=1)

    def field_spec(self, name: str, required: bool) -> FieldSpec:
        kind = _merge_kinds(self.kinds) if self.kinds else FieldType.STRING
        example = self.example if self.example is not None else ""
        return FieldSpec(name, kind, name, _seen_text(self.count), example, required=required)


def _seen_text(count: int) -> str:
    return f"Inferred from {count} sent value{'s' if count != 1 else ''}."


def infer_event_type(event_type: str, bodies: Iterable[dict[str, Any]]) -> tuple[EventSpec, int]:
    """The structure sent bodies of `event_type` show, and how many bodies were read. InputError when none."""
    seen: dict[str, _Seen] = {}
    total = 0
    for body in bodies:
        if body.get("eventTypeKey") != event_type or not isinstance(body.get("params"), list):
            continue
        total += 1
        names: set[str] = set()
        for item in body["params"]:
            name = item.get("name") if isinstance(item, dict) else None
            if isinstance(name, str) and writable_name(name) and name not in names:
                names.add(name)
                seen.setdefault(name, _Seen()).add(item.get("value"))
        if total >= MAX_SAMPLES:
            break
    if not total:
        raise InputError(f"no sent event of type {event_type!r} in the history to learn from")
    params: list[ParamSpec] = []
    for name, info in seen.items():
        required = info.count == total
        if info.shapes == {Shape.SCALAR} or not info.nested:
            scalar = info.field_spec(name, required)
            params.append(ParamSpec(name, Shape.SCALAR, name, scalar.help, required=required, field=scalar))
            continue
        shape = Shape.LIST if Shape.LIST in info.shapes else Shape.OBJECT
        fields = tuple(inner.field_spec(key, inner.count == info.items) for key, inner in info.nested.items())
        params.append(ParamSpec(name, shape, name, _seen_text(info.count), required=required, fields=fields,
                                extra_properties=True))
    spec = EventSpec(event_type, event_type, f"Inferred from {total} sent event{'s' if total != 1 else ''}.",
                     params=tuple(params), example_locators=_locators(seen))
    return spec, total
