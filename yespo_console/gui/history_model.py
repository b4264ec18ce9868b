"""The history table: a lazily fetched Qt model over the history store.

Rows come newest first in pages of `PAGE_SIZE`, each page asked for by key (`before_id` = the last
id held), so the cost of the next page never depends on how far down the user has scrolled. The view
pulls pages through `canFetchMore`/`fetchMore` as it nears the end of what is held; nothing ever
loads the whole table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont

from yespo_console.core.errors import StoreError
from yespo_console.core.http.outcome import Outcome
from yespo_console.gui import theme

if TYPE_CHECKING:  # the history's modules load with it, after the window's first paint (hmac, secrets)
    from yespo_console.core.history.models import ExchangeSummary, HistoryFilter
    from yespo_console.core.history.store import HistoryStore

PAGE_SIZE = 200
# A refresh after a send normally finds one new row; past this many pages of new rows it is cheaper
# (and as correct) to start again from the top.
_REFRESH_PAGES = 5
# A search is counted up to this many matches: counting every match of a common fragment in a million rows
# would hold the window for seconds, for a figure nobody reads exactly.
SEARCH_COUNT_CAP = 10_000

STAR, TIME, ENVIRONMENT, EVENT, KEY_VALUE, STATUS, OUTCOME, DURATION = range(8)
HEADERS = ("★", "Time", "Environment", "Event", "keyValue", "Status", "Outcome", "Duration")
HEADER_TIPS = (
    "Starred exchanges (click a star to toggle it)",
    "When the request was sent, in local time",
    "The environment it was sent to",
    "eventTypeKey",
    "The contact the event was for (keyValue)",
    "HTTP status of the answer",
    "How the exchange ended",
    "Time from sending to the end of the answer",
)
ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the exchange id of a row, for callers that hold an index only

_OUTCOME_ROLES = {
    Outcome.PENDING: "accent", Outcome.ACCEPTED: "ok", Outcome.REJECTED: "error", Outcome.RATE_LIMITED: "warning",
    Outcome.SERVER_ERROR: "error", Outcome.TIMEOUT: "warning", Outcome.CONNECTION_ERROR: "error",
    Outcome.TLS_ERROR: "error", Outcome.CANCELLED: "dim", Outcome.INTERRUPTED: "special",
}
_NONE = "—"
_STARRED, _UNSTARRED = "★", "☆"
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CENTER = Qt.AlignmentFlag.AlignCenter


def format_time(summary: ExchangeSummary) -> str:
    return summary.started_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_duration(duration_ms: float | None) -> str:
    return _NONE if duration_ms is None else f"{duration_ms:,.0f} ms"


def _cells(summary: ExchangeSummary) -> tuple[str, ...]:
    # Built once per row when its page arrives: painting asks for every visible cell on every repaint,
    # and must find a ready string, not format a date.
    return (
        _STARRED if summary.starred else _UNSTARRED,
        format_time(summary),
        summary.environment,
        summary.event_type or _NONE,
        summary.key_value or _NONE,
        _NONE if summary.status is None else str(summary.status),
        summary.outcome.label,
        format_duration(summary.duration_ms),
    )


class HistoryModel(QAbstractTableModel):
    """ExchangeSummary rows of a HistoryStore under one HistoryFilter, newest first, fetched lazily.

    Store errors never escape into Qt (a Qt virtual cannot raise): they stop the fetching and are
    reported through `store_failed`; `reload()` tries again."""

    store_failed = Signal(str)  # a StoreError's sentence
    total_changed = Signal(int)  # the count of matching rows, once known

    def __init__(self, store: HistoryStore | None, parent: QObject | None = None, *,
                 filters: HistoryFilter | None = None, page_size: int = PAGE_SIZE, load: bool = True) -> None:
        """`load=False` leaves the model empty until `set_filter` or `reload` (for a caller that sets
        its filter right away and should not read the first page twice)."""
        super().__init__(parent)
        self._store = store
        self._page_size = max(1, page_size)
        self._filter = filters  # None: the empty filter, made when first read
        self._rows: list[ExchangeSummary] = []
        self._cells: list[tuple[str, ...]] = []
        self._exhausted = store is None
        self._failed = False
        self._total = 0
        self._total_known = store is None
        self._total_capped = False  # the total is SEARCH_COUNT_CAP, and there are more
        # Counting every match can take longer than reading the first page (a million rows, a common word):
        # the count runs on the next turn of the event loop, after the first page has been painted.
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(0)
        self._count_timer.timeout.connect(self.count_now)
        self._colors: dict[Outcome, QColor] = {}
        self._star_color = QColor()
        self._bold = QFont()
        self._bold.setBold(True)
        self.refresh_palette()
        if load and store is not None:
            self.reload()

    # -- state ----------------------------------------------------------------------------------------

    @property
    def store(self) -> HistoryStore | None:
        return self._store

    def set_store(self, store: HistoryStore) -> None:
        """The store, opened after the model was made (the window opens it after its first paint); read
        at the next `set_filter` or `reload`."""
        self._store = store

    @property
    def filter(self) -> HistoryFilter:
        if self._filter is None:
            from yespo_console.core.history.models import HistoryFilter

            self._filter = HistoryFilter()
        return self._filter

    @property
    def page_size(self) -> int:
        return self._page_size

    def total(self) -> int:
        """How many exchanges match the filter (all of them, not only the rows held). Until the count
        is known (`total_known`), the number of rows held."""
        return self._total if self._total_known else len(self._rows)

    def total_known(self) -> bool:
        return self._total_known

    def total_capped(self) -> bool:
        """True when a search matched more than SEARCH_COUNT_CAP rows, which were not all counted."""
        return self._total_known and self._total_capped

    def count_now(self) -> int:
        """Count the matches at once (normally done on the next turn of the event loop)."""
        self._count_timer.stop()
        if self._store is not None and not self._total_known:
            try:
                cap = SEARCH_COUNT_CAP if self.filter.search else None
                total = self._store.count(self.filter, at_most=cap)
            except StoreError as exc:
                self._report(exc)
                return self.total()
            self._set_total(total if cap is None else min(total, cap), capped=cap is not None and total > cap)
        return self.total()

    def loaded(self) -> int:
        return len(self._rows)

    def exhausted(self) -> bool:
        """True once every matching row is held (or the store is off or failed)."""
        return self._exhausted or self._failed

    def summary_at(self, row: int) -> ExchangeSummary | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, exchange_id: int) -> int | None:
        for row, summary in enumerate(self._rows):
            if summary.id == exchange_id:
                return row
        return None

    def refresh_palette(self) -> None:
        self._colors = {outcome: theme.qcolor(role) for outcome, role in _OUTCOME_ROLES.items()}
        self._star_color = theme.qcolor("star")
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, DURATION))

    # -- loading --------------------------------------------------------------------------------------

    def set_filter(self, filters: HistoryFilter) -> None:
        self._filter = filters
        self.reload()

    def reload(self) -> None:
        """Forget every row, count again and fetch the first page."""
        self.beginResetModel()
        self._rows.clear()
        self._cells.clear()
        self._exhausted = self._store is None
        self._failed = False
        self._total_known = self._store is None
        self.endResetModel()
        self._fetch_page()
        if not self._total_known and not self._failed:
            self._count_timer.start()

    def refresh(self) -> int:
        """Bring in what is newer than the top row (after a send), and re-read rows still pending.
        Rows already held keep their place, so the user's scroll position and selection survive.
        Returns how many rows were added."""
        if self._store is None:
            return 0
        if not self._rows or self._failed:
            # Nothing held, or a read failed midway (the rows held may have a hole after them): start again.
            self.reload()
            return len(self._rows)
        newest = self._rows[0].id
        fresh: list[ExchangeSummary] = []
        before: int | None = None
        try:
            for _ in range(_REFRESH_PAGES):
                page = self._store.query(self.filter, before_id=before, limit=self._page_size)
                fresh.extend(summary for summary in page if summary.id > newest)
                if len(page) < self._page_size or page[-1].id <= newest:
                    break
                before = page[-1].id
            else:
                self.reload()
                return len(self._rows)
            self._update_pending()
        except StoreError as exc:
            self._report(exc)
            return 0
        if fresh:
            self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
            self._rows[0:0] = fresh
            self._cells[0:0] = [_cells(summary) for summary in fresh]
            self.endInsertRows()
            if self._total_known and not self._total_capped:
                self._set_total(self._total + len(fresh))
        return len(fresh)

    def _update_pending(self) -> None:
        assert self._store is not None
        pending = [summary.id for summary in self._rows if summary.outcome is Outcome.PENDING]
        gone: list[int] = []
        for exchange_id in pending:
            exchange = self._store.get(exchange_id)
            if exchange is None:
                gone.append(exchange_id)
            else:
                self.update_summary(exchange.summary)
        if gone:
            self.remove_ids(gone)

    def _set_total(self, total: int, *, capped: bool | None = None) -> None:
        """CAPPED: whether TOTAL is the search cap with more beyond it; None keeps what was said."""
        self._total = max(0, total)
        self._total_known = True
        if capped is not None:
            self._total_capped = capped
        self.total_changed.emit(self._total)

    def _report(self, exc: StoreError) -> None:
        self._failed = True
        self.store_failed.emit(str(exc))

    def _fetch_page(self) -> int:
        if self._store is None or self._exhausted or self._failed:
            return 0
        before = self._rows[-1].id if self._rows else None
        try:
            page = self._store.query(self.filter, before_id=before, limit=self._page_size)
        except StoreError as exc:
            self._report(exc)
            return 0
        if len(page) < self._page_size:
            self._exhausted = True
        if page:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._rows.extend(page)
            self._cells.extend(_cells(summary) for summary in page)
            self.endInsertRows()
        if self._exhausted and (not self._total_known or len(self._rows) != self._total):
            # Every match is held: that is the count (and truer than an older one if another process
            # added or removed rows since).
            self._count_timer.stop()
            self._set_total(len(self._rows), capped=False)
        return len(page)

    # -- editing what is held (the store was changed by the caller) -----------------------------------

    def update_summary(self, summary: ExchangeSummary) -> None:
        row = self.row_of(summary.id)
        if row is None:
            return
        self._rows[row] = summary
        self._cells[row] = _cells(summary)
        self.dataChanged.emit(self.index(row, 0), self.index(row, DURATION))

    def set_starred(self, ids: Collection[int], starred: bool) -> None:
        wanted = set(ids)
        for row, summary in enumerate(self._rows):
            if summary.id in wanted and summary.starred != starred:
                self._rows[row] = dataclasses.replace(summary, starred=starred)
                self._cells[row] = _cells(self._rows[row])
                star = self.index(row, STAR)
                self.dataChanged.emit(star, star)

    def remove_ids(self, ids: Iterable[int]) -> int:
        """Drop these rows (deleted from the store); returns how many were held."""
        wanted = set(ids)
        rows = [row for row, summary in enumerate(self._rows) if summary.id in wanted]
        # From the bottom up, one contiguous run at a time, so each removal leaves the rows above intact.
        removed = 0
        end = len(rows) - 1
        while end >= 0:
            start = end
            while start > 0 and rows[start - 1] == rows[start] - 1:
                start -= 1
            first, last = rows[start], rows[end]
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            del self._cells[first:last + 1]
            self.endRemoveRows()
            removed += last - first + 1
            end = start - 1
        if removed and self._total_known and not self._total_capped:
            self._set_total(self._total - removed)
        return removed

    # -- Qt ---------------------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and not self._exhausted and not self._failed

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if not parent.isValid():
            self._fetch_page()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row, column = index.row(), index.column()
        if not index.isValid() or row >= len(self._rows):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[row][column]
        summary = self._rows[row]
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == STAR:
                return self._star_color if summary.starred else None
            if column in (STATUS, OUTCOME):
                return self._colors.get(summary.outcome)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in (STATUS, DURATION):
                return _RIGHT
            return _CENTER if column == STAR else None
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if column == OUTCOME and summary.outcome is not Outcome.ACCEPTED else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(summary, column)
        if role == ID_ROLE:
            return summary.id
        return None

    def _tooltip(self, summary: ExchangeSummary, column: int) -> str:
        if column == STAR:
            return "Starred" if summary.starred else "Not starred"
        if column == TIME:
            return summary.started_at.astimezone().isoformat(timespec="milliseconds")
        lines = [f"#{summary.id} {summary.url}"]
        if column == KEY_VALUE and summary.key_value:  # the column elides a long one: here it is whole
            lines.insert(0, summary.key_value)
        if summary.note:
            lines.append(summary.note)
        return "\n".join(lines)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        return None
