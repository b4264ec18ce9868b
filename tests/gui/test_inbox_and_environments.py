"""The sandbox inbox shows what any program posts; the environment editor keeps secrets in the keyring."""

import json
import subprocess
import sys

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from yespo_console.core.events.examples import example_draft
from yespo_console.core.events.payload import build_body
from yespo_console.gui import theme
from yespo_console.gui.environments_dialog import EnvironmentsDialog


def test_inbox_lists_events_from_another_program_with_diagnostics(window, session, qtbot, qloop):
    url = session.sandbox.event_url
    body = json.dumps({"eventTypeKey": "pageViewed", "params": [{"name": "email", "value": "a@b.co"}]})
    script = ("import httpx, sys; r = httpx.post(sys.argv[1], content=sys.argv[2].encode(), auth=('', 'k'), "
              "headers={'Content-Type': 'application/json'}); print(r.status_code)")
    process = subprocess.Popen([sys.executable, "-c", script, url, body], stdout=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: process.poll() is not None, timeout=20_000)  # the sandbox answers on this loop
    assert process.stdout.read().strip() == "200"  # Validate parameters is off: Yespo takes it too
    qtbot.waitUntil(lambda: window.inbox.model.rowCount() == 1)
    event = window.inbox.model.events[0]
    assert event.event_type == "pageViewed" and event.status == 200
    assert window.inbox.model.data(window.inbox.model.index(0, 6)) == "accepted · 1 problem downstream"
    # Taken, with a problem for later: the warning colour, as the history's outcome, not the refusal red.
    colour = window.inbox.model.data(window.inbox.model.index(0, 6), Qt.ItemDataRole.ForegroundRole)
    assert colour == theme.qcolor("warning") != theme.qcolor("error")
    window.inbox.table.selectRow(0)
    assert "pageViewed" in window.inbox.body_view.toPlainText()
    assert [f.code for f in window.inbox.findings.findings] == ["field.missing"]


def test_the_inbox_switches_validate_parameters(window, session, qtbot):
    choice = window.inbox.validation
    assert choice.isEnabled() and choice.currentData() is None
    choice.setCurrentIndex(choice.findData("all"))
    assert session.sandbox.account.validate == "all" and session.sandbox.account.effective.validates("searchRequest")
    draft = example_draft("searchRequest")
    draft.values.clear()
    window.set_draft(draft)
    with qtbot.waitSignal(window.send_finished, timeout=10_000) as blocker:
        window.send_action.trigger()
    assert blocker.args[0].status == 400
    assert window.inbox.model.data(window.inbox.model.index(0, 6)) == "rejected (400)"
    choice.setCurrentIndex(choice.findData("none"))
    assert not session.sandbox.account.effective.validated


def test_inbox_fault_preset_changes_the_answer(window, session, qtbot):
    index = next(i for i in range(window.inbox.faults.count()) if "429" in window.inbox.faults.itemText(i))
    window.inbox.faults.setCurrentIndex(index)
    assert session.sandbox.faults.status == 429
    with qtbot.waitSignal(window.send_finished, timeout=10_000) as blocker:
        window.send_action.trigger()
    assert blocker.args[0].status == 429
    qtbot.waitUntil(lambda: window.inbox.model.rowCount() == 1)
    assert "fault" in window.inbox.model.data(window.inbox.model.index(0, 6))
    verdict = window.inbox.model.index(0, 6)
    assert window.inbox.model.data(verdict, Qt.ItemDataRole.ForegroundRole) == theme.qcolor("error")
    window.inbox.clear()
    assert window.inbox.model.rowCount() == 0 and session.sandbox.events() == []


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self):
        super().__init__()
        self.store = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_environment_editor_stores_the_secret_in_the_keyring_only(session, qtbot, memory_keyring, tmp_path):
    dialog = EnvironmentsDialog(session.environments, session.secrets, "yespo")
    qtbot.addWidget(dialog)
    assert dialog.production.isChecked() and dialog.confirm.isChecked()
    dialog.secret.setText("live-key-0123456789abcdef")
    dialog._save()
    assert memory_keyring.store[("yespo-console", "yespo")] == "live-key-0123456789abcdef"
    assert "••••cdef" in dialog.secret_status.text() and "0123456789" not in dialog.secret_status.text()
    on_disk = b"".join(p.read_bytes() for p in session.home.rglob("*") if p.is_file())
    assert b"live-key-0123456789abcdef" not in on_disk


def test_environment_editor_custom_environment_and_bad_url(session, qtbot, monkeypatch):
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: warnings.append(a[2]))
    dialog = EnvironmentsDialog(session.environments, session.secrets, "sandbox")
    qtbot.addWidget(dialog)
    dialog._new()
    dialog.name.setText("staging")
    dialog.url.setText("not a url")
    dialog._save()
    assert warnings and session.environments.find("staging") is None
    dialog.url.setText("https://staging.example.com/api/v2/event")
    dialog._save()
    assert session.environments.get("staging").url == "https://staging.example.com/api/v2/event"


def test_no_keyring_says_so_plainly(session, qtbot, monkeypatch):
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: pytest.fail("no dialog expected"))
    dialog = EnvironmentsDialog(session.environments, session.secrets, "yespo")
    qtbot.addWidget(dialog)
    assert "YESPO_API_KEY" in dialog.secret_status.text()
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: shown.append(a[2]))
    dialog.secret.setText("k" * 20)
    dialog._save()
    assert shown and "keyring" in shown[0].lower()


def test_sent_body_matches_the_sandbox_record(window, session, qtbot):
    window.set_draft(example_draft("searchRequest"))
    with qtbot.waitSignal(window.send_finished, timeout=10_000):
        window.send_action.trigger()
    assert session.sandbox.events(limit=1)[0].body == build_body(example_draft("searchRequest"), pretty=True)
