"""A profile file: YAML, or JSON for a .json name, describing one Yespo account's event types in the catalog's
vocabulary. Read with the line of every mistake (core.documents), checked by a schema, and turned into a
`Profile` that extends the built-in one (the documented types stay, a type of the same key is replaced):

    name: Acme shop
    currencies: [USD, EUR]                      # optional: what the account supports
    locatorParams: {customerUuid: externalCustomerId}   # optional: Settings → Events mapping
    eventTypes:
      - key: AbandonedCart
        title: Abandoned cart                   # optional
        validateParameters: true                # Validate parameters on for this type (default off)
        params:
          - {name: cartId, required: true, type: string, example: "c-1"}
          - {name: items, shape: list, fields: [{name: productId, type: string, required: true}]}

docs/profiles.md explains every key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from yespo_console.core.documents import DocumentError, PathKey, Problem, line_at, load_document
from yespo_console.core.errors import validation_error_text
from yespo_console.core.events.catalog import (
    EVENT_TYPE_MAX,
    FORBIDDEN_KEY_CHARS,
    LOCATOR_PRIORITY,
    PARAM_NAME_MAX,
    EventSpec,
    FieldSpec,
    FieldType,
    ParamSpec,
    Shape,
)
from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.core.textfiles import NotUtf8Error, decode_text, read_file

MAX_PROFILE_BYTES = 2 * 1024 * 1024
FORMAT = "yespo-console profile 1"

_EXAMPLES: dict[FieldType, Any] = {
    FieldType.STRING: "text", FieldType.NUMBER: 1, FieldType.FLAG: 1, FieldType.CURRENCY: "USD",
    FieldType.URL: "https://example.com", FieldType.EMAIL: "example@email.com", FieldType.PHONE: "380501234567",
}


class ProfileError(DocumentError):
    """A profile file that cannot be used; every mistake with its line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FieldModel(_Strict):
    name: str = Field(min_length=1, max_length=PARAM_NAME_MAX)
    type: FieldType = FieldType.STRING
    required: bool = False
    example: Any = None
    description: str = ""
    allowed: list[Any] | None = None
    pattern: str | None = None

    def spec(self) -> FieldSpec:
        example = self.example if self.example is not None else (
            self.allowed[0] if self.allowed else _EXAMPLES[self.type])
        return FieldSpec(self.name, self.type, self.name, self.description, example, required=self.required,
                         allowed=tuple(self.allowed) if self.allowed else None, pattern=self.pattern,
                         pattern_hint=f"the pattern {self.pattern}" if self.pattern else "")


class ParamModel(FieldModel):
    shape: Shape = Shape.SCALAR
    fields: list[FieldModel] = Field(default_factory=list)
    extra_properties: bool = Field(False, alias="extraProperties")

    def param(self) -> ParamSpec:
        nested = tuple(item.spec() for item in self.fields)
        return ParamSpec(self.name, self.shape, self.name, self.description or f"The {self.name} param.",
                         required=self.required, field=self.spec() if self.shape is Shape.SCALAR else None,
                         fields=nested,
                         extra_properties=self.extra_properties or (self.shape is not Shape.SCALAR and not nested))


class EventTypeModel(_Strict):
    key: str = Field(min_length=1, max_length=EVENT_TYPE_MAX)
    title: str = ""
    description: str = ""
    validate_parameters: bool = Field(False, alias="validateParameters")
    params: list[ParamModel] = Field(default_factory=list)

    @field_validator("key")
    @classmethod
    def _key_chars(cls, value: str) -> str:
        bad = sorted({char for char in value if char in FORBIDDEN_KEY_CHARS})
        if bad:
            raise ValueError(f"an event type key cannot hold {' '.join(bad)}: Yespo refuses them")
        return value

    @field_validator("params")
    @classmethod
    def _unique(cls, value: list[ParamModel]) -> list[ParamModel]:
        names = [param.name for param in value]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"params named twice: {', '.join(twice)}")
        return value

    def spec(self) -> EventSpec:
        locators = tuple(p.name for p in self.params if p.name in LOCATOR_PRIORITY)
        return EventSpec(self.key, self.title or self.key, self.description or "An event type of this account.",
                         params=tuple(param.param() for param in self.params),
                         example_locators=locators or ("email",))


