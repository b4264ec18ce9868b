"""The list of findings; activating one asks the window to focus its field."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from yespo_console.core.events.findings import Finding, Severity

_COLORS = {Severity.ERROR: QColor("#d93025"), Severity.WARNING: QColor("#b06000")}


class DiagnosticsView(QTreeWidget):
    finding_activated = Signal(object)  # the Finding

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["", "where", "problem", "code"])
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.header().setStretchLastSection(False)
        self.itemClicked.connect(self._activated)
        self.itemActivated.connect(self._activated)
        self.findings: tuple[Finding, ...] | None = None  # None: nothing shown yet

    def show_findings(self, findings: tuple[Finding, ...]) -> None:
        if findings == self.findings:
            return
        self.findings = findings
        self.clear()
        if not findings:
            item = QTreeWidgetItem(["✔", "", "No problems: Yespo should accept this event.", ""])
            item.setForeground(0, QColor("#1e8e3e"))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.addTopLevelItem(item)
            return
        for finding in findings:
            mark = "✖" if finding.severity is Severity.ERROR else "⚠"
            item = QTreeWidgetItem([mark, finding.path, finding.message, finding.code])
            item.setForeground(0, _COLORS[finding.severity])
            item.setToolTip(2, f"{finding.message}\n\nHint: {finding.hint}" if finding.hint else finding.message)
            item.setData(0, Qt.ItemDataRole.UserRole, finding)
            self.addTopLevelItem(item)
        for column in (0, 1, 3):
            self.resizeColumnToContents(column)

    def _activated(self, item: QTreeWidgetItem) -> None:
        finding = item.data(0, Qt.ItemDataRole.UserRole)
        if finding is not None:
            self.finding_activated.emit(finding)
