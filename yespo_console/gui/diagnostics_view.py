"""The list of findings under a line with both verdicts; activating a finding asks the window to
focus its field. Each row shows its tier; its tooltip, the hint and the rule's source."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from yespo_console.core.events.tiers import TIER_LABELS, Tier
from yespo_console.gui import theme

# The findings come with the body's first inspection, after the console's first paint; so does their module.
if TYPE_CHECKING:
    from yespo_console.core.events.findings import Finding
_MAX_SIDE_COLUMN = 120
TIER, WHERE, PROBLEM, CODE = range(4)
_CODE_FROM = 520  # narrower than this, the code column goes (it is in each row's tooltip): the problem's words stay
_SHORT_TIERS = {Tier.REJECTED: "rejected", Tier.REJECTED_IF_VALIDATED: "if validated",
                Tier.ACCEPTED_BUT: "accepted, but", Tier.NOTE: "note"}


def _tooltip(finding: Finding) -> str:
    parts = [finding.message, f"Hint: {finding.hint}" if finding.hint else "",
             f"Tier: {TIER_LABELS[finding.tier]}", f"Code: {finding.code}", f"Source: {finding.source}"]
    return "\n\n".join(part for part in parts if part)


class DiagnosticsView(QTreeWidget):
    finding_activated = Signal(object)  # the Finding

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["tier", "where", "problem", "code"])
        self.setRootIsDecorated(False)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.header().setSectionResizeMode(PROBLEM, QHeaderView.ResizeMode.Stretch)
        self.header().setStretchLastSection(False)
        self.itemClicked.connect(self._activated)
        self.itemActivated.connect(self._activated)
        self.findings: tuple[Finding, ...] | None = None  # None: nothing shown yet
        self.verdict_text = ""

    def show_findings(self, findings: tuple[Finding, ...]) -> None:
        from yespo_console.core.events.findings import Severity, verdict, verdict_line

        if findings == self.findings:
            return
        self.findings = findings
        self.verdict_text = verdict_line(findings)
        self.clear()
        head = QTreeWidgetItem([("✔ " if not findings else "") + self.verdict_text
                                + ("" if findings else ": no problems found.")])
        head.setFlags(Qt.ItemFlag.ItemIsEnabled)
        clean = all(f.tier is Tier.NOTE for f in findings)
        role = "error" if verdict(findings, validated=False) == "rejected" else "ok" if clean else "warning"
        head.setForeground(0, theme.qcolor(role))
        bold = QFont(head.font(0))
        bold.setBold(True)
        head.setFont(0, bold)
        self.addTopLevelItem(head)
        head.setFirstColumnSpanned(True)
        for finding in findings:
            mark = "✖" if finding.severity is Severity.ERROR else "⚠"
            item = QTreeWidgetItem([f"{mark} {_SHORT_TIERS[finding.tier]}", finding.path, finding.message,
                                    finding.code])
            item.setForeground(0, theme.qcolor(str(finding.severity)))  # the theme's roles are named after them
            tooltip = _tooltip(finding)
            for column in range(4):
                item.setToolTip(column, tooltip)
            item.setData(0, Qt.ItemDataRole.UserRole, finding)
            self.addTopLevelItem(item)
        self._fit_columns()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """The side columns as wide as their texts, the path and the code up to a fifth of the view each: a
        deep path or a long code must leave the problem's words room (all are whole on hover). The 350 px
        the pane has at 1366×768 left the problem column two letters. The tier's few words stay whole."""
        # Not viewport(): the first QWidget* Qt hands back makes PySide create the types (and their enums) of every
        # widget class, a good part of the start-up; this size is the viewport's, as if no scroll bar showed.
        width = self.maximumViewportSize().width()
        self.setColumnHidden(CODE, width < _CODE_FROM)
        side = min(_MAX_SIDE_COLUMN, max(width // 5, 48))
        for column, cap in ((TIER, _MAX_SIDE_COLUMN), (WHERE, side), (CODE, side)):
            wanted = max(self.sizeHintForColumn(column), self.header().sectionSizeHint(column))
            self.setColumnWidth(column, min(wanted, cap))

    def refresh_palette(self) -> None:
        findings, self.findings = self.findings, None
        if findings is not None:
            self.show_findings(findings)

    def _activated(self, item: QTreeWidgetItem) -> None:
        finding = item.data(0, Qt.ItemDataRole.UserRole)
        if finding is not None:
            self.finding_activated.emit(finding)
