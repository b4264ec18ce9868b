"""The response pane alone: a result in words, headers and body; a cancel; a refusal. What a server sends
back is shown, never interpreted as markup, and a body the JSON parser cannot take is shown as it came."""

import pytest
from PySide6.QtCore import Qt

from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.http.sending import Explanation, SendResult
from yespo_console.gui.response_pane import ResponsePane


def result(body: bytes, *, status: int | None = 400, outcome: Outcome = Outcome.REJECTED,
           exchange_id: int | None = 7) -> SendResult:
    return SendResult(request=ExchangeRequest(url="http://127.0.0.1:1/api/v2/event", body=b"{}"),
                      result=ExchangeResult(outcome=outcome, status=status, body=body, duration_ms=1234.0,
                                            headers=(("content-type", "application/json"),)),
                      explanation=Explanation("Rejected: <b>bad</b> request", "Check the <i>params</i>."),
                      exchange_id=exchange_id)


@pytest.fixture
def pane(qtbot) -> ResponsePane:
    widget = ResponsePane()
    qtbot.addWidget(widget)
    return widget


def test_a_result_in_words_with_headers_and_an_indented_body(pane):
    pane.show_result(result(b'{"error":"bad","items":[1]}'), note="No API key <here>")
    text = pane.summary.text()
    assert "Rejected" in text and "HTTP 400" in text and "1,234 ms" in text
    assert "&lt;b&gt;bad&lt;/b&gt;" in text and "<b>bad</b>" not in text  # the server's words stay text
    assert "No API key &lt;here&gt;" in text and "Saved in history as #7." in text
    assert pane.headers.toPlainText() == "content-type: application/json"
    assert pane.body.toPlainText() == '{\n  "error": "bad",\n  "items": [\n    1\n  ]\n}'
    assert pane.tabText(2) == "Body (27 B)"


@pytest.mark.parametrize("body", [b"plain text, not JSON", b"[" * 100_000])
def test_a_body_that_does_not_parse_is_shown_as_it_came(pane, body):
    pane.show_result(result(body, status=None, outcome=Outcome.CONNECTION_ERROR, exchange_id=None))
    assert pane.body.toPlainText() == body.decode()
    assert "no HTTP answer" in pane.summary.text() and "Saved in history" not in pane.summary.text()


def test_busy_clears_the_last_answer(pane):
    pane.show_result(result(b"{}"))
    pane.show_busy("http://127.0.0.1:1/api/v2/event (1 of 2)")
    assert pane.summary.text() == "Sending to http://127.0.0.1:1/api/v2/event (1 of 2) … (Esc cancels)"
    assert pane.headers.toPlainText() == "" and pane.body.toPlainText() == ""


def test_cancelled_and_not_sent(pane):
    pane.show_cancelled(False)
    assert "Cancelled" in pane.summary.text() and "remaining" not in pane.summary.text()
    pane.show_cancelled(True)
    assert "The remaining re-sends were not sent." in pane.summary.text()
    pane.show_not_sent("a key with a <line break>")
    assert pane.summary.text() == "<b>Not sent</b><p>a key with a &lt;line break&gt;</p>"


def test_after_a_cancel_no_tab_shows_the_older_answer(pane):
    pane.show_result(result(b'{"error":"bad"}'))
    pane.setCurrentIndex(2)  # looking at the body
    pane.show_busy("http://127.0.0.1:1/api/v2/event")
    pane.show_cancelled(False)
    assert pane.currentIndex() == 0 and pane.tabText(2) == "Body" and pane.body.toPlainText() == ""
    assert "Cancelled" in pane.summary.text() and "the send to http://127.0.0.1:1/api/v2/event" in pane.summary.text()


