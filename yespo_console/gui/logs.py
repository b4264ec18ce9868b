"""The log file beside the history, and the app-wide exception hook that logs and shows an error
instead of letting the console die.

The log is the sandbox's kind (sandbox.logs): rotated at a size cap with a few old files kept, repeats
folded into one line with a count, and every line escaped (a request or an answer may hold terminal escapes).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from yespo_console import APP_NAME
from yespo_console.sandbox.logs import LOG_BACKUPS, LOG_MAX_BYTES, EscapingFormatter, RepeatFilter

log = logging.getLogger("yespo_console")

LOG_FILE = "yespo-console.log"
_repeats: list[RepeatFilter] = []  # one per log set up (one in the app; a test may set up several)


def setup_logging(home: Path, *, max_bytes: int = LOG_MAX_BYTES, backups: int = LOG_BACKUPS) -> Path:
    """Log INFO and up to HOME/yespo-console.log (renamed to .1 … .BACKUPS past MAX_BYTES); its path."""
    path = home / LOG_FILE
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(EscapingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    repeats = RepeatFilter()
    handler.addFilter(repeats)
    _repeats.append(repeats)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


def flush_repeats() -> None:
    """Write the counts of repeats still folded (as the console quits)."""
    for repeats in _repeats:
        repeats.flush(log)


_error_boxes: list[QMessageBox] = []


def install_excepthook(log_path: Path | None) -> None:
    """An uncaught error (an async slot's included) is logged and shown in a dialog; the app lives on.

    The dialog is shown, not exec()'d: a nested event loop inside a running asyncio task would make
    qasync step other tasks re-entrantly.
    """

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, error, tb))
        log.error("unexpected error:\n%s", text)
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            sys.__excepthook__(kind, error, tb)
            return
        box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, f"Something went wrong: {error}")
        where = f" It was logged to {log_path}." if log_path else ""
        box.setInformativeText(f"Your data is safe; the window keeps working.{where}")
        box.setDetailedText(text)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        _error_boxes.append(box)  # no parent: without a reference Python would delete it at once
        box.finished.connect(lambda _result: _error_boxes.remove(box))
        box.show()

    sys.excepthook = hook
