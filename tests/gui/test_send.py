"""Sending from the window to the real embedded sandbox: the words shown, and what lands in history."""

import json

import pytest
from PySide6.QtCore import QTimer

from yespo_console.core.events.examples import example_draft
from yespo_console.core.history import HistoryFilter
from yespo_console.core.http.outcome import Outcome
from yespo_console.sandbox.faults import Faults


def send(window, qtbot, timeout=15_000):
    with qtbot.waitSignal(window.send_finished, timeout=timeout) as blocker:
        window.send_action.trigger()
    return blocker.args[0]


def summary(window) -> str:
    return window.response.summary.text()


def test_accepted_event_is_shown_and_kept(window, session, qtbot):
    window.set_draft(example_draft("cartUpdated"))
    result = send(window, qtbot)
    assert result.outcome is Outcome.ACCEPTED and result.status == 200
    assert "Accepted" in summary(window) and "HTTP 200" in summary(window)
    kept = session.history.get(result.exchange_id)
    assert kept.outcome is Outcome.ACCEPTED and kept.request_body == window.current_body()
    assert kept.event_type == "cartUpdated" and kept.key_value == "example@email.com"
    received = session.sandbox.events(limit=1)[0]
    assert received.body == window.current_body() and received.valid


def test_invalid_event_is_rejected_with_the_reason(window, session, qtbot):
    session.sandbox.account = session.sandbox.account.changed({"validate": "all"})
    draft = example_draft("searchRequest")
    draft.values.clear()  # no search param at all: Validate parameters checks params, not their fields
    window.set_draft(draft)
    qtbot.waitUntil(lambda: any(f.code == "field.missing" for f in window.diagnostics.findings))
    result = send(window, qtbot)
    assert result.status == 400 and result.outcome is Outcome.REJECTED
    assert "Rejected" in summary(window) and "HTTP 400" in summary(window)
    assert ('following params: [{"name":"search","required":true},{"name":"isFound","required":false}]'
            in window.response.body.toPlainText())
    assert session.history.count(HistoryFilter(outcome=Outcome.REJECTED)) == 1


def test_wrong_key_is_401_in_words(window, session, qtbot):
    session.sandbox.api_key = "the-right-key-123456"
    result = send(window, qtbot)
    assert result.status == 401
    assert "HTTP 401" in summary(window) and "key" in summary(window).lower()


def test_rate_limited_shows_retry_after(window, session, qtbot):
    session.sandbox.set_faults(status=429, retry_after=7)
    result = send(window, qtbot)
    assert result.outcome is Outcome.RATE_LIMITED and result.retry_after == 7
    assert "Rate limited" in summary(window) and "7" in summary(window)


def _short_timeout(session):
    env = session.environments.get("sandbox")
    session.environments.save(env.model_copy(update={"timeout_s": 0.5, "connect_timeout_s": 0.5}))


def test_timeout_is_explained_and_kept(window, session, qtbot):
    _short_timeout(session)
    session.sandbox.set_faults(latency_ms=3000)
    result = send(window, qtbot)
    assert result.outcome is Outcome.TIMEOUT
    assert "Timed out" in summary(window)
    assert session.history.get(result.exchange_id).outcome is Outcome.TIMEOUT


def test_the_window_never_freezes_while_waiting(window, session, qtbot):
    session.sandbox.set_faults(latency_ms=1200)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    assert window.busy.isHidden()
    with qtbot.waitSignal(window.send_finished, timeout=10_000):
        window.send_action.trigger()
        qtbot.waitUntil(lambda: window.busy.isVisible(), timeout=2000)
        assert not window.send_action.isEnabled() and window.cancel_action.isEnabled()
    timer.stop()
    assert len(ticks) >= 25, f"the event loop turned only {len(ticks)} times in 1.2 s"
    assert window.busy.isHidden() and window.send_action.isEnabled()


def test_escape_cancels_a_request_in_flight(window, session, qtbot):
    session.sandbox.set_faults(latency_ms=5000)
    with qtbot.waitSignal(window.send_finished, timeout=10_000) as blocker:
        window.send_action.trigger()
        qtbot.waitUntil(lambda: window.cancel_action.isEnabled(), timeout=2000)
        qtbot.wait(100)
        window.cancel_action.trigger()
    assert blocker.args == [None]
    assert "Cancelled" in summary(window)
    rows = session.history.query(HistoryFilter())
    assert rows[0].outcome is Outcome.CANCELLED


