"""The shape of a scenario file, as pydantic models: its steps (an inline event, a body file, a wait,
an expectation, a repeat of nested steps), waits as durations and expectations with their check. A
document the models refuse becomes `Problem`s with lines (`validation_problems`), each unknown key
with the nearest known one and the keys allowed there.

    name: Abandoned cart
    description: What it checks and where to look in Yespo.
    environment: sandbox            # optional; --env / --url / the GUI choice win
    data: contacts.csv              # optional; one contact per row, columns become variables
    variables:                      # defaults; --var and CSV columns override them
      email: test@example.com
      cart_id: "{{uuid}}"           # rendered once per contact: the same cart in every step
    steps:
      - event: productViewed        # an inline draft: event, keyValue, locators, values, params
        locators: {email: "{{email}}"}
        values:
          product: {productId: SKU-1, price: 45.5, isInStock: 1}
      - expect: 200                 # the previous event's status (or {status, outcome, contains})
      - wait: 2s                    # 500ms, 2s, 1.5m or a number of seconds
      - repeat: 3                   # nested steps, N times; {{iteration}} is the pass
        steps: [...]
      - body: bodies/cart.json      # an event from a body file, relative to the scenario
      - track: StatusCart           # a web tracking event (POST .../tracker/api/v2): GeneralInfo fields under
        info: {siteId: 8A412DC, cookies: {sc: "{{sc}}"}, datetime: "{{timestamp}}"}   # `info`, the event
        data: {GUID: "{{uuid}}", Products: []}                                         # object under `data`
      - contact: {email: "{{email}}", firstName: QA}      # the test contact, and orders and what followed in
      - order: {externalOrderId: "{{uuid}}", ...}         # the account: see core.scenarios.account_steps
      - expect: {message: {channel: email, within: 40m}}

An event step with no `expect` on its answer after it (before the next event) is expected to be accepted (2xx);
so is every contact and order step.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from yespo_console.core.documents import PathKey, Problem, line_at, path_text
from yespo_console.core.errors import validation_error_text
from yespo_console.core.events.catalog import LOCATOR_PRIORITY
from yespo_console.core.events.payload import NestedEncoding
from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.core.events.tracker_catalog import TRACKER_SPECS
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.scenarios.account_steps import (
    ActivityCheck,
    ContactFields,
    ContactStep,
    FollowCheck,
    MessageCheck,
    NoMessageCheck,
    OrderFields,
    OrderItem,
    OrderStep,
    describe_check,
)
from yespo_console.core.scenarios.spans import wait_seconds
from yespo_console.core.scenarios.templating import OPEN, RESERVED_NAMES, is_variable_name

MAX_STEPS = 100_000  # per contact, after repeats are expanded

_STATUS_CLASS_RE = re.compile(r"^[1-5]xx$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class ParamItem(_Model):
    name: str
    value: Any


def _no_template(value: str, what: str) -> str:
    if OPEN in value:
        raise ValueError(f"{what} cannot be a template: write it out")
    return value


class EventStep(_Model):
    event: str = Field(min_length=1, description="the eventTypeKey")
    name: str | None = None
    key_value: str | None = Field(default=None, alias="keyValue")
    locators: dict[str, Any] = Field(default_factory=dict)
    values: dict[str, Any] = Field(default_factory=dict)
    params: list[ParamItem] = Field(default_factory=list)
    nested: NestedEncoding | None = None

    @field_validator("event")
    @classmethod
    def _event(cls, value: str) -> str:
        return _no_template(value, "the event type")

    @field_validator("locators")
    @classmethod
    def _locators(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = [name for name in value if name not in LOCATOR_PRIORITY]
        if unknown:
            raise ValueError(f"unknown locator {unknown[0]!r}: locators are {', '.join(LOCATOR_PRIORITY)} "
                             "(other params go under `params`)")
        return value

    @field_validator("values")
    @classmethod
    def _values_match_catalog(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        event = info.data.get("event")
        if not value or not isinstance(event, str):
            return value
        context = info.context if isinstance(info.context, dict) else {}
        profile: Profile = context.get("profile", BUILTIN)
        spec = profile.by_key.get(event)
        if spec is None:
            raise ValueError(f"{event!r} is not an event type of the profile {profile.name!r}, so it has no "
                             "catalog `values`: put its params under `params` as name/value pairs")
        known = [param.name for param in spec.params]
        for name in value:
            if name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"{event} has no param {name!r}{hint}; its params are {', '.join(known)} "
                                 "(other params go under `params`)")
        return value

    @property
    def title(self) -> str:
        return self.name or self.event


class BodyStep(_Model):
    body: str = Field(min_length=1, description="a JSON body file, relative to the scenario")
    name: str | None = None

    @property
    def title(self) -> str:
        return self.name or f"body {self.body}"


class TrackStep(_Model):
    """A web tracking event: `{"GeneralInfo": {"eventName": <track>, **info}, <event object>: data}`."""

    track: str = Field(min_length=1, description="the tracker's eventName")
    name: str | None = None
    info: dict[str, Any] = Field(default_factory=dict, description="GeneralInfo, besides eventName")
    data: Any = None  # the event object; none for CustomerData

    @field_validator("track")
    @classmethod
    def _track(cls, value: str) -> str:
        value = _no_template(value, "the tracker event")
        if value not in TRACKER_SPECS:
            close = difflib.get_close_matches(value, list(TRACKER_SPECS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{value!r} is not a web tracking event{hint}; they are {', '.join(TRACKER_SPECS)}")
        return value

    @field_validator("info")
    @classmethod
    def _info(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "eventName" in value:
            raise ValueError("the step's `track` is the eventName: leave it out of `info`")
        return value

    @property
    def title(self) -> str:
        return self.name or f"track {self.track}"


class WaitStep(_Model):
    wait: float

    @field_validator("wait", mode="before")
    @classmethod
    def _wait(cls, value: Any) -> float:
        return wait_seconds(value)


class Expectation(_Model):
    status: tuple[Any, ...] | None = None  # 200 or "2xx"
    outcome: tuple[Outcome, ...] | None = None
    contains: str | None = None  # text the response body must contain
    # What followed in the account, polled for the scenario's contact (core.scenarios.follow), alone in its step:
    message: MessageCheck | None = None
    activity: ActivityCheck | None = None
    no_message: NoMessageCheck | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError("expect a status (200, 2xx), an outcome (accepted) or {status, outcome, contains}")
        if isinstance(value, int) or (isinstance(value, str) and (value.isdigit() or _STATUS_CLASS_RE.match(value))):
            return {"status": value}
        if isinstance(value, str):
            return {"outcome": value}
        if isinstance(value, list):
            return {"status": value}
        return value

    @field_validator("status", "outcome", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return value if isinstance(value, list | tuple) or value is None else [value]

    @field_validator("status")
    @classmethod
    def _status(cls, value: tuple[Any, ...] | None) -> tuple[int | str, ...] | None:
        if value is None:
            return None
        checked: list[int | str] = []
        for item in value:
            if isinstance(item, str) and item.isdigit():
                item = int(item)
            code = isinstance(item, int) and not isinstance(item, bool) and 100 <= item <= 599
            if code or (isinstance(item, str) and _STATUS_CLASS_RE.match(item)):
                checked.append(item)
            else:
                raise ValueError(f"{item!r} is not a status: use 100-599 or a class like 2xx")
        if not checked:
            raise ValueError("list at least one status")
        return tuple(checked)

    @model_validator(mode="after")
    def _something(self) -> Expectation:
        checks = [check for check in (self.message, self.activity, self.no_message) if check is not None]
        answer = self.status is not None or self.outcome is not None or self.contains is not None
        if len(checks) > 1 or (checks and answer):
            raise ValueError("an expect step checks the answer (status, outcome, contains) or one of message, "
                             "activity, no_message: make each a step of its own")
        if not checks and not answer:
            raise ValueError("an expectation needs a status, an outcome, a text the answer contains, or one of "
                             "message, activity, no_message")
        return self

    @property
    def follow(self) -> FollowCheck | None:
        """What the expectation polls the account for; None when it checks the event's answer."""
        return self.message or self.activity or self.no_message

    def describe(self) -> str:
        if self.follow is not None:
            return describe_check(self.follow)
        parts = []
        if self.status is not None:
            parts.append("status " + " or ".join(str(s) for s in self.status))
        if self.outcome is not None:
            parts.append("outcome " + " or ".join(o.value for o in self.outcome))
        if self.contains is not None:
            parts.append(f"answer contains {self.contains!r}")
        return ", ".join(parts)

    def check(self, status: int | None, outcome: Outcome, body: bytes) -> tuple[bool, str]:
        """(held, what happened in words)."""
        got = f"got {status} ({outcome.label})" if status is not None else f"got no HTTP answer ({outcome.label})"
        if self.status is not None and not any(_status_matches(want, status) for want in self.status):
            return False, f"expected {self.describe()}; {got}"
        if self.outcome is not None and outcome not in self.outcome:
            return False, f"expected {self.describe()}; {got}"
        if self.contains is not None and self.contains not in body.decode("utf-8", "replace"):
            return False, f"expected the answer to contain {self.contains!r}; {got}"
        return True, f"{self.describe()}: {got}"


