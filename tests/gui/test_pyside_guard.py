"""PySide6 6.12.0 on Python 3.11 drops a reference to None on every Qt call returning nothing and
aborts after ~12,000 of them (docs/stack-notes.md). This catches a careless upgrade."""

import sys

from PySide6.QtCore import QTimer


def test_qt_void_calls_do_not_leak_none_references(qapp):
    timer = QTimer()
    before = sys.getrefcount(None)
    for _ in range(1000):
        timer.start(1000)
        timer.stop()
    after = sys.getrefcount(None)
    assert after >= before - 50, f"None lost {before - after} references over 2,000 Qt calls"
