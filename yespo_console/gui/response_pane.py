"""The response pane under the form: what happened to the last send, in words, with the status, time,
headers and the highlighted body."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTabWidget, QWidget

from yespo_console.core.http.outcome import Outcome
from yespo_console.gui.jsontext import pretty_json
from yespo_console.gui.markup import html_text
from yespo_console.gui.preview import CodeView

if TYPE_CHECKING:
    from yespo_console.core.http.sending import SendResult

_OUTCOME_COLORS = {Outcome.ACCEPTED: "#1e8e3e", Outcome.RATE_LIMITED: "#b06000", Outcome.CANCELLED: "#5f6368"}


class ResponsePane(QTabWidget):
    """Outcome in words, status, time, headers and the highlighted body."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("Nothing sent yet. Press Ctrl+Enter to send.", self)
        self.summary.setWordWrap(True)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setMargin(8)
        self.headers = QPlainTextEdit(self)
        self.headers.setReadOnly(True)
        self.body = CodeView(read_only=True, parent=self)
        self.addTab(self.summary, "Response")
        self.addTab(self.headers, "Headers")
        self.addTab(self.body, "Body")

    def show_busy(self, where: str) -> None:
        self.summary.setText(f"Sending to {where} … (Esc cancels)")
        self.headers.clear()
        self.body.setPlainText("")

    def show_not_sent(self, reason: str) -> None:
        self.summary.setText(f"<b>Not sent</b><p>{html_text(reason)}</p>")

    def show_cancelled(self, rest_dropped: bool) -> None:
        rest = " The remaining re-sends were not sent." if rest_dropped else ""
        self.summary.setText("<span style='font-size:14pt; color:#5f6368'><b>Cancelled</b></span><p>The request "
                             "may already have reached the server; it is kept in history as "
                             f"cancelled.{rest}</p>")

    def show_result(self, result: SendResult, note: str = "") -> None:
        outcome = result.outcome
        color = _OUTCOME_COLORS.get(outcome, "#d93025")
        status = f"HTTP {result.status}" if result.status is not None else "no HTTP answer"
        duration = f"{result.duration_ms:,.0f} ms" if result.duration_ms is not None else "–"
        lines = [f"<span style='font-size:14pt; color:{color}'><b>{outcome.label}</b></span> — {status}, "
                 f"{duration}", f"<p><b>{html_text(result.explanation.title)}</b></p>"]
        if result.explanation.detail:
            lines.append(f"<p>{html_text(result.explanation.detail)}</p>")
        if note:
            lines.append(f"<p><b>{html_text(note)}</b></p>")
        if result.attempts > 1:
            lines.append(f"<p>{result.attempts} attempts (retries on).</p>")
        if result.exchange_id is not None:
            lines.append(f"<p style='color:#5f6368'>Saved in history as #{result.exchange_id}.</p>")
        if result.history_error:
            lines.append(f"<p style='color:#d93025'>{html_text(result.history_error)}</p>")
        self.summary.setText("".join(lines))
        self.headers.setPlainText("\n".join(f"{k}: {v}" for k, v in result.result.headers))
        text = result.body_text
        pretty = pretty_json(text)  # None: shown as it came
        self.body.setPlainText(text if pretty is None else pretty)
        self.setTabText(2, f"Body ({len(result.result.body):,} B)")
