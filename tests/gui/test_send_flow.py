"""SendFlow without a window: a real session with the embedded sandbox on the qasync loop (conftest), and
every signal the flow emits recorded in order."""

import dataclasses

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

from yespo_console.core.errors import InputError
from yespo_console.core.events.examples import example_draft
from yespo_console.core.events.payload import build_body
from yespo_console.core.history import HistoryFilter
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.outcome import Outcome
from yespo_console.gui.send_flow import SendFlow

BODY = build_body(example_draft("pageViewed"), pretty=True)
SIGNALS = ("busy_changed", "sending", "not_sent", "cancelled", "answered", "status", "finished")


class Recorded:
    """The flow, over a bare parent widget, and (signal name, arguments) for each signal it emitted."""

    def __init__(self, session, qtbot) -> None:
        self.parent = QWidget()
        qtbot.addWidget(self.parent)
        self.flow = SendFlow(session, self.parent)
        self.events: list[tuple[str, tuple]] = []
        for name in SIGNALS:
            getattr(self.flow, name).connect(lambda *args, name=name: self.events.append((name, args)))

    def named(self, name: str) -> list[tuple]:
        return [args for signal, args in self.events if signal == name]


@pytest.fixture
def rec(session, qtbot) -> Recorded:
    return Recorded(session, qtbot)


@pytest.fixture
def asked(monkeypatch):
    """The production question, answered No; its title and text kept."""
    questions: list[tuple[str, str]] = []

    def answer_no(parent, title, text, *args):
        questions.append((title, text))
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "warning", answer_no)
    return questions


def send(rec: Recorded, qtbot, *args, resend: bool = False, timeout: int = 15_000):
    with qtbot.waitSignal(rec.flow.finished, timeout=timeout) as blocker:
        task = (rec.flow.resend if resend else rec.flow.send)(*args)
        assert task is not None
    return blocker.args[0]


def test_a_send_reaches_the_sandbox_and_says_so_in_order(rec, session, qtbot):
    env = session.environment("sandbox")
    result = send(rec, qtbot, env, BODY)
    assert result.status == 200 and result.outcome is Outcome.ACCEPTED
    assert [name for name, _ in rec.events] == ["busy_changed", "sending", "busy_changed", "answered", "status",
                                                "finished"]
    assert rec.named("busy_changed") == [(True,), (False,)]
    assert rec.named("sending") == [(env.url,)]
    assert rec.named("answered") == [(result, "")]
    assert rec.named("status") == [(f"Accepted — HTTP 200 · {result.duration_ms:,.0f} ms", 8000)]
    assert session.sandbox.events(limit=1)[0].body == BODY
    assert session.history.get(result.exchange_id).request_body == BODY
    assert not rec.flow.in_flight


def test_cancel_keeps_the_exchange_as_cancelled(rec, session, qtbot):
    session.sandbox.set_faults(latency_ms=5000)
    with qtbot.waitSignal(rec.flow.finished, timeout=10_000) as blocker:
        assert rec.flow.send(session.environment("sandbox"), BODY) is not None
        qtbot.waitUntil(lambda: session.history.count(HistoryFilter(outcome=Outcome.PENDING)) == 1)
        assert rec.flow.in_flight
        rec.flow.cancel()
    assert blocker.args == [None]
    assert rec.named("cancelled") == [(False,)] and rec.named("answered") == []
    assert rec.named("busy_changed") == [(True,), (False,)] and not rec.flow.in_flight
    assert session.history.query(HistoryFilter())[0].outcome is Outcome.CANCELLED


def test_a_second_send_while_one_is_in_flight_is_refused(rec, session, qtbot):
    session.sandbox.set_faults(latency_ms=800)
    env = session.environment("sandbox")
    with qtbot.waitSignal(rec.flow.finished, timeout=10_000) as blocker:
        assert rec.flow.send(env, BODY) is not None
        assert rec.flow.send(env, BODY) is None
        assert rec.named("status") == [("A request is already in flight: Esc cancels it.", 4000)]
    assert blocker.args[0].status == 200
    assert len(rec.named("finished")) == 1 and session.history.count() == 1


def test_cancel_with_nothing_in_flight_does_nothing(rec):
    rec.flow.cancel()
    assert rec.events == [] and not rec.flow.in_flight


def test_production_asks_first_and_no_sends_nothing(rec, session, qtbot, asked):
    env = session.environment("yespo")
    with qtbot.waitSignal(rec.flow.finished, timeout=5000) as blocker:
        assert rec.flow.send(env, BODY) is None
    assert blocker.args == [None]
    assert asked == [("Send to production?", f"This sends a real event to {env.url} (Yespo). Triggers may fire "
                                             "for real contacts.\n\nSend it?")]
    assert rec.named("status") == [("Not sent.", 4000)] and rec.named("busy_changed") == []
    assert session.history.count() == 0


