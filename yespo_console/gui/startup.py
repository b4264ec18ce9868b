"""The console window's loading face, and the start-up milestones.

Python, PySide6 and a QApplication are up in about the time a bare Qt window takes; the console itself
needs the catalog, the payload, the form and ~100 widgets on top, which is several times that. So the
console's own window shows first, at the size and place it had last time, with its title and a loading face
naming each step; the console is then built into that same window, which repaints (gui.lifecycle). This
module imports nothing of the core: it must stay cheap (not even logging).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

# Not the Qt namespace: creating its enum types costs as much as the rest of this window.
from PySide6.QtCore import QEvent, QEventLoop, QObject, QSize, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from yespo_console import APP_NAME

TRACE_VARIABLE = "YESPO_CONSOLE_TRACE_STARTUP"
DEFAULT_SIZE = QSize(1400, 900)
GEOMETRY_KEY = "window/geometry"
# The console's history, environments, validators and event loop come after its own first paint.
STEPS = ("Starting…", "Loading the event catalog…", "Building the form…")


def _process_started() -> float:
    """When this process started, on the time.monotonic() clock (Linux: from /proc; elsewhere the time
    this module was imported, which misses the interpreter's and Qt's own start)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime, after "(comm)"
        since_boot = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
        return time.monotonic() - since_boot
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic()


_started = _process_started()


# Milestone -> milliseconds after the process started. Kept, not logged: logging loads after the first paint.
reached: dict[str, float] = {}


def elapsed_ms() -> float:
    """Milliseconds since the process started."""
    return (time.monotonic() - _started) * 1000


def milestone(name: str) -> None:
    """Note when start-up reached NAME; with $YESPO_CONSOLE_TRACE_STARTUP set, also say it on stderr at
    once, which is how benchmarks/bench_gui.py times the real entry point from outside."""
    reached[name] = elapsed_ms()
    if os.environ.get(TRACE_VARIABLE):
        print(f"startup {name}", file=sys.stderr, flush=True)


class _FirstPaint(QObject):
    """Calls back once, when WIDGET gets its first paint event: shown on screen, not just show()n."""

    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._callback: Callable[[], None] | None = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._callback is not None:
            callback, self._callback = self._callback, None
            watched.removeEventFilter(self)
            # After this paint, not inside it; with the widget as context: dropped if the widget goes first.
            QTimer.singleShot(0, watched, callback)
        return False


def on_first_paint(widget: QWidget, callback: Callable[[], None]) -> None:
    _FirstPaint(widget, callback)


def after_first_paint(widget: QWidget, callback: Callable[[], None]) -> None:
    """Call back one turn of the event loop after WIDGET's first paint, behind what `on_first_paint` calls
    and the input queued by then: for work neither the first paint nor the first keystroke needs."""
    on_first_paint(widget, lambda: QTimer.singleShot(0, widget, callback))


def show_and_wait_for_paint(window: QWidget, timeout_ms: int = 2000) -> None:
    """Show WINDOW, and return once it is painted (or after TIMEOUT_MS, if the platform never says)."""
    waiting = QEventLoop()
    on_first_paint(window, waiting.quit)
    QTimer.singleShot(timeout_ms, waiting.quit)
    window.show()
    waiting.exec()


class LoadingFace(QWidget):
    """What the console window shows until the console is built into it: its name, the step, a progress bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel(APP_NAME, self)
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 2)
        title.setFont(font)
        self.status = QLabel(STEPS[0], self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, len(STEPS))
        self.progress.setValue(0)
        self.progress.setFixedWidth(320)
        self.progress.setTextVisible(False)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        for widget in (title, self.status, self.progress):  # each centred between stretches
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(widget)
            row.addStretch(1)
            layout.addLayout(row)
        layout.addStretch(3)

    def advance(self, words: str | None = None) -> None:
        """Name the next step (in WORDS, when it is not the usual one), and repaint before its (blocking)
        work begins."""
        step = min(self.progress.value() + 1, len(STEPS) - 1)
        self.status.setText(words or STEPS[step])
        self.progress.setValue(step)
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
