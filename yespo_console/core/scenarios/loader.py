"""Scenario files: realistic sequences of events for test contacts, kept in git as YAML or JSON.

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

An event step with no `expect` after it (before the next event) is expected to be accepted (2xx).

Loading keeps the line of every node, so each problem is reported as `file:line: path: message`,
schema mistakes (pydantic) and template mistakes alike. Templates: see `core.templating`.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
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

from yespo_console.core.durations import parse_duration
from yespo_console.core.errors import InputError, validation_error_text
from yespo_console.core.events.catalog import EVENTS_BY_KEY, LOCATOR_PRIORITY
from yespo_console.core.events.payload import Draft, ExtraParam, NestedEncoding, build_body, dump_json
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.paths import resources_dir
from yespo_console.core.scenarios.templating import (
    OPEN,
    RESERVED_NAMES,
    RUNTIME_VARIABLES,
    RenderContext,
    TemplateError,
    is_variable_name,
    parse_template,
    render_text,
    render_value,
    strings_in,
    text_of,
    unknown_variable_error,
)
from yespo_console.core.textfiles import NotUtf8Error, decode_text, read_file, read_text

SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")
MAX_STEPS = 100_000  # per contact, after repeats are expanded
MAX_WAIT_S = 3600.0
MAX_FILE_BYTES = 5 * 1024 * 1024
_MAX_NODES = 1_000_000  # YAML aliases can expand a small file enormously ("billion laughs")

PathKey = tuple[str | int, ...]


# -- problems --------------------------------------------------------------------------------------


def path_text(path: Iterable[str | int]) -> str:
    """`steps[2].values.product` from ("steps", 2, "values", "product")."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(top level)"


