"""The scenario runner: contacts in parallel, each contact's steps in order, within a rate limit.

A run is a list of `Contact`s (core.scenarios.contacts). `Runner.run` works through them with
`concurrency` workers (one contact per worker at a time, so the order of a contact's events is the
order a trigger sees), paces first attempts with one `RateLimiter` for the whole run (default 350
requests/s, Yespo's documented limit), and retries a 429 after its Retry-After (the `RetryPolicy`
fields; retries of 5xx are off unless asked for: a verification run should see a flaky server, not
hide it).

Every attempt goes through `EventClient.send(run_id=...)`, so each is in the history with the run's
id, written pending before it leaves and completed after. `cancel()` (or cancelling the task that
awaits `run`) stops the workers: a send in flight is recorded as cancelled by the client, steps not
started are reported as not run, and no history row is left pending.

Contact and order steps write through the run's `AccountLink` (core.scenarios.follow), and must succeed like
an event must be accepted; an expectation on what followed (message, activity, no_message) polls it for the
scenario's contact during its window times `wait_scale`. Without a link, those steps fail with the reason.

Progress: `on_step(StepResult)` after every step, `on_contact(ContactDone)` after every contact,
both on the loop that runs the run (the GUI's, under qasync). The `RunReport` has the summary and
the rows of the results table (core.scenarios.results).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from yespo_console.core.errors import InputError
from yespo_console.core.http.environments import YESPO_EVENT_RATE_LIMIT
from yespo_console.core.http.exchange import new_run_id
from yespo_console.core.http.outcome import NETWORK_OUTCOMES, Outcome
from yespo_console.core.http.ratelimit import RateLimiter
from yespo_console.core.http.sending import RetryPolicy, SendResult
from yespo_console.core.scenarios.account_steps import ActivityCheck
from yespo_console.core.scenarios.contacts import Contact
from yespo_console.core.scenarios.follow import AccountLink, Trail, follow, is_network, who_of
from yespo_console.core.scenarios.plan import FlatStep
from yespo_console.core.scenarios.results import ContactDone, RunReport, RunSummary, StepResult, Verdict
from yespo_console.core.scenarios.schema import ACCEPTED, Expectation

if TYPE_CHECKING:
    from yespo_console.core.http.client import EventClient  # the runner sends through one; httpx loads with it

log = logging.getLogger(__name__)

DEFAULT_RATE = YESPO_EVENT_RATE_LIMIT
DEFAULT_RETRY = RetryPolicy(attempts=4, on_rate_limited=True, on_server_error=False)
MAX_CONCURRENCY = 200


def burst_for(rate: float) -> int:
    """The burst a run's limiter allows: the client's rule (a tenth of a second's worth, 1 to 50)."""
    return max(1, min(50, int(rate // 10)))


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
        account: AccountLink | None = None,
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
        self.account = account
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
        trail = Trail()
        for step in contact.steps:
            if self._cancelled:
                return False
            base = self._base(contact, step)
            try:
                if step.kind == "event":
                    last = await self._event(contact, step, base, trail)
                elif step.kind in ("contact", "order"):
                    await self._write(contact, step, base, trail)
                elif step.kind == "wait":
                    seconds = step.wait_s * self.wait_scale
                    await asyncio.sleep(seconds)
                    self._record(StepResult(**base, outcome="waited", detail=f"waited {seconds:g} s"))
                else:
                    assert step.expectation is not None
                    if step.expectation.follow is None:
                        self._check(step.expectation, last, base, contact)
                    else:
                        await self._follow(step, base, trail)
            except asyncio.CancelledError:
                self._cancelled = True
                detail = ("cancelled while sending: kept in the history as cancelled; it may have reached the server"
                          if step.kind in ("event", "contact", "order") else "stopped")
                self._record(StepResult(**base, outcome="cancelled", detail=detail))
                return False
        return True

    async def _event(self, contact: Contact, step: FlatStep, base: dict[str, Any], trail: Trail) -> _Last:
        summary = self._summary
        try:
            body = contact.render(step)
            await self._name_contact(contact, step, body, trail)
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

    async def _name_contact(self, contact: Contact, step: FlatStep, body: bytes, trail: Trail) -> None:
        """Who the scenario's contact is, from the first step that names one (a contact step always names it);
        before that step is sent, what the account already shows for the contact, when expectations need it."""
        if trail.who is not None and step.kind != "contact":
            return
        who = who_of(step.kind, body)
        if who is None:
            return
        trail.who = who
        if trail.noted or self.account is None:
            return
        checks = [s.expectation.follow for s in contact.steps if s.expectation is not None and s.expectation.follow]
        if checks:
            await trail.note_before(self.account, messages=any(not isinstance(c, ActivityCheck) for c in checks),
                                    activity=any(isinstance(c, ActivityCheck) for c in checks))

    async def _write(self, contact: Contact, step: FlatStep, base: dict[str, Any], trail: Trail) -> None:
        """A contact or order step: it must be taken, as an event must be accepted."""
        try:
            body = contact.render(step)
        except InputError as exc:
            self._summary.not_sent += 1
            self._record(StepResult(**base, outcome="not_sent", expectation="failed", detail=str(exc)))
            return
        if self.account is None:
            self._record(StepResult(**base, outcome="not_sent", expectation="failed",
                                    detail="this run has no way into the account (its key and base URL)"))
            return
        await self._name_contact(contact, step, body, trail)
        data = json.loads(body)
        try:
            if step.kind == "contact":
                contact_id = await self.account.client.save_contact(data)
                if trail.who is not None:
                    trail.who.contact_id = contact_id
                detail = f"contact #{contact_id} saved ({trail.who.text if trail.who else 'no channel'})"
                self._summary.contacts_saved += 1
            else:
                failed = await self.account.client.send_orders([data])
                if failed:
                    said = json.dumps(failed[0], ensure_ascii=False)[:300]
                    self._record(StepResult(**base, outcome="rejected", expectation="failed",
                                            detail=f"the order was not taken: {said}"))
                    return
                detail = f"order {data.get('externalOrderId')} taken ({data.get('status')})"
                self._summary.orders_sent += 1
        except self.account.errors as exc:
            network = is_network(exc)
            self._summary.failed_without_answer += 1 if network else 0
            self._record(StepResult(**base, outcome="network_error" if network else "error", expectation="failed",
                                    detail=str(exc)))
            return
        self._record(StepResult(**base, outcome="done", expectation="held", detail=detail))

    async def _follow(self, step: FlatStep, base: dict[str, Any], trail: Trail) -> None:
        assert step.expectation is not None and step.expectation.follow is not None
        if self.account is None:
            self._record(StepResult(**base, expectation="failed", outcome="not_run",
                                    detail="this run has no way into the account (its key and base URL)"))
            return
        found = await follow(self.account, step.expectation.follow, trail,
                             step.expectation.follow.within * self.wait_scale)
        if found.network:
            self._summary.failed_without_answer += 1
        self._record(StepResult(**base, expectation="held" if found.held else "failed",
                                outcome="no_answer" if found.network else "checked",
                                detail=found.words))

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
