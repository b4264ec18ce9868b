"""A one-line label that never asks for width: a 300-character push token shows as much as fits, with an
ellipsis, and the whole text on hover. Panes that show stranger values use it so that no value can widen
its pane and squeeze the form."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    def __init__(self, parent: QWidget | None = None, mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight) -> None:
        super().__init__(parent)
        self._full = ""
        self._mode = mode
        self.setTextFormat(Qt.TextFormat.PlainText)  # stranger text: never read as markup
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str) -> None:
        if text == self._full:  # the ladder sets every rung on every keystroke; most did not change
            return
        self._full = text
        self._elide()
        self.updateGeometry()  # a new hint for the layout

    def is_elided(self) -> bool:
        return self.text() != self._full

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        """The whole text's width, within the maximum width: where a layout goes by the hint (a tab widget's
        corner), the text shows whole when there is room and elided when there is not."""
        margins = self.contentsMargins()
        whole = (self.fontMetrics().horizontalAdvance(self._full) + margins.left() + margins.right()
                 + 2 * self.margin() + 2)
        return QSize(min(whole, self.maximumWidth()), super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # bold (the ladder's winner) is wider: elided again
            self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, self._mode, max(self.contentsRect().width(), 0))
        if shown != self.text():
            self.setText(shown)
        self.setToolTip(self._full if shown != self._full else "")
