"""What a conversion did (Edit → Convert to the other format, gui.convert_action), in a small window; loaded
with the first conversion."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QListWidget, QVBoxLayout, QWidget

from yespo_console.gui.convert_action import LABEL

if TYPE_CHECKING:
    from yespo_console.core.events.tracker_convert import Conversion


class ConversionDialog(QDialog):
    """What a conversion did: from what to what, under which label, and what it left behind."""

    def __init__(self, source: str, conversion: Conversion, undo: QAction, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Converted to the other format")
        layout = QVBoxLayout(self)
        where = "web tracking" if conversion.target == "tracker" else "Generate event"
        head = QLabel(f"{source} → {conversion.event} ({where}): the form shows the result.", self)
        head.setTextFormat(Qt.TextFormat.PlainText)
        head.setWordWrap(True)
        layout.addWidget(head)
        self.label = QLabel(LABEL, self)
        self.label.setToolTip(conversion.note)
        self.label.setWordWrap(True)
        font = self.label.font()
        font.setBold(True)
        self.label.setFont(font)
        layout.addWidget(self.label)
        layout.addWidget(QLabel("Not carried over:" if conversion.lost else "Everything was carried over.", self))
        self.lost = QListWidget(self)
        self.lost.setWordWrap(True)
        self.lost.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.lost.addItems(list(conversion.lost))
        self.lost.setVisible(bool(conversion.lost))
        layout.addWidget(self.lost, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.undo_button = buttons.addButton("Undo the conversion", QDialogButtonBox.ButtonRole.ResetRole)
        self.undo_button.clicked.connect(undo.trigger)
        self.undo_button.clicked.connect(self.close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.resize(560, 320)