def test_a_guarded_environment_answered_yes_sends(rec, session, qtbot, monkeypatch):
    session.environments.save(Environment(name="guarded", url=session.sandbox.event_url, kind="sandbox",
                                          confirm_before_send=True))
    asked = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: asked.append(args[1]) or QMessageBox.StandardButton.Yes)
    assert send(rec, qtbot, session.environment("guarded"), BODY).status == 200
    assert asked == ["Send to production?"]


def test_a_key_that_cannot_be_sent_is_told_not_raised(rec, session, qtbot, monkeypatch):
    def bad_key(env):
        raise InputError("The API key or token contains control characters (a pasted line break?).")

    monkeypatch.setattr(session, "client", bad_key)
    with qtbot.waitSignal(rec.flow.finished, timeout=5000) as blocker:
        assert rec.flow.send(session.environment("sandbox"), BODY) is None
    assert blocker.args == [None]
    assert rec.named("not_sent") == [("The API key or token contains control characters (a pasted line break?).",)]
    assert rec.named("busy_changed") == []


def test_a_401_without_a_key_notes_where_keys_come_from(rec, session, qtbot, monkeypatch):
    monkeypatch.delenv("YESPO_API_KEY", raising=False)
    session.sandbox.api_key = "the-right-key-123456"
    session.environments.save(Environment(name="staging", url=session.sandbox.event_url))
    result = send(rec, qtbot, session.environment("staging"), BODY)
    assert result.status == 401
    (answered, note), = rec.named("answered")
    assert answered is result and "No API key for environment 'staging'" in note and "YESPO_API_KEY" in note


def _two_sent(rec, session, qtbot):
    env = session.environment("sandbox")
    first = send(rec, qtbot, env, BODY)
    second = send(rec, qtbot, env, build_body(example_draft("searchRequest")))
    rec.events.clear()
    return [session.history.get(first.exchange_id), session.history.get(second.exchange_id)]


def test_resend_sends_each_exact_body_again_in_order(rec, session, qtbot):
    exchanges = _two_sent(rec, session, qtbot)
    last = send(rec, qtbot, exchanges, "sandbox", resend=True)
    url = session.environment("sandbox").url
    assert rec.named("sending") == [(f"{url} (1 of 2)",), (f"{url} (2 of 2)",)]
    assert last.status == 200 and rec.named("answered") == [(last, "")]
    newest = session.history.query(HistoryFilter(), limit=2)
    assert newest[0].id == last.exchange_id and session.history.count() == 4
    resent = [session.history.get(e.id) for e in reversed(newest)]
    assert [e.request_body for e in resent] == [e.request_body for e in exchanges]
    assert [e.note for e in resent] == [f"re-sent from #{exchanges[0].id}", f"re-sent from #{exchanges[1].id}"]


def test_resend_to_an_environment_that_is_gone_uses_the_fallback(rec, session, qtbot):
    exchanges = _two_sent(rec, session, qtbot)
    gone = dataclasses.replace(exchanges[0], environment="deleted-since")
    result = send(rec, qtbot, [gone], "sandbox", resend=True)
    assert result.status == 200 and session.history.get(result.exchange_id).environment == "sandbox"


def test_resending_to_production_counts_the_events_in_the_question(rec, session, qtbot, asked):
    exchanges = [dataclasses.replace(e, environment="yespo") for e in _two_sent(rec, session, qtbot)]
    with qtbot.waitSignal(rec.flow.finished, timeout=5000) as blocker:
        assert rec.flow.resend(exchanges, "sandbox") is None
    assert blocker.args == [None]
    assert len(asked) == 1 and "This sends 2 real events to https://yespo.io/api/v2/event" in asked[0][1]


def test_a_cancelled_batch_says_the_rest_was_not_sent(rec, session, qtbot):
    exchanges = _two_sent(rec, session, qtbot)
    session.sandbox.set_faults(latency_ms=5000)
    with qtbot.waitSignal(rec.flow.finished, timeout=10_000) as blocker:
        assert rec.flow.resend(exchanges, "sandbox") is not None
        qtbot.waitUntil(lambda: session.history.count(HistoryFilter(outcome=Outcome.PENDING)) == 1)
        rec.flow.cancel()
    assert blocker.args == [None] and rec.named("cancelled") == [(True,)]
    assert len(rec.named("sending")) == 1  # the second body never went
    assert session.history.count() == 3 and session.history.count(HistoryFilter(outcome=Outcome.CANCELLED)) == 1
