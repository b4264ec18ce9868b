"""The main window: event list, generic form, live preview, locator ladder, diagnostics, send,
response, history and sandbox inbox."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from yespo_console import APP_NAME, __version__
from yespo_console.core.errors import InputError
from yespo_console.core.events.catalog import CUSTOM, EVENTS
from yespo_console.core.events.diagnostics import Finding, Report, inspect_body
from yespo_console.core.events.examples import example_draft
from yespo_console.core.events.fieldpaths import form_key
from yespo_console.core.events.payload import (
    NESTED_ENCODINGS,
    Draft,
    NestedEncoding,
    build_body,
    detect_nested_encoding,
    draft_from_object,
)
from yespo_console.core.events.repair import repair
from yespo_console.core.history import Exchange, curl_command, httpx_snippet
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.outcome import Outcome
from yespo_console.gui.diagnostics_view import DiagnosticsView
from yespo_console.gui.environments_dialog import EnvironmentsDialog
from yespo_console.gui.forms import EventForm
from yespo_console.gui.history_dock import HistoryDock
from yespo_console.gui.inbox import InboxDock
from yespo_console.gui.ladder import LocatorLadder
from yespo_console.gui.markup import html_text
from yespo_console.gui.preview import CodeView, PayloadPanel
from yespo_console.gui.session import Session
from yespo_console.gui.startup import GEOMETRY_KEY, on_first_paint

if TYPE_CHECKING:
    from yespo_console.core.http.client import EventClient, SendResult
    from yespo_console.gui.runner_dock import RunnerDock

log = logging.getLogger(__name__)

DRAFTS_KEY = "drafts/saved"
CURRENT_KEY = "drafts/current"
_OUTCOME_COLORS = {Outcome.ACCEPTED: "#1e8e3e", Outcome.RATE_LIMITED: "#b06000", Outcome.CANCELLED: "#5f6368"}


class ResponsePane(QTabWidget):
    """Outcome in words, status, time, headers and the highlighted body."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("Nothing sent yet. Press Ctrl+Enter to send.", self)
        self.summary.setWordWrap(True)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setMargin(8)
        self.headers = QPlainTextEdit(self)
        self.headers.setReadOnly(True)
        self.body = CodeView(read_only=True, parent=self)
        self.addTab(self.summary, "Response")
        self.addTab(self.headers, "Headers")
        self.addTab(self.body, "Body")

    def show_busy(self, url: str) -> None:
        self.summary.setText(f"Sending to {url} … (Esc cancels)")
        self.headers.clear()
        self.body.setPlainText("")

    def show_message(self, html: str) -> None:
        self.summary.setText(html)

    def show_result(self, result: SendResult, note: str = "") -> None:
        outcome = result.outcome
        color = _OUTCOME_COLORS.get(outcome, "#d93025")
        status = f"HTTP {result.status}" if result.status is not None else "no HTTP answer"
        duration = f"{result.duration_ms:,.0f} ms" if result.duration_ms is not None else "–"
        lines = [f"<span style='font-size:14pt; color:{color}'><b>{outcome.label}</b></span> — {status}, "
                 f"{duration}", f"<p><b>{html_text(result.explanation.title)}</b></p>"]
        if result.explanation.detail:
            lines.append(f"<p>{html_text(result.explanation.detail)}</p>")
        if note:
            lines.append(f"<p><b>{html_text(note)}</b></p>")
        if result.attempts > 1:
            lines.append(f"<p>{result.attempts} attempts (retries on).</p>")
        if result.exchange_id is not None:
            lines.append(f"<p style='color:#5f6368'>Saved in history as #{result.exchange_id}.</p>")
        if result.history_error:
            lines.append(f"<p style='color:#d93025'>{html_text(result.history_error)}</p>")
        self.summary.setText("".join(lines))
        self.headers.setPlainText("\n".join(f"{k}: {v}" for k, v in result.result.headers))
        text = result.body_text
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
        self.body.setPlainText(text)
        self.setTabText(2, f"Body ({len(result.result.body):,} B)")