@dataclass(frozen=True, slots=True)
class Problem:
    line: int | None
    path: str
    message: str

    def text(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line is not None else source
        return f"{where}: {self.path}: {self.message}"


class ScenarioError(InputError):
    """A scenario that cannot be used; `problems` has one entry per mistake, with its line."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: (p.line is None, p.line or 0))
        super().__init__("\n".join(problem.text(source) for problem in self.problems))


# -- YAML with line marks --------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader without implicit dates: `2025-06-01` stays text, as it would in JSON."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Builder:
    """Plain Python data from a YAML node tree, noting the line of every key and item."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.marks: dict[PathKey, int] = {}
        self.problems: list[Problem] = []
        self.nodes = 0

    def build(self, node: yaml.Node, path: PathKey, stack: tuple[int, ...] = ()) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise _TooBig
        if id(node) in stack:
            self.problems.append(Problem(node.start_mark.line + 1, path_text(path), "an alias refers to itself"))
            return None
        stack = (*stack, id(node))
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # resolves `<<: *defaults` merges
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problems.append(Problem(line, path_text(path), "a key must be plain text"))
                    continue
                key = key_node.value  # keys are text, as in JSON: `200:` or `yes:` stay as written
                if key in result:
                    self.problems.append(Problem(line, path_text((*path, key)),
                                                 f"{key!r} appears twice (line {self.marks[(*path, key)]} and here)"))
                    continue
                self.marks[(*path, key)] = line
                result[key] = self.build(value_node, (*path, key), stack)
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.marks[(*path, index)] = item.start_mark.line + 1
                items.append(self.build(item, (*path, index), stack))
            return items
        return self.loader.construct_object(node, deep=True)


class _TooBig(Exception):
    pass


def _yaml_error(source: str, exc: yaml.YAMLError) -> ScenarioError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"not valid YAML: {problem}" + (f" ({context})" if context else "")
    if mark is not None:
        message += f" at column {mark.column + 1}"
    return ScenarioError(source, [Problem(line, "(file)", message)])


def load_yaml(text: str, source: str) -> tuple[Any, dict[PathKey, int]]:
    """The document and the line of each key and item; ScenarioError when it is not YAML."""
    try:
        loader = _Loader(text)  # the reader refuses control characters here already
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "\0")
        raise ScenarioError(source, [Problem(line, "(file)", f"not valid YAML: the control character U+{code:04X} is "
                                             "not allowed in a YAML file")]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError(source, [Problem(1, "(file)", "the file is empty")])
        builder = _Builder(loader)
        data = builder.build(node, ())
    except yaml.YAMLError as exc:
        raise _yaml_error(source, exc) from None
    except _TooBig:
        raise ScenarioError(source, [Problem(None, "(file)", "its aliases expand to too much data")]) from None
    except RecursionError:
        raise ScenarioError(source, [Problem(None, "(file)", "it is nested too deeply")]) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise ScenarioError(source, builder.problems)
    return data, builder.marks


def _load_document(text: str, source: str, *, is_json: bool) -> tuple[Any, dict[PathKey, int]]:
    if not is_json:
        return load_yaml(text, source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(source, [Problem(exc.lineno, "(file)", f"not valid JSON: {exc.msg} at column "
                                             f"{exc.colno}")]) from None
    except RecursionError:
        raise ScenarioError(source, [Problem(None, "(file)", "it is nested too deeply")]) from None
    try:
        marked, marks = load_yaml(text, source)  # JSON is (almost always) YAML: that gives the lines
    except ScenarioError:
        return data, {}
    return (marked, marks) if marked == data else (data, {})


# -- the model -------------------------------------------------------------------------------------

_STATUS_CLASS_RE = re.compile(r"^[1-5]xx$")


def wait_seconds(value: Any) -> float:
    """Seconds from 2, 2.5, "500ms", "2s", "1.5m" or "1h"."""
    if isinstance(value, bool):
        raise ValueError("a wait is a number of seconds or a text like 500ms, 2s, 1.5m")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        try:
            seconds = parse_duration(value, bare_unit="s").total_seconds() if isinstance(value, str) else -1.0
        except ValueError:
            seconds = -1.0
        if seconds < 0:
            raise ValueError(f"{value!r} is not a duration: use a number of seconds or 500ms, 2s, 1.5m, 1h")
    if not 0 <= seconds <= MAX_WAIT_S:
        raise ValueError(f"a wait must be between 0 and {MAX_WAIT_S:g} seconds")
    return seconds


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
        spec = EVENTS_BY_KEY.get(event)
        if spec is None:
            raise ValueError(f"{event!r} is not a documented event, so it has no catalog `values`: put its "
                             "params under `params` as name/value pairs")
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
        if self.status is None and self.outcome is None and self.contains is None:
            raise ValueError("an expectation needs a status, an outcome or a text the answer contains")
        return self

    def describe(self) -> str:
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


_KINDS = ("event", "body", "wait", "repeat", "expect")


def _step_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return {EventStep: "event", BodyStep: "body", WaitStep: "wait", RepeatStep: "repeat",
                ExpectStep: "expect"}.get(type(value))
    if isinstance(value, dict):
        for kind in _KINDS:  # with several, the first wins and extra=forbid names the others
            if kind in value:
                return kind
    return None


Step = Annotated[
    Annotated[EventStep, Tag("event")]
    | Annotated[BodyStep, Tag("body")]
    | Annotated[WaitStep, Tag("wait")]
    | Annotated[RepeatStep, Tag("repeat")]
    | Annotated[ExpectStep, Tag("expect")],
    Discriminator(
        _step_kind,
        custom_error_type="step_kind",
        custom_error_message="a step is one of: event, body, wait, repeat, expect (a key naming its kind)",
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


def _line(marks: Mapping[PathKey, int], path: PathKey) -> int | None:
    for end in range(len(path), 0, -1):
        line = marks.get(path[:end])
        if line is not None:
            return line
    return None


def _is_tag(loc: tuple[Any, ...], index: int) -> bool:
    """Whether loc[index] is the union tag pydantic puts after a step's list index (not a key)."""
    return isinstance(loc[index], str) and loc[index] in _KINDS and index > 0 and isinstance(loc[index - 1], int)


def _pydantic_problems(exc: ValidationError, marks: Mapping[PathKey, int]) -> list[Problem]:
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
        problems.append(Problem(_line(marks, path), path_text(path), message))
    return problems


_STEP_KEYS: dict[str, type[BaseModel]] = {
    "event": EventStep, "body": BodyStep, "wait": WaitStep, "repeat": RepeatStep, "expect": ExpectStep,
}


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
        elif model is EventStep and part == "params":
            model = ParamItem
    if key in _KINDS and model in _STEP_KEYS.values():
        return f": a step has one kind; make {key!r} a step of its own"
    names = [info.alias or name for name, info in model.model_fields.items()]
    close = difflib.get_close_matches(key, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{hint}; expected one of: {', '.join(names)}"


# -- the flattened plan ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FlatStep:
    """One step of the plan every contact follows, repeats expanded."""

    number: int  # 1-based position in the plan
    kind: Literal["event", "wait", "expect"]
    title: str
    line: int | None
    path: PathKey
    iteration: int = 1  # the pass of the innermost repeat
    event: EventStep | None = None
    body_file: str | None = None  # for body steps: the key into LoadedScenario.bodies
    wait_s: float = 0.0
    expectation: Expectation | None = None
    implicit_accept: bool = False  # an event with no expect after it: it must be accepted

    @property
    def label(self) -> str:
        return f"{self.number}. {self.title}"


def _count(steps: Iterable[Any]) -> int:
    total = 0
    for step in steps:
        total += step.repeat * _count(step.steps) if isinstance(step, RepeatStep) else 1
        if total > MAX_STEPS:
            return total
    return total


def _flatten(steps: list[Any], path: PathKey, marks: Mapping[PathKey, int], out: list[FlatStep],
             iteration: int = 1) -> None:
    for index, step in enumerate(steps):
        here = (*path, index)
        line = _line(marks, here)
        number = len(out) + 1
        if isinstance(step, EventStep):
            out.append(FlatStep(number, "event", step.title, line, here, iteration, event=step))
        elif isinstance(step, BodyStep):
            out.append(FlatStep(number, "event", step.title, line, here, iteration, body_file=step.body))
        elif isinstance(step, WaitStep):
            out.append(FlatStep(number, "wait", f"wait {step.wait:g} s", line, here, iteration, wait_s=step.wait))
        elif isinstance(step, ExpectStep):
            out.append(FlatStep(number, "expect", f"expect {step.expect.describe()}", line, here, iteration,
                                expectation=step.expect))
        elif isinstance(step, RepeatStep):
            for turn in range(1, step.repeat + 1):
                _flatten(step.steps, (*here, "steps"), marks, out, turn)


def _mark_implicit(steps: list[FlatStep]) -> tuple[list[FlatStep], list[FlatStep]]:
    """(the plan with implicit expectations marked, the expect steps that follow no event)."""
    result: list[FlatStep] = []
    orphans: list[FlatStep] = []
    last_event: int | None = None
    explicit = False
    for step in steps:
        if step.kind == "event":
            if last_event is not None and not explicit:
                result[last_event] = _with_implicit(result[last_event])
            last_event, explicit = len(result), False
        elif step.kind == "expect":
            if last_event is None:
                orphans.append(step)
            explicit = True
        result.append(step)
    if last_event is not None and not explicit:
        result[last_event] = _with_implicit(result[last_event])
    return result, orphans


def _with_implicit(step: FlatStep) -> FlatStep:
    return FlatStep(step.number, step.kind, step.title, step.line, step.path, step.iteration, step.event,
                    step.body_file, step.wait_s, step.expectation, implicit_accept=True)


# -- a loaded scenario -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Use:
    """Where a template first reads a variable."""

    line: int | None
    path: str


@dataclass
class LoadedScenario:
    scenario: Scenario
    source: str  # how problems name the file
    base_dir: Path
    marks: dict[PathKey, int]
    steps: tuple[FlatStep, ...]
    bodies: dict[str, bytes] = field(default_factory=dict)  # body files by the name the scenario gives
    needs: dict[str, Use] = field(default_factory=dict)  # variables it reads but does not define: first use

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def description(self) -> str:
        return self.scenario.description

    @property
    def event_steps(self) -> int:
        return sum(1 for step in self.steps if step.kind == "event")

    @property
    def data_path(self) -> Path | None:
        return None if self.scenario.data is None else self.base_dir / self.scenario.data

    def line_of(self, path: PathKey) -> int | None:
        return _line(self.marks, path)

    def check_variables(self, available: Iterable[str]) -> None:
        """ScenarioError naming each variable the scenario reads that nobody gives a value."""
        known = set(available) | set(self.scenario.variables) | RUNTIME_VARIABLES
        missing = {name: use for name, use in self.needs.items() if name not in known}
        if missing:
            raise ScenarioError(self.source, [
                Problem(use.line, use.path, str(unknown_variable_error(name, known))) for name, use in missing.items()
            ])

    def contact_variables(self, given: Mapping[str, Any], ctx: RenderContext) -> dict[str, Any]:
        """The variables of one contact: `given` (runtime values, --var, the CSV row) and, for each
        scenario variable not given, its value rendered in order (a later one may use an earlier one)."""
        values = dict(given)
        for name, raw in self.scenario.variables.items():
            if name in given:
                continue
            try:
                values[name] = render_value(raw, RenderContext(values, ctx.rng, ctx.clock))
            except TemplateError as exc:
                raise ScenarioError(self.source, [Problem(self.line_of(("variables", name)),
                                                          f"variables.{name}", str(exc))]) from None
        return values

    def render_event(self, step: FlatStep, ctx: RenderContext, nested: NestedEncoding = "string") -> bytes:
        """The exact bytes of an event step for one contact. InputError (with the line) when a template
        cannot be rendered."""
        ctx = ctx.child(iteration=step.iteration)
        where = f"{self.source}:{step.line}" if step.line is not None else self.source
        try:
            if step.body_file is not None:
                return self._render_body_file(step.body_file, ctx)
            event = step.event
            assert event is not None
            key_value = None if event.key_value is None else text_of(render_text(event.key_value, ctx))
            draft = Draft(
                event_type=event.event,
                key_value=key_value,
                locators=render_value(event.locators, ctx),
                values=render_value(event.values, ctx),
                extra_params=[ExtraParam(name=text_of(render_text(p.name, ctx)), value=render_value(p.value, ctx))
                              for p in event.params],
            )
            return build_body(draft, nested=event.nested or nested)
        except TemplateError as exc:
            raise InputError(f"{where}: step {step.label}: {exc}") from None
        except ValueError as exc:  # NaN or infinity in a value: not JSON
            raise InputError(f"{where}: step {step.label}: {exc}") from None

    def _render_body_file(self, name: str, ctx: RenderContext) -> bytes:
        data = self.bodies[name]
        if OPEN.encode() not in data:
            return data  # the exact bytes of the file
        rendered = render_value(json.loads(data), ctx)
        return dump_json(rendered).encode("utf-8")


def _template_problems(value: Any, path: PathKey, marks: Mapping[PathKey, int], needs: dict[str, Use],
                       defined: set[str], prefix: str = "", line: int | None = None,
                       use_path: str | None = None) -> list[Problem]:
    """Template syntax mistakes in every string of `value`; the variables it reads that `defined`
    lacks go into `needs`. `line` stands for every string's line (a body file's strings)."""
    problems = []
    for where, text in strings_in(value, path):
        if OPEN not in text:
            continue
        at = line if line is not None else _line(marks, where)
        try:
            template = parse_template(text)
        except TemplateError as exc:
            problems.append(Problem(at, path_text(where), prefix + str(exc)))
            continue
        for name in template.variables:
            if name not in defined and name not in RUNTIME_VARIABLES:
                needs.setdefault(name, Use(at, use_path or path_text(where)))
    return problems


def parse_scenario(text: str, *, source: str = "<scenario>", base_dir: Path | None = None,
                   is_json: bool = False) -> LoadedScenario:
    """A scenario from its text; ScenarioError listing every problem with its line."""
    base = base_dir or Path.cwd()
    data, marks = _load_document(text, source, is_json=is_json)
    if not isinstance(data, dict):
        raise ScenarioError(source, [Problem(1, "(file)", "a scenario is a mapping with name, steps and optional "
                                             "description, environment, data, variables")])
    # Template mistakes are found on the raw document, so they are reported with the schema's.
    problems: list[Problem] = []
    needs: dict[str, Use] = {}
    defined: set[str] = set()
    raw_variables = data.get("variables")
    if isinstance(raw_variables, dict):
        names = [name for name in raw_variables if isinstance(name, str)]
        for position, name in enumerate(names):
            later = set(names[position + 1 :])
            before = len(needs)
            problems += _template_problems(raw_variables[name], ("variables", name), marks, needs, defined)
            for needed in list(needs)[before:]:
                if needed in later or needed == name:
                    what = "refers to itself" if needed == name else (
                        f"uses {{{{{needed}}}}}, which is defined after it: move {needed} above")
                    problems.append(Problem(_line(marks, ("variables", name)), f"variables.{name}", what))
                    del needs[needed]
            defined.add(name)
    problems += _template_problems(data.get("steps"), ("steps",), marks, needs, defined)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(source, problems + _pydantic_problems(exc, marks)) from None

    bodies: dict[str, bytes] = {}
    total = _count(scenario.steps)
    if total > MAX_STEPS:
        problems.append(Problem(_line(marks, ("steps",)), "steps",
                                f"the repeats expand to more than {MAX_STEPS:,} steps per contact"))
        raise ScenarioError(source, problems)
    flat: list[FlatStep] = []
    _flatten(list(scenario.steps), ("steps",), marks, flat)
    steps, orphans = _mark_implicit(flat)
    seen_orphans: set[PathKey] = set()
    for orphan in orphans:
        if orphan.path not in seen_orphans:
            seen_orphans.add(orphan.path)
            problems.append(Problem(orphan.line, path_text(orphan.path),
                                    "an expect step checks the event before it, and there is none"))
    if not any(step.kind == "event" for step in steps):
        problems.append(Problem(_line(marks, ("steps",)), "steps", "the scenario sends no event"))
    for step in steps:
        if step.body_file is not None and step.body_file not in bodies:
            body, body_problems = _read_body(step, base, marks, needs, defined)
            problems += body_problems
            if body is not None:
                bodies[step.body_file] = body
    if problems:
        raise ScenarioError(source, problems)
    return LoadedScenario(scenario, source, base, marks, tuple(steps), bodies, needs)


def _read_body(step: FlatStep, base: Path, marks: Mapping[PathKey, int], needs: dict[str, Use],
               defined: set[str]) -> tuple[bytes | None, list[Problem]]:
    assert step.body_file is not None
    where = (*step.path, "body")
    line = _line(marks, where)
    path = base / step.body_file
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = "no such file" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))
        return None, [Problem(line, path_text(where), f"{step.body_file}: {reason} (paths are relative to the "
                                                      "scenario file)")]
    if OPEN.encode() not in data:
        return data, []  # sent exactly as it is, even if broken: the inspector and the server judge it
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return None, [Problem(line, path_text(where), f"{step.body_file}: a body file with templates must be JSON "
                                                      f"({exc})")]
    problems = _template_problems(document, (), {}, needs, defined, prefix=f"{step.body_file}: ", line=line,
                                  use_path=f"{path_text(where)} ({step.body_file})")
    return data, [Problem(line, path_text(where), p.message) for p in problems]


def load_scenario(path: str | Path) -> LoadedScenario:
    """A scenario file (YAML, or JSON for a .json name). ScenarioError / InputError with lines."""
    file = Path(path)
    source = str(path)
    with contextlib.suppress(OSError):  # checked before reading: a huge file is refused unread
        if (size := file.stat().st_size) > MAX_FILE_BYTES:
            raise InputError(f"{source}: {size:,} bytes is too large for a scenario")
    try:
        text = decode_text(read_file(file, "scenario file"), source)
    except NotUtf8Error as exc:
        raise ScenarioError(source, [Problem(exc.line, "(file)", "not UTF-8 text")]) from None
    return parse_scenario(text, source=source, base_dir=file.resolve().parent,
                          is_json=file.suffix.lower() == ".json")


# -- bundled recipes -------------------------------------------------------------------------------


def bundled_dir() -> Path:
    """The recipes shipped with the console: resources/scenarios (found by core.paths.resources_dir)."""
    return resources_dir() / "scenarios"


def bundled_scenarios() -> list[Path]:
    """The recipes shipped in resources/scenarios, by file name."""
    folder = bundled_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SCENARIO_SUFFIXES and p.is_file())


def resolve_scenario(name: str) -> Path:
    """A scenario file: the path as given when it exists, else a bundled recipe by name
    (`abandoned-cart` or `abandoned-cart.yaml`). InputError naming the recipes otherwise."""
    path = Path(name)
    if path.exists():
        return path
    for recipe in bundled_scenarios():
        if name in (recipe.name, recipe.stem):
            return recipe
    recipes = ", ".join(p.stem for p in bundled_scenarios()) or "none found"
    raise InputError(f"{name}: no such file, and no bundled recipe by that name (recipes: {recipes})")


# -- contacts from CSV -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contacts:
    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    lines: tuple[int, ...]  # the file line of each row, for messages


def parse_contacts(text: str, source: str = "<csv>") -> Contacts:
    """Contacts from CSV text: a header of variable names, then one contact per row (`,` `;` or tab)."""
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count) if any(d in first for d in ",;\t") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise InputError(f"{source}:1: the CSV file is empty; its first line names the columns (email,phone,…)")
        columns = tuple(cell.strip().lstrip("\ufeff") for cell in header)
        for cell in columns:
            if not is_variable_name(cell):
                raise InputError(f"{source}:1: column {cell!r} is not a variable name (letters, digits and _, not "
                                 "starting with a digit)")
            if cell in RESERVED_NAMES:
                raise InputError(f"{source}:1: column {cell!r} is a built-in name; rename the column")
        duplicates = sorted({c for c in columns if columns.count(c) > 1})
        if duplicates:
            raise InputError(f"{source}:1: column {duplicates[0]!r} appears twice")
        rows: list[dict[str, str]] = []
        lines: list[int] = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise InputError(f"{source}:{line}: {len(row)} value(s), but the header has {len(columns)} "
                                 f"column(s) ({', '.join(columns)})")
            rows.append({name: cell.strip() for name, cell in zip(columns, row, strict=True)})
            lines.append(line)
    except csv.Error as exc:
        raise InputError(f"{source}:{reader.line_num}: not valid CSV: {exc}") from None
    if not rows:
        raise InputError(f"{source}: the CSV file has a header but no contacts")
    return Contacts(columns, tuple(rows), tuple(lines))


def load_contacts(path: str | Path) -> Contacts:
    return parse_contacts(read_text(path, "CSV file", "save the CSV as UTF-8"), str(path))


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    """`--var k=v` pairs; InputError for a malformed one."""
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep:
            raise InputError(f"--var {item!r}: write NAME=VALUE")
        if not is_variable_name(name):
            raise InputError(f"--var {item!r}: {name!r} is not a variable name")
        if name in RESERVED_NAMES:
            raise InputError(f"--var {item!r}: {name!r} is a built-in name")
        values[name] = value
    return values

