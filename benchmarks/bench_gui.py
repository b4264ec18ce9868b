"""Start-up and preview latency of the console, each against a baseline measured in the same run.

1. Process start to the first window on screen: the real entry point (`python -m yespo_console gui`,
   the embedded sandbox included) vs a bare PySide6 window. Both count at the window's first paint
   event, not at show(). The console's first window is its own QMainWindow with a loading face (its
   title, saved geometry, the step); the console is then built into that same window, and the second
   row is the start to the console itself painted and ready for input (that window's paint with the
   console in it, plus the turn of the event loop after it: a key typed then lands in the form,
   tests/gui/test_startup.py), against the same bare window. What the console does not need for that
   (the environments, the validators, the Sandbox inbox's and the Verification dock's hidden tabs, the
   history, the event loop, the embedded sandbox, the Scenarios dock) comes after and is not counted.
   Targets: first row ≤ 1.5×, second row ≤ 2.5× (issue 14). Medians of --runs runs, interleaved, offscreen;
   the console's sandbox is pointed at a free port. With $PYTHONDONTWRITEBYTECODE set and stale or missing
   bytecode caches, every run compiles the package's modules again (tens of ms): `python -m compileall
   yespo_console` first, as an install does.
2. Preview update latency while typing into a 20-item cart: one keystroke -> form draft -> wire
   bytes -> diagnostics -> preview, ladder and marks, measured in-process.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BARE = """
import sys
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow
class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            print("startup first window", file=sys.stderr, flush=True)
            app.quit()
        return False
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1400, 900)
first_paint = FirstPaint(); w.installEventFilter(first_paint)
w.show()
app.exec()
"""
MILESTONES = ("first window", "console ready")


def time_start(command: list[str], env: dict[str, str], milestones: tuple[str, ...]) -> list[float]:
    """Milliseconds from spawning the process to each of its "startup <milestone>" lines on stderr (not
    to its exit: shutting down is not start-up)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    times: dict[str, float] = {}
    seen: list[str] = []
    for line in process.stderr:
        seen.append(line)
        name = line.strip().removeprefix("startup ")
        if name in milestones:
            times[name] = (time.perf_counter() - start) * 1000
            if len(times) == len(milestones):
                break
    process.communicate(timeout=120)
    if len(times) < len(milestones):
        raise SystemExit(f"no {set(milestones) - set(times)} from {command}:\n{''.join(seen)}")
    return [times[name] for name in milestones]


def _sandbox_on_a_free_port(home: str) -> None:
    """The console's sandbox listens at the Sandbox environment's address (8750 by default): point it at a
    free port, so that the runs neither take 8750 from what else runs here nor depend on it being free."""
    import socket

    from yespo_console.core.http.environments import SANDBOX, EnvironmentStore, builtin

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    EnvironmentStore.open(home).save(builtin(SANDBOX).with_url(f"http://127.0.0.1:{port}/api/v2/event"))


def start_times(runs: int) -> tuple[list[float], list[float], list[float]]:
    bare, first, ready = [], [], []
    with tempfile.TemporaryDirectory() as home:
        _sandbox_on_a_free_port(home)
        env = {**os.environ, "YESPO_CONSOLE_TRACE_STARTUP": "1"}
        console = [sys.executable, "-m", "yespo_console", "--data-dir", home, "gui",
                   "--screenshot", os.path.join(home, "shot.png")]
        for _ in range(runs):  # interleaved, so machine noise hits both alike
            bare.extend(time_start([sys.executable, "-c", BARE], env, MILESTONES[:1]))
            window, console_ready = time_start(console, env, MILESTONES)
            first.append(window)
            ready.append(console_ready)
    return bare, first, ready


def preview_latency(keystrokes: int) -> tuple[float, float]:
    import asyncio

    import qasync
    from PySide6.QtWidgets import QApplication

    from yespo_console.core.events.examples import example_draft
    from yespo_console.gui.main_window import MainWindow
    from yespo_console.gui.session import Session

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as home:
        session = Session.open(home)
        from PySide6.QtCore import QSettings

        window = MainWindow(session, QSettings(os.path.join(home, "s.ini"), QSettings.Format.IniFormat))
        draft = example_draft("cartUpdated")
        template = draft.values["products"][0]
        draft.values["products"] = [{**template, "productId": f"SKU-{n:03d}"} for n in range(20)]
        window.set_draft(draft)
        window.show()
        app.processEvents()
        edit = window.form.scalar_editors["recycleStateId"].focus_widget()
        samples = []
        for n in range(keystrokes):
            start = time.perf_counter()
            edit.insert("x" if n % 2 else "y")
            app.processEvents()  # the coalesced refresh runs at the next turn of the loop
            samples.append((time.perf_counter() - start) * 1000)
        window.close()
        session.history.close() if session.history else None
    return statistics.median(samples), statistics.quantiles(samples, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keystrokes", type=int, default=300)
    args = parser.parse_args()
    bare, first, ready = start_times(args.runs)
    median_bare = statistics.median(bare)
    print(f"{'measure':<52}{'value':>12}{'baseline':>12}{'ratio':>8}")
    for label, samples, target in ((f"start to first window (ms, median of {args.runs})", first, 1.5),
                                   (f"start to console ready (ms, median of {args.runs})", ready, 2.5)):
        median = statistics.median(samples)
        verdict = f"  target ≤ {target}: {'met' if median / median_bare <= target else 'MISSED'}" if target else ""
        print(f"{label:<52}{median:>12.0f}{median_bare:>12.0f}{median / median_bare:>8.2f}{verdict}")
    median, p95 = preview_latency(args.keystrokes)
    print(f"{'preview update per keystroke, 20-item cart (ms)':<52}{median:>12.2f}{'':>12}{'':>8}  p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
