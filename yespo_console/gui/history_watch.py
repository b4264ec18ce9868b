"""Noticing rows written to the history by someone else (the CLI, a scenario run in another process, a
second window) without a Refresh: SQLite's `PRAGMA data_version` changes whenever another connection
commits, and reading it costs no more than a function call, so a timer asks for it a few times a second."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from yespo_console.core.errors import StoreError

if TYPE_CHECKING:
    from yespo_console.core.history.store import HistoryStore

POLL_MS = 400  # within a second of the other process's commit, even with a busy event loop


class HistoryWatcher(QObject):
    """Emits `changed` when another connection has committed to STORE's file since the last look."""

    changed = Signal()

    def __init__(self, store: HistoryStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._version = self._read()
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def _read(self) -> int | None:
        try:
            return self.store.data_version()
        except StoreError:  # the dock says what is wrong when it reads; a watcher only watches
            return None

    def check(self) -> bool:
        """Look now; True (and `changed`) when the file changed."""
        version = self._read()
        if version is None or version == self._version:
            return False
        self._version = version
        self.changed.emit()
        return True

    def stop(self) -> None:
        self.timer.stop()