def _status_matches(want: int | str, status: int | None) -> bool:
    if status is None:
        return False
    if isinstance(want, int):
        return status == want
    return str(status)[0] == want[0]


ACCEPTED = Expectation(outcome=(Outcome.ACCEPTED,))


class ExpectStep(_Model):
    expect: Expectation


class RepeatStep(_Model):
    repeat: int = Field(ge=1, le=MAX_STEPS)
    steps: list[Step] = Field(min_length=1)
    name: str | None = None


_STEP_KEYS: dict[str, type[BaseModel]] = {
    "event": EventStep, "body": BodyStep, "track": TrackStep, "contact": ContactStep, "order": OrderStep,
    "wait": WaitStep, "repeat": RepeatStep, "expect": ExpectStep,
}
_KINDS = tuple(_STEP_KEYS)
_CHECKS: dict[str, type[BaseModel]] = {"message": MessageCheck, "activity": ActivityCheck,
                                       "no_message": NoMessageCheck}


def _step_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return next((kind for kind, model in _STEP_KEYS.items() if type(value) is model), None)
    if isinstance(value, dict):
        for kind in _KINDS:  # with several, the first wins and extra=forbid names the others
            if kind in value:
                return kind
    return None


Step = Annotated[
    Annotated[EventStep, Tag("event")]
    | Annotated[BodyStep, Tag("body")]
    | Annotated[TrackStep, Tag("track")]
    | Annotated[ContactStep, Tag("contact")]
    | Annotated[OrderStep, Tag("order")]
    | Annotated[WaitStep, Tag("wait")]
    | Annotated[RepeatStep, Tag("repeat")]
    | Annotated[ExpectStep, Tag("expect")],
    Discriminator(
        _step_kind,
        custom_error_type="step_kind",
        custom_error_message="a step is one of: event, body, track, contact, order, wait, repeat, expect (a key naming "
                             "its kind)",
    ),
]
RepeatStep.model_rebuild()


