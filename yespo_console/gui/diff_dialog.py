"""Two exchanges side by side, request and response, with the lines that differ marked.

The two texts are aligned row by row (a line only one side has faces an empty filler row), so that
one scroll position shows the same place in both, and a change is never hidden by a shifted line.
"""

from __future__ import annotations

import difflib
import http
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from yespo_console.core.history import Exchange
from yespo_console.core.http.masking import mask_headers, mask_url
from yespo_console.gui import theme
from yespo_console.gui.history_model import format_duration
from yespo_console.gui.jsontext import pretty_json
from yespo_console.gui.preview import CodeView

MAX_LINES = 5_000  # per side: difflib is quadratic at worst, and nobody reads a longer diff line by line


@dataclass(frozen=True, slots=True)
class DiffRow:
    left: str | None  # None: a filler facing a line only the right side has
    right: str | None
    kind: str  # difflib's opcode: equal, replace, delete or insert

    @property
    def changed(self) -> bool:
        return self.kind != "equal"


def body_lines(body: bytes) -> list[str]:
    """A body as lines to compare: JSON indented the same way on both sides (so that a compact and
    a pretty body with the same content are equal), anything else as its text."""
    if not body:
        return ["(empty body)"]
    text = pretty_json(body)
    if text is None:
        text = body.decode("utf-8", errors="replace")
    return _capped(text.splitlines() or [""])


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LINES:
        return lines
    return [*lines[:MAX_LINES], f"… {len(lines) - MAX_LINES:,} more lines not compared"]


def request_lines(exchange: Exchange) -> list[str]:
    lines = [f"{exchange.method} {mask_url(exchange.url)}"]
    lines += [f"{name}: {value}" for name, value in mask_headers(exchange.request_headers)]
    return [*lines, "", *body_lines(exchange.request_body)]


def response_lines(exchange: Exchange) -> list[str]:
    if exchange.status is None:
        lines = [f"No HTTP answer: {exchange.outcome.label}"]
    else:
        try:
            phrase = http.HTTPStatus(exchange.status).phrase
        except ValueError:
            phrase = ""
        lines = [f"HTTP {exchange.status} {phrase}".rstrip() + f" — {exchange.outcome.label}"]
    if exchange.error:
        lines.append(f"Error: {exchange.error}")
    lines += [f"{name}: {value}" for name, value in mask_headers(exchange.response_headers)]
    if exchange.status is None and not exchange.response_body:
        return lines
    return [*lines, "", *body_lines(exchange.response_body)]


def align(left: list[str], right: list[str]) -> list[DiffRow]:
    """The two sides as aligned rows."""
    rows: list[DiffRow] = []
    # autojunk off: in pretty JSON, lines like "}," are frequent and must still be matched.
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow(left[i], right[j1 + k], "equal") for k, i in enumerate(range(i1, i2)))
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            rows.append(DiffRow(left[i1 + k] if i1 + k < i2 else None, right[j1 + k] if j1 + k < j2 else None,
                                tag))
    return rows


def describe(exchange: Exchange) -> str:
    parts = [f"#{exchange.id}", exchange.started_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
             exchange.environment, exchange.event_type or "—", exchange.outcome.label,
             format_duration(exchange.duration_ms)]
    return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class _Palette:
    removed: QColor
    added: QColor
    filler: QColor
    removed_text: QColor
    added_text: QColor


def _palette() -> _Palette:
    return _Palette(theme.qcolor("diff_removed"), theme.qcolor("diff_added"), theme.qcolor("diff_filler"),
                    theme.qcolor("diff_removed_text"), theme.qcolor("diff_added_text"))


def _selection(editor: QPlainTextEdit, row: int, color: QColor, start: int | None = None,
               end: int | None = None) -> QTextEdit.ExtraSelection:
    cursor = QTextCursor(editor.document().findBlockByNumber(row))
    fmt = QTextCharFormat()
    fmt.setBackground(color)
    if start is None or end is None:
        fmt.setProperty(QTextFormat.Property.FullWidthSelection, True)
    else:
        cursor.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.MoveAnchor, start)
        cursor.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.KeepAnchor, end - start)
    selection = QTextEdit.ExtraSelection()
    selection.cursor = cursor
    selection.format = fmt
    return selection


