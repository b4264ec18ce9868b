"""GUI fixtures: a qasync loop on pytest-qt's QApplication, a session on a temp folder with the
embedded sandbox running on that loop, and a main window over it.

The loop fixture follows docs/stack-notes.md: `already_running=True`, and never `loop.stop()`
(it would set Qt's quit flag and make every later qtbot wait return at once).

A closed qasync loop must leave no Qt object behind for Python's garbage collector: the loop sits in
reference cycles, so it is freed by whichever thread next runs a collection, and in the reliability tests
that is often a sandbox thread (`sandbox_thread`) or an HTTP server thread. qasync's `close()` only
flags its timer object (`_SimpleTimer`, one Qt timer per pending `call_later`) as stopped: its Qt timers
stay registered with the GUI thread. Destroyed from another thread, that QObject cannot unregister
them ("QObject::~QObject: Timers cannot be stopped from another thread"), and the next time one of them
is due Qt delivers a QTimerEvent to freed memory: a SIGSEGV inside a later test's processEvents or
waitSignal. So `close_qloop` kills those timers and deletes the loop's QObjects itself, on this thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

import pytest
import qasync
import shiboken6
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from yespo_console.gui.main_window import MainWindow
from yespo_console.gui.session import Session


def open_qloop(qapp: QApplication) -> qasync.QEventLoop:
    """A qasync loop on the QApplication pytest-qt runs, set up as the running asyncio loop."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    return loop


def close_qloop(loop: qasync.QEventLoop, qapp: QApplication) -> None:
    """Cancel the loop's tasks, close it, and free its Qt objects here, on the GUI thread (see above)."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    for _ in range(500):
        if all(task.done() for task in pending):
            break
        qapp.processEvents()
    loop._QEventLoop__is_running = False
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
    loop.close()  # shuts down (and joins) the default executor, disables the socket notifiers
    release_qt_objects(loop, qapp)
    gc.collect()  # what else the test left in reference cycles is freed now, on this thread


def release_qt_objects(loop: qasync.QEventLoop, qapp: QApplication) -> None:
    """Delete the Qt objects a closed qasync (0.28) loop still holds, so that none is left for the garbage
    collector to destroy on another thread. The names are qasync's private ones: if an upgrade renames
    them this fails loudly rather than letting the crash come back."""
    assert loop.is_closed()
    timer = loop._timer  # qasync._SimpleTimer: a QObject with one Qt timer per pending callback
    callbacks = timer._SimpleTimer__callbacks  # Qt timer id -> asyncio handle
    for timer_id in list(callbacks):
        timer.killTimer(timer_id)
    callbacks.clear()  # also drops the handles, and with them their references to the loop
    shiboken6.delete(timer)
    shiboken6.delete(loop._QEventLoop__call_soon_signaller)  # close() disconnected it
    executor = loop._QEventLoop__default_executor  # qasync.QThreadExecutor, shut down by close()
    if executor is not None:
        for worker in executor._QThreadExecutor__workers:
            worker.wait()
            shiboken6.delete(worker)
    with contextlib.suppress(RuntimeError, TypeError):  # connected by already_running=True
        qapp.aboutToQuit.disconnect(loop._after_run_forever)


@pytest.fixture
def qloop(qapp):
    loop = open_qloop(qapp)
    yield loop
    close_qloop(loop, qapp)


def run(loop, coro, qtbot, timeout=10_000):
    """Run a coroutine to completion on the qasync loop while Qt keeps processing events."""
    task = loop.create_task(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@pytest.fixture
def session(qloop, qtbot, tmp_path):
    session = Session.open(tmp_path / "home")
    run(qloop, session.start_sandbox(), qtbot)
    assert session.sandbox is not None, session.sandbox_error
    yield session
    run(qloop, session.aclose(), qtbot)


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(session, settings, qtbot):
    win = MainWindow(session, settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win
