"""A shop's web tracking events feed the sandbox's account double like Generate events do: a StatusCart for a
known visitor starts the bundled web tracking abandoned-cart workflow, and a PurchasedItems stops it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.sandbox.account_helpers import PERIOD, add_contact, get, post, wait_for
from tests.sandbox.helpers import SandboxThread
from yespo_console.core.events.examples import tracker_example
from yespo_console.sandbox.settings import AccountSettings


def _tracked(event: str, email: str) -> dict[str, Any]:
    body = tracker_example(event)
    info = body["GeneralInfo"]
    for other in ("user_es_contact_id", "externalCustomerId", "user_phone"):
        info.pop(other, None)
    info["user_email"] = email
    return body


def test_a_status_cart_for_a_known_visitor_starts_the_workflow_and_a_purchase_stops_it(tmp_path: Path) -> None:
    # The bundled workflows; 30 minutes at 0.002 take 3.6 s: time enough to stop one, short enough to see one fire.
    runner = SandboxThread(port=0, data_dir=tmp_path / "shop", account=AccountSettings(time_scale=0.002))
    sandbox = runner.start()
    base = sandbox.base_url
    try:
        add_contact(base, "ann@example.com")
        add_contact(base, "bob@example.com")
        answer = post(base, "/tracker/api/v2", _tracked("StatusCart", "ann@example.com"))
        assert answer.status_code == 200 and answer.json()["contact"] == "ann@example.com"
        assert post(base, "/tracker/api/v2", _tracked("StatusCart", "bob@example.com")).status_code == 200
        assert post(base, "/tracker/api/v2", _tracked("PurchasedItems", "bob@example.com")).status_code == 200
        [message] = wait_for(lambda: get(base, "/api/v2/contacts/messages", email="ann@example.com",
                                         **PERIOD).json(), timeout=60)
        assert message["channelType"] == "email" and message["messageId"] == 1005  # the web tracking workflow
        [activity] = get(base, "/api/v2/contacts/activity", email="ann@example.com", **PERIOD).json()
        assert activity["sourceEventTypeKey"] == "StatusCart"
        assert get(base, "/api/v2/contacts/messages", email="bob@example.com", **PERIOD).json() == []
        instances = httpx.get(base + "/_sandbox/workflows", trust_env=False).json()["instances"]
        assert sorted(i["state"] for i in instances) == ["cancelled", "sent"]
        unknown = post(base, "/tracker/api/v2", _tracked("StatusCart", "nobody@example.com"))
        assert unknown.status_code == 200
        events = httpx.get(base + "/_sandbox/events", trust_env=False).json()["events"]
        assert events[0]["contact"] == "Contact not found"
    finally:
        runner.stop()
