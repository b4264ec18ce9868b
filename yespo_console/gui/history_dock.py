"""The History dock: search and filters over the history store, a lazily fetched table, and what can
be done with the selected exchanges (load into the form, re-send, diff, export, star, delete)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QEvent, QItemSelection, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from yespo_console.core.errors import StoreError
from yespo_console.core.http.outcome import Outcome
from yespo_console.gui import theme
from yespo_console.gui.history_model import (
    DURATION,
    ENVIRONMENT,
    EVENT,
    OUTCOME,
    STAR,
    STATUS,
    TIME,
    HistoryModel,
)
from yespo_console.gui.history_watch import HistoryWatcher

if TYPE_CHECKING:  # the history's modules with the history (after the window's first paint), exports when used
    from datetime import datetime

    from yespo_console.core.history.models import Exchange, HistoryFilter
    from yespo_console.core.history.store import HistoryStore
    from yespo_console.gui.diff_dialog import DiffDialog

T = TypeVar("T")

SEARCH_DELAY_MS = 250
_ANY = "__any__"
_FAILURES = "__failures__"
SINCE_CHOICES = (("Any time", _ANY), ("Last hour", "hour"), ("Today", "today"), ("Last 7 days", "7d"),
                 ("Last 30 days", "30d"))
_FAILURE_OUTCOMES = tuple(o for o in Outcome if o not in (Outcome.PENDING, Outcome.ACCEPTED))
_DIM = "color: palette(placeholder-text);"


def since_moment(choice: str, now: datetime | None = None) -> datetime | None:
    """The start of a date filter choice, as an aware local time; None for any time."""
    from datetime import datetime, timedelta

    now = (now or datetime.now()).astimezone()
    if choice == "hour":
        return now - timedelta(hours=1)
    if choice == "today":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    if choice == "7d":
        return now - timedelta(days=7)
    if choice == "30d":
        return now - timedelta(days=30)
    return None


def _off_text(unavailable_reason: str) -> str:
    reason = f": {unavailable_reason}" if unavailable_reason else "."
    return f"History is off{reason} Exchanges are sent but not kept, so there is nothing to search, load or re-send."


class HistoryDock(QDockWidget):
    """History of exchanges. `load_requested` carries one Exchange (the whole record) for the form;
    `resend_requested` a list of Exchanges, oldest first, to send again."""

    load_requested = Signal(object)
    resend_requested = Signal(object)
    exchange_selected = Signal(object)  # the one Exchange selected, to look at; None when not exactly one

    def __init__(self, store: HistoryStore | None, parent: QWidget | None = None, *,
                 unavailable_reason: str = "", opening: bool = False) -> None:
        """OPENING: STORE comes later (`attach`): the window opens its history after its first paint."""
        super().__init__("History", parent)
        self.setObjectName("historyDock")
        self.store = store
        self.model = HistoryModel(store, self, load=False)
        self.last_diff: DiffDialog | None = None
        self._looked_at: int | None = None  # the exchange last handed over by exchange_selected
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.apply_filters)
        self._build_widgets(unavailable_reason)
        self._build_actions()
        self.model.store_failed.connect(self._show_store_error)
        self.model.total_changed.connect(self._show_total)
        self.model.modelReset.connect(self._selection_changed)  # a new search drops the selection silently
        if store is None:
            self._container.setEnabled(False)
            for action in self.item_actions:
                action.setEnabled(False)
            self.off_label.setVisible(not opening)
            return
        self._open(store)

    def _open(self, store: HistoryStore) -> None:
        self._fill_choices()
        self.apply_filters()
        self.watcher = HistoryWatcher(store, self)
        self.watcher.changed.connect(self.refresh)

    def attach(self, store: HistoryStore | None, unavailable_reason: str = "") -> None:
        """The history opened after the dock was made: its rows, or why there are none."""
        if store is None:
            self.off_label.setText(_off_text(unavailable_reason))
            self.off_label.show()
            return
        self.store = store
        self._container.setEnabled(True)
        self.model.set_store(store)
        self._open(store)
        self._selection_changed()

    # -- layout -----------------------------------------------------------------------------------------

    def _build_widgets(self, unavailable_reason: str) -> None:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.off_label = QLabel(page)
        self.off_label.setWordWrap(True)
        self.off_label.setStyleSheet(f"color: {theme.css('error')};")
        self.off_label.setText(_off_text(unavailable_reason))
        self.off_label.setVisible(self.store is None)
        layout.addWidget(self.off_label)

        self._container = QWidget(page)
        inner = QVBoxLayout(self._container)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(4)
        layout.addWidget(self._container, 1)

        self.search = QLineEdit(self._container)
        self.search.setPlaceholderText("Search bodies and keyValue: any part of a phone, email, id or word  (Ctrl+F)")
        self.search.setAccessibleName("Search history")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _text: self.search_timer.start())
        self.search.returnPressed.connect(self.apply_filters)
        # The search and the filters share one row: on a laptop screen every line is a history row less.
        filters = QHBoxLayout()
        filters.setSpacing(4)
        filters.addWidget(self.search, 1)
        self.event_combo = self._combo("Event type", filters)
        self.env_combo = self._combo("Environment", filters)
        self.outcome_combo = self._combo("Outcome", filters)
        self.outcome_combo.addItem("Any outcome", _ANY)
        self.outcome_combo.addItem("Any failure", _FAILURES)
        for outcome in Outcome:
            if outcome is not Outcome.PENDING:
                self.outcome_combo.addItem(outcome.label, outcome.value)
        self.since_combo = self._combo("Since", filters)
        for label, value in SINCE_CHOICES:
            self.since_combo.addItem(label, value)
        self.starred_check = QCheckBox("★ only", self._container)
        self.starred_check.setToolTip("Show starred exchanges only")
        self.starred_check.toggled.connect(self.apply_filters)
        filters.addWidget(self.starred_check)
        # Connected only once filled: adding the first item already changes the current index.
        for combo in (self.event_combo, self.env_combo, self.outcome_combo, self.since_combo):
            combo.currentIndexChanged.connect(self.apply_filters)
        inner.addLayout(filters)

        self.view = QTableView(self._container)
        self.view.setAccessibleName("History of exchanges")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.view.verticalHeader()
        vertical.hide()
        # Fixed heights: nothing has to measure rows, whatever their number.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.view.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        metrics = self.view.fontMetrics()
        widths = {STAR: "★★", TIME: "2000-00-00 00:00:00  ", ENVIRONMENT: "Environment  ",
                  EVENT: "productAddedToCart  ", STATUS: "Status  ", OUTCOME: "Connection failed  ",
                  DURATION: "10,000 ms  "}
        for column, sample in widths.items():
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 12)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)  # keyValue takes what is left
        self.view.doubleClicked.connect(self._double_clicked)
        self.view.clicked.connect(self._clicked)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        inner.addWidget(self.view, 1)

        bar = QHBoxLayout()
        bar.setSpacing(2)
        self._buttons = bar
        self.count_label = QLabel(self._container)
        self.count_label.setStyleSheet(_DIM)
        self.status_label = QLabel(self._container)
        self.status_label.setWordWrap(True)
        inner.addLayout(bar)
        inner.addWidget(self.status_label)
        self.status_label.hide()
        self.setWidget(page)

    def height_for_rows(self, rows: int) -> int:
        """The dock's height that shows ROWS rows of the table, with its search, buttons and title; measured
        on the laid-out dock, so call it once the window is shown."""
        # Not a horizontal scroll bar: a dock added to a shown window is measured squeezed, where it has one.
        scroll_bar = self.view.horizontalScrollBar()
        chrome = self.height() - self.view.viewport().height() - (scroll_bar.height() if scroll_bar.isVisible() else 0)
        return chrome + rows * self.view.verticalHeader().defaultSectionSize()

    def _combo(self, name: str, layout: QHBoxLayout) -> QComboBox:
        combo = QComboBox(self._container)
        combo.setAccessibleName(name)
        combo.setToolTip(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        layout.addWidget(combo)
        return combo

    def _action(self, text: str, slot: Callable[[], object], shortcuts: tuple[str | QKeySequence, ...] = (),
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
            # Only while the table has focus: Del in the search box must delete text, not exchanges.
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            tip = f"{tip or text} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip or text)
        action.triggered.connect(lambda _checked=False: slot())
        self.view.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.load_action = self._action("Load into form", self.load_current,
                                        (QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)),
                                        "Load the exchange into the form (Enter or double-click)")
        self.resend_action = self._action("Re-send", self.resend_selected, ("Ctrl+Shift+Return",),
                                          "Send the selected exchanges again, oldest first")
        self.diff_action = self._action("Diff", self.diff_selected, ("Ctrl+D",),
                                        "Compare two selected exchanges side by side")
        self.export_action = self._action("Export…", self.export_selected, ("Ctrl+Shift+E",),
                                          "Export the selected exchanges (HAR, NDJSON, cURL, httpx)")
        self.star_action = self._action("Star", self.toggle_star, ("Ctrl+B",), "Star or unstar the selected exchanges")
        self.delete_action = self._action("Delete", self.delete_selected,
                                          (QKeySequence(QKeySequence.StandardKey.Delete),),
                                          "Delete the selected exchanges from history")
        separator = QAction(self)
        separator.setSeparator(True)
        self.view.addAction(separator)
        self.refresh_action = self._action("Refresh", self.refresh, ("F5",), "Read the history again")
        self.item_actions = (self.load_action, self.resend_action, self.diff_action, self.export_action,
                             self.star_action, self.delete_action)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for action in (*self.item_actions, self.refresh_action):
            button = QToolButton(self._container)
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            self._buttons.addWidget(button)
        self._buttons.addStretch(1)
        self._buttons.addWidget(self.count_label)

        # From anywhere in the window (the window also lists it in its Edit menu), not only from the dock.
        self.find_action = QAction("Find in history", self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.find_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.find_action.setToolTip("Search the history (any part of a phone, email, id or word)")
        self.find_action.triggered.connect(self.focus_search)
        self.addAction(self.find_action)
        self._update_actions()

    # -- filters ------------------------------------------------------------------------------------------

    def _guard(self, work: Callable[[], T], what: str, *, modal: bool = True) -> T | None:
        """Run a store call; a StoreError becomes a message, never a crash."""
        try:
            return work()
        except StoreError as exc:
            self._show_store_error(str(exc), what=what, modal=modal)
            return None

    def _fill_choices(self) -> None:
        """Event types and environments present in the store; the current choice is kept."""
        if self.store is None:
            return
        store = self.store
        for combo, column, any_label in ((self.event_combo, "event_type", "Any event"),
                                         (self.env_combo, "environment", "Any environment")):
            values = self._guard(partial(store.distinct_values, column), "Reading the filter choices", modal=False)
            if values is None:
                continue
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(any_label, _ANY)
            for value in values:
                combo.addItem(value, value)
            if current not in (None, _ANY) and combo.findData(current) < 0:
                combo.addItem(current, current)  # filtering on it still; it may come back
            combo.setCurrentIndex(max(combo.findData(current), 0))
            combo.blockSignals(False)

    def current_filter(self) -> HistoryFilter:
        from yespo_console.core.history.models import HistoryFilter, fts_match_expression

        def chosen(combo: QComboBox) -> str | None:
            value = combo.currentData()
            return None if value in (None, _ANY) else str(value)

        outcome_choice = chosen(self.outcome_combo)
        outcome: Outcome | tuple[Outcome, ...] | None
        if outcome_choice is None:
            outcome = None
        elif outcome_choice == _FAILURES:
            outcome = _FAILURE_OUTCOMES
        else:
            outcome = Outcome(outcome_choice)
        search = self.search.text().strip()
        if fts_match_expression(search) is None:
            search = ""  # nothing long enough to look up yet: the list stays whole while typing on
        return HistoryFilter(
            event_type=chosen(self.event_combo),
            environment=chosen(self.env_combo),
            outcome=outcome,
            since=since_moment(str(self.since_combo.currentData())),
            starred=True if self.starred_check.isChecked() else None,
            search=search or None,
        )

    def apply_filters(self) -> None:
        """Read the table again under what the search box and the filters say now."""
        self.search_timer.stop()
        if self.store is None:
            return
        self.status_label.hide()
        self.model.set_filter(self.current_filter())
        self._show_total()
        self._update_actions()
        typed = self.search.text().strip()
        from yespo_console.core.history.models import MIN_SEARCH_CHARS, fts_match_expression

        if typed and fts_match_expression(typed) is None:
            self._show_status(f"Type at least {MIN_SEARCH_CHARS} characters to search.")

    def refresh(self) -> None:
        """After a send (or when asked): new rows come in at the top; what is shown stays put."""
        if self.store is None:
            return
        self.status_label.hide()  # an earlier failure is said again below if it persists
        self._fill_choices()
        if self.model.filter.since is not None:
            # "Last hour" slides with the clock: the window must move too, which needs a full reload.
            self.apply_filters()
            return
        at_top = self.view.verticalScrollBar().value() == 0
        if self.model.refresh() and at_top:
            self.view.scrollToTop()  # the newest row in view, unless the user had scrolled down to look
        self._show_total()
        self._update_actions()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.model.refresh_palette()  # outcome colours readable on a dark theme too
        super().changeEvent(event)

    def focus_search(self) -> None:
        self.show()
        window = self.parentWidget()
        if isinstance(window, QMainWindow) and window.tabifiedDockWidgets(self):
            self.raise_()  # in front of the docks tabbed with it
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # -- selection ----------------------------------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        selection = self.view.selectionModel()
        return sorted(index.row() for index in selection.selectedRows())

    def selected_ids(self) -> list[int]:
        ids = []
        for row in self.selected_rows():
            summary = self.model.summary_at(row)
            if summary is not None:
                ids.append(summary.id)
        return ids

    def _selection_changed(self, _selected: QItemSelection | None = None,
                           _deselected: QItemSelection | None = None) -> None:
        self._update_actions()
        ids = self.selected_ids()
        chosen = ids[0] if len(ids) == 1 else None
        if chosen == self._looked_at:
            return  # rows came in above it (a refresh): the same exchange, and a send since stays shown
        self._looked_at = chosen
        exchanges = self._exchanges(ids) if chosen is not None else None
        self.exchange_selected.emit(exchanges[0] if exchanges else None)

    def _update_actions(self) -> None:
        count = len(self.view.selectionModel().selectedRows()) if self.store is not None else 0
        current = self.view.currentIndex()
        self.load_action.setEnabled(self.store is not None and (count == 1 or (count == 0 and current.isValid())))
        for action in (self.resend_action, self.export_action, self.star_action, self.delete_action):
            action.setEnabled(count > 0)
        self.diff_action.setEnabled(count == 2)
        summaries = [self.model.summary_at(row) for row in self.selected_rows()]
        all_starred = bool(summaries) and all(s is not None and s.starred for s in summaries)
        self.star_action.setText("Unstar" if all_starred else "Star")

    def _show_total(self, _total: int | None = None) -> None:
        from yespo_console.core.history.models import HistoryFilter

        total = self.model.total()
        filtered = " (filtered)" if self.model.filter != HistoryFilter() else ""
        if self.model.total_capped():
            self.count_label.setText(f"more than {total:,} exchanges{filtered}")
        elif self.model.total_known():
            self.count_label.setText(f"{total:,} {'exchange' if total == 1 else 'exchanges'}{filtered}")
        else:
            self.count_label.setText(f"{total:,}+ exchanges{filtered}, counting…")

    def _show_store_error(self, message: str, what: str = "Reading the history", modal: bool = False) -> None:
        self.status_label.setStyleSheet(f"color: {theme.css('error')};")
        self.status_label.setText(f"{what} failed: {message}")
        self.status_label.show()
        if modal:
            from PySide6.QtWidgets import QMessageBox  # dialogs' classes when used: their enums are slow to make

            QMessageBox.warning(self, "History", f"{what} failed.\n\n{message}")

    def _show_status(self, text: str) -> None:
        self.status_label.setStyleSheet(_DIM)
        self.status_label.setText(text)
        self.status_label.show()

    # -- actions ------------------------------------------------------------------------------------------

    def _exchanges(self, ids: list[int]) -> list[Exchange] | None:
        """The whole records; None (after saying why) when the store fails. Rows deleted meanwhile by
        another window are left out and dropped from the table."""
        store = self.store
        if store is None:
            return None
        found: list[Exchange] = []
        missing: list[int] = []
        try:
            for exchange_id in ids:
                exchange = store.get(exchange_id)
                if exchange is None:
                    missing.append(exchange_id)
                else:
                    found.append(exchange)
        except StoreError as exc:
            self._show_store_error(str(exc), what="Reading the exchanges", modal=True)
            return None
        if missing:
            self.model.remove_ids(missing)
            self._show_status(f"{len(missing):,} exchange(s) had been deleted meanwhile (by another window?).")
        return found

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.isValid() and index.column() != STAR:
            self.load_row(index.row())

    def _clicked(self, index: QModelIndex) -> None:
        if index.isValid() and index.column() == STAR:
            summary = self.model.summary_at(index.row())
            if summary is not None:
                self._set_star([summary.id], not summary.starred)

    def load_current(self) -> None:
        rows = self.selected_rows()
        row = rows[0] if len(rows) == 1 else self.view.currentIndex().row()
        if row >= 0:
            self.load_row(row)

    def load_row(self, row: int) -> Exchange | None:
        summary = self.model.summary_at(row)
        if summary is None:
            return None
        self.status_label.hide()
        exchanges = self._exchanges([summary.id])
        if not exchanges:
            return None
        self.load_requested.emit(exchanges[0])
        return exchanges[0]

    def resend_selected(self) -> None:
        ids = sorted(self.selected_ids())  # ids grow with time: oldest first, as they were sent
        if not ids:
            return
        if len(ids) > 1:
            from PySide6.QtWidgets import QMessageBox

            answer = QMessageBox.question(
                self, "Re-send exchanges", f"Send these {len(ids):,} requests again, oldest first?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.status_label.hide()
        exchanges = self._exchanges(ids)
        if exchanges:
            self.resend_requested.emit(exchanges)

    def diff_selected(self) -> DiffDialog | None:
        ids = sorted(self.selected_ids())
        if len(ids) != 2:
            self._show_status("Select exactly two exchanges to compare them.")
            return None
        self.status_label.hide()
        exchanges = self._exchanges(ids)
        if exchanges is None or len(exchanges) != 2:
            return None
        from yespo_console.gui.diff_dialog import DiffDialog  # loaded when first asked for

        dialog = DiffDialog(exchanges[0], exchanges[1], self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(self._diff_closed)
        self.last_diff = dialog
        dialog.show()
        return dialog

    def _diff_closed(self) -> None:
        self.last_diff = None

    def export_selected(self) -> int:
        """Ask for a file and write the selected exchanges to it; returns how many were written."""
        ids = sorted(self.selected_ids())
        if not ids or self.store is None:
            return 0
        from yespo_console.gui.history_export import ExportFailed, ask_export_file, write_exchanges

        chosen = ask_export_file(self, len(ids))
        if chosen is None:
            return 0
        path, fmt = chosen
        try:
            written = write_exchanges(self.store, ids, path, fmt)
        except ExportFailed as exc:
            self._show_store_error(str(exc), what="Export", modal=True)
            return 0
        self._show_status(f"Exported {written:,} exchange(s) to {path} ({fmt}).")
        return written

    def toggle_star(self) -> None:
        rows = self.selected_rows()
        summaries = [s for s in (self.model.summary_at(r) for r in rows) if s is not None]
        if not summaries:
            return
        self._set_star([s.id for s in summaries], not all(s.starred for s in summaries))

    def _set_star(self, ids: list[int], starred: bool) -> None:
        store = self.store
        if store is None:
            return
        done: list[int] = []
        gone: list[int] = []
        try:
            for exchange_id in ids:
                (done if store.set_star(exchange_id, starred) else gone).append(exchange_id)
        except StoreError as exc:
            self._show_store_error(str(exc), what="Starring", modal=True)
        self.model.set_starred(done, starred)
        self.model.remove_ids(gone)
        self._update_actions()

    def delete_selected(self) -> int:
        """Delete the selected exchanges after asking; returns how many were deleted."""
        ids = self.selected_ids()
        store = self.store
        if not ids or store is None:
            return 0
        noun = "this exchange" if len(ids) == 1 else f"these {len(ids):,} exchanges"
        from PySide6.QtWidgets import QMessageBox

        answer = QMessageBox.question(
            self, "Delete from history", f"Delete {noun} from history? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return 0
        deleted = self._guard(lambda: store.delete(ids), "Deleting")
        if deleted is None:
            return 0
        self.model.remove_ids(ids)
        self._show_status(f"Deleted {deleted:,} exchange(s).")
        self._update_actions()
        return deleted