@pytest.mark.parametrize("nested", ["string", "object"])
def test_both_encodings_are_accepted(window, qtbot, nested):
    window.set_draft(example_draft("productViewed"))
    window.binding.nested_combo.setCurrentIndex(window.binding.nested_combo.findData(nested))
    qtbot.waitUntil(lambda: isinstance(json.loads(window.current_body())["params"][2]["value"],
                                       str if nested == "string" else dict))
    assert send(window, qtbot).status == 200


def test_history_load_back_and_resend(window, session, qtbot):
    window.set_draft(example_draft("productViewed"))
    first = send(window, qtbot)
    window.set_draft(example_draft("searchRequest"))
    qtbot.waitUntil(lambda: window.history_dock.model.rowCount() == 1)
    exchange = session.history.get(first.exchange_id)
    window.history_dock.load_requested.emit(exchange)
    assert window.form.draft().event_type == "productViewed"
    assert window.current_body() == exchange.request_body
    with qtbot.waitSignal(window.send_finished, timeout=10_000) as blocker:
        window.history_dock.resend_requested.emit([exchange])
    again = blocker.args[0]
    assert again.status == 200 and again.exchange_id != first.exchange_id
    assert session.history.get(again.exchange_id).request_body == exchange.request_body
    qtbot.waitUntil(lambda: window.history_dock.model.rowCount() == 2)


def test_history_search_finds_a_sent_event(window, session, qtbot):
    window.set_draft(example_draft("searchRequest"))
    window.form.scalar_editors["search"].focus_widget().setText("zebra-mug")
    send(window, qtbot)
    window.set_draft(example_draft("pageViewed"))
    send(window, qtbot)
    dock = window.history_dock
    qtbot.waitUntil(lambda: dock.model.rowCount() == 2)
    dock.search.setText("zebra")
    dock.apply_filters()
    qtbot.waitUntil(lambda: dock.model.rowCount() == 1)
    assert dock.model.summary_at(0).event_type == "searchRequest"


def test_a_real_confirmation_dialog_does_not_disturb_the_loop(window, session, qtbot, caplog):
    from PySide6.QtWidgets import QApplication, QMessageBox

    def answer_no():
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, QMessageBox)
        dialog.button(QMessageBox.StandardButton.No).click()

    window.env_combo.setCurrentIndex(window.env_combo.findData("yespo"))
    QTimer.singleShot(300, answer_no)
    with qtbot.waitSignal(window.send_finished, timeout=5000) as refused:
        window.send_action.trigger()
    assert refused.args == [None]
    window.env_combo.setCurrentIndex(window.env_combo.findData("sandbox"))
    assert send(window, qtbot).status == 200
    assert not [r for r in caplog.records if "Cannot enter into task" in r.getMessage()]


def test_a_remote_environment_without_a_key_says_where_keys_come_from(window, session, qtbot, monkeypatch):
    from yespo_console.core.http.environments import Environment

    monkeypatch.delenv("YESPO_API_KEY", raising=False)
    session.sandbox.api_key = "the-right-key-123456"
    session.environments.save(Environment(name="staging", url=session.sandbox.event_url))
    window._load_environments("staging")
    result = send(window, qtbot)
    assert result.status == 401
    assert "No API key for environment 'staging'" in summary(window) and "YESPO_API_KEY" in summary(window)


def test_a_history_row_shows_its_own_response_not_the_last_one(window, session, qtbot):
    session.sandbox.set_faults(status=429, retry_after=7)
    window.set_draft(example_draft("productViewed"))
    limited = send(window, qtbot)
    session.sandbox.set_faults(Faults())
    window.set_draft(example_draft("cartUpdated"))
    accepted = send(window, qtbot)
    assert "Accepted" in summary(window)
    dock = window.history_dock
    qtbot.waitUntil(lambda: dock.model.rowCount() == 2)
    form_body = window.current_body()
    dock.view.selectRow(dock.model.row_of(limited.exchange_id))
    pane = window.response
    assert pane.title.text().startswith(f"History #{limited.exchange_id} · ")
    assert "Rate limited" in summary(window) and "HTTP 429" in summary(window) and "Accepted" not in summary(window)
    assert pane.request.toPlainText().count('"productViewed"') == 1
    assert window.current_body() == form_body  # looking is not loading: the form is untouched
    dock.view.clearSelection()
    assert pane.title.text() == "Last send" and "Accepted" in summary(window)
    dock.view.selectRow(dock.model.row_of(limited.exchange_id))
    window.send_action.trigger()  # a new send: the pane follows it, not the row still selected
    qtbot.waitUntil(lambda: pane.title.text() == "Last send" and "Accepted" in summary(window), timeout=15_000)
    assert accepted.exchange_id is not None
