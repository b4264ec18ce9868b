"""The main window: it lays out and connects the parts (event list and saved drafts, the form bound to
the preview and raw editor, locator ladder, diagnostics, the send flow and its response pane, and the
History, Sandbox inbox and Scenarios docks), and keeps the environment choice and the window state."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

# Not the Qt namespace, nor most widget classes: creating their enum types on first use is a good part of a
# bare window's start, and the loading face needs none of them. The methods import what they use.
from PySide6.QtCore import QByteArray, QEvent, QSettings, QSize, QTimer, Signal
from PySide6.QtWidgets import QMainWindow, QWidget

from yespo_console import APP_NAME, __version__
from yespo_console.core.errors import InputError
from yespo_console.gui import theme
from yespo_console.gui.startup import DEFAULT_SIZE, GEOMETRY_KEY, LoadingFace, after_first_paint

# The window shows (its title, saved geometry and a loading face) before its parts are even imported: they are
# most of the start-up's imports, and the first paint is measured against a bare Qt window's. So this module
# imports the parts where it builds them; the rest of the window's methods import what they use (cached).
if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QShowEvent
    from PySide6.QtWidgets import QListWidgetItem, QSplitter

    from yespo_console.core.events.findings import Finding, Report
    from yespo_console.core.events.payload import Draft, NestedEncoding
    from yespo_console.core.events.profiles import Profile
    from yespo_console.core.history import Exchange
    from yespo_console.core.http.environments import Environment
    from yespo_console.gui.convert_action import ConvertAction
    from yespo_console.gui.proxy_switch import ProxySwitch
    from yespo_console.gui.runner_dock import RunnerDock
    from yespo_console.gui.session import Session
    from yespo_console.gui.shortcuts import ShortcutsDialog
    from yespo_console.gui.theme import Theme
    from yespo_console.gui.tracker_mode import TrackerMode

FORM_MIN_WIDTH = 340  # below this the form's labels and fields are cut ("eventTypeKe")
COLUMN_MIN_WIDTH = 250
EVENTS_WIDTH = 165
HISTORY_ROWS = 6
# saveState's version: a layout saved by an older window (other columns) is not restored over this one.
LAYOUT_VERSION = 2
_STATE_KEY = "window/state"


def _column(parent: QWidget, *widgets: tuple[QWidget, int]) -> QSplitter:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QSplitter

    column = QSplitter(Qt.Orientation.Vertical, parent)
    column.setChildrenCollapsible(False)
    for index, (widget, stretch) in enumerate(widgets):
        column.addWidget(widget)
        column.setStretchFactor(index, stretch)
    return column


class MainWindow(QMainWindow):
    send_finished = Signal(object)  # the SendResult, or None when cancelled or refused

    def __init__(self, session: Session | None = None, settings: QSettings | None = None,
                 parent: QWidget | None = None, *, first_paint_only: bool = False, size: QSize | None = None) -> None:
        """Without SESSION only the window itself: its title, the geometry it had when it last closed (SIZE
        wins), and a loading face naming each step (`advance`), cheap enough to paint in about a bare Qt
        window's time; `build` then builds the console into it. FIRST_PAINT_ONLY: see `build`."""

        super().__init__(parent)
        self.built = False
        self.abandoned = False  # closed before it was built: the user wants out, not a console
        self.settings = settings or QSettings()
        self.setWindowTitle(f"{APP_NAME} {__version__}")
        self._default_layout_pending = False
        self.resize(DEFAULT_SIZE)
        geometry = self.settings.value(GEOMETRY_KEY)
        if isinstance(geometry, QByteArray):  # a broken one is refused, and the default size stays
            self.restoreGeometry(geometry)
        if size is not None:
            self.resize(size)
        if session is None:
            self.loading: LoadingFace | None = LoadingFace(self)
            self.setCentralWidget(self.loading)
        else:
            self.loading = None
            self.build(session, first_paint_only=first_paint_only)

    def advance(self, words: str | None = None) -> None:
        """The loading face names the next step, and is repainted before that step's (blocking) work."""
        if self.loading is not None:
            self.loading.advance(words)

    def build(self, session: Session, *, first_paint_only: bool = False) -> None:
        """The console, in place of the loading face. FIRST_PAINT_ONLY: leave what the first paint does not
        show (the environments, which load their models, and the body's diagnostics, which load the
        validators) to `finish_start`, called once it is painted."""
        from yespo_console.gui.drafts import DraftStore

        self.session = session
        self.drafts = DraftStore(self.settings)
        theme.apply(theme.choice(self.settings), with_sheet=False)  # the palette before the widgets are made,
        self._build_widgets(first_paint_only)
        theme.apply_sheet()  # and the style sheet after, before they are polished: one pass instead of one a widget
        self._build_actions()  # the address bar sizes its fields under the sheet
        if self.isVisible():
            self._show_built_parts()
        self._connect_send_flow()
        self.loading = None
        self.built = True
        self._start_pending = first_paint_only
        if not first_paint_only:
            self._load_environments()
        self._restore()
        if first_paint_only:
            from yespo_console.core.events.locators import resolve_body

            body = self.binding.current_body()
            self.payload.show_wire(body)
            # The ladder too: resolving the locators is cheap; the findings follow with `finish_start`.
            self.ladder.show_resolution(resolve_body(json.loads(body), self.form.profile.locator_params))
        else:
            self.binding.refresh()
        if self.isVisible() and self.focusWidget() is None:
            self.focusNextChild()  # as a first show would: the first in the tab order, now that it shows its draft

    def _show_built_parts(self) -> None:
        """Built into the shown window: show the new parts at once, as a first show() would (Qt shows a child
        added to a visible window a turn later), so that they are polished under the style sheet and laid out
        before their content goes in: a list polished after its rows were measured keeps the rows' old size."""
        from PySide6.QtCore import Qt

        for child in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if not (child.isHidden() and child.testAttribute(Qt.WidgetAttribute.WA_WState_ExplicitShowHide)):
                child.show()
        self.events.doItemsLayout()

    def finish_start(self) -> None:
        """After a `first_paint_only` window's first paint: the environments, then the body's diagnostics."""
        if not self._start_pending:
            return
        self._start_pending = False
        self._load_environments()
        self.binding.refresh()

    # -- layout -----------------------------------------------------------------------------

    def _build_widgets(self, first_paint_only: bool) -> None:
        """Laid out for a 1366×768 laptop first: the form, the preview with the verdict under it, and the
        ladder with the send result beside them, all at once; history, inbox and scenarios as one tab row
        below. Minimum widths keep each column usable, and no value (a 300-character token) can widen one."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import (
            QDockWidget,
            QFrame,
            QLabel,
            QListWidget,
            QProgressBar,
            QScrollArea,
            QSizePolicy,
            QSplitter,
            QVBoxLayout,
        )

        from yespo_console.core.events.profiles import BUILTIN
        from yespo_console.gui.body_prefs import BodyPreferences
        from yespo_console.gui.diagnostics_view import DiagnosticsView
        from yespo_console.gui.form_memory import FormUndo, TypeMemory
        from yespo_console.gui.forms import EventForm
        from yespo_console.gui.history_dock import HistoryDock
        from yespo_console.gui.inbox import InboxDock
        from yespo_console.gui.ladder import LocatorLadder
        from yespo_console.gui.preview import PayloadPanel
        from yespo_console.gui.raw_binding import RawBinding
        from yespo_console.gui.response_pane import ResponsePane
        from yespo_console.gui.tracker_list import add_tracker_group
        from yespo_console.gui.verify_dock import VerifyDock

        self.events = QListWidget(self)
        self.events.setObjectName("eventList")
        self.events.setAccessibleName("Event types and saved drafts")
        self.events.setIconSize(QSize(18, 18))
        self.events.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.events.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._list_event_types(BUILTIN)
        add_tracker_group(self.events)
        self._tracker_mode: TrackerMode | None = None  # made when a web tracking event is first shown
        self.events.currentItemChanged.connect(self._event_chosen)
        self.events_dock = QDockWidget("Events", self)
        self.events_dock.setObjectName("eventsDock")
        self.events_dock.setWidget(self.events)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.events_dock)

        self.form = EventForm(self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setMinimumWidth(FORM_MIN_WIDTH)
        scroll.setWidget(self.form)
        self.form_scroll = scroll

        self.payload = PayloadPanel(self)
        self.binding = RawBinding(self.form, self.payload, lambda: self.environment.api_version, self)
        self.binding.report_changed.connect(self._show_report)
        self.binding.message.connect(self.statusBar().showMessage)
        self.type_memory = TypeMemory(self.drafts)
        self.form_undo = FormUndo(self.binding, self)
        self.form_undo.undone.connect(lambda what: self.statusBar().showMessage(f"Undone: {what}.", 5000))
        self.payload.currentChanged.connect(self._payload_mode_changed)
        self.body_prefs = BodyPreferences(self.settings, self.binding, lambda: self.env_combo.currentData())
        self.ladder = LocatorLadder(self)
        self.diagnostics = DiagnosticsView(self)
        self.diagnostics.finding_activated.connect(self.focus_finding)
        self.banner = QLabel(self)
        self.banner.hide()
        self.response = ResponsePane(self)

        middle = _column(self, (self.payload, 3), (self.diagnostics, 1))
        middle.setSizes([330, 110])
        right = _column(self, (self.ladder, 0), (self.response, 1))
        right.setSizes([150, 290])
        self.ladder.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)
        for column in (middle, right):
            column.setMinimumWidth(COLUMN_MIN_WIDTH)
        self.main_split = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_split.setChildrenCollapsible(False)
        for index, (widget, stretch) in enumerate(((scroll, 3), (middle, 3), (right, 4))):
            self.main_split.addWidget(widget)
            self.main_split.setStretchFactor(index, stretch)
        self.main_split.setSizes([340, 370, 480])

        self.history_dock = HistoryDock(self.session.history, self, unavailable_reason=self.session.history_error,
                                        opening=self.session.history_pending)
        self.history_dock.load_requested.connect(self.load_exchange)
        self.history_dock.resend_requested.connect(self.resend)
        self.history_dock.exchange_selected.connect(self._history_selected)
        self.send_finished.connect(lambda _result: self.history_dock.refresh())
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.history_dock)
        self.inbox = InboxDock(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.inbox)
        self.tabifyDockWidget(self.history_dock, self.inbox)
        self.verify_dock = VerifyDock(self.session, self)
        self.send_finished.connect(self.verify_dock.follow_send)
        self.history_dock.exchange_selected.connect(self.verify_dock.set_exchange)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.verify_dock)
        self.tabifyDockWidget(self.inbox, self.verify_dock)
        for hidden_tab in (self.inbox, self.verify_dock):  # not in the first paint
            if first_paint_only:
                after_first_paint(self, hidden_tab.build_contents)
            else:
                hidden_tab.build_contents()
        self.runner_dock: RunnerDock | None = None
        # The scenario machinery (pydantic models, YAML) is slow to import: it comes after the first paint.
        after_first_paint(self, self._add_runner_dock)
        self.history_dock.raise_()
        if self.session.sandbox is not None or self.session.sandbox_error:
            self.inbox.attach(self.session.sandbox, self.session.sandbox_error)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.main_split)
        self.setCentralWidget(central)

        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(140)
        self.busy.hide()
        self.statusBar().addPermanentWidget(self.busy)
        self.history_off: QLabel | None = None
        self.history_upgrade: QLabel | None = None
        self._say_if_history_is_off()

    def _say_if_history_is_off(self) -> None:
        from PySide6.QtWidgets import QLabel

        if self.session.history_error and self.history_off is None:
            # A permanent widget: the status bar's message is replaced by every environment change.
            self.history_off = QLabel(f"History is off: {self.session.history_error}", self)
            self.history_off.setToolTip(self.session.history_error)
            self.history_off.setStyleSheet(f"color: {theme.css('error')};")
            self.statusBar().addPermanentWidget(self.history_off)

    def history_upgrading(self, text: str) -> None:
        """The history's one-time upgrade runs (gui.lifecycle): said in the History tab's title, and at the status
        bar's right until `history_opened` (a message there would be replaced by the next one)."""
        from PySide6.QtWidgets import QLabel

        self.history_dock.setWindowTitle("History (rebuilding its search index…)")
        if self.history_upgrade is None:
            self.history_upgrade = QLabel(text, self)
            self.history_upgrade.setToolTip(self.session.history_wait)
            self.statusBar().addPermanentWidget(self.history_upgrade)

    def history_opened(self) -> None:
        """The app opens the history after the window's first paint: now its rows show, or why there are none."""
        self.history_dock.setWindowTitle("History")
        if self.history_upgrade is not None:
            self.statusBar().removeWidget(self.history_upgrade)
            self.history_upgrade.deleteLater()
            self.history_upgrade = None
        self.history_dock.attach(self.session.history, self.session.history_error)
        self._say_if_history_is_off()

    def _default_dock_sizes(self) -> None:
        """What a saved layout does not say: a narrow event list and a history tall enough for six rows."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QTabBar

        layout = self.layout()
        if layout is not None:
            layout.activate()  # the docks' heights are measured on their laid-out contents
        self.resizeDocks([self.events_dock], [EVENTS_WIDTH], Qt.Orientation.Horizontal)
        # The size given is the dock area's, which also holds the tab row of the tabified docks.
        bars = self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
        tabs = max((bar.height() for bar in bars if bar.isVisible()), default=0)
        self.resizeDocks([self.history_dock], [self.history_dock.height_for_rows(HISTORY_ROWS) + tabs],
                         Qt.Orientation.Vertical)

    def _build_actions(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QAction, QKeySequence, QPalette

        from yespo_console.gui.address_bar import AddressBar
        from yespo_console.gui.icons import icon
        from yespo_console.gui.theme import theme_menu

        environments = QAction(icon("action-environments"), "Environments…", self)
        environments.setShortcut(QKeySequence("Ctrl+,"))
        environments.setToolTip("Edit environments and their API keys (Ctrl+,)")
        environments.triggered.connect(self.edit_environments)
        self.environments_action = environments
        self.send_action = QAction(icon("action-send", QPalette.ColorRole.HighlightedText), "Send", self)
        self.send_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.send_action.setToolTip("Send the event (Ctrl+Enter)")
        self.send_action.triggered.connect(self.send)
        self.cancel_action = QAction(icon("action-cancel"), "Cancel", self)
        self.cancel_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.cancel_action.setToolTip("Cancel the request in flight (Esc)")
        self.cancel_action.setEnabled(False)
        self.address = AddressBar(self.send_action, self.cancel_action, environments, self)
        self.address.add_body_options(self.binding.nested_combo, self.binding.pretty_action)
        self.env_combo = self.address.env_combo
        self.env_combo.currentIndexChanged.connect(self._environment_changed)
        self.addToolBar(self.address)

        file_menu = self.menuBar().addMenu("&File")
        save = file_menu.addAction(icon("action-save"), "Save draft…", self.save_draft)
        save.setShortcut(QKeySequence.StandardKey.Save)
        file_menu.addAction("Delete saved draft", self.delete_draft)
        file_menu.addAction("Load example", self.load_example)
        file_menu.addSeparator()
        quit_action = file_menu.addAction("Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)

        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addAction(self.form_undo.action)
        edit_menu.addAction(self.history_dock.find_action)
        edit_menu.addSeparator()
        for label, fmt, shortcut in (("Copy as JSON", "json", "Ctrl+Shift+C"), ("Copy as cURL", "curl", "Ctrl+Shift+U"),
                                     ("Copy as httpx", "httpx", "Ctrl+Shift+H")):
            action = edit_menu.addAction(icon("action-copy"), label, partial(self.copy_as, fmt))
            action.setShortcut(QKeySequence(shortcut))
        repair_action = edit_menu.addAction("Repair raw body", self.binding.repair)
        repair_action.setShortcut(QKeySequence("Ctrl+R"))
        raw_action = edit_menu.addAction(icon("action-raw"), "Raw mode", self.binding.toggle_raw)
        raw_action.setShortcut(QKeySequence("Ctrl+E"))
        from yespo_console.gui.convert_action import ConvertAction

        self.convert: ConvertAction = ConvertAction(self)
        edit_menu.addAction(self.convert.action)
        self.address.addAction(self.convert.action)

        request_menu = self.menuBar().addMenu("&Request")
        request_menu.addAction(self.send_action)
        request_menu.addAction(self.cancel_action)
        request_menu.addSeparator()
        request_menu.addAction(environments)
        from yespo_console.gui.proxy_switch import ProxySwitch

        self.proxy_switch: ProxySwitch = ProxySwitch(self)
        request_menu.addAction(self.proxy_switch.action)
        self.view_menu = self.menuBar().addMenu("&View")
        self.view_menu.addAction(self.events_dock.toggleViewAction())
        self.view_menu.addAction(self.history_dock.toggleViewAction())
        self.view_menu.addAction(self.inbox.toggleViewAction())
        self.view_menu.addAction(self.verify_dock.toggleViewAction())
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.binding.pretty_action)
        self.theme_actions = theme_menu(self.view_menu.addMenu("&Theme"), theme.current(), self.set_theme)
        help_menu = self.menuBar().addMenu("&Help")
        shortcuts = help_menu.addAction("Keyboard shortcuts", self.show_shortcuts)
        shortcuts.setShortcut(QKeySequence("Ctrl+/"))
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
        from PySide6.QtCore import Qt

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
        from yespo_console.gui.environments_dialog import EnvironmentsDialog

        dialog = EnvironmentsDialog(self.session.environments, self.session.secrets, self.env_combo.currentData(),
                                    self, session=self.session)
        dialog.exec()
        if dialog.changed:
            self._load_environments(self.env_combo.currentData())

    @property
    def environment(self) -> Environment:
        # Before `finish_start` the list is empty: the default one, read then.
        return self.session.environment(self.env_combo.currentData() or self.session.default_environment_name())

    def _environment_changed(self) -> None:
        env = self.environment
        self.settings.setValue("environment", env.name)
        profile, problem = self.session.profile(env)
        self.set_profile(profile)
        if env.is_sandbox and self.session.sandbox is not None:  # the sandbox stands in for this account
            self.session.sandbox.account = replace(self.session.sandbox.account, profile=profile)
        if env.production:
            confirm = " — you will be asked to confirm each send" if env.needs_confirmation else ""
            self.banner.setText(f"PRODUCTION: {env.url}{confirm}")
            self.banner.show()
        else:
            self.banner.hide()
        self.binding.set_nested(self.body_prefs.nested_for(env))
        sandbox_note = self.session.sandbox_status() if env.is_sandbox else ""
        self.address.show_url(env.url, sandbox_note)
        status = f"{env.label or env.name}: {env.url}  {sandbox_note}".strip()
        self.statusBar().showMessage(f"{problem}  ·  {status}" if problem else status)
        self.env_combo.setToolTip(status)  # the real address, and why there, after the status bar moves on
        self.binding.schedule_refresh()

    # -- the body and its diagnostics -----------------------------------------------------------

    @property
    def nested(self) -> NestedEncoding:
        return self.binding.nested

    def current_body(self) -> bytes:
        """The exact bytes a send would post now."""
        return self.binding.current_body()

    def toggle_raw(self) -> None:
        self.binding.toggle_raw()

    def _show_report(self, report: Report) -> None:
        from yespo_console.core.events.fieldpaths import form_key

        self.ladder.show_resolution(report.resolution)
        self.diagnostics.show_findings(report.findings)
        self.form.clear_marks()
        for finding in reversed(report.findings):  # errors win over warnings on the same field
            key = form_key(report.body, finding.path, self.form.profile)
            if key is not None:
                self.form.mark(key, str(finding.severity), finding.message)
        errors = len(report.errors)
        self.send_action.setToolTip(f"Send the event (Ctrl+Enter){f' — {errors} error(s)' if errors else ''}")

    def focus_finding(self, finding: Finding) -> None:
        from yespo_console.core.events.fieldpaths import form_key

        if self._tracker_mode is not None and self._tracker_mode.active:
            if not self._tracker_mode.focus(finding):
                self.statusBar().showMessage(f"{finding.path}: {finding.hint or finding.message}", 8000)
            return
        report = self.binding.report
        key = form_key(report.body if report else None, finding.path, self.form.profile)
        if key is None or not self.form.focus_key(key):
            self.statusBar().showMessage(f"{finding.path}: {finding.hint or finding.message}", 8000)

    # -- events and drafts ----------------------------------------------------------------------

    def _event_chosen(self, item: QListWidgetItem | None) -> None:
        from PySide6.QtCore import Qt

        from yespo_console.core.events.examples import example_draft
        from yespo_console.gui.tracker_list import GROUP, TRACKER

        if item is None:
            return
        kind, value = item.data(Qt.ItemDataRole.UserRole)
        if kind == GROUP:
            return
        self._keep_typed()
        if kind == TRACKER:
            self.tracker_mode.choose(value)
            return
        if kind == "type":
            kept = self.type_memory.recall(value)  # what was typed for this type before, else its example
            if kept is None:
                self.set_draft(example_draft(value, self.form.profile))
            else:
                self.form_undo.restore_quietly(kept)  # its own state back: nothing to undo
                self._select_event_type(value)
            return
        try:
            draft = self.drafts.load(value)
        except InputError as exc:  # the settings file was edited by hand, or by a newer version
            self.statusBar().showMessage(str(exc), 8000)
            return
        self.form_undo.remember(f"loading draft {value!r}")
        self.set_draft(draft)

    def _keep_typed(self) -> None:
        """The form's state, kept for its event type before the form shows something else."""
        from yespo_console.gui.form_memory import capture

        state = capture(self.binding)
        key = state.tracker_name or (self.form.spec.key if self.form.spec is not None else None)
        if key is not None:
            self.type_memory.keep(key, state)

    @property
    def tracker_mode(self) -> TrackerMode:
        """The web tracking form and visitor view, made on first use."""
        if self._tracker_mode is None:
            from yespo_console.gui.tracker_mode import TrackerMode

            self._tracker_mode = TrackerMode(self)
        return self._tracker_mode

    def _payload_mode_changed(self) -> None:
        if self.payload.raw_mode:
            self.form_undo.remember("raw edits", form_only=True)

    def set_draft(self, draft: Draft) -> None:
        self.binding.show_draft(draft)
        self._select_event_type(self.form.profile.spec(draft.event_type).key)

    def _select_event_type(self, key: str) -> None:
        from PySide6.QtCore import Qt

        current = self.events.currentItem()
        if current is not None and current.data(Qt.ItemDataRole.UserRole)[0] == "draft":
            return  # a saved draft stays selected
        for row in range(self.events.count()):
            if self.events.item(row).data(Qt.ItemDataRole.UserRole) == ("type", key):
                self.events.blockSignals(True)
                self.events.setCurrentRow(row)
                self.events.blockSignals(False)

    def load_example(self) -> None:
        from yespo_console.core.events.examples import example_draft

        if self.binding.wire_format == "tracker":
            self.tracker_mode.load_example()
            return
        self.form_undo.remember("loading the example")
        key = self.form.spec.key if self.form.spec else "pageViewed"
        self.set_draft(example_draft(key, self.form.profile))

    def _list_event_types(self, profile: Profile) -> None:
        """The profile's event types, then the custom one, above the saved drafts."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QListWidgetItem

        from yespo_console.core.events.catalog import CUSTOM
        from yespo_console.gui.icons import event_icon

        for row in reversed(range(self.events.count())):
            if self.events.item(row).data(Qt.ItemDataRole.UserRole)[0] == "type":
                self.events.takeItem(row)
        for row, spec in enumerate((*profile.events, CUSTOM)):
            item = QListWidgetItem(spec.title if spec is not CUSTOM else "Custom event")
            item.setData(Qt.ItemDataRole.UserRole, ("type", spec.key))
            item.setIcon(event_icon(spec.key))
            item.setToolTip(f"{spec.key}: {spec.description}")
            self.events.insertItem(row, item)

    def set_profile(self, profile: Profile) -> None:
        """Use an account's event types: the list, the form, the preview and the diagnostics follow it."""
        if profile is self.form.profile:
            return
        draft = self.form.draft()
        self.form.profile = profile
        self.events.blockSignals(True)
        self._list_event_types(profile)
        self.events.blockSignals(False)
        if self.binding.wire_format == "tracker":
            self.form.set_draft(draft)  # the hidden event form follows the account; the tracker form stays
        else:
            self.set_draft(draft)

    def _list_saved_drafts(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QListWidgetItem

        from yespo_console.gui.icons import icon

        for row in reversed(range(self.events.count())):
            if self.events.item(row).data(Qt.ItemDataRole.UserRole)[0] == "draft":
                self.events.takeItem(row)
        for name in self.drafts.names():
            item = QListWidgetItem(name, self.events)
            item.setData(Qt.ItemDataRole.UserRole, ("draft", name))
            item.setIcon(icon("draft"))
            item.setToolTip("Saved draft")

    def save_draft(self, name: str | None = None) -> None:
        from PySide6.QtWidgets import QInputDialog

        if self.binding.wire_format == "tracker":
            self.statusBar().showMessage("Saved drafts hold Generate event bodies; a web tracking form is kept per "
                                         "event (choose it again in the list), or copy it as JSON.", 8000)
            return
        if not name:
            name, ok = QInputDialog.getText(self, "Save draft", "Name of the draft:")
            if not ok or not name.strip():
                return
        self.drafts.save(name.strip(), self.form.draft())
        self._list_saved_drafts()
        self.statusBar().showMessage(f"Draft {name.strip()!r} saved.", 4000)

    def delete_draft(self) -> None:
        from PySide6.QtCore import Qt

        item = self.events.currentItem()
        if item is None or item.data(Qt.ItemDataRole.UserRole)[0] != "draft":
            self.statusBar().showMessage("Select a saved draft (★) in the event list first.", 5000)
            return
        self.drafts.delete(item.data(Qt.ItemDataRole.UserRole)[1])
        self._list_saved_drafts()

    # -- copy -------------------------------------------------------------------------------------

    def copy_as(self, fmt: str) -> str:
        from PySide6.QtGui import QGuiApplication

        body = self.current_body()
        if fmt == "json":
            text = body.decode("utf-8")
        else:
            try:
                request = self.session.client(self.environment).prepare(body)
            except InputError as exc:  # a secret that cannot go into a header (a pasted line break, say)
                self.statusBar().showMessage(f"Not copied: {exc}", 8000)
                return ""
            from yespo_console.core.history import curl_command, httpx_snippet

            text = curl_command(request) if fmt == "curl" else httpx_snippet(request)
        QGuiApplication.clipboard().setText(text)
        self.statusBar().showMessage(f"Copied as {fmt} (secrets masked).", 4000)
        return text

    # -- sending ------------------------------------------------------------------------------

    def _connect_send_flow(self) -> None:
        from yespo_console.gui.send_flow import SendFlow

        self.send_flow = SendFlow(self.session, self)
        self.send_flow.busy_changed.connect(self._set_busy)
        self.send_flow.sending.connect(self.response.show_busy)
        self.send_flow.not_sent.connect(self.response.show_not_sent)
        self.send_flow.cancelled.connect(self.response.show_cancelled)
        self.send_flow.answered.connect(self.response.show_result)
        self.send_flow.status.connect(self.statusBar().showMessage)
        self.send_flow.finished.connect(self.send_finished)
        self.cancel_action.triggered.connect(self.send_flow.cancel)

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.send_action.setEnabled(not busy)
        self.cancel_action.setEnabled(busy)

    def _history_not_ready(self) -> bool:
        """While the history is being upgraded (after the first paint, on a worker thread), nothing goes out: it
        would not be recorded. Says why, and whether that is so."""
        wait = self.session.history_wait
        if wait:
            self.statusBar().showMessage(f"Not sent: {wait}.", 10000)
            self.send_finished.emit(None)
        return bool(wait)

    def send(self) -> None:
        from yespo_console.gui.tracker_target import check

        if self._history_not_ready():
            return
        body = self.current_body()
        env = check(self, body, self.environment, self.session.environments.all())
        if isinstance(env, str):  # cancelled: the body does not suit the environment
            self.statusBar().showMessage("Not sent.", 4000)
            self.send_finished.emit(None)
            return
        if env.name != self.env_combo.currentData():
            self.env_combo.setCurrentIndex(self.env_combo.findData(env.name))
            env = self.environment  # with the embedded sandbox's real address
        self.send_flow.send(env, body, self.binding.report)

    def resend(self, exchanges: list[Exchange]) -> None:
        """Send the exact bytes again, each to its own environment (the current one if that is gone)."""
        if self._history_not_ready():
            return
        self.send_flow.resend(exchanges, self.env_combo.currentData())

    def _history_selected(self, exchange: Exchange | None) -> None:
        """One history row selected: the pane shows that exchange, labelled as such; else the last send."""
        if exchange is None:
            self.response.show_live()
        else:
            self.response.show_exchange(exchange)

    def load_exchange(self, exchange: Exchange) -> None:
        """Back into the form (or into raw mode when the body was not a JSON object), on its environment."""
        self.form_undo.remember(f"loading history #{exchange.id}")
        index = self.env_combo.findData(exchange.environment)
        if index >= 0:
            self.env_combo.setCurrentIndex(index)
        self.load_body_text(exchange.request_body.decode("utf-8", "replace"))
        self.statusBar().showMessage(f"Loaded exchange #{exchange.id} from history; Edit → Undo (Ctrl+Z) puts "
                                     "the form back.", 8000)

    def load_body_text(self, text: str) -> None:
        """A body into the form when it is a JSON object; otherwise into raw mode, exactly as it is."""
        from yespo_console.core.events.payload import detect_nested_encoding, draft_from_object
        from yespo_console.core.events.tracker_rules import detect_format
        from yespo_console.gui.jsontext import parse_json

        body = parse_json(text)  # None: not JSON, or nested too deep for the parser; raw mode shows it
        if isinstance(body, dict) and detect_format(body) == "tracker":
            self.tracker_mode.show(body)  # a web tracking body: into its own form
        elif isinstance(body, dict):
            encoding = detect_nested_encoding(body)
            if encoding is not None:
                self.binding.set_nested(encoding)
            self.set_draft(draft_from_object(body, self.form.profile))
        else:
            self.binding.show_raw(text)

    # -- state ------------------------------------------------------------------------------------

    def _restore(self) -> None:
        from yespo_console.core.events.examples import example_draft

        state = self.settings.value(_STATE_KEY)  # the geometry was restored with the window itself
        # Without a saved layout the docks get their default sizes once the window is laid out (showEvent).
        self._default_layout_pending = not isinstance(state, QByteArray) or not self.restoreState(state,
                                                                                                   LAYOUT_VERSION)
        self._list_saved_drafts()
        draft = self.drafts.load_current() or example_draft("pageViewed")
        self.form.set_draft(draft)
        self._select_event_type(self.form.profile.spec(draft.event_type).key)
        if self.isVisible() and self._default_layout_pending:  # built into the shown window: no showEvent to come
            self._default_layout_pending = False
            QTimer.singleShot(0, self._default_dock_sizes)  # as showEvent does

    def save_state(self) -> None:
        self.settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        self.settings.setValue(_STATE_KEY, self.saveState(LAYOUT_VERSION))
        self.drafts.save_current(self.form.draft())
        self._keep_typed()
        self.settings.sync()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._default_layout_pending:
            self._default_layout_pending = False
            # On the next turn: the main window lays its docks out again right after showing.
            QTimer.singleShot(0, self._default_dock_sizes)

    def changeEvent(self, event: QEvent) -> None:
        # Follow a theme switch, or a light/dark switch of the system palette while running.
        if self.built and event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._paint_theme_colors()
        super().changeEvent(event)

    def set_theme(self, choice: Theme) -> None:
        """View → Theme: System, Light or Dark, kept for the next start."""
        self.settings.setValue(theme.THEME_KEY, choice.value)
        theme.apply(choice)
        self._paint_theme_colors()

    def _paint_theme_colors(self) -> None:
        """What takes its colours once rather than from the palette: asked again after a switch."""
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QPalette

        from yespo_console.gui.icons import event_icon, icon
        from yespo_console.gui.preview import CodeView
        from yespo_console.gui.tracker_list import GROUP

        for view in self.findChildren(CodeView):
            view.refresh_palette()
        self.banner.setStyleSheet(f"background:{theme.BANNER}; color:{theme.css('on_error')}; padding:6px; "
                                  "font-weight:bold;")
        if self.history_off is not None:
            self.history_off.setStyleSheet(f"color: {theme.css('error')};")
        self.ladder.refresh_palette()
        self.diagnostics.refresh_palette()
        self.history_dock.model.refresh_palette()
        for row in range(self.events.count()):
            item = self.events.item(row)
            kind, value = item.data(Qt.ItemDataRole.UserRole)
            if kind != GROUP:
                item.setIcon(icon("draft") if kind == "draft" else event_icon(value))
        if self._tracker_mode is not None:
            self._tracker_mode.contact.refresh_palette()
        self.send_action.setIcon(icon("action-send", QPalette.ColorRole.HighlightedText))
        self.cancel_action.setIcon(icon("action-cancel"))
        self.environments_action.setIcon(icon("action-environments"))

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.built:  # still loading: nothing to stop or keep
            self.abandoned = True
            super().closeEvent(event)
            return
        self.send_flow.cancel()
        self.proxy_switch.stop()
        self.verify_dock.stop()
        if self.runner_dock is not None:
            self.runner_dock.stop()
        self.inbox.detach()
        self.save_state()
        super().closeEvent(event)

    def show_shortcuts(self) -> ShortcutsDialog:
        from PySide6.QtCore import Qt

        from yespo_console.gui.shortcuts import ShortcutsDialog

        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def about(self) -> None:
        from importlib.metadata import version

        from PySide6.QtWidgets import QMessageBox

        from yespo_console.core.history import SCHEMA_VERSION

        versions = " · ".join(f"{name} {version(name)}" for name in ("PySide6-Essentials", "qasync", "httpx",
                                                                       "pydantic", "uvicorn"))

        QMessageBox.about(
            self, f"About {APP_NAME}",
            f"<h3>{APP_NAME} {__version__}</h3><p>Test and debug console for the Yespo Generate event v2 API.</p>"
            f"<p>{versions} · Python {sys.version.split()[0]} · history schema {SCHEMA_VERSION}</p>"
            f"<p>Data folder: {self.session.home}</p>")
