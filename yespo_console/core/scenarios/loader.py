"""Loading a scenario file: YAML (or JSON for a .json name) read with the line of every key and item,
checked against the schema, its templates parsed and its body files read, so each mistake is
reported as `file:line: path: message` (schema mistakes and template mistakes alike) in one
`ScenarioError`. A `LoadedScenario` holds the flattened plan and renders, for one contact, its
variables and the exact bytes of each event step. Templates: see `core.scenarios.templating`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from yespo_console.core.documents import DocumentError, PathKey, Problem, line_at, load_document, path_text
from yespo_console.core.errors import InputError
from yespo_console.core.events.diagnostics import loads_finite
from yespo_console.core.events.payload import Draft, ExtraParam, NestedEncoding, build_body, dump_json
from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.core.events.tracker_catalog import GENERAL_INFO, TRACKER_SPECS
from yespo_console.core.scenarios.account_steps import contact_body, order_body
from yespo_console.core.scenarios.plan import FlatStep, count_steps, flat_plan
from yespo_console.core.scenarios.problems import ScenarioError
from yespo_console.core.scenarios.schema import MAX_STEPS, Scenario, TrackStep, validation_problems
from yespo_console.core.scenarios.templating import (
    OPEN,
    RUNTIME_VARIABLES,
    RenderContext,
    TemplateError,
    parse_template,
    render_text,
    render_value,
    strings_in,
    text_of,
    unknown_variable_error,
)
from yespo_console.core.textfiles import NotUtf8Error, decode_text, read_file

MAX_FILE_BYTES = 5 * 1024 * 1024  # a scenario file, and each body file it names
_ORPHAN = "an expect step checks the event before it, and there is none"
_NO_CONTACT_YET = ("an expectation on messages or activity follows the scenario's contact, and no step before it "
                   "names one (an event, a contact or an order)")
# How a person lets a scenario read files outside its own folder (`run`'s option), named in the refusal.
ALLOW_OUTSIDE_OPTION = "--allow-outside-files"


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
    profile: Profile = BUILTIN  # the account's event types its `values` and bodies follow
    allow_outside: bool = False  # whether `data:` may name a file outside base_dir

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
    def follows_up(self) -> bool:
        """Whether it writes to the account or polls it (contact, order, or an expectation on what followed)."""
        return any(step.kind in ("contact", "order") or (step.expectation is not None and
                                                          step.expectation.follow is not None) for step in self.steps)

    @property
    def data_path(self) -> Path | None:
        """The `data:` CSV; ScenarioError when it lies outside the scenario's folder and that is not allowed."""
        if self.scenario.data is None:
            return None
        path, reason = confined(self.base_dir, self.scenario.data, self.allow_outside)
        if reason:
            raise ScenarioError(self.source, [Problem(self.line_of(("data",)), "data", reason)])
        return path

    def line_of(self, path: PathKey) -> int | None:
        return line_at(self.marks, path)

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
        """The exact bytes of an event step for one contact, or the JSON body of a contact or order step.
        InputError (with the line) when a template cannot be rendered."""
        ctx = ctx.child(iteration=step.iteration)
        where = f"{self.source}:{step.line}" if step.line is not None else self.source
        try:
            if step.body_file is not None:
                return self._render_body_file(step.body_file, ctx)
            if step.track is not None:
                return _render_track(step.track, ctx)
            if step.contact is not None:
                fields = render_value(step.contact.contact.model_dump(by_alias=True, exclude_none=True), ctx)
                return dump_json(contact_body(fields)).encode("utf-8")
            if step.order is not None:
                fields = render_value(step.order.order.model_dump(by_alias=True, exclude_none=True), ctx)
                return dump_json(order_body(fields)).encode("utf-8")
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
            return build_body(draft, nested=event.nested or nested, profile=self.profile)
        except TemplateError as exc:
            raise InputError(f"{where}: step {step.label}: {exc}") from None
        except (InputError, ValueError) as exc:  # NaN or infinity in a value: not JSON; an empty contact
            raise InputError(f"{where}: step {step.label}: {exc}") from None

    def _render_body_file(self, name: str, ctx: RenderContext) -> bytes:
        data = self.bodies[name]
        if OPEN.encode() not in data:
            return data  # the exact bytes of the file
        rendered = render_value(json.loads(data), ctx)
        return dump_json(rendered).encode("utf-8")


def _render_track(step: TrackStep, ctx: RenderContext) -> bytes:
    """A web tracking body: GeneralInfo (eventName first) and the event object named after the event."""
    body: dict[str, Any] = {GENERAL_INFO: {"eventName": step.track, **render_value(step.info, ctx)}}
    key = TRACKER_SPECS[step.track].object_key
    if key is not None and step.data is not None:
        body[key] = render_value(step.data, ctx)
    return dump_json(body).encode("utf-8")


def _template_problems(value: Any, path: PathKey, marks: Mapping[PathKey, int], needs: dict[str, Use],
                       defined: set[str], prefix: str = "", line: int | None = None,
                       use_path: str | None = None) -> list[Problem]:
    """Template syntax mistakes in every string of `value`; the variables it reads that `defined`
    lacks go into `needs`. `line` stands for every string's line (a body file's strings)."""
    problems = []
    for where, text in strings_in(value, path):
        if OPEN not in text:
            continue
        at = line if line is not None else line_at(marks, where)
        try:
            template = parse_template(text)
        except TemplateError as exc:
            problems.append(Problem(at, path_text(where), prefix + str(exc)))
            continue
        for name in template.variables:
            if name not in defined and name not in RUNTIME_VARIABLES:
                needs.setdefault(name, Use(at, use_path or path_text(where)))
    return problems


