"""The live preview of the exact wire bytes, and the raw editor with its Repair button."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QFont, QFontDatabase, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from yespo_console.gui.highlighter import JsonHighlighter

if TYPE_CHECKING:
    from yespo_console.core.events.repair import RepairResult


def code_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(font.pointSizeF(), 9.5))
    return font


class CodeView(QPlainTextEdit):
    """A highlighted JSON text area."""

    def __init__(self, read_only: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(read_only)
        self.setFont(code_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.highlighter = JsonHighlighter(self.document())

    def refresh_palette(self) -> None:
        # Re-highlighting touches every block, which Qt reports as an edit: the raw editor would hand its
        # (possibly stale) text to the form as if the user had typed it.
        with QSignalBlocker(self):
            self.highlighter.refresh_palette()

    def exact_text(self) -> str:
        """The text exactly as typed. toPlainText() would turn a no-break space into a space and U+2028
        into a newline, and raw mode sends these characters as they are."""
        return self.document().toRawText().replace("\u2029", "\n")  # U+2029 is how Qt separates lines

    def set_text_keeping_view(self, text: str) -> None:
        """Replace the text without jumping to the top, so typing in the form does not scroll it."""
        if text == self.exact_text():
            return
        scroll = self.verticalScrollBar().value()
        self.setPlainText(text)
        self.verticalScrollBar().setValue(scroll)


class PayloadPanel(QTabWidget):
    """Tab 0: the preview of what the form builds. Tab 1: raw mode, where the body is edited directly."""

    raw_edited = Signal(str)
    repair_requested = Signal()

    PREVIEW, RAW = 0, 1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview = CodeView(read_only=True, parent=self)
        self.preview.setAccessibleName("Wire preview")
        self.preview.setToolTip("The exact bytes that will be sent (UTF-8)")
        preview_page = QWidget(self)
        preview_layout = QVBoxLayout(preview_page)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_layout.addWidget(self.preview)
        self.size_label = QLabel(preview_page)
        preview_layout.addWidget(self.size_label)
        self.addTab(preview_page, "Preview")

        raw_page = QWidget(self)
        raw_layout = QVBoxLayout(raw_page)
        raw_layout.setContentsMargins(0, 0, 0, 0)
        self.raw = CodeView(read_only=False, parent=raw_page)
        self.raw.setAccessibleName("Raw body editor")
        self.raw.setPlaceholderText("Paste or type a body. When it parses, the form follows; the bytes here are "
                                    "sent as they are while this tab is open.")
        self.raw.textChanged.connect(lambda: self.raw_edited.emit(self.raw.exact_text()))
        raw_layout.addWidget(self.raw)
        bar = QHBoxLayout()
        self.repair_label = QLabel(raw_page)
        self.repair_label.setWordWrap(True)
        self.repair_button = QPushButton("Repair", raw_page)
        self.repair_button.setToolTip("Re-encode nested JSON that was pasted without escaping (Ctrl+R)")
        self.repair_button.clicked.connect(self.repair_requested)
        self.repair_button.setEnabled(False)
        bar.addWidget(self.repair_label, 1)
        bar.addWidget(self.repair_button)
        raw_layout.addLayout(bar)
        self.addTab(raw_page, "Raw")

    @property
    def raw_mode(self) -> bool:
        return self.currentIndex() == self.RAW

    def show_wire(self, body: bytes) -> None:
        self.preview.set_text_keeping_view(body.decode("utf-8"))
        self.size_label.setText(f"{len(body):,} bytes (limit 20,480)")

    def set_raw_text(self, text: str) -> None:
        with QSignalBlocker(self.raw):
            self.raw.set_text_keeping_view(text)

    def show_repair(self, repair: RepairResult | None) -> None:
        self.repair_button.setEnabled(repair is not None)
        if repair is None:
            self.repair_label.setText("")
        else:
            self.repair_label.setText("Repair available: " + "; ".join(repair.changes))

    def apply_repair(self, repair: RepairResult) -> None:
        cursor = self.raw.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(repair.text)  # one undo step: Ctrl+Z brings the broken text back
