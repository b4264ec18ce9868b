"""The test harness itself: a closed qasync loop must leave nothing that crashes a later test.

The reliability tests used to die with a SIGSEGV inside Qt's event processing (pytest-qt's
`_process_events`, `waitSignal`, `waitUntil`) in a window test that came after window tests and
in-process CLI runs. The cause, seen under gdb: a cyclic garbage collection triggered on the sandbox's
thread (`sandbox_thread`, uvicorn handling a CLI send) freed a closed qasync loop of an earlier test;
the loop's `_SimpleTimer`, a QObject still holding the Qt timers of its pending `call_later`s, was
destroyed on that thread ("QObject::~QObject: Timers cannot be stopped from another thread"), its timers
stayed registered with the GUI thread, and when one came due Qt sent a QTimerEvent to freed memory
(QTimerInfoList::activateTimers -> QCoreApplication::notifyInternal2). tests/gui/conftest.py's
`close_qloop` now frees those Qt objects itself, on the GUI thread. This test does deterministically
what the suite did by chance.
"""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

from PySide6.QtWidgets import QApplication

from tests.gui import conftest as gui_conftest


def test_a_closed_qloop_freed_on_another_thread_leaves_no_qt_timer(qapp: QApplication, qtbot: Any,
                                                                   qtlog: Any) -> None:
    loop = gui_conftest.open_qloop(qapp)
    loop.call_later(3600, lambda: None)  # a Qt timer still pending when the loop closes, as in the tests
    assert len(loop._timer._SimpleTimer__callbacks) == 1
    gui_conftest.close_qloop(loop, qapp)
    freed = weakref.ref(loop)
    gc.collect()  # whatever else is garbage goes now, on this thread: only this loop is left to the other one
    gc.disable()  # so that the collection below, on another thread, is the one that frees the loop
    try:
        del loop
        collector = threading.Thread(target=gc.collect, name="not-the-gui-thread")
        collector.start()
        collector.join(30)
    finally:
        gc.enable()
    assert freed() is None, "the loop was not freed by the other thread's collection: the test proves nothing"
    qtbot.wait(20)
    cross_thread = [record.message for record in qtlog.records if "another thread" in record.message]
    assert not cross_thread, cross_thread
