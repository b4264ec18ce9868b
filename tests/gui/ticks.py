"""Whether the window's event loop kept running while something was awaited: a Qt timer's ticks, counted."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from PySide6.QtCore import QTimer


@contextlib.contextmanager
def ticking(interval_ms: int = 20) -> Iterator[list[float]]:
    """The times a Qt timer fired every INTERVAL_MS while the block ran (it stops at the block's end)."""
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(interval_ms)
    try:
        yield ticks
    finally:
        timer.stop()
