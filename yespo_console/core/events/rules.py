"""The inspector's rules for one parsed event: the envelope (eventTypeKey, keyValue, the params
list), the locators (which one feeds keyValue; a valid email or phone), and the event data against
the catalog (required params, nested objects and lists, types, ranges, patterns, currencies).
`EventChecks` adds a `Finding` for each rule a body breaks; a hint that writes out a missing param
nests its value the way the body already does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from yespo_console.core.events.catalog import (
    CONTACT_KEY_NAMES,
    EVENT_TYPE_MAX,
    FORBIDDEN_KEY_CHARS,
    KEY_VALUE_MAX,
    LOCATOR_ALIASES,
    LOCATOR_NAMES_LOWER,
    LOCATOR_PRIORITY,
    PARAM_NAME_MAX,
    SUPPORTED_CURRENCIES,
    EventSpec,
    FieldSpec,
    FieldType,
    ParamSpec,
    Shape,
)
from yespo_console.core.events.findings import ROOT, ApiVersion, Finding, Severity
from yespo_console.core.events.locators import KEY_VALUE, Resolution, resolve_body
from yespo_console.core.events.payload import NestedEncoding, dump_json
from yespo_console.core.events.profiles import Profile
from yespo_console.core.events.tiers import NESTED_FIELD_MISSING, Rule


def load_validators() -> None:
    """Import the email and phone libraries now. They load on first use otherwise (together, most of this
    module's import time), so that the window paints without them; it calls this right after its first
    paint, before the first keystroke needs them."""
    import email_validator  # noqa: F401
    import phonenumbers  # noqa: F401


@cache
def currency_codes() -> frozenset[str]:
    import pycountry  # its database is slow to load: only when a currency is first checked

    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


def _preview(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def type_name(value: Any) -> str:
    """The JSON type of a value in words, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric_string(value: Any) -> float | None:
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*", value):
        return float(value)
    return None


@dataclass
class EventChecks:
    """The findings of one event, one method per part of the body."""

    api_version: ApiVersion
    profile: Profile
    encoding: NestedEncoding = "string"  # how the body carries nested values, for hints written its way
    findings: list[Finding] = field(default_factory=list)

    def error(self, code: str, path: str, message: str, hint: str = "", rule: Rule | None = None) -> None:
        self.findings.append(Finding.of(Severity.ERROR, code, path, message, hint, rule))

    def warn(self, code: str, path: str, message: str, hint: str = "") -> None:
        self.findings.append(Finding.of(Severity.WARNING, code, path, message, hint))

    # -- the envelope -------------------------------------------------------------------------

    def key_text(self, code: str, path: str, label: str, value: str, limit: int) -> None:
        if len(value) > limit:
            self.error(f"{code}.too_long", path, f"{label} is {len(value)} characters long; the limit is {limit}.",
                       f"Shorten it to {limit} characters or fewer.")
        bad = sorted({char for char in value if char in FORBIDDEN_KEY_CHARS})
        if bad:
            shown = " ".join(bad)
            self.error(f"{code}.forbidden_chars", path, f"{label} contains characters Yespo refuses: {shown}",
                       f"Remove every one of: {' '.join(FORBIDDEN_KEY_CHARS)}")
        if value != value.strip():
            self.warn(f"{code}.whitespace", path, f"{label} starts or ends with spaces.",
                      "Spaces are kept as part of the key: trim them unless intended.")

    def event_type(self, body: dict[str, Any]) -> None:
        if "eventTypeKey" not in body:
            self.error("event_type.missing", ROOT, "The body has no eventTypeKey.",
                       'Add "eventTypeKey", for example "pageViewed".')
            return
        value = body["eventTypeKey"]
        if not isinstance(value, str):
            self.error("event_type.not_string", "eventTypeKey", f"eventTypeKey is {type_name(value)}, not a string.",
                       'Write it as a string: "eventTypeKey": "pageViewed".')
            return
        if not value.strip():
            self.error("event_type.empty", "eventTypeKey", "eventTypeKey is empty.",
                       "Name the event type, for example pageViewed.")
            return
        self.key_text("event_type", "eventTypeKey", "eventTypeKey", value, EVENT_TYPE_MAX)
        documented = self.profile.keys_lower.get(value.lower())
        if documented and documented != value:
            self.warn("event_type.case_mismatch", "eventTypeKey",
                      f"{value!r} differs from the known type {documented!r} only by case: Yespo would create a "
                      "new event type instead.", f"Write {documented!r}.")

    def key_value(self, body: dict[str, Any]) -> None:
        if "keyValue" not in body:
            return
        value = body["keyValue"]
        if not isinstance(value, str):
            self.error("key_value.not_string", "keyValue", f"keyValue is {type_name(value)}, not a string.",
                       "Send it as a string, or leave it out to take it from the locators.")
            return
        if value == "":
            self.warn("key_value.empty", "keyValue", "keyValue is empty: Yespo treats it as not sent.",
                      "Fill it in, or remove it and let the locators decide.")
            return
        self.key_text("key_value", "keyValue", "keyValue", value, KEY_VALUE_MAX)

    def params(self, body: dict[str, Any]) -> list[tuple[int, str, Any]]:
        """Checks every item; returns (index, name, value) of the well-formed ones."""
        if "params" not in body:
            self.warn("params.missing", ROOT, "The body has no params list.",
                      'Send "params": [] at least; locators and event data go there.')
            return []
        raw = body["params"]
        if not isinstance(raw, list):
            self.error("params.not_array", "params", f"params is {type_name(raw)}; it must be a list of "
                       '{"name": ..., "value": ...} items.', 'Wrap the items in [ ], each as {"name", "value"}.')
            return []
        items: list[tuple[int, str, Any]] = []
        seen: dict[str, int] = {}
        for index, item in enumerate(raw):
            path = f"params[{index}]"
            if not isinstance(item, dict):
                self.error("param.not_object", path, f"This item is {type_name(item)}, not a name/value object.",
                           'Write it as {"name": "...", "value": "..."}.')
                continue
            name = item.get("name")
            if "name" not in item:
                self.error("param.name_missing", path, "This item has no name.", 'Add "name".')
            elif not isinstance(name, str):
                self.error("param.name_not_string", f"{path}.name", f"name is {type_name(name)}, not a string.",
                           "Write the name as a string.")
            elif not name.strip():
                self.error("param.name_empty", f"{path}.name", "name is empty.", "Give the param a name.")
            else:
                if len(name) > PARAM_NAME_MAX:
                    self.error("param.name_too_long", f"{path}.name",
                               f"The name is {len(name)} characters long; the limit is {PARAM_NAME_MAX}.",
                               "Use a shorter name.")
                if name in seen:
                    self.error("param.duplicate_name", f"{path}.name",
                               f"{name!r} appears again (first at params[{seen[name]}]); names must be unique.",
                               "Keep one of them.")
                else:
                    seen[name] = index
            if "value" not in item:
                self.error("param.value_missing", path, f"The param {_preview(name)!r} has no value.",
                           'Add "value" (an empty string if nothing else).')
            else:
                value = item["value"]
                if self.api_version == "v1" and not isinstance(value, str):
                    self.error("param.value_not_string", f"{path}.value",
                               f"In v1 every value must be a string; this one is {type_name(value)}.",
                               "Send nested JSON as an escaped string, or use the v2 endpoint.")
                elif value is None:
                    self.warn("param.value_null", f"{path}.value", f"The value of {_preview(name)!r} is null.",
                              "Send a real value, or leave the param out.")
            extra = sorted(set(item) - {"name", "value"})
            if extra:
                self.warn("param.unknown_key", path, f"Unexpected keys in this item: {', '.join(extra)}.",
                          'An item holds only "name" and "value".')
            if isinstance(name, str) and "value" in item:
                items.append((index, name, item["value"]))
        return items

    # -- locators -----------------------------------------------------------------------------

    def locators(self, body: dict[str, Any], items: list[tuple[int, str, Any]]) -> Resolution:
        resolution = resolve_body(body, self.profile.locator_params)
        present = {name.lower() for _, name, _ in items}
        for index, name, _ in items:
            lower, path = name.lower(), f"params[{index}].name"
            locator = LOCATOR_NAMES_LOWER.get(lower)
            target = LOCATOR_ALIASES.get(lower)
            if locator is not None and name != locator:
                self.warn("locator.case", path,
                          f"{name!r} is read as the {locator} locator: Yespo compares standard names "
                          "case-insensitively. Whether keyValue is taken from it in any case is not documented.",
                          f"Write {locator!r} to be sure.")
            elif lower in CONTACT_KEY_NAMES:
                self.warn("locator.contact_key", path,
                          f"{name!r} fills the additional contact field ContactKey; it is not the contact ID "
                          "and does not feed keyValue.", "Send contactId for Yespo's contact ID.")
            elif target is not None and target.lower() not in present:
                self.warn("locator.alias", path,
                          f"Event segmentation reads {name!r} as {target}, but only {', '.join(LOCATOR_PRIORITY)} "
                          "feed keyValue.", f"Rename it to {target!r}, or also send {target!r}.")
        for candidate in resolution.candidates[1:]:
            if candidate.param_index is not None and not candidate.usable:
                self.warn("locator.ignored", f"params[{candidate.param_index}].value",
                          f"{candidate.name} is {candidate.reason.split(':')[0]}: Yespo ignores it.",
                          "Fill it in or leave the param out.")
        if not resolution.accepted:
            self.error("locator.none", "keyValue" if "keyValue" in body else "params",
                       "No keyValue and no usable locator: Yespo does not accept this event.",
                       f"Send keyValue, or one of the params {', '.join(LOCATOR_PRIORITY)}.")
            return resolution
        best = resolution.best_locator
        winner = resolution.winner
        if winner is not None and winner.name == KEY_VALUE and best is not None and best.value != winner.value:
            self.warn("key_value.differs_from_locator", "keyValue",
                      f"keyValue {_preview(winner.value)!r} differs from {best.name} {_preview(best.value)!r}, "
                      "the locator Yespo would pick without it.",
                      "Check that the event is meant for that contact, or align the two.")
        for candidate in resolution.candidates[1:]:
            if candidate.param_index is None or not candidate.usable or candidate.value is None:
                continue
            path = f"params[{candidate.param_index}].value"
            self.key_text("locator", path, candidate.name, candidate.value, KEY_VALUE_MAX)
            if candidate.name == "email":
                self.email(path, candidate.value)
            elif candidate.name == "phone":
                self.phone(path, candidate.value)
        return resolution

    def email(self, path: str, value: str) -> None:
        from email_validator import EmailNotValidError, validate_email  # see load_validators

        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError as exc:
            self.error("email.invalid", path, f"{_preview(value)!r} is not a valid email address: {exc}",
                       "Use an address like name@example.com.")

    def phone(self, path: str, value: str) -> None:
        digits = re.sub(r"[\s().\-]", "", value)
        if not re.fullmatch(r"\+?\d{5,15}", digits):
            self.error("phone.invalid", path, f"{_preview(value)!r} is not a phone number.",
                       "Digits only, with the country code: 380501234567.")
            return
        import phonenumbers  # see load_validators

        try:
            number = phonenumbers.parse("+" + digits.lstrip("+"))
            valid = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            self.warn("phone.not_international", path,
                      f"{_preview(value)!r} is not a valid number in the international format.",
                      "Start with the country code: 380501234567 for Ukraine, 14155550123 for the US.")
        elif digits != value:
            self.warn("phone.formatting", path, f"{_preview(value)!r} holds spaces or punctuation.",
                      f"Send digits only: {digits.lstrip('+')}.")

    # -- event data ---------------------------------------------------------------------------

    def event_data(self, spec: EventSpec, items: list[tuple[int, str, Any]]) -> None:
        first: dict[str, tuple[int, Any]] = {}
        for index, name, value in items:
            first.setdefault(name, (index, value))
        for param in spec.params:
            if param.name not in first:
                self.absent_param(spec, param, param.sent_instead in first)
                continue
            index, value = first[param.name]
            path = f"params[{index}].value"
            if param.shape is Shape.SCALAR and param.field is not None:
                self.scalar(param.field, value, path, top_level=True)
            else:
                self.nested(param, value, path)
        lowered = {p.name.lower(): p.name for p in spec.params}
        for index, name, _ in items:
            documented = lowered.get(name.lower())
            if documented and documented != name and documented not in first:
                self.warn("param.name_case", f"params[{index}].name",
                          f"{name!r} is not {documented!r}: names are case-sensitive.", f"Rename it to {documented!r}.")

    def absent_param(self, spec: EventSpec, param: ParamSpec, stand_in_sent: bool) -> None:
        example = _example_item(param, self.encoding)
        if stand_in_sent:  # the event type's structure still lacks the param: Validate parameters would refuse it
            self.error("field.missing", "params",
                       f"{spec.key} needs the param {param.name!r} ({param.help}) This body sends "
                       f"{param.sent_instead!r} instead, as the mobile SDK does; no source says Yespo reads it as "
                       f"{param.name!r}. Accepted unless Validate parameters is on for {spec.key}.",
                       f"Also send {example}")
            return
        if param.required and param.empty_allowed:
            self.warn("field.missing_list", "params",
                      f"{spec.key} has no {param.name!r}: Yespo may read it as an empty list.",
                      f"Send the items, or an explicit empty list to clear it: {example}")
        elif param.required:
            self.error("field.missing", "params", f"{spec.key} needs the param {param.name!r} ({param.help})",
                       f"Add {example}")

    def nested(self, param: ParamSpec, value: Any, path: str) -> None:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                message = getattr(exc, "msg", str(exc))
                self.error("nested.not_json", path,
                           f"The value of {param.name!r} should hold JSON but does not parse ({message}).",
                           "Build it with a JSON encoder; quotes inside a string value must be escaped as \\\".")
                return
        if param.shape is Shape.LIST:
            if not isinstance(value, list):
                self.error("nested.not_list", path, f"{param.name!r} must be a list of products; it is "
                           f"{type_name(value)}.", f'Wrap it in [ ]: "{param.name}": [{{"productId": ...}}].')
                return
            if not value and not param.empty_allowed:
                self.error("nested.empty_list", path, f"{param.name!r} is empty; list at least one item.",
                           "Add the products that were shown.")
            for number, item in enumerate(value):
                item_path = f"{path}[{number}]"
                if isinstance(item, dict):
                    self.nested_object(param, item, item_path)
                else:
                    self.error("nested.item_not_object", item_path, f"This item is {type_name(item)}, not an "
                               "object with product fields.", 'Write it as {"productId": "...", ...}.')
            return
        if not isinstance(value, dict):
            self.error("nested.not_object", path, f"{param.name!r} must be a JSON object; it is {type_name(value)}.",
                       f"Send an object such as {dump_json(_example_object(param))}.")
            return
        self.nested_object(param, value, path)

    def nested_object(self, param: ParamSpec, obj: dict[str, Any], path: str) -> None:
        for spec in param.fields:
            if spec.name in obj:
                self.scalar(spec, obj[spec.name], f"{path}.{spec.name}", top_level=False)
            elif spec.required:  # the path names the missing key, so a form can focus that field
                self.error("field.missing", f"{path}.{spec.name}", f"{param.name} needs {spec.name!r} ({spec.help})",
                           f'Add "{spec.name}": {dump_json(spec.example)}.', NESTED_FIELD_MISSING)
        known = {spec.name.lower(): spec.name for spec in param.fields}
        for key, value in obj.items():
            if param.nested_field(key) is not None:
                continue
            documented = known.get(key.lower())
            if documented:
                self.warn("field.name_case", f"{path}.{key}", f"{key!r} is not {documented!r}: keys are "
                          "case-sensitive.", f"Rename it to {documented!r}.")
            elif not param.extra_properties:
                self.warn("field.unknown", f"{path}.{key}", f"{key!r} is not a documented field of {param.name}.",
                          f"Documented: {', '.join(s.name for s in param.fields)}.")
            elif not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                self.warn("field.extra_not_list", f"{path}.{key}", f"The extra property {key!r} should be a list "
                          f"of strings; it is {type_name(value)}.", f'Write it as "{key}": ["value"].')

    def scalar(self, spec: FieldSpec, value: Any, path: str, *, top_level: bool) -> None:
        # Top-level values are strings in the string encoding (and always in v1): "0" is a fine flag there.
        if spec.type in (FieldType.NUMBER, FieldType.FLAG):
            number: float | None = float(value) if _is_number(value) else _numeric_string(value)
            if number is None:
                self.error("field.wrong_type", path, f"{spec.name} must be a number; it is {type_name(value)} "
                           f"{_preview(value)!r}.", f"Write a number such as {dump_json(spec.example)}.")
                return
            if isinstance(value, str) and not top_level:
                self.warn("field.numeric_string", path, f"{spec.name} is the string {value!r}, not a number.",
                          f"Write it without quotes: {value.strip()}.")
            if spec.allowed is not None and number not in spec.allowed:
                allowed = " or ".join(str(v) for v in spec.allowed)
                self.error("field.out_of_range", path, f"{spec.name} is {_preview(value)}; it can only be {allowed}.",
                           spec.help)
            elif spec.type is FieldType.NUMBER and number < 0:
                self.error("field.out_of_range", path, f"{spec.name} is negative ({_preview(value)}).",
                           "Prices and quantities are zero or more.")
            return
        if not isinstance(value, str):
            if _is_number(value) and spec.numbers_ok:
                return
            if _is_number(value):
                self.warn("field.not_string", path, f"{spec.name} is a number; the documentation expects a string.",
                          f'Quote it: "{_preview(value)}".')
            else:
                self.error("field.wrong_type", path, f"{spec.name} must be a string; it is {type_name(value)}.",
                           f"Write a string such as {dump_json(spec.example)}.")
            return
        if not value.strip():
            if spec.required:
                self.error("field.empty", path, f"{spec.name} is empty.", spec.help)
            return
        if spec.type is FieldType.CURRENCY:
            self.currency(value, path)
        elif spec.pattern and not re.fullmatch(spec.pattern, value):
            self.error("field.pattern", path, f"{spec.name} {_preview(value)!r} does not match {spec.pattern_hint}.",
                       spec.help)
        elif spec.type is FieldType.URL and not re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", value):
            self.warn("field.url", path, f"{_preview(value)!r} is not a full URL or deep link.",
                      "Include the scheme: https://example.com/page or myapp://screen.")

    def currency(self, value: str, path: str) -> None:
        supported = self.profile.currencies
        listed = ", ".join(supported)
        if value in supported:
            return
        by = "the documentation lists" if self.profile.currencies == SUPPORTED_CURRENCIES else \
            f"the profile {self.profile.name!r} lists"
        if value in currency_codes():
            self.warn("currency.unsupported", path, f"{value} is an ISO 4217 code, but {by} only {listed} as "
                      f"supported; what Yespo does with prices in {value} (recommendations, reports) is not "
                      "documented.", f"Send prices in one of {listed} if the account allows it.")
        elif value.upper() in currency_codes():
            self.warn("currency.case", path, f"{value!r} is written in lower case.", f"Write {value.upper()!r}.")
        else:
            self.error("currency.unknown", path, f"{_preview(value)!r} is not an ISO 4217 currency code.",
                       f"Use a three-letter code such as {listed}, or leave it out for the default.")


def _example_object(param: ParamSpec) -> dict[str, Any]:
    obj = {spec.name: spec.example for spec in param.fields if spec.required}
    return obj


def _example_item(param: ParamSpec, nested: NestedEncoding) -> str:
    """The missing param as it should be written, in the body's own nesting (a string unless it uses objects)."""
    if param.shape is Shape.SCALAR and param.field is not None:
        value: Any = param.field.example
        if nested == "string" and not isinstance(value, str):
            value = dump_json(value)
    else:
        value = ([] if param.empty_allowed else [_example_object(param)]) if param.shape is Shape.LIST \
            else _example_object(param)
        if nested == "string":
            value = dump_json(value)
    return dump_json({"name": param.name, "value": value})
