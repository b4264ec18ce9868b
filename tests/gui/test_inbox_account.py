"""The inbox's account tabs: the sandbox's contacts, workflow instances and messages, refreshed as they change."""

import json
import subprocess
import sys

from tests.sandbox.account_helpers import cart_event


def test_the_inbox_shows_contacts_workflow_instances_and_messages(window, session, qtbot, qloop):
    sandbox = session.sandbox
    inbox = window.inbox
    inbox.time_scale.setCurrentIndex(inbox.time_scale.findData(0.001))  # the 30-minute abandoned cart: 1.8 s
    assert sandbox.account.time_scale == 0.001 and not inbox.auto_contacts.isChecked()
    base = sandbox.base_url
    script = ("import httpx, sys, json; base = sys.argv[1]; h = {'Content-Type': 'application/json'}; "
              "c = httpx.post(base + '/api/v1/contact', content=sys.argv[2], auth=('', 'k'), headers=h); "
              "e = httpx.post(base + '/api/v2/event', content=sys.argv[3], auth=('', 'k'), headers=h); "
              "print(c.status_code, e.status_code)")
    contact = json.dumps({"channels": [{"type": "email", "value": "ann@example.com"}], "firstName": "Ann"})
    process = subprocess.Popen([sys.executable, "-c", script, base, contact, json.dumps(cart_event("ann@example.com"))],
                               stdout=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: process.poll() is not None, timeout=20_000)  # the sandbox answers on this loop
    assert process.stdout.read().split() == ["200", "200"]
    messages = inbox.account_tables["delivery"]
    qtbot.waitUntil(lambda: messages.rowCount() == 1, timeout=20_000)
    assert [messages.item(0, column).text() for column in (1, 2, 4)] == ["email", "ann@example.com", "DELIVERED"]
    contacts = inbox.account_tables["contact"]
    assert contacts.rowCount() == 1 and contacts.item(0, 1).text() == "Ann"
    instances = inbox.account_tables["instance"]
    assert instances.item(0, 1).text() == "Abandoned cart" and instances.item(0, 4).text() == "sent"
    # Columns as wide as their texts (every one was 100 px, and the last took the rest): the names read whole.
    metrics = instances.fontMetrics()
    for column in (1, 3):
        assert instances.columnWidth(column) >= metrics.horizontalAdvance(instances.item(0, column).text())
    assert messages.columnWidth(2) >= metrics.horizontalAdvance("ann@example.com")
    qtbot.waitUntil(lambda: inbox.model.rowCount() == 2)
    assert inbox.model.data(inbox.model.index(0, 7)) == "Contact found"
    assert [inbox.tabs.tabText(i) for i in range(inbox.tabs.count())] == ["Requests", "Contacts", "Workflows",
                                                                         "Messages"]


def test_the_inbox_switches_auto_contacts(window, session, qtbot):
    window.inbox.auto_contacts.setChecked(True)
    assert session.sandbox.account.auto_contacts is True
    window.inbox.auto_contacts.setChecked(False)
    assert session.sandbox.account.auto_contacts is False


def test_the_windows_sandbox_runs_workflow_delays_a_hundred_times_faster(window, session):
    assert session.sandbox.account.time_scale == 0.01
    assert window.inbox.time_scale.currentData() == 0.01 and "18 s" in window.inbox.time_scale.currentText()
