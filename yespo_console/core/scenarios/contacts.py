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
from pathlib import Path
from typing import Any

from yespo_console.core.errors import InputError
from yespo_console.core.events.payload import NestedEncoding
from yespo_console.core.scenarios.loader import LoadedScenario
from yespo_console.core.scenarios.plan import FlatStep
from yespo_console.core.scenarios.templating import RESERVED_NAMES, RenderContext, is_variable_name
from yespo_console.core.textfiles import read_text

# -- contacts from CSV and --var -------------------------------------------------------------------


def parse_contacts(text: str, source: str = "<csv>") -> tuple[dict[str, str], ...]:
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
        rows: list[dict[str, str]] = []
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise InputError(f"{source}:{line}: {len(row)} value(s), but the header has {len(columns)} "
                                 f"column(s) ({', '.join(columns)})")
            rows.append({name: cell.strip() for name, cell in zip(columns, row, strict=True)})
    except csv.Error as exc:
        raise InputError(f"{source}:{reader.line_num}: not valid CSV: {exc}") from None
    if not rows:
        raise InputError(f"{source}: the CSV file has a header but no contacts")
    return tuple(rows)


def load_contacts(path: str | Path) -> tuple[dict[str, str], ...]:
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
    render: Callable[[FlatStep], bytes]  # the exact bytes of an event step; InputError when it cannot
    note: str = ""  # kept with each exchange in the history


def contact_label(variables: Mapping[str, Any], index: int) -> str:
    for name in ("email", "phone", "externalCustomerId", "contactId"):
        value = variables.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return f"contact {index}"


def scenario_contacts(
    loaded: LoadedScenario,
    rows: Sequence[Mapping[str, str]] = (),
    given: Mapping[str, Any] | None = None,
    *,
    run_id: str = "",
    nested: NestedEncoding = "string",
    seed: int | None = None,
) -> list[Contact]:
    """One contact per CSV row (or a single one without rows). Variables: the scenario's defaults,
    overridden by `given` (--var, the GUI's fields), overridden by the row. ScenarioError when one
    is missing or a scenario variable cannot be rendered."""
    given = dict(given or {})
    rows = list(rows) or [{}]
    available = set(given) | {name for row in rows for name in row}
    loaded.check_variables(available)
    rng = random.Random(seed)
    contacts = []
    for index, row in enumerate(rows, start=1):
        ctx = RenderContext({}, rng)
        variables = loaded.contact_variables({"contact_index": index, "run_id": run_id, **given, **row}, ctx)
        contact_ctx = RenderContext(variables, rng)

        def render(step: FlatStep, ctx: RenderContext = contact_ctx) -> bytes:
            return loaded.render_event(step, ctx, nested)

        label = contact_label(variables, index)
        contacts.append(Contact(index, label, loaded.steps, render, note=f"{loaded.name}: {label}"))
    return contacts


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
            if step.kind != "event":
                continue
            try:
                contact.render(step)
            except InputError as exc:
                problems.append(f"{contact.label}: {exc}")
                break
    return problems
