"""Verification adds no lag to typing or sending: the window's event loop while the Verification dock polls.

In one process, offscreen: the main window with its embedded sandbox (on the same qasync loop, as `make run`
has it), a contact in the sandbox, and a send of an event type no workflow starts on, so that a verification
polls for its whole wait. Blocks of a few seconds each, interleaved so that the machine's noise hits them
alike (--rounds rounds of: no verification, polling, polling against slow answers, polling against 429s):

- event-loop latency: how late a 1 ms timer fires (p50, p95), the typing and polling going on;
- keystroke to preview: one character typed into a 20-item cart, to the preview, ladder and marks refreshed
  (bench_gui's second row), a keystroke every 50 ms.

The dock polls here every POLL_S (its own plan starts at 2 s and grows to 20 s: this is a far harder load),
every call recorded in the history as a lookup, as in use. Slow: the sandbox answers after --slow-ms; 429:
it answers every call with 429 and Retry-After, which polling waits out. Targets: polling adds < 16 ms to the
p95 event-loop latency, and a keystroke's preview stays < 16 ms (p95) while polling.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_verify_gui.py [--rounds 5] [--block 3]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

POLL_S = 0.05
LOOP_TARGET_MS = 16.0
PREVIEW_TARGET_MS = 16.0
CONDITIONS = ("idle", "polling", "polling, slow answers", "polling, 429 answers")
EMAIL = "bench.contact@example.com"


@dataclass
class Samples:
    lateness_ms: list[float] = field(default_factory=list)
    preview_ms: list[float] = field(default_factory=list)
    polls: int = 0


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else (values[0] if values else 0.0)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[-1] if len(values) >= 2 else (values[0] if values else 0.0)


class Probe:
    """A 1 ms timer whose lateness is kept, and a keystroke every 50 ms timed to its preview's refresh."""

    def __init__(self, window: Any) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.window = window
        self.samples: Samples | None = None
        self.edit = window.form.scalar_editors["recycleStateId"].focus_widget()
        self.typed_at: float | None = None
        self.keys = 0
        binding = window.binding
        refresh = binding.refresh

        def timed_refresh() -> None:  # the coalesced refresh a keystroke schedules: its end is the preview shown
            refresh()
            if self.typed_at is not None and self.samples is not None:
                self.samples.preview_ms.append((time.perf_counter() - self.typed_at) * 1000)
            self.typed_at = None

        binding.refresh = timed_refresh  # schedule_refresh looks the method up each time
        self.last = time.perf_counter()
        self.tick = QTimer()
        self.tick.setTimerType(Qt.TimerType.PreciseTimer)
        self.tick.setInterval(1)
        self.tick.timeout.connect(self._ticked)
        self.typing = QTimer()
        self.typing.setInterval(50)
        self.typing.timeout.connect(self._type)

    def start(self, samples: Samples) -> None:
        self.samples = samples
        self.last = time.perf_counter()
        self.tick.start()
        self.typing.start()

    def stop(self) -> None:
        self.tick.stop()
        self.typing.stop()
        self.samples = None

    def _ticked(self) -> None:
        now = time.perf_counter()
        if self.samples is not None:
            self.samples.lateness_ms.append(max(0.0, (now - self.last) * 1000 - 1.0))
        self.last = now

    def _type(self) -> None:
        self.keys += 1
        self.typed_at = time.perf_counter()
        self.edit.insert("x" if self.keys % 2 else "y")


