"""What a run reports: a `StepResult` per step (the rows of the results table), a `ContactDone` per
finished contact, and the `RunSummary` of the whole run (counts, the verdict in words, the exit
code). `save_results` writes the table as CSV or JSON, by the file's suffix.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from yespo_console.core.errors import InputError

StepKind = Literal["event", "contact", "order", "wait", "expect"]
Verdict = Literal["", "held", "failed"]


@dataclass(frozen=True, slots=True)
class StepResult:
    """One row of the results table."""

    run_id: str
    contact_index: int
    contact: str
    step_number: int
    step: str
    kind: StepKind
    status: int | None = None  # the HTTP status (of the event; for an expect step, of the event it checks)
    # An Outcome value; "not_sent", "waited", "cancelled" or "not_run" otherwise; for a contact or order step "done",
    # "rejected", "error" or "network_error"; for an expectation on the account "checked" or "no_answer".
    outcome: str = ""
    expectation: Verdict = ""
    detail: str = ""
    event_type: str | None = None
    key_value: str | None = None
    attempts: int = 0
    duration_ms: float | None = None
    exchange_id: int | None = None
    started_at: str = ""

    @property
    def row(self) -> dict[str, Any]:
        return asdict(self)


RESULT_COLUMNS: tuple[str, ...] = tuple(StepResult.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class ContactDone:
    index: int
    label: str
    held: int
    failed: int
    done: int  # contacts finished so far
    total: int


@dataclass
class RunSummary:
    run_id: str
    name: str
    environment: str
    url: str
    contacts: int = 0
    contacts_done: int = 0
    events_planned: int = 0
    sent: int = 0  # events for which a request went out (whatever came back)
    accepted: int = 0
    rejected: int = 0  # 4xx other than 429
    errors: int = 0  # 5xx, 429 after the retries, no answer, or not renderable
    network_errors: int = 0  # of the errors: no HTTP answer at all
    not_sent: int = 0  # could not be rendered
    retries: int = 0
    contacts_saved: int = 0  # contact steps the account took
    orders_sent: int = 0  # order steps the account took
    expectations_held: int = 0
    expectations_failed: int = 0
    failed_without_answer: int = 0  # expectations failed only because the event got no answer
    cancelled: bool = False
    not_run: int = 0  # steps left when the run was stopped
    rate: float | None = None
    concurrency: int = 1
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.expectations_failed == 0 and not self.cancelled

    def exit_code(self) -> int:
        """0 every expectation held, 1 one failed on an HTTP answer (or an event was not sent), 3 the
        only failures were network errors (no answer), 130 the run was stopped."""
        if self.cancelled:
            return 130
        if self.expectations_failed > self.failed_without_answer:
            return 1
        if self.failed_without_answer or self.network_errors:
            return 3
        return 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data

    def lines(self) -> list[str]:
        """The summary in words, for the CLI and the GUI."""
        rate = "no limit" if self.rate is None else f"≤ {self.rate:g}/s"
        verdict = ("STOPPED" if self.cancelled else "PASSED" if self.ok else "FAILED")
        lines = [
            f"{verdict}: {self.name} on {self.environment} ({self.url}), run {self.run_id}",
            f"  contacts   {self.contacts_done} of {self.contacts} done, concurrency {self.concurrency}, rate {rate}",
            f"  events     {self.sent} sent of {self.events_planned}: {self.accepted} accepted, {self.rejected} "
            f"rejected, {self.errors} errors ({self.network_errors} without an answer"
            + (f", {self.not_sent} not renderable" if self.not_sent else "") + ")"
            + (f", {self.retries} retries after 429" if self.retries else ""),
            *([f"  account    {self.contacts_saved} contact(s) saved, {self.orders_sent} order(s) taken"]
              if self.contacts_saved or self.orders_sent else []),
            f"  expected   {self.expectations_held} held, {self.expectations_failed} failed",
            f"  time       {self.seconds:.2f} s" + (f" ({self.sent / self.seconds:.0f} events/s)"
                                                    if self.seconds > 0 and self.sent else ""),
        ]
        if self.cancelled:
            lines.append(f"  stopped    {self.not_run} step(s) not run; requests in flight are kept in the history "
                         "as cancelled")
        return lines


@dataclass
class RunReport:
    summary: RunSummary
    results: list[StepResult] = field(default_factory=list)


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...), +cmd|...): a
# keyValue or a server's answer is a stranger's text, so such a cell gets a leading ' and stays text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """`value` for a CSV cell: text that a spreadsheet would read as a formula gets a leading '."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def write_results_csv(results: Iterable[StepResult], out: TextIO) -> int:
    """The results as CSV, every text cell safe to open in a spreadsheet (see `spreadsheet_safe`)."""
    writer = csv.DictWriter(out, fieldnames=RESULT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for result in results:
        writer.writerow({name: spreadsheet_safe(value) for name, value in result.row.items()})
        count += 1
    return count


def write_results_json(report: RunReport, out: TextIO) -> int:
    json.dump({"summary": report.summary.as_dict(), "results": [r.row for r in report.results]}, out,
              ensure_ascii=False, indent=2)
    out.write("\n")
    return len(report.results)


def results_text(report: RunReport, fmt: Literal["csv", "json"]) -> str:
    buffer = io.StringIO()
    if fmt == "csv":
        write_results_csv(report.results, buffer)
    else:
        write_results_json(report, buffer)
    return buffer.getvalue()


def results_format(path: str | Path) -> Literal["csv", "json"]:
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        return "json"
    raise InputError(f"{path}: the results file must end in .csv or .json")


def save_results(report: RunReport, path: str | Path) -> None:
    """The results table as CSV or JSON, by the file's suffix. InputError when it cannot be written."""
    fmt = results_format(path)
    try:
        Path(path).write_text(results_text(report, fmt), encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"{path}: cannot be written ({exc.strerror or exc})") from None