def test_one_wording_per_outcome(pane):
    from yespo_console.gui.response_pane import outcome_line

    assert outcome_line(Outcome.ACCEPTED, 200, 4.2) == "Accepted — HTTP 200 · 4 ms"
    assert outcome_line(Outcome.TIMEOUT, None, None) == "Timed out — no HTTP answer"
    pane.show_result(result(b"{}", status=200, outcome=Outcome.ACCEPTED))
    assert "</span> — HTTP 200 · 1,234 ms" in pane.summary.text()


def test_a_plain_text_body_is_not_coloured_as_json(pane):
    pane.show_result(result(b'The event should have "params": 12'))
    assert pane.body.highlighter.document() is None
    pane.show_result(result(b'{"params": 12}'))
    assert pane.body.highlighter.document() is pane.body.document()


def test_a_history_exchange_is_shown_whole_and_labelled_as_that_exchange(pane):
    from datetime import UTC, datetime

    from yespo_console.core.history import Exchange

    pane.show_result(result(b'{"live": true}', status=200, outcome=Outcome.ACCEPTED))
    exchange = Exchange(
        id=42, started_at=datetime(2026, 11, 30, 9, 15, tzinfo=UTC), environment="sandbox",
        url="http://127.0.0.1:8750/api/v2/event", request_headers=(("Authorization", "Basic ***"),),
        request_body=b'{"eventTypeKey":"cartUpdated","keyValue":"x@example.com"}', event_type="cartUpdated",
        key_value="x@example.com", outcome=Outcome.REJECTED, status=400, duration_ms=17.0,
        response_headers=(("content-type", "text/plain"),), response_body=b"Missing <params>",
        diagnostics=({"severity": "warning", "path": "params", "message": "no <params>"},))
    pane.setCurrentIndex(2)
    pane.show_exchange(exchange)
    assert pane.title.full_text().startswith("History #42 · 2026-11-30") and pane.showing_history == 42
    assert pane.title.textFormat() == Qt.TextFormat.PlainText  # "sandbox" could have been "<b>x</b>"
    text = pane.summary.text()
    assert "Rejected" in text and "HTTP 400 · 17 ms" in text and "no &lt;params&gt;" in text
    assert "Missing &lt;params&gt;" in text  # the server's words, explained and escaped
    assert pane.headers.toPlainText() == "content-type: text/plain"
    assert pane.body.toPlainText() == "Missing <params>" and pane.tabText(2) == "Body (16 B)"
    assert pane.isTabVisible(3) and "Authorization: Basic ***" in pane.request.toPlainText()
    assert '"keyValue": "x@example.com"' in pane.request.toPlainText()
    pane.show_live()  # back to the last send
    assert pane.title.text() == "Last send" and not pane.isTabVisible(3)
    assert pane.body.toPlainText() == '{\n  "live": true\n}'


def test_a_long_corner_title_leaves_every_tab_whole(pane, qtbot):
    from datetime import UTC, datetime

    from yespo_console.core.history import Exchange

    pane.resize(470, 300)  # the response column at 1366×768
    pane.show()
    qtbot.waitExposed(pane)
    environment = "Production (EU) — customer-relations.example-retail-company.com.ua"
    exchange = Exchange(
        id=1234, started_at=datetime(2026, 11, 30, 9, 15, tzinfo=UTC), environment=environment,
        url="https://api.example.com/v2/event", request_headers=(), request_body=b"{}", outcome=Outcome.ACCEPTED,
        status=200, duration_ms=5.0, response_headers=(), response_body=b'{"ok": true}')
    pane.show_exchange(exchange)
    qtbot.wait(20)
    bar = pane.tabBar()
    for index in range(pane.count()):
        if pane.isTabVisible(index):
            assert bar.rect().contains(bar.tabRect(index)), pane.tabText(index)  # no scroll arrows, nothing cut
    title = pane.title
    assert title.isVisible() and title.geometry().left() >= bar.geometry().right()
    assert title.is_elided() and title.toolTip() == title.full_text() and environment in title.full_text()
    assert title.text().startswith("History #1234")
