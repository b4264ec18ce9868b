"""The locator ladder: keyValue > contactId > externalCustomerId > email > phone > pushToken.

Values are stranger text of any length (a 300-character push token): each shows on one elided line with
the whole value on hover, so the ladder keeps one line per rung and never widens its pane."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from yespo_console.core.events.locators import Candidate, CandidateState, Resolution
from yespo_console.gui import theme
from yespo_console.gui.elided import ElidedLabel

NAMES = ("keyValue", "contactId", "externalCustomerId", "email", "phone", "pushToken")
_MARKS = {
    CandidateState.WINNER: ("✔", "ok"),
    CandidateState.LOWER_PRIORITY: ("•", "dim"),
    CandidateState.ABSENT: ("–", "faint"),
}
_IGNORED = ("✖", "warning")
VALUE, REASON = 3, 4  # grid columns
# The values keep room for a phone number, or for up to this share of the width when they are longer (a
# short email stays whole); the reasons get the rest.
_VALUE_ROOM = "+380501234567"
_VALUE_SHARE = 0.4


def _bold(label: QLabel, bold: bool) -> None:
    if label.font().bold() != bold:
        font = QFont(label.font())
        font.setBold(bold)
        label.setFont(font)


class LadderRow:
    """One rung: mark, rank, name, the value (elided in the middle: its start and its end both say which
    contact it is) and why it won or lost."""

    def __init__(self, grid: QGridLayout, row: int, name: str, parent: QWidget) -> None:
        self.mark = QLabel(parent)
        self.rank = QLabel(f"{row}." if row else "", parent)
        self.name = QLabel(name, parent)
        self.value = ElidedLabel(parent, Qt.TextElideMode.ElideMiddle)
        self.reason = ElidedLabel(parent)
        for column, label in enumerate((self.mark, self.rank, self.name, self.value, self.reason)):
            grid.addWidget(label, row, column)

    def labels(self) -> tuple[QLabel, ...]:
        return self.mark, self.rank, self.name, self.value, self.reason

    def clear(self) -> None:
        self.mark.setText("")
        self.value.set_full_text("")
        self.reason.set_full_text("")


def headline_panel(frame: QFrame) -> tuple[QVBoxLayout, ElidedLabel]:
    """The frame of an identity panel (the locator ladder, the tracker's visitor view): its layout and its bold
    headline, elided in the middle."""
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(8, 6, 8, 6)
    layout.setSpacing(2)
    headline = ElidedLabel(frame, Qt.TextElideMode.ElideMiddle)
    _bold(headline, True)
    layout.addWidget(headline)
    return layout, headline


class LocatorLadder(QFrame):
    """Shows which candidates are filled, which one wins, why each other lost, and who would win
    if the winner were removed; turns red when the event would be rejected for lack of a locator."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("locatorLadder")
        layout, self.headline = headline_panel(self)
        self.grid = QGridLayout()
        self.grid.setVerticalSpacing(1)
        self.grid.setHorizontalSpacing(8)
        self.grid.setColumnStretch(VALUE, 3)  # until share_width knows the texts and the width
        self.grid.setColumnStretch(REASON, 2)
        layout.addLayout(self.grid)
        self.fallback = ElidedLabel(self, Qt.TextElideMode.ElideMiddle)
        layout.addWidget(self.fallback)
        layout.addStretch(1)
        self.rows = {name: LadderRow(self.grid, row, name, self) for row, name in enumerate(NAMES)}
        self.rejected = False
        self.resolution: Resolution | None = None
        self._color = ""

    def show_resolution(self, resolution: Resolution | None) -> None:
        self.resolution = resolution
        theme.paint_text(self.fallback, "dim")
        if resolution is None:
            self.rejected = False
            self.headline.set_full_text("No locators to rank: the body is not a JSON object.")
            self._style("dim")
            for row in self.rows.values():
                row.clear()
            self.fallback.set_full_text("")
            return
        self.rejected = not resolution.accepted
        for candidate in resolution.candidates:
            self._show(candidate)
        self.share_width()
        if self.rejected:
            self.headline.set_full_text("Rejected: no keyValue and no usable locator. Fill in keyValue or one of "
                                        "the locators.")
            self._style("error")
            self.fallback.set_full_text("")
            return
        winner = resolution.winner
        assert winner is not None
        self.headline.set_full_text(f"keyValue = {winner.value} (from {winner.name})")
        self._style("ok")
        runner = resolution.runner_up
        if runner is None:
            theme.paint_text(self.fallback, "error")
            self.fallback.set_full_text(f"If {winner.name} is removed: the event is rejected (nothing else is usable).")
        else:
            self.fallback.set_full_text(f"If {winner.name} is removed: {runner.name} wins ({runner.value}).")

    def refresh_palette(self) -> None:
        self._color = ""
        self.show_resolution(self.resolution)

    def _show(self, candidate: Candidate) -> None:
        row = self.rows[candidate.name]
        mark, role = _MARKS.get(candidate.state, _IGNORED)
        row.mark.setText(mark)
        winner = candidate.state is CandidateState.WINNER
        row.value.set_full_text("" if candidate.value in (None, "") else str(candidate.value))
        row.reason.set_full_text(candidate.reason)
        for label in (row.mark, row.value, row.reason):
            theme.paint_text(label, role)
        for label in (row.mark, row.name, row.value):
            _bold(label, winner)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.share_width()

    def share_width(self) -> None:
        """Why each rung won or lost gets the width it needs, leaving the values a phone number's or up to
        _VALUE_SHARE of it: values are elided in the middle, whole on hover, and the winner's is in the headline
        too; a fixed split elided the reasons ("keyValue is sent…") at laptop widths."""
        start = self.grid.cellRect(0, VALUE).left()
        if start < 0:  # not laid out yet
            return
        free = self.grid.geometry().right() - start - self.grid.horizontalSpacing()
        metrics = self.fontMetrics()
        reasons = max(metrics.horizontalAdvance(row.reason.full_text()) for row in self.rows.values()) + 2
        values = max(metrics.horizontalAdvance(row.value.full_text()) for row in self.rows.values()) + 2
        room = max(metrics.horizontalAdvance(_VALUE_ROOM), min(values, int(free * _VALUE_SHARE)))
        reason = max(0, min(reasons, free - room))
        value = max(1, free - reason)
        if (self.grid.columnStretch(VALUE), self.grid.columnStretch(REASON)) != (value, max(1, reason)):
            self.grid.setColumnStretch(VALUE, value)
            self.grid.setColumnStretch(REASON, max(1, reason))

    def _style(self, role: str) -> None:
        color = theme.css(role)
        if color != self._color:  # style sheets re-polish the whole frame: only when the state changes
            self._color = color
            self.setStyleSheet(f"#locatorLadder {{ border: 2px solid {color}; border-radius: 4px; }}")
