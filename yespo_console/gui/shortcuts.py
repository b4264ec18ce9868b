"""Help → Keyboard shortcuts: every shortcut the window's actions have, read from the actions themselves
(so the list cannot drift from what the keys do), with where each one works."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

_WHERE = {
    Qt.ShortcutContext.WidgetShortcut: "in the {} only",
    Qt.ShortcutContext.WidgetWithChildrenShortcut: "in the {}",
}


def _label(action: QAction) -> str:
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def _where(action: QAction) -> str:
    template = _WHERE.get(action.shortcutContext())
    if template is None:
        return "anywhere in the window"
    widgets = [w for w in action.associatedObjects() if isinstance(w, QWidget) and not isinstance(w, QMenu)]
    name = widgets[0].accessibleName() or widgets[0].windowTitle() if widgets else ""
    return template.format(name or "panel it belongs to")


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(action, keys, where it works) for every action of WINDOW that has a shortcut, in menu order first."""
    seen: set[int] = set()
    rows: list[tuple[str, str, str]] = []
    ordered: list[QAction] = []

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu())  # type: ignore[arg-type]
            else:
                ordered.append(action)

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu())  # type: ignore[arg-type]
    ordered += window.findChildren(QAction)
    for action in ordered:
        keys = [k for k in action.shortcuts() if not k.isEmpty()]
        if not keys or id(action) in seen:
            continue
        seen.add(id(action))
        text = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys)
        rows.append((_label(action), text, _where(action)))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Action", "Keys", "Works"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 520)