def _report_crash(task: asyncio.Future[Any]) -> None:
    """Route an unexpected error of a send task to the app's exception hook (a dialog and the log)."""
    if not task.cancelled() and task.exception() is not None:
        error = task.exception()
        assert error is not None
        sys.excepthook(type(error), error, error.__traceback__)




class MainWindow(QMainWindow):
    send_finished = Signal(object)  # the SendResult, or None when cancelled or refused

    def __init__(self, session: Session, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings or QSettings()
        self.setWindowTitle(f"{APP_NAME} {__version__}")
        self.resize(1400, 900)
        self._send_task: asyncio.Task[Any] | None = None
        self._report: Report | None = None
        self._refresh_pending = False
        self._following_raw = False
        self._build_widgets()
        self._build_actions()
        self._load_environments()
        self._restore()
        self._refresh()

    # -- layout -----------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.events = QListWidget(self)
        self.events.setAccessibleName("Event types and saved drafts")
        for spec in (*EVENTS, CUSTOM):
            item = QListWidgetItem(spec.title if spec is not CUSTOM else "Custom event", self.events)
            item.setData(Qt.ItemDataRole.UserRole, ("type", spec.key))
            item.setToolTip(f"{spec.key}: {spec.description}")
        self.events.currentItemChanged.connect(self._event_chosen)
        self.events_dock = QDockWidget("Events", self)
        self.events_dock.setObjectName("eventsDock")
        self.events_dock.setWidget(self.events)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.events_dock)
        self.resizeDocks([self.events_dock], [170], Qt.Orientation.Horizontal)

        self.form = EventForm(self)
        self.form.changed.connect(self._schedule_refresh)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)

        self.payload = PayloadPanel(self)
        self.payload.currentChanged.connect(self._mode_changed)
        self.payload.raw_edited.connect(self._raw_edited)
        self.payload.repair_requested.connect(self.repair_raw)
        self.ladder = LocatorLadder(self)
        self.diagnostics = DiagnosticsView(self)
        self.diagnostics.finding_activated.connect(self.focus_finding)

        right = QSplitter(Qt.Orientation.Vertical, self)
        right.addWidget(self.payload)
        right.addWidget(self.ladder)
        right.addWidget(self.diagnostics)
        right.setSizes([560, 180, 110])
        self.ladder.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 0)
        right.setStretchFactor(2, 1)

        self.main_split = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_split.addWidget(scroll)
        self.main_split.addWidget(right)
        self.main_split.setSizes([560, 620])

        self.banner = QLabel(self)
        self.banner.setStyleSheet("background:#d93025; color:white; padding:6px; font-weight:bold;")
        self.banner.hide()
        self.response = ResponsePane(self)
        vertical = QSplitter(Qt.Orientation.Vertical, self)
        vertical.addWidget(self.main_split)
        vertical.addWidget(self.response)
        vertical.setSizes([700, 130])
        vertical.setStretchFactor(0, 4)
        vertical.setStretchFactor(1, 1)
        self.history_dock = HistoryDock(self.session.history, self, unavailable_reason=self.session.history_error)
        self.history_dock.load_requested.connect(self.load_exchange)
        self.history_dock.resend_requested.connect(self.resend)
        self.send_finished.connect(lambda _result: self.history_dock.refresh())
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.history_dock)
        self.inbox = InboxDock(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.inbox)
        self.tabifyDockWidget(self.history_dock, self.inbox)
        self.runner_dock: RunnerDock | None = None
        # The scenario machinery (pydantic models, YAML) costs ~90 ms to import: it comes after the first paint.
        on_first_paint(self, self._add_runner_dock)
        self.history_dock.raise_()
        # The form and the preview are the work; the docks start small (a saved layout overrides this).
        self.resizeDocks([self.history_dock], [230], Qt.Orientation.Vertical)
        if self.session.sandbox is not None or self.session.sandbox_error:
            self.inbox.attach(self.session.sandbox, self.session.sandbox_error)
        self.vertical_split = vertical
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.banner)
        layout.addWidget(vertical)
        self.setCentralWidget(central)

        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(140)
        self.busy.hide()
        self.statusBar().addPermanentWidget(self.busy)
        if self.session.history_error:
            # A permanent widget: the status bar's message is replaced by every environment change.
            history_off = QLabel(f"History is off: {self.session.history_error}", self)
            history_off.setStyleSheet("color: #d93025;")
            history_off.setToolTip(self.session.history_error)
            self.statusBar().addPermanentWidget(history_off)

    def _build_actions(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("mainToolbar")
        self.addToolBar(toolbar)
        toolbar.addWidget(QLabel(" Environment: ", self))
        self.env_combo = QComboBox(self)
        self.env_combo.setAccessibleName("Environment")
        self.env_combo.setMinimumWidth(200)
        self.env_combo.currentIndexChanged.connect(self._environment_changed)
        toolbar.addWidget(self.env_combo)
        environments = QAction("Environments…", self)
        environments.setShortcut(QKeySequence("Ctrl+,"))
        environments.setToolTip("Edit environments and their API keys (Ctrl+,)")
        environments.triggered.connect(self.edit_environments)
        toolbar.addAction(environments)

        self.send_action = QAction(QIcon.fromTheme("mail-send"), "Send", self)
        self.send_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.send_action.setToolTip("Send the event (Ctrl+Enter)")
        self.send_action.triggered.connect(self.send)
        self.cancel_action = QAction(QIcon.fromTheme("process-stop"), "Cancel", self)
        self.cancel_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.cancel_action.setToolTip("Cancel the request in flight (Esc)")
        self.cancel_action.setEnabled(False)
        self.cancel_action.triggered.connect(self.cancel_send)
        toolbar.addAction(self.send_action)
        toolbar.addAction(self.cancel_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Nested values as ", self))
        self.nested_combo = QComboBox(self)
        self.nested_combo.addItem("escaped strings", "string")
        self.nested_combo.addItem("JSON objects (v2)", "object")
        self.nested_combo.setToolTip("How product, page and category objects travel in params[].value")
        self.nested_combo.currentIndexChanged.connect(self._schedule_refresh)
        toolbar.addWidget(self.nested_combo)
        self.pretty_action = QAction("Pretty", self)
        self.pretty_action.setCheckable(True)
        self.pretty_action.setChecked(True)
        self.pretty_action.setToolTip("Indent the body (off: compact)")
        self.pretty_action.toggled.connect(self._schedule_refresh)
        toolbar.addAction(self.pretty_action)

        file_menu = self.menuBar().addMenu("&File")
        save = file_menu.addAction("Save draft…", self.save_draft)
        save.setShortcut(QKeySequence.StandardKey.Save)
        file_menu.addAction("Delete saved draft", self.delete_draft)
        file_menu.addAction("Load example", self.load_example)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        edit_menu = self.menuBar().addMenu("&Edit")
        for label, fmt, shortcut in (("Copy as JSON", "json", "Ctrl+Shift+C"), ("Copy as cURL", "curl", "Ctrl+Shift+U"),
                                     ("Copy as httpx", "httpx", "Ctrl+Shift+H")):
            action = edit_menu.addAction(label, partial(self.copy_as, fmt))
            action.setShortcut(QKeySequence(shortcut))
        repair_action = edit_menu.addAction("Repair raw body", self.repair_raw)
        repair_action.setShortcut(QKeySequence("Ctrl+R"))
        raw_action = edit_menu.addAction("Raw mode", self.toggle_raw)
        raw_action.setShortcut(QKeySequence("Ctrl+E"))

        request_menu = self.menuBar().addMenu("&Request")
        request_menu.addAction(self.send_action)
        request_menu.addAction(self.cancel_action)
        self.view_menu = self.menuBar().addMenu("&View")
        self.view_menu.addAction(self.events_dock.toggleViewAction())
        self.view_menu.addAction(self.history_dock.toggleViewAction())
        self.view_menu.addAction(self.inbox.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("About Yespo Console", self.about)

    # -- environments -----------------------------------------------------------------------

    def _load_environments(self, select: str | None = None) -> None:
        current = select or self.settings.value("environment", self.session.default_environment_name())
        self.env_combo.blockSignals(True)
        self.env_combo.clear()
        for env in self.session.environments.all():
            self.env_combo.addItem(env.label or env.name, env.name)
        index = self.env_combo.findData(current)
        self.env_combo.setCurrentIndex(max(index, 0))
        self.env_combo.blockSignals(False)
        self._environment_changed()

    def _add_runner_dock(self) -> None:
        from yespo_console.gui.runner_dock import RunnerDock

        dock = RunnerDock(self.session, lambda: self.env_combo.currentData(), self)
        dock.run_finished.connect(lambda _report: self.history_dock.refresh())
        if not self.restoreDockWidget(dock):  # where the saved layout had it; else beside the other docks
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
            self.tabifyDockWidget(self.inbox, dock)
            self.history_dock.raise_()
        self.view_menu.addAction(dock.toggleViewAction())
        self.runner_dock = dock

    def sandbox_ready(self) -> None:
        """The app starts the embedded sandbox after showing the window; now it listens (or failed)."""
        self.inbox.attach(self.session.sandbox, self.session.sandbox_error)
        self._environment_changed()

    def edit_environments(self) -> None:
        dialog = EnvironmentsDialog(self.session.environments, self.session.secrets, self.env_combo.currentData(),
                                    self)
        dialog.exec()
        if dialog.changed:
            self._load_environments(self.env_combo.currentData())

    @property
    def environment(self) -> Environment:
        return self.session.environment(self.env_combo.currentData())

    def _environment_changed(self) -> None:
        env = self.environment
        self.settings.setValue("environment", env.name)
        if env.production:
            confirm = " — you will be asked to confirm each send" if env.needs_confirmation else ""
            self.banner.setText(f"PRODUCTION: {env.url}{confirm}")
            self.banner.show()
        else:
            self.banner.hide()
        self.nested_combo.setCurrentIndex(max(self.nested_combo.findData(env.nested), 0))
        sandbox_note = ""
        if env.is_sandbox:
            if self.session.sandbox is not None:
                sandbox_note = f"Sandbox listening at {self.session.sandbox.base_url}"
            elif self.session.sandbox_error:
                sandbox_note = f"Embedded sandbox not running: {self.session.sandbox_error}"
        self.statusBar().showMessage(f"{env.label or env.name}: {env.url}  {sandbox_note}".strip())
        self._schedule_refresh()

    # -- the live pipeline --------------------------------------------------------------------

    @property
    def nested(self) -> NestedEncoding:
        value = self.nested_combo.currentData()
        return value if value in NESTED_ENCODINGS else "string"

    def current_body(self) -> bytes:
        """The exact bytes a send would post now."""
        if self.payload.raw_mode:
            return self.payload.raw.exact_text().encode("utf-8")
        return build_body(self.form.draft(), nested=self.nested, pretty=self.pretty_action.isChecked())

    def _schedule_refresh(self) -> None:
        # Coalesce a burst of edits into one refresh at the next turn of the event loop.
        if not self._refresh_pending:
            self._refresh_pending = True
            QTimer.singleShot(0, self, self._refresh)

    def _refresh(self) -> None:
        self._refresh_pending = False
        if self._following_raw:
            return
        body = self.current_body()
        if not self.payload.raw_mode:
            self.payload.show_wire(body)
        self._show_report(inspect_body(body, api_version=self.environment.api_version))

    def _show_report(self, report: Report) -> None:
        self._report = report
        self.ladder.show_resolution(report.resolution)
        self.diagnostics.show_findings(report.findings)
        self.form.clear_marks()
        for finding in reversed(report.findings):  # errors win over warnings on the same field
            key = form_key(report.body, finding.path)
            if key is not None:
                self.form.mark(key, str(finding.severity), finding.message)
        errors = len(report.errors)
        self.send_action.setToolTip(f"Send the event (Ctrl+Enter){f' — {errors} error(s)' if errors else ''}")

    def _raw_edited(self, text: str) -> None:
        report = inspect_body(text, api_version=self.environment.api_version)
        self.payload.show_repair(repair(text) if report.body is None else None)
        if report.body is not None:
            # The form follows the raw text, without the form writing back into it.
            self._following_raw = True
            try:
                self.form.set_draft(draft_from_object(report.body))
                encoding = detect_nested_encoding(report.body)
                if encoding is not None:
                    self.nested_combo.blockSignals(True)
                    self.nested_combo.setCurrentIndex(self.nested_combo.findData(encoding))
                    self.nested_combo.blockSignals(False)
            finally:
                self._following_raw = False
        self._show_report(report)

    def _mode_changed(self) -> None:
        if self.payload.raw_mode:
            # Raw mode starts from the bytes the form builds now (the form follows it from then on).
            self.payload.set_raw_text(self.payload.preview.exact_text())
            self._raw_edited(self.payload.raw.exact_text())
        else:
            self._refresh()

    def toggle_raw(self) -> None:
        self.payload.setCurrentIndex(PayloadPanel.PREVIEW if self.payload.raw_mode else PayloadPanel.RAW)

    def repair_raw(self) -> None:
        result = repair(self.payload.raw.exact_text(), nested=self.nested)
        if result is None:
            self.statusBar().showMessage("Nothing to repair: no nested JSON pasted without escaping was found.", 5000)
            return
        self.payload.setCurrentIndex(PayloadPanel.RAW)
        self.payload.apply_repair(result)
        self.statusBar().showMessage("Repaired: " + "; ".join(result.changes), 8000)

    def focus_finding(self, finding: Finding) -> None:
        key = form_key(self._report.body if self._report else None, finding.path)
        if key is None or not self.form.focus_key(key):
            self.statusBar().showMessage(f"{finding.path}: {finding.hint or finding.message}", 8000)

    # -- events and drafts ----------------------------------------------------------------------

    def _event_chosen(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        kind, value = item.data(Qt.ItemDataRole.UserRole)
        if kind == "type":
            self.set_draft(example_draft(value))
        else:
            drafts = self._saved_drafts()
            if value in drafts:
                self.set_draft(Draft.model_validate(drafts[value]))

    def set_draft(self, draft: Draft) -> None:
        self.payload.setCurrentIndex(PayloadPanel.PREVIEW)
        self.form.set_draft(draft)
        self._select_event_type(draft.spec.key)
        self._refresh()

    def _select_event_type(self, key: str) -> None:
        current = self.events.currentItem()
        if current is not None and current.data(Qt.ItemDataRole.UserRole)[0] == "draft":
            return  # a saved draft stays selected
        for row in range(self.events.count()):
            if self.events.item(row).data(Qt.ItemDataRole.UserRole) == ("type", key):
                self.events.blockSignals(True)
                self.events.setCurrentRow(row)
                self.events.blockSignals(False)

    def load_example(self) -> None:
        self.set_draft(example_draft(self.form.spec.key if self.form.spec else "pageViewed"))

    def _saved_drafts(self) -> dict[str, Any]:
        try:
            data = json.loads(str(self.settings.value(DRAFTS_KEY, "{}")))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _list_saved_drafts(self) -> None:
        for row in reversed(range(self.events.count())):
            if self.events.item(row).data(Qt.ItemDataRole.UserRole)[0] == "draft":
                self.events.takeItem(row)
        for name in sorted(self._saved_drafts()):
            item = QListWidgetItem(f"★ {name}", self.events)
            item.setData(Qt.ItemDataRole.UserRole, ("draft", name))
            item.setToolTip("Saved draft")

    def save_draft(self, name: str | None = None) -> None:
        if not name:
            name, ok = QInputDialog.getText(self, "Save draft", "Name of the draft:")
            if not ok or not name.strip():
                return
        drafts = self._saved_drafts()
        drafts[name.strip()] = self.form.draft().model_dump(mode="json")
        self.settings.setValue(DRAFTS_KEY, json.dumps(drafts, ensure_ascii=False))
        self._list_saved_drafts()
        self.statusBar().showMessage(f"Draft {name!r} saved.", 4000)

    def delete_draft(self) -> None:
        item = self.events.currentItem()
        if item is None or item.data(Qt.ItemDataRole.UserRole)[0] != "draft":
            self.statusBar().showMessage("Select a saved draft (★) in the event list first.", 5000)
            return
        drafts = self._saved_drafts()
        drafts.pop(item.data(Qt.ItemDataRole.UserRole)[1], None)
        self.settings.setValue(DRAFTS_KEY, json.dumps(drafts, ensure_ascii=False))
        self._list_saved_drafts()

    # -- copy -------------------------------------------------------------------------------------

    def copy_as(self, fmt: str) -> str:
        body = self.current_body()
        if fmt == "json":
            text = body.decode("utf-8")
        else:
            request = self.session.client(self.environment).prepare(body)
            text = curl_command(request) if fmt == "curl" else httpx_snippet(request)
        QGuiApplication.clipboard().setText(text)
        self.statusBar().showMessage(f"Copied as {fmt} (secrets masked).", 4000)
        return text

    # -- sending ------------------------------------------------------------------------------

    def confirm_production(self, env: Environment) -> bool:
        answer = QMessageBox.warning(
            self, "Send to production?",
            f"This sends a real event to {env.url} ({env.label or env.name}). Triggers may fire for real "
            "contacts.\n\nSend it?", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    # Dialogs run here, in plain slots, before any coroutine starts: a modal dialog's nested event loop
    # inside a running asyncio task makes qasync step other tasks re-entrantly ("Cannot enter into task").
    def send(self) -> None:
        env = self.environment
        client = self._client_after_checks([env])
        if client is not None:
            self._start_sends([(client[0], env.url, self.current_body(), "")], report=self._report)

    def resend(self, exchanges: list[Exchange]) -> None:
        """Send the exact bytes again, each to its own environment (the current one if that is gone)."""
        names = set(self.session.environments.names())
        envs = [self.session.environment(e.environment if e.environment in names else self.env_combo.currentData())
                for e in exchanges]
        clients = self._client_after_checks(envs)
        if clients is not None:
            self._start_sends([(client, env.url, exchange.request_body, f"re-sent from #{exchange.id}")
                               for client, env, exchange in zip(clients, envs, exchanges, strict=True)])

    def _client_after_checks(self, envs: list[Environment]) -> list[EventClient] | None:
        """The clients to send with, once nothing is in flight and production sends are confirmed."""
        if self._send_task is not None and not self._send_task.done():
            self.statusBar().showMessage("A request is already in flight: Esc cancels it.", 4000)
            return None
        guarded = next((env for env in envs if env.needs_confirmation), None)
        if guarded is not None and not self.confirm_production(guarded):
            self.statusBar().showMessage("Not sent.", 4000)
            self.send_finished.emit(None)
            return None
        try:
            return [self.session.client(env) for env in envs]
        except InputError as exc:  # a secret that cannot go into a header (a pasted line break, say)
            self.response.show_message(f"<b>Not sent</b><p>{html_text(str(exc))}</p>")
            self.send_finished.emit(None)
            return None

    def _start_sends(self, jobs: list[tuple[EventClient, str, bytes, str]], report: Report | None = None) -> None:
        self.busy.show()
        self.send_action.setEnabled(False)
        self.cancel_action.setEnabled(True)
        self._send_task = asyncio.ensure_future(self._send_all(jobs, report))
        self._send_task.add_done_callback(_report_crash)

    async def _send_all(self, jobs: list[tuple[EventClient, str, bytes, str]], report: Report | None) -> None:
        result: SendResult | None = None
        client: EventClient | None = None
        try:
            for number, (client, url, body, note) in enumerate(jobs, start=1):
                self.response.show_busy(url if len(jobs) == 1 else f"{url} ({number} of {len(jobs)})")
                result = await client.send(body, report=report, note=note)
        except asyncio.CancelledError:
            result = None
            rest = " The remaining re-sends were not sent." if len(jobs) > 1 else ""
            self.response.show_message("<span style='font-size:14pt; color:#5f6368'><b>Cancelled</b></span><p>The "
                                       "request may already have reached the server; it is kept in history as "
                                       f"cancelled.{rest}</p>")
        finally:
            self._send_task = None
            self.busy.hide()
            self.send_action.setEnabled(True)
            self.cancel_action.setEnabled(False)
        if result is not None:
            # Sent without a key: say where a key comes from (keyring, or $YESPO_API_KEY) next to the 401.
            missing = client is not None and client.secret is None and result.status in (401, 403)
            key_note = self.session.secrets.missing_message(client.environment) if missing and client else ""
            self.response.show_result(result, key_note)
            self.statusBar().showMessage(f"{result.outcome.label}: {result.explanation.title}", 8000)
        self.send_finished.emit(result)

    def load_exchange(self, exchange: Exchange) -> None:
        """Back into the form (or into raw mode when the body was not a JSON object), on its environment."""
        index = self.env_combo.findData(exchange.environment)
        if index >= 0:
            self.env_combo.setCurrentIndex(index)
        text = exchange.request_body.decode("utf-8", "replace")
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict):
            encoding = detect_nested_encoding(body)
            if encoding is not None:
                self.nested_combo.setCurrentIndex(self.nested_combo.findData(encoding))
            self.set_draft(draft_from_object(body))
        else:
            self.payload.setCurrentIndex(PayloadPanel.RAW)
            self.payload.raw.setPlainText(text)
        self.statusBar().showMessage(f"Loaded exchange #{exchange.id} from history.", 5000)

    def cancel_send(self) -> None:
        if self._send_task is not None and not self._send_task.done():
            self._send_task.cancel()

    # -- state ------------------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self.settings.value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self._list_saved_drafts()
        try:
            current = json.loads(str(self.settings.value(CURRENT_KEY, "")))
            draft = Draft.model_validate(current)
        except ValueError:
            draft = example_draft("pageViewed")
        self.form.set_draft(draft)
        self._select_event_type(draft.spec.key)

    def save_state(self) -> None:
        self.settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue(CURRENT_KEY, json.dumps(self.form.draft().model_dump(mode="json"), ensure_ascii=False))
        self.settings.sync()

    def changeEvent(self, event: QEvent) -> None:
        # Follow a light/dark switch of the system palette while running.
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            for view in self.findChildren(CodeView):
                view.highlighter.refresh_palette()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.cancel_send()
        if self.runner_dock is not None:
            self.runner_dock.stop()
        self.inbox.detach()
        self.save_state()
        super().closeEvent(event)

    def about(self) -> None:
        from importlib.metadata import version

        from yespo_console.core.history import SCHEMA_VERSION

        versions = " · ".join(f"{name} {version(name)}" for name in ("PySide6-Essentials", "qasync", "httpx",
                                                                       "pydantic", "uvicorn"))

        QMessageBox.about(
            self, f"About {APP_NAME}",
            f"<h3>{APP_NAME} {__version__}</h3><p>Test and debug console for the Yespo Generate event v2 API.</p>"
            f"<p>{versions} · Python {sys.version.split()[0]} · history schema {SCHEMA_VERSION}</p>"
            f"<p>Data folder: {self.session.home}</p>")
