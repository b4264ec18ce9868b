"""Who a run sends to. Contacts come from a CSV file (a header of variable names, then one contact
per row) and `--var NAME=VALUE` pairs; each becomes a `Contact`: the steps it follows (a scenario's
plan, or one stored exchange for a replay) and a function that gives the exact bytes of each of its
event steps. `preflight` renders every event once without sending, so a bad row is named first.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, overload

from yespo_console.core.errors import InputError
from yespo_console.core.events.payload import NestedEncoding
from yespo_console.core.scenarios.loader import LoadedScenario
from yespo_console.core.scenarios.plan import FlatStep
from yespo_console.core.scenarios.templating import RESERVED_NAMES, RenderContext, is_variable_name
from yespo_console.core.textfiles import read_text

# -- contacts from CSV and --var -------------------------------------------------------------------


class ContactRows(Sequence[dict[str, str]]):
    """The rows of a contacts CSV, kept as tuples of their values (a dict per row would take several times
    the memory); each row is handed out as {column: value}."""

    def __init__(self, columns: tuple[str, ...], values: list[tuple[str, ...]]) -> None:
        self.columns = columns
        self._values = values

    def __len__(self) -> int:
        return len(self._values)

    @overload
    def __getitem__(self, index: int) -> dict[str, str]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[dict[str, str]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, str] | Sequence[dict[str, str]]:
        if isinstance(index, slice):
            return [dict(zip(self.columns, row, strict=True)) for row in self._values[index]]
        return dict(zip(self.columns, self._values[index], strict=True))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # equal to a list or tuple of the same rows, so not hashable


def parse_contacts(text: str, source: str = "<csv>") -> ContactRows:
    """Contacts from CSV text: a header of variable names, then one contact per row (`,` `;` or tab),
    each row as {column: value}."""
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
        rows: list[tuple[str, ...]] = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise InputError(f"{source}:{line}: {len(row)} value(s), but the header has {len(columns)} "
                                 f"column(s) ({', '.join(columns)})")
            rows.append(tuple(cell.strip() for cell in row))
    except csv.Error as exc:
        raise InputError(f"{source}:{reader.line_num}: not valid CSV: {exc}") from None
    if not rows:
        raise InputError(f"{source}: the CSV file has a header but no contacts")
    return ContactRows(columns, rows)


def load_contacts(path: str | Path) -> ContactRows:
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


# -- what a run works through ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contact:
    index: int  # 1-based
    label: str  # what tables show: the email, the phone, or "contact 3"
    steps: Sequence[FlatStep]
    render: Callable[[FlatStep], bytes]  # the exact bytes of an event (contact, order) step; InputError when it cannot
    note: str = ""  # kept with each exchange in the history


def contact_label(variables: Mapping[str, Any], index: int) -> str:
    for name in ("email", "phone", "externalCustomerId", "contactId"):
        value = variables.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return f"contact {index}"


class ScenarioContacts(Sequence[Contact]):
    """One contact per CSV row (or a single one without rows), each built when asked for and not kept, so
    that a CSV of any length costs only its rows in memory. Each contact draws its random values from its
    own generator, seeded from the run's seed and its index: built twice, a contact is the same contact
    (the preflight renders what the run sends), whatever order contacts are asked for in."""

    def __init__(self, loaded: LoadedScenario, rows: Sequence[Mapping[str, str]], given: Mapping[str, Any],
                 run_id: str, nested: NestedEncoding, seed: int | None) -> None:
        self._loaded = loaded
        self._rows = rows
        self._given = dict(given)
        self._run_id = run_id
        self._nested: NestedEncoding = nested
        self._seed = random.getrandbits(64) if seed is None else seed
        columns = rows.columns if isinstance(rows, ContactRows) else {name for row in rows for name in row}
        loaded.check_variables(set(self._given) | set(columns))
        for index in range(len(self)):  # every contact built once now: a variable that cannot be rendered
            self[index]  # is named here, where the caller expects it, not halfway through a run

    def __len__(self) -> int:
        return len(self._rows) or 1

    @overload
    def __getitem__(self, index: int) -> Contact: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Contact]: ...

    def __getitem__(self, index: int | slice) -> Contact | Sequence[Contact]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        position = range(len(self))[index]
        return self._contact(position + 1, self._rows[position] if self._rows else {})

    def _contact(self, index: int, row: Mapping[str, str]) -> Contact:
        rng = random.Random(f"{self._seed}:{index}")
        given = {"contact_index": index, "run_id": self._run_id, **self._given, **row}
        variables = self._loaded.contact_variables(given, RenderContext({}, rng))
        render = partial(self._loaded.render_event, ctx=RenderContext(variables, rng), nested=self._nested)
        label = contact_label(variables, index)
        return Contact(index, label, self._loaded.steps, render, note=f"{self._loaded.name}: {label}")


def scenario_contacts(
    loaded: LoadedScenario,
    rows: Sequence[Mapping[str, str]] = (),
    given: Mapping[str, Any] | None = None,
    *,
    run_id: str = "",
    nested: NestedEncoding = "string",
    seed: int | None = None,
) -> ScenarioContacts:
    """One contact per CSV row (or a single one without rows). Variables: the scenario's defaults,
    overridden by `given` (--var, the GUI's fields), overridden by the row. ScenarioError when one
    is missing or a scenario variable cannot be rendered."""
    return ScenarioContacts(loaded, rows, given or {}, run_id, nested, seed)


def replay_contacts(exchanges: Iterable[tuple[int, str | None, bytes]]) -> list[Contact]:
    """One contact per stored exchange (id, event type, request body): the exact bytes, sent again.
    Each must be accepted (the implicit expectation of a scenario's event)."""
    contacts = []
    for index, (exchange_id, event_type, body) in enumerate(exchanges, start=1):
        step = FlatStep(1, "event", f"#{exchange_id} {event_type or '(no event type)'}", None, (),
                        implicit_accept=True)

        def render(_step: FlatStep, data: bytes = body) -> bytes:
            return data

        contacts.append(Contact(index, f"#{exchange_id}", (step,), render, note=f"replay of #{exchange_id}"))
    return contacts


def preflight(contacts: Sequence[Contact]) -> list[str]:
    """Render every event of every contact once without sending: the problems, one line each (empty
    when all render). Random values and times differ from the real run; only the shape is checked."""
    problems: list[str] = []
    for contact in contacts:
        for step in contact.steps:
            if step.kind not in ("event", "contact", "order"):
                continue
            try:
                contact.render(step)
            except InputError as exc:
                problems.append(f"{contact.label}: {exc}")
                break
    return problems
