"""GUI fixtures: a qasync loop on pytest-qt's QApplication, a session on a temp folder with the
embedded sandbox running on that loop, and a main window over it.

The loop fixture follows ../shared/stack-notes.md: `already_running=True`, and never `loop.stop()`
(it would set Qt's quit flag and make every later qtbot wait return at once).
"""

from __future__ import annotations

import asyncio
import os

os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

import pytest
import qasync
from PySide6.QtCore import QSettings

from yespo_console.gui.main_window import MainWindow
from yespo_console.gui.session import Session


@pytest.fixture
def qloop(qapp):
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
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
    loop.close()


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
