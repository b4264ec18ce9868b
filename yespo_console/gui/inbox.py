"""The sandbox inbox: what the embedded sandbox received, from the console or from any other program,
with the diagnostics of each event — so support can point a customer's integration at the console.

Beside the requests, tabs show the sandbox's account: its contacts, its workflow instances (waiting, cancelled,
sent, lost) and the messages they sent, refreshed as they change."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from yespo_console.gui import theme
from yespo_console.gui.diagnostics_view import DiagnosticsView
from yespo_console.gui.later_dock import LaterDock
from yespo_console.gui.preview import CodeView
from yespo_console.gui.table_model import Index, RowsModel
from yespo_console.gui.tables import fit_columns, long_text_tip, one_line_rows

# The findings module loads with the first event shown, not with the window's first paint.
if TYPE_CHECKING:
    from yespo_console.core.events.findings import Finding
    from yespo_console.sandbox.server import Sandbox
    from yespo_console.sandbox.store import SandboxEvent

MAX_ROWS = 500
COLUMNS = ("time", "from", "endpoint", "event", "keyValue", "status", "verdict", "contact")
# What each column is sized for; the long texts (keyValue, verdict, contact) share the rest of the width.
# Values longer than their column are elided, whole on hover.
COLUMN_SAMPLES = ("00:00:00", "127.0.0.1:65535", "v2/event", "productAddedToCart", "", "200", "", "")
SHARING = tuple(COLUMNS.index(name) for name in ("keyValue", "verdict", "contact"))
VERDICT = COLUMNS.index("verdict")
ACCOUNT_ROWS = 200

# Fault presets a support engineer flips while watching an integration react: each as the fields of its
# sandbox.faults.Faults, made when chosen (pydantic, under Faults, is not loaded for the window's first paint).
FAULTS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("No faults: judge and answer", {}),
    ("429 Too Many Requests (Retry-After 5)", {"status": 429, "retry_after": 5}),
    ("500 Internal Server Error", {"status": 500}),
    ("503 Service Unavailable", {"status": 503, "retry_after": 10}),
    ("2 s latency", {"latency_ms": 2000}),
    ("30 s latency (timeouts)", {"latency_ms": 30_000}),
    ("Drop every connection", {"drop_rate": 1.0}),
    ("Fail 30 % with 500", {"fail_rate": 0.3}),
    ("Yespo's rate limits (429 past them)", {"rate_limits": True}),
)


TIME_SCALES: tuple[tuple[str, float], ...] = (
    ("Workflow delays: as set", 1.0),
    ("Workflow delays ×0.1", 0.1),
    ("Workflow delays ×0.01 (30 min → 18 s)", 0.01),
    ("Workflow delays ×0.001 (30 min → 1.8 s)", 0.001),
)


VALIDATION_CHOICES: tuple[tuple[str, str | None], ...] = (
    ("Validate: as profile", None),
    ("Validate: off", "none"),
    ("Validate: all types", "all"),
)


def findings_of(event: SandboxEvent) -> tuple[Finding, ...]:
    from yespo_console.core.events.findings import Finding

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
    from yespo_console.core.events.findings import downstream_problems

    # Accepted: had Validate parameters been on for a missing required param, the answer would have been a 400.
    problems = downstream_problems(findings_of(event), validated=False)
    return f"accepted · {problems} problem{'s' if problems != 1 else ''} downstream" if problems else "accepted"


def verdict_role(event: SandboxEvent) -> str:
    """The verdict's colour: accepted with problems downstream is a warning, as in the history's outcome
    (it was taken: red said it was refused); refused, dropped or faulted is an error."""
    if event.status is None or event.fault or event.status >= 400:
        return "error"
    if event.valid is None:
        return "dim"  # answered without being judged
    from yespo_console.core.events.findings import downstream_problems

    return "warning" if downstream_problems(findings_of(event), validated=False) else "ok"


class InboxModel(RowsModel["SandboxEvent"]):
    """The newest events first, at most MAX_ROWS of them in memory."""

    COLUMNS = COLUMNS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cells: list[tuple[str, ...]] = []
        self._roles: list[str] = []  # each verdict's colour role, worked out once as the cells are

    @property
    def events(self) -> list[SandboxEvent]:
        return self.rows

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:  # a 150-character email or a long verdict, elided in its cell
            return long_text_tip(self._cells[index.row()][index.column()])
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == VERDICT:
            return theme.qcolor(self._roles[index.row()])
        return None

    def set_events(self, events: list[SandboxEvent]) -> None:
        self.beginResetModel()
        self.rows = events[:MAX_ROWS]
        self._cells = [self._row(event) for event in self.events]
        self._roles = [verdict_role(event) for event in self.events]
        self.endResetModel()

    def add(self, event: SandboxEvent) -> None:
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.rows.insert(0, event)
        self._cells.insert(0, self._row(event))
        self._roles.insert(0, verdict_role(event))
        self.endInsertRows()
        if len(self.rows) > MAX_ROWS:
            self.beginRemoveRows(QModelIndex(), MAX_ROWS, len(self.rows) - 1)
            del self.rows[MAX_ROWS:]
            del self._cells[MAX_ROWS:]
            del self._roles[MAX_ROWS:]
            self.endRemoveRows()

    @staticmethod
    def _row(event: SandboxEvent) -> tuple[str, ...]:
        return (event.received_at.astimezone().strftime("%H:%M:%S"), event.remote, event.endpoint,
                event.event_type or "–", event.key_value or "–", str(event.status) if event.status else "–",
                verdict(event), event.contact or "")


def _channel(item: dict[str, Any], kind: str) -> str:
    return next((str(c.get("value")) for c in item.get("channels") or () if c.get("type") == kind), "")


def _clock(moment: str | None) -> str:
    return (moment or "")[11:19]


# Each account tab: its label, its column titles and how an item of GET /_sandbox/… fills a row.
ACCOUNT_TABS: dict[str, tuple[str, tuple[str, ...], Callable[[dict[str, Any]], tuple[str, ...]]]] = {
    "contact": ("Contacts", ("id", "name", "email", "phone", "external ID", "updated"), lambda c: (
        str(c.get("id")), " ".join(filter(None, (c.get("firstName"), c.get("lastName")))), _channel(c, "email"),
        _channel(c, "sms"), c.get("externalCustomerId") or "", _clock(c.get("updatedAt")))),
    "instance": ("Workflows", ("started", "workflow", "contact", "event", "state", "reason", "due"), lambda i: (
        _clock(i.get("startedAt")), str(i.get("workflowName")), f"#{i.get('contactId')}",
        f"{i.get('sourceEventTypeKey')} #{i.get('eventId')}", str(i.get("state")), str(i.get("reason")),
        _clock(i.get("dueAt")))),
    "delivery": ("Messages", ("sent", "channel", "contact", "subject", "status", "workflow", "event"), lambda d: (
        _clock(d.get("sentDateTime")), str(d.get("channelType")), d.get("email") or d.get("phone") or
        f"#{d.get('contactId')}", str(d.get("subject") or ""), str(d.get("activityStatus")),
        str(d.get("workflowId")), f"{d.get('sourceEventTypeKey')} {d.get('sourceEventKey')}")),
}


def account_items(sandbox: Sandbox, kind: str) -> list[dict[str, Any]]:
    """The newest items of one account tab."""
    db = sandbox.automation.db
    if kind == "contact":
        return db.contacts(ACCOUNT_ROWS)
    if kind == "instance":
        return [instance.as_dict() for instance in db.instances(ACCOUNT_ROWS)]
    return db.recent_deliveries(ACCOUNT_ROWS)


def _choices(parent: QWidget, choices: Sequence[tuple[str, object]], chosen: Callable[[], None],
             tip: str) -> QComboBox:
    combo = QComboBox(parent)
    combo.setToolTip(tip)
    for label, value in choices:
        combo.addItem(label, value)
    combo.currentIndexChanged.connect(chosen)
    return combo


class InboxDock(LaterDock):
    """Lists every request the embedded sandbox received, newest first, as they arrive."""

    event_received = Signal(object)  # a SandboxEvent, delivered on the GUI thread
    account_changed = Signal(str)  # "contact", "instance" or "delivery", delivered on the GUI thread

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sandbox inbox", parent)
        self.setObjectName("inboxDock")
        self.sandbox: Sandbox | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._unsubscribe_account: Callable[[], None] | None = None
        self.event_received.connect(self.add_event, Qt.ConnectionType.QueuedConnection)
        self.account_changed.connect(self.refresh_account, Qt.ConnectionType.QueuedConnection)
        # Its contents (a tenth of the window's widgets) come a turn after the window's first paint, or at once
        # when it is attached to a sandbox.

    def _make_contents(self) -> None:
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 2, 4, 0)
        layout.setSpacing(2)
        bar = QHBoxLayout()
        self.address = QLabel(body)
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(self.address, 1)
        self.faults = _choices(body, FAULTS, self._faults_chosen,
                               "Fault injection: how the sandbox answers from now on")
        bar.addWidget(self.faults)
        self.validation = _choices(body, VALIDATION_CHOICES, self._validation_chosen,
                                   "Validate parameters, Yespo's per-event-type setting: with it on, an event that "
                                   "lacks a required param is refused with 400 listing the type's structure")
        bar.addWidget(self.validation)
        copy = QPushButton("Copy URL", body)
        copy.setToolTip("Copy the event URL, to point another program at the sandbox")
        copy.clicked.connect(self.copy_url)
        clear = QPushButton("Clear", body)
        clear.clicked.connect(self.clear)
        bar.addWidget(copy)
        bar.addWidget(clear)
        layout.addLayout(bar)
        # The account's settings sit in the tab row, beside the account's tabs: a row of their own would
        # take two of the table's rows on a laptop screen.
        account_bar = QWidget(body)
        account_layout = QHBoxLayout(account_bar)
        account_layout.setContentsMargins(0, 0, 4, 2)
        self.time_scale = _choices(account_bar, TIME_SCALES, self._account_chosen,
                                   "How fast the sandbox's workflows run: every delay is multiplied by this")
        account_layout.addWidget(self.time_scale)
        self.auto_contacts = QCheckBox("Auto-create contacts", account_bar)
        self.auto_contacts.setToolTip("Create a contact from an event's locators when none matches (off in Yespo: "
                                      "the event is then recorded as \"Contact not found\" and starts nothing)")
        self.auto_contacts.toggled.connect(self._account_chosen)
        account_layout.addWidget(self.auto_contacts)

        self.model = InboxModel(self)
        self.table = QTableView(body)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Requests the sandbox received")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        one_line_rows(self.table)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        metrics, title_metrics = self.table.fontMetrics(), header.fontMetrics()
        for column, sample in enumerate(COLUMN_SAMPLES):
            width = max(metrics.horizontalAdvance(sample), title_metrics.horizontalAdvance(COLUMNS[column]) + 8)
            header.resizeSection(column, width + 12)
        # The long texts share what is left: no sideways scroll bar eats a row of the list's height.
        for column in SHARING:
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._show_selected)
        # The selected request beside the list rather than under it: the bottom dock is as tall as six
        # history rows, and a split under the list left it two.
        detail = QSplitter(Qt.Orientation.Vertical, body)
        detail.setChildrenCollapsible(False)
        self.body_view = CodeView(read_only=True, parent=detail)
        self.findings = DiagnosticsView(detail)
        detail.addWidget(self.body_view)
        detail.addWidget(self.findings)
        detail.setSizes([3, 2])
        split = QSplitter(Qt.Orientation.Horizontal, body)
        split.setChildrenCollapsible(False)
        split.addWidget(self.table)
        split.addWidget(detail)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 1)
        self.tabs = QTabWidget(body)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(split, "Requests")
        self.tabs.setCornerWidget(account_bar, Qt.Corner.TopRightCorner)
        self.account_tables: dict[str, QTableWidget] = {}
        for kind, (label, titles, _) in ACCOUNT_TABS.items():
            table = QTableWidget(0, len(titles), self.tabs)
            table.setHorizontalHeaderLabels(list(titles))
            one_line_rows(table)
            table.horizontalHeader().setStretchLastSection(True)
            self.account_tables[kind] = table
            self.tabs.addTab(table, label)
        layout.addWidget(self.tabs, 1)
        placeholder = self.widget()
        self.setWidget(body)
        placeholder.deleteLater()
        self.address.setText("Starting the embedded sandbox…")
        for control in (self.faults, self.validation, self.time_scale, self.auto_contacts):
            control.setEnabled(False)

    def attach(self, sandbox: Sandbox | None, error: str = "") -> None:
        """Show what `sandbox` receives from now on (it starts after the window, to open it sooner)."""
        self.build_contents()
        self.detach()
        self.sandbox = sandbox
        if sandbox is None:
            self.address.setText(f"The embedded sandbox is not running: {error or 'not started'}")
            return
        for control in (self.faults, self.validation, self.time_scale, self.auto_contacts):
            control.setEnabled(True)
        self.validation.setCurrentIndex(max(0, self.validation.findData(sandbox.account.validate)))
        scale = self.time_scale.findData(sandbox.account.time_scale)
        if scale < 0:  # a scale set elsewhere (sandbox --time-scale): listed as it is
            self.time_scale.addItem(f"Workflow delays ×{sandbox.account.time_scale:g}", sandbox.account.time_scale)
            scale = self.time_scale.count() - 1
        self.time_scale.setCurrentIndex(scale)
        self.auto_contacts.setChecked(sandbox.account.auto_contacts)
        self.address.setText(f"Listening at <b>{sandbox.event_url}</b> — any program may post here")
        self.model.set_events(sandbox.events(limit=MAX_ROWS))
        # The sandbox calls listeners on its loop; a queued signal brings each event to the GUI thread.
        self._unsubscribe = sandbox.add_listener(self.event_received.emit)
        self._unsubscribe_account = sandbox.automation.add_listener(lambda kind, _: self.account_changed.emit(kind))
        for kind in ACCOUNT_TABS:
            self.refresh_account(kind)

    def refresh_account(self, kind: str) -> None:
        """Fill one account tab again from the sandbox's file (its newest ACCOUNT_ROWS items)."""
        if self.sandbox is None or kind not in ACCOUNT_TABS:
            return
        row_of = ACCOUNT_TABS[kind][2]
        rows = [row_of(item) for item in account_items(self.sandbox, kind)]
        table = self.account_tables[kind]
        table.setRowCount(len(rows))
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(long_text_tip(text) or "")
                table.setItem(row, column, item)
        fit_columns(table)

    def add_event(self, event: SandboxEvent) -> None:
        """A row at the top: what the sandbox received, or what the window's recording proxy relayed."""
        self.build_contents()  # a proxy may relay before the window's sandbox is attached
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
            from yespo_console.sandbox.faults import Faults

            self.sandbox.set_faults(Faults(**self.faults.currentData()))

    def _validation_chosen(self) -> None:
        if self.sandbox is not None:
            self.sandbox.account = replace(self.sandbox.account, validate=self.validation.currentData())

    def _account_chosen(self) -> None:
        if self.sandbox is not None:
            self.sandbox.account = replace(self.sandbox.account, time_scale=float(self.time_scale.currentData()),
                                           auto_contacts=self.auto_contacts.isChecked())

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
        if self._unsubscribe_account is not None:
            self._unsubscribe_account()
            self._unsubscribe_account = None
