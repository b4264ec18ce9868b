"""The response pane under the form: what happened to the last send, or to the exchange selected in the
history, in words, with the status, time, headers, the highlighted body and (for a history exchange) the
request that was sent. A label in its corner says which of the two it shows.

Every state (sending, cancelled, not sent, a result) opens the Response tab and leaves no tab showing
an older answer: a Body tab titled "Body (142 B)" over an empty page is a lie.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTabWidget, QWidget

from yespo_console.core.http.outcome import Outcome
from yespo_console.gui import theme
from yespo_console.gui.elided import ElidedLabel
from yespo_console.gui.jsontext import pretty_json
from yespo_console.gui.markup import html_text
from yespo_console.gui.preview import CodeView

if TYPE_CHECKING:
    from yespo_console.core.history import Exchange
    from yespo_console.core.http.sending import Explanation, SendResult

_OUTCOME_ROLES = {Outcome.ACCEPTED: "ok", Outcome.RATE_LIMITED: "warning", Outcome.CANCELLED: "dim",
                  Outcome.PENDING: "dim"}
_DIM = "color: palette(placeholder-text);"
LIVE_TITLE = "Last send"
RESPONSE, HEADERS, BODY, REQUEST = range(4)


def outcome_line(outcome: Outcome, status: int | None, duration_ms: float | None) -> str:
    """One wording for an outcome, everywhere: "Accepted — HTTP 200 · 4 ms"."""
    answer = f"HTTP {status}" if status is not None else "no HTTP answer"
    duration = f" · {duration_ms:,.0f} ms" if duration_ms is not None else ""
    return f"{outcome.label} — {answer}{duration}"


def _headline(outcome: Outcome, status: int | None, duration_ms: float | None) -> str:
    color = theme.css(_OUTCOME_ROLES.get(outcome, "error"))
    label, _dash, rest = outcome_line(outcome, status, duration_ms).partition(" — ")
    return f"<span style='font-size:14pt; color:{color}'><b>{html_text(label)}</b></span> — {html_text(rest)}"


def _explained(explanation: Explanation) -> str:
    detail = f"<p>{html_text(explanation.detail)}</p>" if explanation.detail else ""
    return f"<p><b>{html_text(explanation.title)}</b></p>{detail}"


def _header_lines(headers: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers)


class ResponsePane(QTabWidget):
    """Outcome in words, status, time, headers and the highlighted body; the request for a history row."""

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
        self.request = CodeView(read_only=True, parent=self)
        self.addTab(self.summary, "Response")
        self.addTab(self.headers, "Headers")
        self.addTab(self.body, "Body")
        self.addTab(self.request, "Request")
        # Plain text: it names an environment, which anyone may name. Elided, whole on hover: a long name
        # pushed the tabs into scroll arrows ("Heade◂▸").
        self.title = ElidedLabel(self)
        self.title.set_full_text(LIVE_TITLE)
        self.title.setAccessibleName("What the response pane shows")
        self.title.setContentsMargins(8, 0, 8, 0)
        self.setCornerWidget(self.title, Qt.Corner.TopRightCorner)
        self.showing_history: int | None = None  # the history row shown, or None for the live state
        self._live: Callable[[], None] = self._show_nothing_sent
        self._sending_to = ""
        self.setTabVisible(REQUEST, False)

    # -- the live state: what the last send did ------------------------------------------------------

    def _live_state(self, show: Callable[[], None]) -> None:
        """Show a state of the live send, and keep it to come back to after looking at history."""
        self._live = show
        self.show_live()

    def show_live(self) -> None:
        """Back from a history exchange to the last send's state."""
        self.showing_history = None
        self.title.set_full_text(LIVE_TITLE)
        self.title.setStyleSheet("")
        self.setTabVisible(REQUEST, False)
        self._live()
        self._fit_title()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_title()

    def _fit_title(self) -> None:
        """The corner title gets the width the tabs leave, so that every tab stays whole."""
        room = self.width() - self.tabBar().sizeHint().width() - 8
        if room != self.title.maximumWidth():
            self.title.setMaximumWidth(max(room, 0))

    def _show_nothing_sent(self) -> None:
        self._show_state("Nothing sent yet. Press Ctrl+Enter to send.")

    def _show_state(self, text: str) -> None:
        """A state with no answer to show: the Response tab, and no older answer left in the others."""
        self.summary.setText(text)
        self.headers.clear()
        self._set_body(b"")
        self.setCurrentIndex(RESPONSE)

    def show_busy(self, where: str) -> None:
        self._sending_to = where
        self._live_state(lambda: self._show_state(f"Sending to {html_text(where)} … (Esc cancels)"))

    def show_not_sent(self, reason: str) -> None:
        self._live_state(lambda: self._show_state(f"<b>Not sent</b><p>{html_text(reason)}</p>"))

    def show_cancelled(self, rest_dropped: bool) -> None:
        rest = " The remaining re-sends were not sent." if rest_dropped else ""
        what = f" the send to {html_text(self._sending_to)}" if self._sending_to else " the send"
        text = (f"<span style='font-size:14pt; color:{theme.css('dim')}'><b>Cancelled</b></span>{what}<p>The request "
                f"may already have reached the server; it is kept in history as cancelled.{rest}</p>")
        self._live_state(lambda: self._show_state(text))

    def show_result(self, result: SendResult, note: str = "") -> None:
        self._live_state(lambda: self._render_result(result, note))

    def _render_result(self, result: SendResult, note: str) -> None:
        lines = [_headline(result.outcome, result.status, result.duration_ms), _explained(result.explanation)]
        if note:
            lines.append(f"<p><b>{html_text(note)}</b></p>")
        if result.attempts > 1:
            lines.append(f"<p>{result.attempts} attempts (retries on).</p>")
        if result.exchange_id is not None:
            lines.append(f"<p style='color:{theme.css('dim')}'>Saved in history as #{result.exchange_id}.</p>")
        if result.history_error:
            lines.append(f"<p style='color:{theme.css('error')}'>{html_text(result.history_error)}</p>")
        self._show_answer("".join(lines), result.result.headers, result.result.body)

    def _show_answer(self, summary: str, headers: Sequence[tuple[str, str]], body: bytes) -> None:
        self.summary.setText(summary)
        self.headers.setPlainText(_header_lines(headers))
        self._set_body(body)

    def _set_body(self, body: bytes) -> None:
        text = body.decode("utf-8", "replace")
        pretty = pretty_json(text)  # None: shown as it came, and not coloured as if it were JSON
        _show_code(self.body, text if pretty is None else pretty, json=pretty is not None)
        self.setTabText(BODY, f"Body ({len(body):,} B)" if body else "Body")
        self._fit_title()

    # -- a history exchange ---------------------------------------------------------------------------

    def show_exchange(self, exchange: Exchange) -> None:
        """A stored exchange: its answer, timing, diagnostics and request, labelled as that exchange."""
        from yespo_console.core.http.explain import explain_status  # loads httpx: not before the first paint

        self.showing_history = exchange.id
        started = exchange.started_at.astimezone()
        # Short, for the corner beside four tabs: the time alone for today's sends.
        from datetime import datetime

        today = started.date() == datetime.now().astimezone().date()
        when = started.strftime("%H:%M:%S" if today else "%Y-%m-%d %H:%M")
        self.title.set_full_text(f"History #{exchange.id} · {when} · {exchange.environment}")
        self.title.setStyleSheet("font-weight: bold;")
        lines = [_headline(exchange.outcome, exchange.status, exchange.duration_ms)]
        if exchange.error:  # the explanation given when it was sent, with what it knew then
            lines.append(f"<p><b>{html_text(exchange.error)}</b></p>")
        elif exchange.status is not None:
            lines.append(_explained(explain_status(exchange.status, exchange.response_headers,
                                                   exchange.response_body)))
        if exchange.note:
            lines.append(f"<p>Note: {html_text(exchange.note)}</p>")
        lines.append(_diagnostics_html(exchange.diagnostics))
        lines.append(f"<p style='{_DIM}'>{html_text(exchange.method)} {html_text(exchange.url)} · "
                     f"{html_text(exchange.event_type or 'no event type')} · keyValue "
                     f"{html_text(exchange.key_value or '–')}. Enter loads it into the form; Re-send sends it "
                     "again.</p>")
        self.setTabVisible(REQUEST, True)
        self._fit_title()
        request_text = exchange.request_body.decode("utf-8", "replace")
        pretty = pretty_json(request_text)
        head = f"{exchange.method} {exchange.url}\n{_header_lines(exchange.request_headers)}\n\n"
        _show_code(self.request, head + (request_text if pretty is None else pretty), json=pretty is not None)
        self._show_answer("".join(lines), exchange.response_headers, exchange.response_body)


def _show_code(view: CodeView, text: str, *, json: bool) -> None:
    view.highlighter.setDocument(view.document() if json else None)
    view.setPlainText(text)


def _diagnostics_html(diagnostics: Sequence[dict[str, Any]]) -> str:
    if not diagnostics:
        return "<p>Local diagnostics when it was sent: none.</p>"
    items = "".join(f"<li>{html_text(str(d.get('severity', '')))}: {html_text(str(d.get('path', '')))}: "
                    f"{html_text(str(d.get('message', '')))}</li>" for d in diagnostics[:20])
    more = f"<li>… and {len(diagnostics) - 20} more</li>" if len(diagnostics) > 20 else ""
    return f"<p>Local diagnostics when it was sent:</p><ul>{items}{more}</ul>"