class Scenario(_Model):
    name: str = Field(min_length=1)
    description: str = ""
    environment: str | None = None
    data: str | None = None
    variables: dict[str, Any] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)

    @field_validator("variables")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, item in value.items():
            if item is None or not isinstance(item, str | int | float | bool):
                raise ValueError(f"{name}: a variable is a text, a number or true/false, not "
                                 f"{'nothing' if item is None else type(item).__name__}")
            if not is_variable_name(name):
                raise ValueError(f"{name!r} is not a variable name (letters, digits and _, not starting with a digit)")
            if name in RESERVED_NAMES:
                raise ValueError(f"{name!r} is a built-in name; call the variable something else")
        return value


# -- validation errors to lines --------------------------------------------------------------------


def _is_tag(loc: tuple[Any, ...], index: int) -> bool:
    """Whether loc[index] is the union tag pydantic puts after a step's list index (not a key)."""
    return isinstance(loc[index], str) and loc[index] in _KINDS and index > 0 and isinstance(loc[index - 1], int)


def validation_problems(exc: ValidationError, marks: Mapping[PathKey, int]) -> list[Problem]:
    """The schema's complaints about a document, each with the line of the node it concerns."""
    problems = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        path: PathKey = tuple(part for index, part in enumerate(loc) if not _is_tag(loc, index))
        message = validation_error_text(error)
        kind = error["type"]
        if kind == "missing":
            name = path[-1] if path else "?"
            message = f"{name!r} is required"
            path = path[:-1]
        elif kind == "extra_forbidden":
            message = "unknown key" + _known_keys(loc)
        problems.append(Problem(line_at(marks, path), path_text(path), message))
    return problems


def _known_keys(loc: tuple[Any, ...]) -> str:
    """A hint for an unknown key: the nearest known one, and the keys that are allowed there."""
    key = loc[-1] if loc else None
    if not isinstance(key, str):
        return ""
    model: type[BaseModel] = Scenario
    for index in range(len(loc) - 1):
        part = loc[index]
        if _is_tag(loc, index):
            model = _STEP_KEYS[part]
        elif model is ExpectStep and part == "expect":
            model = Expectation
        elif model is Expectation and part in _CHECKS:
            model = _CHECKS[part]
        elif model is ContactStep and part == "contact":
            model = ContactFields
        elif model is OrderStep and part == "order":
            model = OrderFields
        elif model is OrderFields and part == "items":
            model = OrderItem
        elif model is EventStep and part == "params":
            model = ParamItem
    if key in _KINDS and model in _STEP_KEYS.values():
        return f": a step has one kind; make {key!r} a step of its own"
    names = [info.alias or name for name, info in model.model_fields.items()]
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{hint}; expected one of: {', '.join(names)}"


