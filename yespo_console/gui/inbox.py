"""The sandbox inbox: what the embedded sandbox received, from the console or from any other program,
with the diagnostics of each event — so support can point a customer's integration at the console."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from yespo_console.core.events.findings import Finding
from yespo_console.core.events.tiers import Tier
from yespo_console.gui import theme
from yespo_console.gui.diagnostics_view import DiagnosticsView
from yespo_console.gui.preview import CodeView
from yespo_console.gui.table_model import Index, RowsModel
from yespo_console.sandbox.faults import Faults

if TYPE_CHECKING:
    from yespo_console.sandbox.server import Sandbox
    from yespo_console.sandbox.store import SandboxEvent

MAX_ROWS = 500
COLUMNS = ("time", "from", "endpoint", "event", "keyValue", "status", "verdict")

# Fault presets a support engineer flips while watching an integration react.
FAULTS: tuple[tuple[str, Faults], ...] = (
    ("No faults: judge and answer", Faults()),
    ("429 Too Many Requests (Retry-After 5)", Faults(status=429, retry_after=5)),
    ("500 Internal Server Error", Faults(status=500)),
    ("503 Service Unavailable", Faults(status=503, retry_after=10)),
    ("2 s latency", Faults(latency_ms=2000)),
    ("30 s latency (timeouts)", Faults(latency_ms=30_000)),
    ("Drop every connection", Faults(drop_rate=1.0)),
    ("Fail 30 % with 500", Faults(fail_rate=0.3)),
)


VALIDATION_CHOICES: tuple[tuple[str, str | None], ...] = (
    ("Validate: as profile", None),
    ("Validate: off", "none"),
    ("Validate: all types", "all"),
)


def findings_of(event: SandboxEvent) -> tuple[Finding, ...]:
    return tuple(Finding.from_dict(d) for d in event.diagnostics)


def verdict(event: SandboxEvent) -> str:
    if event.status is None:
        return f"dropped ({event.fault})" if event.fault else "dropped"
    if event.fault:
        return f"fault: {event.fault}"
    if event.valid is None:
        return event.auth or "not judged"
    if event.status >= 400:
        return f"rejected ({event.status})"
    # Accepted: a missing required param counts as a problem too, since Validate parameters was off for it.
    problems = sum(f.tier in (Tier.ACCEPTED_BUT, Tier.REJECTED_IF_VALIDATED) for f in findings_of(event))
    return f"accepted · {problems} problem{'s' if problems != 1 else ''} downstream" if problems else "accepted"


class InboxModel(RowsModel["SandboxEvent"]):
    """The newest events first, at most MAX_ROWS of them in memory."""

    COLUMNS = COLUMNS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cells: list[tuple[str, ...]] = []

    @property
    def events(self) -> list[SandboxEvent]:
        return self.rows

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 6:
            event = self.events[index.row()]
            return theme.qcolor("ok" if event.valid and not event.fault and event.status else "error")
        return None

    def set_events(self, events: list[SandboxEvent]) -> None:
        self.beginResetModel()
        self.rows = events[:MAX_ROWS]
        self._cells = [self._row(event) for event in self.events]
        self.endResetModel()

    def add(self, event: SandboxEvent) -> None:
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.rows.insert(0, event)
        self._cells.insert(0, self._row(event))
        self.endInsertRows()
        if len(self.rows) > MAX_ROWS:
            self.beginRemoveRows(QModelIndex(), MAX_ROWS, len(self.rows) - 1)
            del self.rows[MAX_ROWS:]
            del self._cells[MAX_ROWS:]
            self.endRemoveRows()

    @staticmethod
    def _row(event: SandboxEvent) -> tuple[str, ...]:
        return (event.received_at.astimezone().strftime("%H:%M:%S"), event.remote, event.endpoint,
                event.event_type or "–", event.key_value or "–", str(event.status) if event.status else "–",
                verdict(event))


class InboxDock(QDockWidget):
    """Lists every request the embedded sandbox received, newest first, as they arrive."""

    event_received = Signal(object)  # a SandboxEvent, delivered on the GUI thread

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sandbox inbox", parent)
        self.setObjectName("inboxDock")
        self.sandbox: Sandbox | None = None
        self._unsubscribe: Callable[[], None] | None = None
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.address = QLabel(body)
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(self.address, 1)
        self.faults = QComboBox(body)
        self.faults.setToolTip("Fault injection: how the sandbox answers from now on")
        for label, faults in FAULTS:
            self.faults.addItem(label, faults)
        self.faults.currentIndexChanged.connect(self._faults_chosen)
        bar.addWidget(self.faults)
        self.validation = QComboBox(body)
        self.validation.setToolTip("Validate parameters, Yespo's per-event-type setting: with it on, an event that "
                                   "lacks a required param is refused with 400 listing the type's structure")
        for label, choice in VALIDATION_CHOICES:
            self.validation.addItem(label, choice)
        self.validation.currentIndexChanged.connect(self._validation_chosen)
        bar.addWidget(self.validation)
        copy = QPushButton("Copy URL", body)
        copy.setToolTip("Copy the event URL, to point another program at the sandbox")
        copy.clicked.connect(self.copy_url)
        clear = QPushButton("Clear", body)
        clear.clicked.connect(self.clear)
        bar.addWidget(copy)
        bar.addWidget(clear)
        layout.addLayout(bar)

        self.model = InboxModel(self)
        self.table = QTableView(body)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._show_selected)
        detail = QSplitter(Qt.Orientation.Horizontal, body)
        self.body_view = CodeView(read_only=True, parent=detail)
        self.findings = DiagnosticsView(detail)
        detail.addWidget(self.body_view)
        detail.addWidget(self.findings)
        split = QSplitter(Qt.Orientation.Vertical, body)
        split.addWidget(self.table)
        split.addWidget(detail)
        layout.addWidget(split)
        self.setWidget(body)

        self.event_received.connect(self._add, Qt.ConnectionType.QueuedConnection)
        self.address.setText("Starting the embedded sandbox…")
        self.faults.setEnabled(False)
        self.validation.setEnabled(False)

    def attach(self, sandbox: Sandbox | None, error: str = "") -> None:
        """Show what `sandbox` receives from now on (it starts after the window, to open it sooner)."""
        self.detach()
        self.sandbox = sandbox
        if sandbox is None:
            self.address.setText(f"The embedded sandbox is not running: {error or 'not started'}")
            return
        self.faults.setEnabled(True)
        self.validation.setEnabled(True)
        self.validation.setCurrentIndex(max(0, self.validation.findData(sandbox.account.validate)))
        self.address.setText(f"Listening at <b>{sandbox.event_url}</b> — any program may post here")
        self.model.set_events(sandbox.events(limit=MAX_ROWS))
        # The sandbox calls listeners on its loop; a queued signal brings each event to the GUI thread.
        self._unsubscribe = sandbox.add_listener(self.event_received.emit)

    def _add(self, event: SandboxEvent) -> None:
        self.model.add(event)
        if self.table.currentIndex().row() <= 0:
            self.table.selectRow(0)

    def _show_selected(self, current: QModelIndex) -> None:
        if not current.isValid():
            return
        event = self.model.events[current.row()]
        text = event.body_text
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
        notes = "".join(f"\n// {note}" for note in event.notes)
        self.body_view.setPlainText(text + notes)
        self.findings.show_findings(findings_of(event))

    def _faults_chosen(self) -> None:
        if self.sandbox is not None:
            self.sandbox.set_faults(self.faults.currentData())

    def _validation_chosen(self) -> None:
        if self.sandbox is not None:
            self.sandbox.account = replace(self.sandbox.account, validate=self.validation.currentData())

    def copy_url(self) -> None:
        if self.sandbox is not None:
            QGuiApplication.clipboard().setText(self.sandbox.event_url)

    def clear(self) -> None:
        if self.sandbox is not None:
            self.sandbox.clear()
        self.model.set_events([])
        self.body_view.setPlainText("")

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
