"""The Verification dock in the window: the send just made becomes its target; Verify follows a send up
against a scripted Yespo on 127.0.0.1 on the qasync loop (the window keeps running), shows the contact and
what followed, keeps the result with the exchange; Stop cancels and keeps what was found."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest

from tests.gui.ticks import ticking
from tests.local_http import Answer, Scripted, serving
from yespo_console.core.events.examples import example_draft
from yespo_console.core.history import HistoryFilter
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome

CONTACT = {"id": 42, "firstName": "Ann", "channels": [{"type": "email", "value": "ann@example.com"}]}


@pytest.fixture
def yespo(session, monkeypatch):
    monkeypatch.setenv("YESPO_API_KEY", "dock-key-0123456789")
    script = Scripted()
    script.on("/api/v1/contacts", Answer(200, [CONTACT]))
    script.on("/api/v1/workflows", Answer(200, [{"id": 7, "name": "Abandoned cart", "status": "active"}]))
    script.on("/api/v2/contacts/messages", Answer(200, []))
    with serving(script.handler()) as host:
        session.environments.save(Environment(name="local", url=f"http://{host}/api/v2/event"))
        yield script


def sent(session, environment: str = "local", kind: str = "send") -> int:
    exchange_id = session.history.begin(ExchangeRequest(
        url="http://x/api/v2/event", body=b"{}", environment=environment, event_type="cartUpdated",
        key_value="ann@example.com", key_value_source="email", kind=kind))  # type: ignore[arg-type]
    session.history.complete(exchange_id, ExchangeResult(Outcome.ACCEPTED, status=200))
    return exchange_id


def test_a_send_from_the_window_becomes_the_target(window, session, qtbot) -> None:
    dock = window.verify_dock
    assert not dock.button.isEnabled()
    window.set_draft(example_draft("cartUpdated"))
    with qtbot.waitSignal(window.send_finished, timeout=15_000) as blocker:
        window.send()
    exchange_id = blocker.args[0].exchange_id
    assert dock.exchange is not None and dock.exchange.id == exchange_id
    assert dock.button.isEnabled() and f"#{exchange_id}: cartUpdated" in dock.target.full_text()
    lookup = sent(session, kind="lookup")
    dock.set_exchange(session.history.get(lookup))
    assert not dock.button.isEnabled() and "not an event send" in dock.target.full_text()


def test_verify_shows_what_followed_and_keeps_it(window, session, qtbot, yespo) -> None:
    linked = {"activityDateTime": datetime.now(UTC).isoformat(), "activityStatus": "DELIVERED",
              "mediaType": "email", "workflowId": 7, "sourceEventTypeKey": "cartUpdated",
              "sourceEventKey": "ann@example.com"}
    yespo.on("/api/v2/contacts/activity", Answer(200, []), Answer(200, [linked]))
    exchange_id = sent(session)
    dock = window.verify_dock
    dock.set_exchange(session.history.get(exchange_id))
    with ticking() as ticks, qtbot.waitSignal(dock.finished, timeout=20_000) as blocker:
        assert dock.start() is not None
        assert dock.button.text() == "Stop"
    result = blocker.args[0]
    assert result.status == "linked" and result.polls == 2
    assert len(ticks) >= 10  # the interval between the polls: the window kept running
    text = dock.results.toPlainText()
    assert "Contact found: #42 Ann (email ann@example.com)" in text and "Abandoned cart" in text
    assert f"kept with #{exchange_id}" in dock.status.text() and dock.button.text() == "Verify"
    assert session.history.verifications([exchange_id])[exchange_id].status == "linked"
    assert len(session.history.query(HistoryFilter(kind="lookup"))) >= 5
    dock.set_exchange(session.history.get(exchange_id))
    assert dock.results.toPlainText().startswith("Verified before (linked): Contact found")


def test_stop_cancels_and_keeps_what_was_found(window, session, qtbot, yespo) -> None:
    yespo.on("/api/v2/contacts/activity", Answer(200, []))
    exchange_id = sent(session)
    dock = window.verify_dock
    dock.set_exchange(session.history.get(exchange_id))
    with qtbot.waitSignal(dock.finished, timeout=20_000) as blocker:
        dock.start()
        qtbot.waitUntil(lambda: "left" in dock.status.text() and "Poll 1" in dock.status.text(), timeout=10_000)
        assert gc.get_freeze_count() > 0  # while polling, a full collection skips what was there before
        dock.button.click()
    assert blocker.args[0].status == "cancelled" and blocker.args[0].contact is not None
    assert gc.get_freeze_count() == 0  # handed back when polling ends
    assert session.history.verifications([exchange_id])[exchange_id].status == "cancelled"


def test_a_send_to_a_gone_environment_says_so(window, session) -> None:
    exchange_id = sent(session, environment="custom")
    dock = window.verify_dock
    dock.set_exchange(session.history.get(exchange_id))
    assert dock.start() is None and "--url" in dock.status.text()


def test_a_long_key_value_keeps_the_target_on_one_line(window, session, qtbot) -> None:
    email = "olena.kovalenko-shevchenko.marketing@" + "regional-office-kyiv." * 12 + "example.com.ua"
    window.resize(1366, 768)
    dock = window.verify_dock
    dock.raise_()
    qtbot.waitUntil(dock.target.isVisible)
    exchange_id = session.history.begin(ExchangeRequest(
        url="http://x/api/v2/event", body=b"{}", environment="sandbox", event_type="cartUpdated",
        key_value=email, key_value_source="email", kind="send"))
    session.history.complete(exchange_id, ExchangeResult(Outcome.ACCEPTED, status=200))
    dock.set_exchange(session.history.get(exchange_id))
    qtbot.wait(20)
    target = dock.target
    assert target.height() < 2 * target.fontMetrics().lineSpacing()  # one line, not three
    assert target.is_elided() and target.toolTip() == target.full_text()
    assert target.text().startswith(f"#{exchange_id}: cartUpdated") and target.text().endswith("(sandbox)")