class ProfileModel(_Strict):
    format: str = FORMAT
    name: str = Field(min_length=1, max_length=200)
    currencies: list[str] | None = None
    locator_params: dict[str, Literal["contactId", "externalCustomerId", "email", "phone", "pushToken"]] = Field(
        default_factory=dict, alias="locatorParams")
    event_types: list[EventTypeModel] = Field(default_factory=list, alias="eventTypes")

    @field_validator("currencies")
    @classmethod
    def _codes(cls, value: list[str] | None) -> list[str] | None:
        for code in value or ():
            if len(code) != 3 or not code.isalpha() or not code.isupper():
                raise ValueError(f"{code!r} is not an ISO 4217 code such as USD")
        return value

    def profile(self, source: str) -> Profile:
        specs = [model.spec() for model in self.event_types]
        validated = {model.key for model in self.event_types if model.validate_parameters}
        return Profile(self.name, BUILTIN.with_events(specs), frozenset(validated),
                       tuple(self.currencies) if self.currencies else BUILTIN.currencies,
                       {name.lower(): locator for name, locator in self.locator_params.items()}, source)


def _problems(exc: ValidationError, marks: dict[PathKey, int]) -> list[Problem]:
    problems = []
    for error in exc.errors():
        path: PathKey = tuple(error["loc"])
        message = validation_error_text(error)
        if error["type"] == "missing":
            message, path = f"{path[-1]!r} is required", path[:-1]
        elif error["type"] == "extra_forbidden":
            message = "unknown key (see docs/profiles.md)"
        problems.append(Problem(line_at(marks, path), ".".join(str(p) for p in path) or "(top level)", message))
    return problems


def parse_profile(text: str, source: str, *, is_json: bool = False) -> Profile:
    """A profile from its text; ProfileError listing every problem with its line."""
    try:
        data, marks = load_document(text, source, is_json=is_json)
    except DocumentError as exc:
        raise ProfileError(source, exc.problems) from None
    if not isinstance(data, dict):
        raise ProfileError(source, [Problem(1, "(file)", "a profile is a mapping with name and eventTypes")])
    try:
        model = ProfileModel.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(source, _problems(exc, marks)) from None
    if model.format != FORMAT:
        raise ProfileError(source, [Problem(line_at(marks, ("format",)), "format",
                                            f"this version reads {FORMAT!r}, not {model.format!r}")])
    return model.profile(source)


def load_profile(path: str | Path) -> Profile:
    """A profile file (YAML, or JSON for a .json name). ProfileError / InputError naming the file and line."""
    source = str(path)
    data = read_file(Path(path), what="profile", limit=MAX_PROFILE_BYTES)
    try:
        text = decode_text(data, source)
    except NotUtf8Error as exc:
        raise ProfileError(source, [Problem(exc.line, "(file)", "not UTF-8 text")]) from None
    return parse_profile(text, source, is_json=source.lower().endswith(".json"))


# -- writing ----------------------------------------------------------------------------------------


def _field_document(spec: FieldSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"name": spec.name, "type": str(spec.type)}
    if spec.required:
        out["required"] = True
    out["example"] = spec.example
    if spec.help:
        out["description"] = spec.help
    if spec.allowed is not None:
        out["allowed"] = list(spec.allowed)
    return out


def event_type_document(spec: EventSpec, *, validate: bool = False) -> dict[str, Any]:
    """One `eventTypes` entry for an event type, as a profile file writes it."""
    params: list[dict[str, Any]] = []
    for param in spec.params:
        if param.shape is Shape.SCALAR and param.field is not None:
            entry = _field_document(param.field)
            entry["required"] = param.required
        else:
            entry = {"name": param.name, "shape": str(param.shape), "required": param.required,
                     "description": param.help, "extraProperties": param.extra_properties,
                     "fields": [_field_document(field) for field in param.fields]}
        params.append(entry)
    return {"key": spec.key, "title": spec.title, "description": spec.description,
            "validateParameters": validate, "params": params}


def profile_text(name: str, specs: list[EventSpec], *, as_json: bool = False, note: str = "") -> str:
    """A profile file holding these event types, ready to edit."""
    document = {"format": FORMAT, "name": name, "eventTypes": [event_type_document(spec) for spec in specs]}
    if as_json:
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    head = "".join(f"# {line}\n" for line in note.splitlines()) if note else ""
    return head + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