async def run(rounds: int, block_s: float, slow_ms: int) -> dict[str, Samples]:
    from PySide6.QtCore import QSettings

    from yespo_console.core.events.examples import example_draft
    from yespo_console.core.followup import verify as verify_module
    from yespo_console.core.followup.client import AccountClient
    from yespo_console.core.http.environments import SANDBOX
    from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
    from yespo_console.core.http.outcome import Outcome
    from yespo_console.gui.main_window import MainWindow
    from yespo_console.gui.session import Session

    # The dock imports PollPlan when a verification starts, and gives it the wait alone.
    verify_module.PollPlan = functools.partial(  # type: ignore[misc]
        verify_module.PollPlan, first_interval_s=POLL_S, factor=1.0, max_interval_s=POLL_S)
    results = {name: Samples() for name in CONDITIONS}
    with tempfile.TemporaryDirectory(prefix="bench-verify-gui-") as home:
        session = Session.open(home)
        window = MainWindow(session, QSettings(os.path.join(home, "settings.ini"), QSettings.Format.IniFormat))
        window.resize(1366, 768)
        window.show()
        await session.start_sandbox()
        window.sandbox_ready()
        sandbox = session.sandbox
        if sandbox is None:
            raise SystemExit(f"the embedded sandbox did not start: {session.sandbox_error}")
        env = session.environment(SANDBOX)
        async with AccountClient(env, secret=session.secret(env)) as client:
            await client.save_contact({"channels": [{"type": "email", "value": EMAIL}], "firstName": "Bench"})
        draft = example_draft("cartUpdated")
        template = draft.values["products"][0]
        draft.values["products"] = [{**template, "productId": f"SKU-{n:03d}"} for n in range(20)]
        window.set_draft(draft)
        assert session.history is not None
        exchange_id = session.history.begin(ExchangeRequest(
            url=env.url, body=b"{}", environment=SANDBOX, event_type="benchNothingFollows", key_value=EMAIL,
            key_value_source="email"))
        session.history.complete(exchange_id, ExchangeResult(Outcome.ACCEPTED, status=200))
        dock = window.verify_dock
        ended: list[asyncio.Future[Any]] = []
        dock.finished.connect(lambda result: ended[-1].set_result(result) if ended and not ended[-1].done() else None)
        probe = Probe(window)
        await asyncio.sleep(0.5)  # the window settled, the sandbox listening
        faults: dict[str, Callable[[], object]] = {
            "polling": sandbox.reset_faults,
            "polling, slow answers": lambda: sandbox.set_faults(latency_ms=slow_ms),
            "polling, 429 answers": lambda: sandbox.set_faults(status=429, retry_after=1),
        }
        for number in range(rounds):
            for name in CONDITIONS:
                samples = results[name]
                if name != "idle":
                    dock.set_exchange(session.history.get(exchange_id))
                    task = dock.start()
                    if task is None:
                        raise SystemExit(f"the verification did not start: {dock.status.text()}")
                    while "Poll" not in dock.status.text():  # the contact is found: polling has begun
                        await asyncio.sleep(0.02)
                    faults[name]()
                probe.start(samples)
                await asyncio.sleep(block_s)
                probe.stop()
                if name != "idle":
                    sandbox.reset_faults()
                    ended.append(asyncio.get_running_loop().create_future())
                    dock.stop()
                    result = await ended[-1]
                    samples.polls += result.polls
            print(f"round {number + 1}/{rounds} done", file=sys.stderr, flush=True)
        window.close()
        await session.aclose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of every condition (default 5)")
    parser.add_argument("--block", type=float, default=3.0, help="seconds measured per condition and round")
    parser.add_argument("--slow-ms", type=int, default=300, help="the slow answers' added latency (default 300)")
    args = parser.parse_args()

    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)  # closing the window at the end must not stop the loop under run()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        results = loop.run_until_complete(run(args.rounds, args.block, args.slow_ms))
    idle = results["idle"]
    base_p95 = p95(idle.lateness_ms)
    print(f"load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores); {args.rounds} rounds of "
          f"{args.block:g} s per condition, interleaved; polls every {POLL_S * 1000:.0f} ms while polling\n")
    print(f"{'measure':<60}{'value':>10}{'baseline':>10}{'added':>9}  target")
    print("-" * 110)
    for name in CONDITIONS[1:]:
        samples = results[name]
        value = p95(samples.lateness_ms)
        added = value - base_p95
        verdict = "met" if added < LOOP_TARGET_MS else "MISSED"
        label = f"event-loop lateness p95 (ms), {name}"
        print(f"{label:<60}{value:>10.2f}{base_p95:>10.2f}{added:>9.2f}  +< {LOOP_TARGET_MS:g} ms: {verdict}"
              f"  (p50 {statistics.median(samples.lateness_ms):.2f}, p99 {p99(samples.lateness_ms):.1f} "
              f"vs {p99(idle.lateness_ms):.1f} idle, max {max(samples.lateness_ms):.0f} vs "
              f"{max(idle.lateness_ms):.0f}, {samples.polls} polls)")
    for name in CONDITIONS:
        samples = results[name]
        value = p95(samples.preview_ms)
        label = f"keystroke to preview p95 (ms), {name}"
        baseline = f"{p95(idle.preview_ms):>10.2f}" if name != "idle" else f"{'':>10}"
        target = f"< {PREVIEW_TARGET_MS:g} ms: {'met' if value < PREVIEW_TARGET_MS else 'MISSED'}"
        median = statistics.median(samples.preview_ms)
        print(f"{label:<60}{value:>10.2f}{baseline}{'':>9}  {target}  (median {median:.2f}, "
              f"{len(samples.preview_ms)} keystrokes)")


if __name__ == "__main__":
    main()
