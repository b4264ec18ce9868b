"""The locator ladder: keyValue > contactId > externalCustomerId > email > phone > pushToken."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from yespo_console.core.events.locators import Candidate, CandidateState, Resolution
from yespo_console.gui.markup import html_text

_MARKS = {
    CandidateState.WINNER: ("✔", "#1e8e3e"),
    CandidateState.LOWER_PRIORITY: ("•", "#5f6368"),
    CandidateState.ABSENT: ("–", "#9aa0a6"),
}
_IGNORED = ("✖", "#e8a000")


class LocatorLadder(QFrame):
    """Shows which candidates are filled, which one wins, why each other lost, and who would win
    if the winner were removed; turns red when the event would be rejected for lack of a locator."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("locatorLadder")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.headline = QLabel(self)
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.headline)
        self.grid = QGridLayout()
        self.grid.setColumnStretch(3, 1)
        layout.addLayout(self.grid)
        self.fallback = QLabel(self)
        self.fallback.setWordWrap(True)
        layout.addWidget(self.fallback)
        self.rows: dict[str, tuple[QLabel, QLabel, QLabel, QLabel]] = {}
        for row, name in enumerate(("keyValue", "contactId", "externalCustomerId", "email", "phone", "pushToken")):
            labels = (QLabel(self), QLabel(f"{row}." if row else "", self), QLabel(name, self), QLabel(self))
            for column, label in enumerate(labels):
                self.grid.addWidget(label, row, column)
            labels[3].setWordWrap(True)
            self.rows[name] = labels
        self.rejected = False
        self._color = ""

    def show_resolution(self, resolution: Resolution | None) -> None:
        if resolution is None:
            self.rejected = False
            self.headline.setText("No locators to rank: the body is not a JSON object.")
            self._style("#5f6368")
            for labels in self.rows.values():
                labels[0].setText("")
                labels[3].setText("")
            self.fallback.setText("")
            return
        self.rejected = not resolution.accepted
        for candidate in resolution.candidates:
            self._show(candidate)
        if self.rejected:
            self.headline.setText("<b>Rejected:</b> no keyValue and no usable locator. Fill in keyValue or one "
                                  "of the locators.")
            self._style("#d93025")
            self.fallback.setText("")
            return
        winner = resolution.winner
        assert winner is not None
        self.headline.setText(f"<b>keyValue = {html_text(winner.value)}</b> (from {winner.name})")
        self._style("#1e8e3e")
        runner = resolution.runner_up
        if runner is None:
            self.fallback.setText(f"If {winner.name} is removed: <span style='color:#d93025'>the event is "
                                  "rejected</span> (nothing else is usable).")
        else:
            self.fallback.setText(f"If {winner.name} is removed: {runner.name} wins "
                                  f"(<i>{html_text(runner.value)}</i>).")

    def _show(self, candidate: Candidate) -> None:
        mark_label, _, name_label, reason_label = self.rows[candidate.name]
        mark, color = _MARKS.get(candidate.state, _IGNORED)
        mark_label.setText(f"<span style='color:{color}; font-weight:bold'>{mark}</span>")
        shown = html_text(candidate.value) if candidate.value not in (None, "") else ""
        value = f"<b>{shown}</b> — " if candidate.state is CandidateState.WINNER else (f"{shown} — " if shown else "")
        reason_label.setText(f"<span style='color:{color}'>{value}{html_text(candidate.reason)}</span>")
        bold = candidate.state is CandidateState.WINNER
        if name_label.font().bold() != bold:
            font = name_label.font()
            font.setBold(bold)
            name_label.setFont(font)

    def _style(self, color: str) -> None:
        if color != self._color:  # style sheets re-polish the whole frame: only when the state changes
            self._color = color
            self.setStyleSheet(f"#locatorLadder {{ border: 2px solid {color}; border-radius: 4px; }}")


