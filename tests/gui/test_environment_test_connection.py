"""Test connection in the environment editor: the account's answer (or why there is none) shown in the dialog,
asked on the qasync loop while the window keeps processing events, recorded as a lookup in the session's
history; against a scripted Yespo on 127.0.0.1 and the embedded sandbox."""

from __future__ import annotations

import pytest

from tests.gui.ticks import ticking
from tests.local_http import Answer, Scripted, serving
from yespo_console.core.history import HistoryFilter
from yespo_console.core.http.environments import Environment
from yespo_console.gui.environments_dialog import EnvironmentsDialog

KEY = "typed-key-0123456789abcd"


@pytest.fixture
def yespo(session):
    script = Scripted()
    with serving(script.handler()) as host:
        session.environments.save(Environment(name="local", url=f"http://{host}/api/v2/event"))
        yield script


def dialog_for(session, qtbot, name: str) -> EnvironmentsDialog:
    dialog = EnvironmentsDialog(session.environments, session.secrets, name, session=session)
    qtbot.addWidget(dialog)
    return dialog


def test_the_answer_shows_in_the_dialog_and_the_window_keeps_running(session, qtbot, yespo) -> None:
    yespo.on("/api/v1/account/info", Answer(200, {"userEmail": "qa@shop.example", "organisationName": "<b>Shop</b>"},
                                            delay_s=0.5))
    dialog = dialog_for(session, qtbot, "local")
    dialog.secret.setText(KEY)
    with ticking() as ticks, qtbot.waitSignal(dialog.connection_tested, timeout=10_000) as blocker:
        assert dialog.test_connection() is not None
        assert not dialog.test_button.isEnabled() and "Testing" in dialog.connection_status.text()
    assert blocker.args[0] is True
    assert "organisation <b>Shop</b>, user qa@shop.example" in dialog.connection_status.text()
    assert len(ticks) >= 5  # Qt kept running its timers while the answer was awaited
    assert dialog.test_button.isEnabled()
    [seen] = yespo.seen
    assert seen.headers["Authorization"].startswith("Basic ")
    [row] = session.history.query(HistoryFilter(kind="lookup"))
    assert row.url.endswith("/api/v1/account/info")
    on_disk = b"".join(p.read_bytes() for p in session.home.rglob("*") if p.is_file())
    assert KEY.encode() not in on_disk


def test_a_wrong_key_and_no_key_are_said_in_words(session, qtbot, yespo, monkeypatch) -> None:
    monkeypatch.delenv("YESPO_API_KEY", raising=False)
    yespo.on("/api/v1/account/info", Answer(401, b"bad key"))
    dialog = dialog_for(session, qtbot, "local")
    with qtbot.waitSignal(dialog.connection_tested, timeout=10_000) as blocker:
        dialog.test_connection()
    assert blocker.args[0] is False and "No API key for environment 'local'" in blocker.args[1]
    assert yespo.seen == []
    dialog.secret.setText(KEY)
    with qtbot.waitSignal(dialog.connection_tested, timeout=10_000) as blocker:
        dialog.test_connection()
    assert blocker.args[0] is False and "Wrong key (401)" in blocker.args[1]
    dialog.url.setText("not a url")
    assert dialog.test_connection() is None and "Not tested" in dialog.connection_status.text()


def test_the_sandbox_is_tested_at_the_embedded_port(session, qtbot) -> None:
    dialog = dialog_for(session, qtbot, "sandbox")
    dialog.secret.setText(KEY)  # never sent to a sandbox
    with qtbot.waitSignal(dialog.connection_tested, timeout=10_000) as blocker:
        dialog.test_connection()
    assert str(session.sandbox.port) in session.history.query(HistoryFilter(kind="lookup"))[0].url
    assert blocker.args[1].startswith(("✓", "✗"))
    on_disk = b"".join(p.read_bytes() for p in session.home.rglob("*") if p.is_file())
    assert KEY.encode() not in on_disk
