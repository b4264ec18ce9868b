"""Table editors: product lists (cart items, impressions) and key–value pairs (extra properties,
extra params), with add, remove and reorder; and the one-line rows of the read-only lists."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from yespo_console.core.events.catalog import FieldSpec, ParamSpec
from yespo_console.gui import theme
from yespo_console.gui.field_editors import display_text, parse_typed

_KEEP_JSON = Qt.ItemDataRole.UserRole + 1  # the cell held a non-string value: parse its text back as JSON
_MAX_COLUMN_WIDTH = 240
_LONG_TEXT = 30


def one_line_rows(view: QTableView) -> int:
    """Rows of one elided line at a fixed height, so a dock of a given height shows a known number of them
    (a wrapped 150-character email would make its row two lines tall); the row height is returned."""
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    vertical = view.verticalHeader()
    vertical.hide()
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    height = view.fontMetrics().height() + 8
    vertical.setDefaultSectionSize(height)
    return height


def fit_columns(table: QTableView) -> None:
    """Each column as wide as its contents, up to a cap: a 300-character token must not widen its column,
    and a short one must not be cut while an empty last column takes the width."""
    table.resizeColumnsToContents()
    for column in range(table.model().columnCount()):
        table.setColumnWidth(column, min(table.columnWidth(column), _MAX_COLUMN_WIDTH))


def long_text_tip(text: str) -> str | None:
    """The tooltip of a cell that may be elided: the whole text when it is long, else none."""
    return text if len(text) > _LONG_TEXT else None


def _set_tooltip(item: QTableWidgetItem, message: str = "") -> None:
    """The cell elides a long value: its tooltip carries it whole, under the problem if there is one."""
    item.setToolTip("\n\n".join(part for part in (message, long_text_tip(item.text())) if part))


class EditableTable(QWidget):
    """A QTableWidget with Add / Remove / Up / Down buttons; subclasses say what a row means."""

    changed = Signal()

    def __init__(self, headers: list[str], tooltips: list[str], add_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(headers), self)
        self.table.setHorizontalHeaderLabels(headers)
        for column, tip in enumerate(tooltips):
            header = self.table.horizontalHeaderItem(column)
            if header is not None:
                header.setToolTip(tip)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(110)
        self.table.hide()  # collapsed while it has no rows: the Add button is all an empty table needs
        self.table.itemChanged.connect(self.changed)
        buttons = QHBoxLayout()
        for label, tip, slot in ((add_label, "Add a row (Insert)", self.add_row),
                                 ("Remove", "Remove the selected rows (Delete)", self.remove_selected),
                                 ("↑", "Move the row up", lambda: self.move_selected(-1)),
                                 ("↓", "Move the row down", lambda: self.move_selected(1))):
            # Tool buttons are as wide as their text: four push buttons alone would set the form's width.
            button = QToolButton(self)
            button.setText(label)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def keyPressEvent(self, event: Any) -> None:
        if event.key() == Qt.Key.Key_Insert:
            self.add_row()
        elif event.key() == Qt.Key.Key_Delete and self.table.state() != QAbstractItemView.State.EditingState:
            self.remove_selected()
        else:
            super().keyPressEvent(event)

    def add_row(self, values: list[Any] | None = None) -> int:
        row = self.table.rowCount()
        items = []
        with QSignalBlocker(self.table):
            self.table.insertRow(row)
            for column in range(self.table.columnCount()):
                value = values[column] if values else None
                item = QTableWidgetItem(display_text(value))
                _set_tooltip(item)
                if value is not None and not isinstance(value, str):
                    item.setData(_KEEP_JSON, True)
                self.table.setItem(row, column, item)
                items.append(item)
        self.table.show()
        fit_columns(self.table)
        if values is None:
            self.table.setCurrentCell(row, 0)
            self.table.editItem(items[0])
            self.changed.emit()
        return row

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for row in rows:
            self.table.removeRow(row)
        self.table.setVisible(self.table.rowCount() > 0)
        if rows:
            self.changed.emit()

    def move_selected(self, step: int) -> None:
        row = self.table.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.table.rowCount():
            return
        with QSignalBlocker(self.table):
            for column in range(self.table.columnCount()):
                upper, lower = self.table.takeItem(row, column), self.table.takeItem(target, column)
                self.table.setItem(target, column, upper)
                self.table.setItem(row, column, lower)
        self.table.setCurrentCell(target, self.table.currentColumn())
        self.changed.emit()

    def clear_rows(self) -> None:
        with QSignalBlocker(self.table):
            self.table.setRowCount(0)
        self.table.hide()

    def cell_text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def cell_value(self, row: int, column: int, spec: FieldSpec | None = None) -> Any:
        item = self.table.item(row, column)
        if item is None or item.text() == "":
            return None
        if item.data(_KEEP_JSON):
            try:
                return json.loads(item.text())
            except ValueError:
                return item.text()
        return parse_typed(spec, item.text()) if spec is not None else item.text()

    def mark_cell(self, row: int, column: int | None, severity: str | None, message: str = "") -> None:
        columns = range(self.table.columnCount()) if column is None else (column,)
        with QSignalBlocker(self.table):
            for col in columns:
                item = self.table.item(row, col)
                if item is None:
                    continue
                item.setBackground(theme.qcolor(f"mark_{severity}") if severity else QColor(Qt.GlobalColor.transparent))
                _set_tooltip(item, message)

    def clear_marks(self) -> None:
        for row in range(self.table.rowCount()):
            self.mark_cell(row, None, None)

    def focus_cell(self, row: int, column: int = 0) -> None:
        self.table.setFocus()
        if 0 <= row < self.table.rowCount():
            self.table.setCurrentCell(row, column)


def _properties_text(item: dict[str, Any], known: set[str]) -> str:
    parts = []
    for key, value in item.items():
        if key in known:
            continue
        values = value if isinstance(value, list) else [value]
        parts.append(f"{key}={','.join(display_text(v) for v in values)}")
    return "; ".join(parts)


def _parse_properties(text: str) -> dict[str, Any]:
    """`color=red,blue; size=L` -> {"color": ["red", "blue"], "size": ["L"]}."""
    result: dict[str, Any] = {}
    for part in text.split(";"):
        key, sep, values = part.partition("=")
        if key.strip():
            result[key.strip()] = [v.strip() for v in values.split(",") if v.strip()] if sep else []
    return result


class ProductTable(EditableTable):
    """Rows of a list param: one column per catalog field, plus extra properties when allowed."""

    def __init__(self, param: ParamSpec, parent: QWidget | None = None) -> None:
        self.param = param
        headers = [f"{spec.name}{' *' if spec.required else ''}" for spec in param.fields]
        tips = [spec.help for spec in param.fields]
        if param.extra_properties:
            headers.append("extra properties")
            tips.append("Other product properties as name=value1,value2; name2=value (lists of strings)")
        super().__init__(headers, tips, "Add item", parent)
        self._raw: Any = None  # a value raw mode sent that is not a list: kept until the table is edited
        self.changed.connect(self._forget_raw)

    def _forget_raw(self) -> None:
        self._raw = None

    def value(self) -> Any:
        if self._raw is not None:
            return self._raw
        items = []
        for row in range(self.table.rowCount()):
            item: dict[str, Any] = {}
            for column, spec in enumerate(self.param.fields):
                value = self.cell_value(row, column, spec)
                if value is not None:
                    item[spec.name] = value
            if self.param.extra_properties:
                item.update(_parse_properties(self.cell_text(row, len(self.param.fields))))
            items.append(item)
        return items

    def set_value(self, value: Any) -> None:
        self.clear_rows()
        self._raw = None
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self._raw = value
            return
        known = {spec.name for spec in self.param.fields}
        for item in value:
            row = [item.get(spec.name) for spec in self.param.fields]
            if self.param.extra_properties:
                row.append(_properties_text(item, known))
            self.add_row(row)

    def column_of(self, key: str) -> int | None:
        for column, spec in enumerate(self.param.fields):
            if spec.name == key:
                return column
        return len(self.param.fields) if self.param.extra_properties else None


class KeyValueTable(EditableTable):
    """Name/value pairs: extra params of an event, or extra properties of a product."""

    def __init__(self, name_header: str, value_header: str, value_tip: str, list_values: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__([name_header, value_header], ["The name, exactly as it should be sent", value_tip],
                         "Add", parent)
        self.list_values = list_values  # extra product properties are lists of strings: "red, blue"

    def pairs(self) -> list[tuple[str, Any]]:
        pairs = []
        for row in range(self.table.rowCount()):
            name = self.cell_text(row, 0)
            if self.list_values:
                value: Any = [v.strip() for v in self.cell_text(row, 1).split(",") if v.strip()]
                item = self.table.item(row, 1)
                if item is not None and item.data(_KEEP_JSON):
                    value = self.cell_value(row, 1)
            else:
                value = self.cell_value(row, 1)
                value = "" if value is None else value
            if name or value:
                pairs.append((name, value))
        return pairs

    def set_pairs(self, pairs: list[tuple[str, Any]]) -> None:
        self.clear_rows()
        for name, value in pairs:
            if self.list_values and isinstance(value, list) and all(isinstance(v, str) for v in value):
                self.add_row([name, ", ".join(value)])
            else:
                self.add_row([name, value])
