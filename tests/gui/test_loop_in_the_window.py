"""Issue 13's "Done when", in the window and against its own embedded sandbox: a test contact exists, a
cartUpdated for it is sent from the form, the Verification dock finds the contact, and the sandbox's
abandoned-cart workflow sends its message, linked to that event, within the sandbox's time scale."""

from __future__ import annotations

import json

import httpx

from tests.gui.conftest import run
from tests.sandbox.account_helpers import AUTH, JSON
from yespo_console.core.events.examples import example_draft


def test_a_cart_for_a_test_contact_is_followed_by_its_message(window, session, qtbot, qloop) -> None:
    inbox = window.inbox
    inbox.time_scale.setCurrentIndex(inbox.time_scale.findData(0.001))  # the 30-minute delay: 1.8 s
    email = "loop.tester@example.com"

    async def create_contact() -> int:
        async with httpx.AsyncClient() as client:
            answer = await client.post(session.sandbox.base_url + "/api/v1/contact", auth=AUTH, headers=JSON,
                                       content=json.dumps({"firstName": "Loop",
                                                           "channels": [{"type": "email", "value": email}]}))
            return answer.status_code

    assert run(qloop, create_contact(), qtbot) == 200
    assert window.environment.name == "sandbox"
    draft = example_draft("cartUpdated")
    window.set_draft(type(draft)(event_type=draft.event_type, key_value=email, locators={"email": email},
                                 values=draft.values, extra_params=draft.extra_params,
                                 extra_fields=draft.extra_fields))
    with qtbot.waitSignal(window.send_finished, timeout=15_000) as sent:
        window.send()
    exchange_id = sent.args[0].exchange_id
    dock = window.verify_dock
    assert dock.exchange is not None and dock.exchange.id == exchange_id
    with qtbot.waitSignal(dock.finished, timeout=60_000) as verified:
        assert dock.start() is not None
    result = verified.args[0]
    assert result.status == "linked", dock.results.toPlainText()
    text = dock.results.toPlainText()
    assert "Contact found" in text and "Loop" in text
    assert "Abandoned cart" in text and "email" in text
    assert session.history.verifications([exchange_id])[exchange_id].status == "linked"
    # The inbox tells the same story: the contact was found, and the workflow's message went out.
    row = next(e for e in inbox.model.events if e.endpoint == "v2/event")
    assert row.contact == "Contact found"
    qtbot.waitUntil(lambda: inbox.account_tables["delivery"].rowCount() == 1, timeout=10_000)
