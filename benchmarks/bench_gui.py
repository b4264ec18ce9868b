"""Start-up and preview latency of the console, each against a baseline measured in the same run.

1. Process start to the first shown window: `yespo-console gui` (with its embedded sandbox) vs a bare
   PySide6 window. Target ≤ 1.5×. Medians of --runs runs, offscreen.
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
import sys, time
from PySide6.QtWidgets import QApplication, QMainWindow
from PySide6.QtCore import QTimer
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1400, 900); w.show()
QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))
app.exec()
"""

CONSOLE = """
import asyncio, os, sys
os.environ["QT_API"] = "pyside6"
from yespo_console.gui import app as gui_app
from PySide6.QtWidgets import QApplication
import qasync
async def main(home):
    from yespo_console.gui.main_window import MainWindow
    from yespo_console.gui.session import Session
    session = Session.open(home)  # the same order as yespo_console.gui.app._run
    window = MainWindow(session, gui_app.settings_for(session.home))
    window.show()
    await asyncio.sleep(0)
    print("shown", flush=True)
    await session.start_sandbox()
    window.sandbox_ready()
    window.close()
    await session.aclose()
app = gui_app.make_application()
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
with loop:
    loop.run_until_complete(main(sys.argv[1]))
"""


def time_start(code: str, args: list[str]) -> float:
    """Milliseconds from spawning the process to its "shown" line (not to its exit: shutting the
    sandbox down afterwards is not start-up)."""
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == "shown":
            elapsed = time.perf_counter() - start
            break
    else:
        raise SystemExit(f"the window did not show:\n{process.stderr.read() if process.stderr else ''}")
    process.communicate(timeout=120)
    return elapsed * 1000


def preview_latency(keystrokes: int) -> tuple[float, float]:
    import asyncio

    import qasync
    from PySide6.QtWidgets import QApplication

    from yespo_console.core.examples import example_draft
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
    bare, console = [], []
    with tempfile.TemporaryDirectory() as home:
        for _ in range(args.runs):  # interleaved, so machine noise hits both alike
            bare.append(time_start(BARE, []))
            console.append(time_start(CONSOLE, [home]))
    median_bare, median_console = statistics.median(bare), statistics.median(console)
    ratio = median_console / median_bare
    print(f"{'measure':<52}{'value':>12}{'baseline':>12}{'ratio':>8}")
    label = f"start to first window (ms, median of {args.runs})"
    print(f"{label:<52}{median_console:>12.0f}{median_bare:>12.0f}"
          f"{ratio:>8.2f}  target ≤ 1.5: {'met' if ratio <= 1.5 else 'MISSED'}")
    median, p95 = preview_latency(args.keystrokes)
    print(f"{'preview update per keystroke, 20-item cart (ms)':<52}{median:>12.2f}{'':>12}{'':>8}  p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
