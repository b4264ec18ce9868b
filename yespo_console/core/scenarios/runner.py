"""The scenario runner: contacts in parallel, each contact's steps in order, within a rate limit.

A run is a list of `Contact`s, each with the steps it follows (a scenario's plan, or one stored
exchange for a replay) and a function that gives the exact bytes of each event step. `Runner.run`
works through them with `concurrency` workers (one contact per worker at a time, so the order of a
contact's events is the order a trigger sees), paces first attempts with one `RateLimiter` for the
whole run (default 350 requests/s, Yespo's documented limit), and retries a 429 after its
Retry-After (the `RetryPolicy` fields; retries of 5xx are off unless asked for: a verification run
should see a flaky server, not hide it).

Every attempt goes through `EventClient.send(run_id=...)`, so each is in the history with the run's
id, written pending before it leaves and completed after. `cancel()` (or cancelling the task that
awaits `run`) stops the workers: a send in flight is recorded as cancelled by the client, steps not
started are reported as not run, and no history row is left pending.

Progress: `on_step(StepResult)` after every step, `on_contact(ContactDone)` after every contact,
both on the loop that runs the run (the GUI's, under qasync). The `RunReport` has the summary and
the rows of the results table, which `save_results` writes as CSV or JSON.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO

from yespo_console.core.errors import InputError
from yespo_console.core.events.payload import NestedEncoding
from yespo_console.core.http.environments import YESPO_EVENT_RATE_LIMIT
from yespo_console.core.http.exchange import new_run_id
from yespo_console.core.http.outcome import NETWORK_OUTCOMES, Outcome
from yespo_console.core.http.ratelimit import RateLimiter
from yespo_console.core.http.sending import RetryPolicy, SendResult
from yespo_console.core.scenarios.loader import ACCEPTED, Expectation, FlatStep, LoadedScenario
from yespo_console.core.scenarios.templating import RenderContext

if TYPE_CHECKING:
    from yespo_console.core.http.client import EventClient  # the runner sends through one; httpx loads with it

log = logging.getLogger(__name__)

DEFAULT_RATE = YESPO_EVENT_RATE_LIMIT
DEFAULT_RETRY = RetryPolicy(attempts=4, on_rate_limited=True, on_server_error=False)
MAX_CONCURRENCY = 200

StepKind = Literal["event", "wait", "expect"]
Verdict = Literal["", "held", "failed"]


def burst_for(rate: float) -> int:
    """The burst a run's limiter allows: the client's rule (a tenth of a second's worth, 1 to 50)."""
    return max(1, min(50, int(rate // 10)))


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


# -- results ---------------------------------------------------------------------------------------


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
    outcome: str = ""  # an Outcome value; "not_sent", "waited", "cancelled" or "not_run" otherwise
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

    def failures(self) -> list[StepResult]:
        return [r for r in self.results if r.expectation == "failed" or r.outcome in ("not_sent",)]


def write_results_csv(results: Iterable[StepResult], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=RESULT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for result in results:
        writer.writerow(result.row)
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


# -- the runner ------------------------------------------------------------------------------------


@dataclass
class _Last:
    """What an expect step checks: the latest event of the contact."""

    status: int | None = None
    outcome: Outcome | None = None
    body: bytes = b""
    reason: str = ""  # why there is no outcome (not sent, cancelled)


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Runner:
    def __init__(
        self,
        client: EventClient,
        *,
        name: str = "run",
        run_id: str | None = None,
        concurrency: int = 1,
        rate: float | None = DEFAULT_RATE,
        retry: RetryPolicy | None = None,
        on_step: Callable[[StepResult], None] | None = None,
        on_contact: Callable[[ContactDone], None] | None = None,
        wait_scale: float = 1.0,
    ) -> None:
        if not 0 <= wait_scale <= 10:
            raise InputError("the wait scale must be between 0 (no waits) and 10")
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise InputError(f"the concurrency must be between 1 and {MAX_CONCURRENCY}")
        if rate is not None and not 0 < rate <= 100_000:
            raise InputError("the rate must be between 0 and 100000 requests per second (or no limit)")
        self.client = client
        self.name = name
        self.run_id = run_id or new_run_id(name)
        self.concurrency = concurrency
        self.rate = rate
        # The client's own retries would multiply with the runner's: when it has some, it does them.
        self.retry = RetryPolicy() if client.retry.attempts > 1 else (retry or DEFAULT_RETRY)
        self.limiter = RateLimiter(rate, burst=burst_for(rate)) if rate is not None else None
        self.on_step = on_step
        self.on_contact = on_contact
        self.wait_scale = wait_scale  # 0 turns a scenario's waits off, for a quick check of its events
        self._cancelled = False
        self._tasks: list[asyncio.Task[None]] = []
        self._summary = RunSummary(self.run_id, name, client.environment.name, client.url)
        self._results: list[StepResult] = []
        self._verdicts: dict[int, tuple[int, int]] = {}  # contact index -> (held, failed) while it runs

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Stop: nothing new starts, sends in flight are cancelled (and recorded as such)."""
        self._cancelled = True
        for task in self._tasks:
            if not task.done():
                task.cancel()

    async def run(self, contacts: Sequence[Contact]) -> RunReport:
        summary = self._summary
        summary.contacts = len(contacts)
        summary.events_planned = sum(1 for c in contacts for s in c.steps if s.kind == "event")
        summary.rate = self.rate
        summary.concurrency = self.concurrency
        started = time.perf_counter()
        queue: Iterator[Contact] = iter(contacts)
        workers = min(self.concurrency, len(contacts))
        self._tasks = [asyncio.create_task(self._worker(queue, len(contacts)), name=f"run-worker-{n}")
                       for n in range(workers)]
        if self._cancelled:  # stopped before it began
            self.cancel()
        try:
            if self._tasks:
                await asyncio.wait(self._tasks)
        except asyncio.CancelledError:
            # The task awaiting the run was cancelled: stop the workers and let each record its send
            # as cancelled before this task ends.
            self.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            raise
        finally:
            summary.seconds = time.perf_counter() - started
            summary.cancelled = self._cancelled
            if self._cancelled:
                done = {(r.contact_index, r.step_number) for r in self._results}
                summary.not_run = sum(1 for c in contacts for s in c.steps if (c.index, s.number) not in done)
        for task in self._tasks:
            error = None if task.cancelled() else task.exception()
            if error is not None:
                raise error
        return RunReport(summary, self._results)

    async def _worker(self, queue: Iterator[Contact], total: int) -> None:
        for contact in queue:  # one shared iterator: each contact goes to exactly one worker
            if self._cancelled:
                return
            try:
                finished = await self._run_contact(contact)
            except asyncio.CancelledError:
                return
            if not finished:
                return
            self._summary.contacts_done += 1
            held, failed = self._verdicts.pop(contact.index, (0, 0))
            self._notify(self.on_contact, ContactDone(contact.index, contact.label, held, failed,
                                                      self._summary.contacts_done, total))

    def _notify(self, callback: Callable[[Any], None] | None, value: Any) -> None:
        if callback is None:
            return
        try:
            callback(value)
        except Exception:  # a progress display must not stop a run
            log.exception("a run progress callback failed")

    def _record(self, result: StepResult) -> None:
        self._results.append(result)
        if result.expectation:
            held, failed = self._verdicts.get(result.contact_index, (0, 0))
            if result.expectation == "held":
                self._summary.expectations_held += 1
                held += 1
            else:
                self._summary.expectations_failed += 1
                failed += 1
            self._verdicts[result.contact_index] = (held, failed)
        self._notify(self.on_step, result)

    def _base(self, contact: Contact, step: FlatStep) -> dict[str, Any]:
        return {"run_id": self.run_id, "contact_index": contact.index, "contact": contact.label,
                "step_number": step.number, "step": step.title, "kind": step.kind, "started_at": _now_text()}

    async def _run_contact(self, contact: Contact) -> bool:
        """Every step of one contact, in order. False when the run was stopped meanwhile."""
        last = _Last(reason="no event has been sent yet")
        for step in contact.steps:
            if self._cancelled:
                return False
            base = self._base(contact, step)
            try:
                if step.kind == "event":
                    last = await self._event(contact, step, base)
                elif step.kind == "wait":
                    seconds = step.wait_s * self.wait_scale
                    await asyncio.sleep(seconds)
                    self._record(StepResult(**base, outcome="waited", detail=f"waited {seconds:g} s"))
                else:
                    assert step.expectation is not None
                    self._check(step.expectation, last, base, contact)
            except asyncio.CancelledError:
                self._cancelled = True
                detail = ("cancelled while sending: kept in the history as cancelled; it may have reached the server"
                          if step.kind == "event" else "stopped")
                self._record(StepResult(**base, outcome="cancelled", detail=detail))
                return False
        return True

    async def _event(self, contact: Contact, step: FlatStep, base: dict[str, Any]) -> _Last:
        summary = self._summary
        try:
            body = contact.render(step)
        except InputError as exc:
            summary.not_sent += 1
            summary.errors += 1
            last = _Last(reason=f"not sent: {exc}")
            expectation: Verdict = ""
            if step.implicit_accept:
                expectation = "failed"
            self._record(StepResult(**base, outcome="not_sent", expectation=expectation, detail=str(exc)))
            return last
        note = f"{contact.note}, step {step.label}" if contact.note else f"step {step.label}"
        result = await self._send(body, note)
        summary.sent += 1
        outcome = result.outcome
        if outcome is Outcome.ACCEPTED:
            summary.accepted += 1
        elif outcome is Outcome.REJECTED:
            summary.rejected += 1
        else:
            summary.errors += 1
            if outcome in NETWORK_OUTCOMES:
                summary.network_errors += 1
        detail = result.explanation.title
        expectation = ""
        if step.implicit_accept:
            held, _words = ACCEPTED.check(result.status, outcome, result.result.body)
            expectation = "held" if held else "failed"
            if not held:
                detail = f"expected it to be accepted: {detail}"
                if result.status is None:
                    summary.failed_without_answer += 1
        if result.history_error:
            detail = f"{detail} ({result.history_error})"
        self._record(StepResult(
            **base, status=result.status, outcome=outcome.value, expectation=expectation, detail=detail,
            event_type=result.request.event_type, key_value=result.request.key_value, attempts=result.attempts,
            duration_ms=result.duration_ms, exchange_id=result.exchange_id,
        ))
        return _Last(result.status, outcome, result.result.body)

    async def _send(self, body: bytes, note: str) -> SendResult:
        attempt = 1
        earlier: list[SendResult] = []
        while True:
            if self.limiter is not None:
                await self.limiter.acquire()
            attempt_note = note if attempt == 1 else f"{note} (attempt {attempt})"
            result = await self.client.send(body, note=attempt_note, run_id=self.run_id)
            delay = self.retry.delay_after(result, attempt)
            if delay is None or self._cancelled:
                if earlier:
                    return SendResult(result.request, result.result, result.explanation, result.exchange_id,
                                      attempt, tuple(earlier), result.history_error, result.report)
                return result
            earlier.append(result)
            self._summary.retries += 1
            attempt += 1
            await asyncio.sleep(delay)

    def _check(self, expectation: Expectation, last: _Last, base: dict[str, Any], contact: Contact) -> None:
        if last.outcome is None:
            self._record(StepResult(**base, expectation="failed", outcome="not_sent",
                                    detail=f"expected {expectation.describe()}; {last.reason}"))
            return
        held, words = expectation.check(last.status, last.outcome, last.body)
        if not held and last.status is None:
            self._summary.failed_without_answer += 1
        self._record(StepResult(**base, status=last.status, outcome=last.outcome.value,
                                expectation="held" if held else "failed", detail=words))