class DiffPane(QWidget):
    """One aspect (request or response) of both exchanges, side by side, scrolling together."""

    def __init__(self, left_title: str, right_title: str, left: list[str], right: list[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = align(left, right)
        self.changed_rows = [number for number, row in enumerate(self.rows) if row.changed]
        self.left = self._editor("left")
        self.right = self._editor("right")
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for column, (title, editor) in enumerate(((left_title, self.left), (right_title, self.right))):
            label = QLabel(title, self)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label, 0, column)
            layout.addWidget(editor, 1, column)
        self.left.setPlainText("\n".join(row.left or "" for row in self.rows))
        self.right.setPlainText("\n".join(row.right or "" for row in self.rows))
        self._mark()
        for first, second in ((self.left, self.right), (self.right, self.left)):
            first.verticalScrollBar().valueChanged.connect(second.verticalScrollBar().setValue)
            first.horizontalScrollBar().valueChanged.connect(second.horizontalScrollBar().setValue)

    def _editor(self, side: str) -> CodeView:
        editor = CodeView(read_only=True, parent=self)
        # No wrapping: a wrapped line would be taller on one side and break the row alignment.
        editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        editor.setAccessibleName(f"{side} exchange")
        return editor

    def _mark(self) -> None:
        colors = _palette()
        left: list[QTextEdit.ExtraSelection] = []
        right: list[QTextEdit.ExtraSelection] = []
        for number in self.changed_rows:
            row = self.rows[number]
            left.append(_selection(self.left, number, colors.filler if row.left is None else colors.removed))
            right.append(_selection(self.right, number, colors.filler if row.right is None else colors.added))
            if row.left is not None and row.right is not None:
                # Within a changed line, the characters that differ: a long line with one digit changed.
                matcher = difflib.SequenceMatcher(None, row.left, row.right, autojunk=False)
                if matcher.ratio() < 0.5:
                    continue  # two unrelated lines: marking every other letter would only be noise
                for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                    if tag == "equal":
                        continue
                    if i2 > i1:
                        left.append(_selection(self.left, number, colors.removed_text, i1, i2))
                    if j2 > j1:
                        right.append(_selection(self.right, number, colors.added_text, j1, j2))
        self.left.setExtraSelections(left)
        self.right.setExtraSelections(right)

    def go_to_change(self, step: int) -> int | None:
        """Move both sides to the next (step 1) or previous (-1) run of changed rows; returns its row."""
        if not self.changed_rows:
            return None
        current = self.left.textCursor().blockNumber()
        starts = [n for i, n in enumerate(self.changed_rows) if i == 0 or self.changed_rows[i - 1] != n - 1]
        if step > 0:
            target = next((n for n in starts if n > current), starts[0])
        else:
            target = next((n for n in reversed(starts) if n < current), starts[-1])
        for editor in (self.left, self.right):
            cursor = QTextCursor(editor.document().findBlockByNumber(target))
            editor.setTextCursor(cursor)
            editor.centerCursor()
        return target


class DiffDialog(QDialog):
    """Compares two exchanges: `a` on the left, `b` on the right."""

    def __init__(self, a: Exchange, b: Exchange, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.a, self.b = a, b
        self.setWindowTitle(f"Diff: #{a.id} ↔ #{b.id}")
        self.resize(1200, 760)
        self.request = DiffPane(describe(a), describe(b), request_lines(a), request_lines(b), self)
        self.response = DiffPane(describe(a), describe(b), response_lines(a), response_lines(b), self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.request, self._tab_title("Request", self.request))
        self.tabs.addTab(self.response, self._tab_title("Response", self.response))
        if not self.request.changed_rows and self.response.changed_rows:
            self.tabs.setCurrentIndex(1)
        self.summary = QLabel(self._summary_text(), self)
        self.summary.setWordWrap(True)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        previous = QPushButton("Previous change", self)
        previous.setToolTip("Shift+F7")
        previous.clicked.connect(lambda: self.go_to_change(-1))
        following = QPushButton("Next change", self)
        following.setToolTip("F7")
        following.clicked.connect(lambda: self.go_to_change(1))
        for button in (previous, following):
            button.setAutoDefault(False)  # Enter closes the dialog, it does not jump around
        buttons.addButton(previous, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(following, QDialogButtonBox.ButtonRole.ActionRole)
        QShortcut(QKeySequence(Qt.Key.Key_F7), self, lambda: self.go_to_change(1))
        QShortcut(QKeySequence("Shift+F7"), self, lambda: self.go_to_change(-1))

        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

    @staticmethod
    def _tab_title(name: str, pane: DiffPane) -> str:
        count = len(pane.changed_rows)
        return f"{name} ({count:,} changed)" if count else f"{name} (same)"

    def _summary_text(self) -> str:
        request, response = len(self.request.changed_rows), len(self.response.changed_rows)
        if not request and not response:
            return f"#{self.a.id} and #{self.b.id} sent the same request and got the same answer."
        return (f"#{self.a.id} (left) against #{self.b.id} (right): {request:,} request line(s) and "
                f"{response:,} response line(s) differ.")

    def current_pane(self) -> DiffPane:
        return self.request if self.tabs.currentIndex() == 0 else self.response

    def go_to_change(self, step: int) -> int | None:
        return self.current_pane().go_to_change(step)
