"""The console's life once the start-up window is on screen: the qasync loop, the core and the window
loaded step by step, then, once the console is painted, what it did not need for that (the embedded
sandbox, at the Sandbox environment's address: gui.session), the offscreen screenshot mode, and a clean
shutdown."""

from __future__ import annotations

import asyncio
import logging
import os
from functools import partial
from pathlib import Path

os.environ.setdefault("QT_API", "pyside6")  # qasync would pick PyQt6 first if both were installed

import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from yespo_console.gui.logs import flush_repeats, install_excepthook, setup_logging
from yespo_console.gui.startup import StartupWindow, milestone, on_first_paint, reached

log = logging.getLogger(__name__)
PAINT_TIMEOUT_S = 2.0  # as the start-up window's
UPGRADING = ("Rebuilding the history's search index for the new search (once: about a minute for each 200,000 "
             "exchanges)…")


def _console_ready(painted: asyncio.Event) -> None:
    painted.set()
    milestone("console ready")
    log.info("start-up: %s (ms after the process started)",
             ", ".join(f"{name} {ms:.0f}" for name, ms in reached.items()))


async def _first_of(*events: asyncio.Event, timeout_s: float) -> None:
    """Return once one of EVENTS is set, or after TIMEOUT_S."""
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


async def _run(app: QApplication, startup: StartupWindow, settings: QSettings, home: Path,
               screenshot: Path | None, event: str | None, body: str | None) -> int:
    startup.advance()
    from yespo_console.core.events.examples import example_draft
    from yespo_console.core.history.db import upgrade_pending
    from yespo_console.core.paths import history_path
    from yespo_console.gui.main_window import MainWindow
    from yespo_console.gui.session import Session

    startup.advance(UPGRADING if upgrade_pending(history_path(home)) else None)
    session = Session.open(home)
    startup.advance()
    window = MainWindow(session, settings)
    if event is not None:
        window.set_draft(example_draft(event))
    if body is not None:
        window.load_body_text(body)
    if startup.abandoned:  # closed while loading: the user wants out, not a window
        window.deleteLater()
        await session.aclose()
        return 0
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    painted = asyncio.Event()
    on_first_paint(window, partial(_console_ready, painted))
    startup.hand_over(window)
    # The sandbox (its server stack too) once the console is painted: it says when it listens, and where. Not
    # forever: a platform may never say it painted, and a user may close the window before it did.
    await _first_of(painted, closed, timeout_s=PAINT_TIMEOUT_S)
    if not closed.is_set():
        await session.start_sandbox(port=None)
        window.sandbox_ready()
    if screenshot is not None:
        await asyncio.sleep(0.3)  # let layouts, the first paint and the sandbox settle
        ok = window.grab().save(str(screenshot))
        window.close()
        await session.aclose()
        print(f"screenshot {'saved to' if ok else 'FAILED:'} {screenshot}")
        return 0 if ok else 1
    await closed.wait()
    await session.aclose()
    return 0


def run_console(app: QApplication, startup: StartupWindow, settings: QSettings, home: Path, *,
                screenshot: Path | None, event: str | None, body: str | None = None) -> int:
    install_excepthook(setup_logging(home))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return int(loop.run_until_complete(_run(app, startup, settings, home, screenshot, event, body)))
    finally:
        flush_repeats()