def confined(base: Path, name: str, allow_outside: bool) -> tuple[Path, str]:
    """The file a scenario names, relative to its folder, and why it may not be read ("" when it may): a
    scenario from elsewhere must not send /proc/self/environ or ../../etc/passwd as a body. Links are
    followed before the check, so a link in the folder to a file outside it counts as outside."""
    path = base / name
    if allow_outside or path.resolve().is_relative_to(base.resolve()):
        return path, ""
    return path, (f"{name}: outside the scenario's folder ({base}); files a scenario reads must be in its folder "
                  f"or below, unless run with {ALLOW_OUTSIDE_OPTION}")


def parse_scenario(text: str, *, source: str = "<scenario>", base_dir: Path | None = None,
                   is_json: bool = False, allow_outside: bool = False,
                   profile: Profile = BUILTIN) -> LoadedScenario:
    """A scenario from its text; ScenarioError listing every problem with its line. Its body and data files
    must be in `base_dir` or below unless `allow_outside`."""
    base = base_dir or Path.cwd()
    try:
        data, marks = load_document(text, source, is_json=is_json)
    except DocumentError as exc:
        raise ScenarioError(source, exc.problems) from None
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
                    problems.append(Problem(line_at(marks, ("variables", name)), f"variables.{name}", what))
                    del needs[needed]
            defined.add(name)
    problems += _template_problems(data.get("steps"), ("steps",), marks, needs, defined)
    try:
        scenario = Scenario.model_validate(data, context={"profile": profile})
    except ValidationError as exc:
        raise ScenarioError(source, problems + validation_problems(exc, marks)) from None

    bodies: dict[str, bytes] = {}
    if count_steps(scenario.steps) > MAX_STEPS:
        problems.append(Problem(line_at(marks, ("steps",)), "steps",
                                f"the repeats expand to more than {MAX_STEPS:,} steps per contact"))
        raise ScenarioError(source, problems)
    steps, orphans = flat_plan(list(scenario.steps), marks)
    seen_orphans: set[PathKey] = set()
    for orphan in orphans:
        if orphan.path not in seen_orphans:
            seen_orphans.add(orphan.path)
            problems.append(Problem(orphan.line, path_text(orphan.path), _ORPHAN if orphan.expectation is None or
                                    orphan.expectation.follow is None else _NO_CONTACT_YET))
    if not any(step.kind in ("event", "contact", "order") for step in steps):
        problems.append(Problem(line_at(marks, ("steps",)), "steps", "the scenario sends no event"))
    for step in steps:
        if step.body_file is not None and step.body_file not in bodies:
            body, body_problems = _read_body(step, base, marks, needs, defined, allow_outside)
            problems += body_problems
            if body is not None:
                bodies[step.body_file] = body
    if problems:
        raise ScenarioError(source, problems)
    return LoadedScenario(scenario, source, base, marks, tuple(steps), bodies, needs, profile, allow_outside)


def _read_body(step: FlatStep, base: Path, marks: Mapping[PathKey, int], needs: dict[str, Use],
               defined: set[str], allow_outside: bool) -> tuple[bytes | None, list[Problem]]:
    assert step.body_file is not None
    where = (*step.path, "body")
    line = line_at(marks, where)
    path, outside = confined(base, step.body_file, allow_outside)
    if outside:
        return None, [Problem(line, path_text(where), outside)]
    try:
        data = read_file(path, "body file", MAX_FILE_BYTES)
    except InputError as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        return None, [Problem(line, path_text(where), f"{step.body_file}: {reason} (paths are relative to the "
                                                      "scenario file)")]
    if OPEN.encode() not in data:
        return data, []  # sent exactly as it is, even if broken: the inspector and the server judge it
    try:
        document = loads_finite(data.decode("utf-8"))
        problems = _template_problems(document, (), {}, needs, defined, prefix=f"{step.body_file}: ", line=line,
                                      use_path=f"{path_text(where)} ({step.body_file})")
    except (UnicodeDecodeError, ValueError) as exc:
        return None, [Problem(line, path_text(where), f"{step.body_file}: a body file with templates must be JSON "
                                                      f"({exc})")]
    except RecursionError:
        return None, [Problem(line, path_text(where), f"{step.body_file}: nested too deeply")]
    return data, [Problem(line, path_text(where), p.message) for p in problems]


def load_scenario(path: str | Path, profile: Profile = BUILTIN, *, allow_outside: bool = False) -> LoadedScenario:
    """A scenario file (YAML, or JSON for a .json name). ScenarioError / InputError with lines. Its body
    and data files must be in its folder or below unless `allow_outside`."""
    file = Path(path)
    source = str(path)
    try:
        text = decode_text(read_file(file, "scenario file", MAX_FILE_BYTES), source)
    except NotUtf8Error as exc:
        raise ScenarioError(source, [Problem(exc.line, "(file)", "not UTF-8 text")]) from None
    return parse_scenario(text, source=source, base_dir=file.resolve().parent,
                          is_json=file.suffix.lower() == ".json", allow_outside=allow_outside, profile=profile)
