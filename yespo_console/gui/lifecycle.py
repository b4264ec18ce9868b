"""The console's life: its window painted first with a loading face (its title, its saved geometry), then
the console built into that same window and painted, with only what that paint needs; then, once it is
painted and has taken a turn of input, the rest: logging, the history (an old one upgraded on a worker thread
once the loop runs, the window working meanwhile), the qasync loop, the embedded sandbox (at the Sandbox
environment's address: gui.session), the offscreen screenshot mode, and a clean shutdown.

The window is shown and painted on a plain Qt event loop, before asyncio and qasync are even imported:
nothing in the first paint is asynchronous, and loading them first would hold the paint up. Input that
comes while the rest loads waits in Qt's queue, in order, for the qasync loop.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QEventLoop, QSettings, QSize, QTimer
from PySide6.QtWidgets import QApplication

from yespo_console.gui.startup import milestone, on_first_paint, reached, show_and_wait_for_paint

if TYPE_CHECKING:
    import asyncio

    from yespo_console.gui.main_window import MainWindow
    from yespo_console.gui.session import Session

T = TypeVar("T")
PAINT_TIMEOUT_MS = 2000  # a platform may never say it painted
UPGRADING = ("Rebuilding the history's search index for the new search (once: about a minute for each 200,000 "
             "exchanges)…")


def _build(window: MainWindow, home: Path, event: str | None, body: str | None) -> Session | None:
    """The console into WINDOW, over a session whose history opens later; None when the window was closed
    while loading."""
    window.advance()
    from yespo_console.core.events.examples import example_draft
    from yespo_console.gui.session import Session

    session = Session.open(home, history=False)
    window.advance()
    if window.abandoned:  # closed while loading: the user wants out, not a console
        return None
    # With a body or an event to show (the screenshot tool), the window is built whole, as tests build it.
    window.build(session, first_paint_only=event is None and body is None)
    if event is not None:
        window.set_draft(example_draft(event))
    if body is not None:
        window.load_body_text(body)
    return session


def _wait_until_painted(window: MainWindow) -> None:
    """Return one turn of the event loop after WINDOW's next paint: the turn in which a key typed by then
    reaches the form. Also when it is closed first, or after PAINT_TIMEOUT_MS."""
    waiting = QEventLoop()

    def painted() -> None:
        QTimer.singleShot(0, waiting, ready)

    def ready() -> None:
        milestone("console ready")
        waiting.quit()

    on_first_paint(window, painted)
    QTimer.singleShot(PAINT_TIMEOUT_MS, waiting, waiting.quit)
    window.update()  # the whole window: its face is gone, the console is in its place
    # Not QApplication.lastWindowClosed: Qt says that only while QApplication.exec() runs, not this loop.
    def visibility_changed(visible: bool) -> None:
        if not visible:
            waiting.quit()

    handle = window.windowHandle()
    if handle is not None:
        handle.visibleChanged.connect(visibility_changed)
    if window.isVisible():
        waiting.exec()


def _open_history(window: MainWindow, session: Session) -> bool:
    """After the first paint: open the history, unless its one-time upgrade (a search index rebuild, minutes on
    a large history) is due: then say so, and leave it to `_upgrade_history`. Whether it is open (or off)."""
    from yespo_console.core.history.db import upgrade_pending
    from yespo_console.core.paths import history_path

    if upgrade_pending(history_path(session.home)):
        window.history_upgrading(UPGRADING)
        return False
    session.open_history()
    window.history_opened()
    return True


def _on_a_daemon_thread(work: Callable[[], T]) -> asyncio.Future[T]:
    """WORK on its own thread, its result on this loop. A daemon: quitting does not wait for it (an upgrade cut
    short is rolled back by SQLite, and done again at the next start)."""
    import asyncio
    import threading

    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def hand_over(outcome: Callable[[], None]) -> None:
        # A closed loop refuses it: the window was closed, and nobody waits for the result any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, outcome)

    def run() -> None:
        try:
            result = work()
        except BaseException as exc:  # handed to the loop, as the future's
            hand_over(partial(future.set_exception, exc))
        else:
            hand_over(partial(future.set_result, result))

    threading.Thread(target=run, name="history-upgrade", daemon=True).start()
    return future


async def _upgrade_history(window: MainWindow, session: Session, closed: asyncio.Event) -> None:
    """The history's upgrade on a worker thread, the window working meanwhile: sends, runs and the proxy wait for
    it (`Session.history_wait`), so that nothing goes out unrecorded. Closing the window does not wait for it."""
    import asyncio

    opening = _on_a_daemon_thread(session.load_history)
    closing = asyncio.ensure_future(closed.wait())
    either: set[asyncio.Future[Any]] = {opening, closing}
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        closing.cancel()
    if not opening.done():
        return
    session.adopt_history(*opening.result())
    window.history_opened()


async def _after_paint(window: MainWindow, session: Session, closed: asyncio.Event, screenshot: Path | None,
                       *, history_open: bool) -> int:
    import asyncio

    # The sandbox (its server stack too) once the console is painted: it says when it listens, and where.
    if not closed.is_set():
        await session.start_sandbox(port=None)
        window.sandbox_ready()
    if not history_open:
        await _upgrade_history(window, session, closed)
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


def run_console(app: QApplication, settings: QSettings, home: Path, *, screenshot: Path | None, event: str | None,
                body: str | None = None, size: QSize | None = None) -> int:
    """SIZE: the window's size (--size), over the one it had when it last closed."""
    from yespo_console.gui.main_window import MainWindow

    window = MainWindow(settings=settings, size=size)
    show_and_wait_for_paint(window, PAINT_TIMEOUT_MS)
    milestone("first window")
    # Building the window makes tens of thousands of objects that live as long as it does (Qt's types and enums,
    # the widgets): collecting while they are made only walks them again and again. (`yespo-console gui` turns
    # collection off from its start; this is for a caller that did not.)
    gc.disable()
    try:
        session = _build(window, home, event, body)
        if session is None:
            window.deleteLater()
            return 0
        _wait_until_painted(window)
    finally:
        gc.enable()
    window.finish_start()
    from yespo_console.core.events.rules import load_validators

    load_validators()  # before the first keystroke asks for them
    # Painted, and it took its first input: what follows was not needed for that.
    import logging

    from yespo_console.gui.logs import flush_repeats, install_excepthook, setup_logging

    install_excepthook(setup_logging(home))
    logging.getLogger(__name__).info("start-up: %s (ms after the process started)",
             ", ".join(f"{name} {ms:.0f}" for name, ms in reached.items()))
    history_open = _open_history(window, session)
    os.environ.setdefault("QT_API", "pyside6")  # qasync would pick PyQt6 first if both were installed
    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            window_closed = asyncio.Event()
            app.lastWindowClosed.connect(window_closed.set)
            if not window.isVisible():  # closed before the loop ran
                window_closed.set()
            return int(loop.run_until_complete(_after_paint(window, session, window_closed, screenshot,
                                                            history_open=history_open)))
    finally:
        flush_repeats()
