"""The sandbox as an account: the read endpoints in the OpenAPI shapes, contacts, and the loop from an event to a
workflow's message, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sandbox.account_helpers import (
    AUTH,
    JSON,
    PERIOD,
    add_contact,
    cart_event,
    fast_workflows,
    get,
    order_created,
    post,
    schema_properties,
    wait_for,
)
from tests.sandbox.helpers import SandboxThread
from yespo_console.sandbox import Sandbox
from yespo_console.sandbox.settings import AccountSettings

SCALE = 0.001  # the fast workflow's 5 minutes take 0.3 s


@pytest.fixture
def account(tmp_path: Path) -> Iterator[tuple[Sandbox, str]]:
    runner = SandboxThread(port=0, data_dir=tmp_path / "account", workflows=fast_workflows(),
                           account=AccountSettings(time_scale=SCALE))
    sandbox = runner.start()
    try:
        yield sandbox, sandbox.base_url
    finally:
        runner.stop()


def _messages(base: str, email: str) -> list[dict[str, Any]]:
    answer = get(base, "/api/v2/contacts/messages", email=email, **PERIOD)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _instances(base: str) -> list[dict[str, Any]]:
    return list(httpx.get(base + "/_sandbox/workflows", trust_env=False).json()["instances"])


def test_every_endpoint_answers_in_the_openapi_shape(account: tuple[Sandbox, str]) -> None:
    _, base = account
    contact_id = add_contact(base, "ann@example.com", firstName="Ann", externalCustomerId="C-1",
                             fields=[{"id": 5, "value": "gold"}])
    post(base, "/api/v1/contact", {"channels": [{"type": "mobilepush", "value": "tok-1"}], "externalCustomerId": "C-1"})
    assert post(base, "/api/v2/event", cart_event("ann@example.com")).status_code == 200
    wait_for(lambda: _messages(base, "ann@example.com"))

    info = get(base, "/api/v1/account/info").json()
    assert set(info) == schema_properties("AccountInfo")
    found = get(base, "/api/v1/contacts", email="ann@example.com")
    assert found.headers["TotalCount"] == "1"
    [listed] = found.json()
    assert set(listed) == schema_properties("BaseContact") and listed["id"] == contact_id
    one = get(base, f"/api/v1/contact/{contact_id}").json()
    assert set(one) <= schema_properties("Contact") and one["externalCustomerId"] == "C-1"
    assert {"id", "channels", "externalCustomerId", "contactKey", "groups", "timeZone"} <= set(one)
    by_token = get(base, "/api/v1/contact/token/some-app/tok-1/contactId").json()
    assert set(by_token) == schema_properties("IDResult") and by_token["id"] == contact_id
    [activity] = get(base, "/api/v2/contacts/activity", email="ann@example.com", **PERIOD).json()
    assert set(activity) <= schema_properties("ContactActivity")
    assert {"sourceEventKey", "sourceEventTypeKey", "workflowId", "workflowInstanceId", "activityStatus",
            "mediaType", "statusDescription"} <= set(activity)
    [message] = _messages(base, "ann@example.com")
    assert set(message) <= schema_properties("ContactMessage")
    assert {"channelType", "sentDateTime", "activityStatus", "subject", "viewMessageLink"} <= set(message)
    [workflow] = get(base, "/api/v1/workflows").json()
    assert set(workflow) == schema_properties("Workflow") and workflow["status"] == "active"
    orders = post(base, "/api/v1/orders", {"orders": [{"externalOrderId": "1"}]}).json()
    assert set(orders) == schema_properties("FailedOrders")
    assert set(orders["failedOrders"][0]) == schema_properties("FailedOrder")


def test_a_contact_is_created_found_and_updated(account: tuple[Sandbox, str]) -> None:
    _, base = account
    first = add_contact(base, "Ann@Example.com", firstName="Ann")
    again = post(base, "/api/v1/contact", {"channels": [{"type": "email", "value": "ann@example.com"},
                                                         {"type": "sms", "value": "+380 50 111 22 33"}],
                                           "lastName": "Lee"})
    assert again.json() == {"id": first}
    contact = get(base, f"/api/v1/contact/{first}").json()
    assert (contact["firstName"], contact["lastName"]) == ("Ann", "Lee")
    assert [c["type"] for c in contact["channels"]] == ["email", "sms"]
    assert get(base, "/api/v1/contacts", sms="380501112233").json()[0]["id"] == first
    assert get(base, "/api/v1/contacts", firstname="ANN", lastname="lee").json()[0]["id"] == first
    assert get(base, "/api/v1/contacts", email="bob@example.com").json() == []
    second = add_contact(base, "bob@example.com")
    assert second != first
    page = get(base, "/api/v1/contacts", startindex=2, maxrows=1)
    assert page.headers["TotalCount"] == "2" and [c["id"] for c in page.json()] == [second]
    assert get(base, "/api/v1/contact/999").status_code == 404
    events = httpx.get(base + "/_sandbox/events", trust_env=False).json()["events"]
    assert [(e["endpoint"], e["contact"]) for e in events][-2:] == [("v1/contact", "Contact updated"),
                                                                    ("v1/contact", "Contact created")]


def test_an_event_for_an_unknown_contact_is_recorded_as_not_found_and_starts_nothing(
        account: tuple[Sandbox, str]) -> None:
    sandbox, base = account
    answer = post(base, "/api/v2/event", cart_event("nobody@example.com"))
    assert answer.status_code == 200  # Yespo accepts it all the same
    assert (answer.json()["contact"], answer.json()["contactId"]) == ("Contact not found", None)
    [event] = httpx.get(base + "/_sandbox/events", trust_env=False).json()["events"]
    assert event["contact"] == "Contact not found" and event["contactId"] is None
    assert any("Contact not found" in note for note in event["notes"])
    assert _instances(base) == []
    assert sandbox.automation.db.contact_count() == 0


def test_a_cart_update_for_a_known_contact_starts_the_workflow_and_a_linked_message_follows(
        account: tuple[Sandbox, str]) -> None:
    _, base = account
    contact_id = add_contact(base, "ann@example.com")
    answer = post(base, "/api/v2/event", cart_event("ann@example.com"))
    assert (answer.json()["contact"], answer.json()["contactId"]) == ("Contact found", contact_id)
    event_id = int(answer.headers["X-Sandbox-Event-Id"])
    [message] = wait_for(lambda: _messages(base, "ann@example.com"))
    assert (message["channelType"], message["activityStatus"], message["subject"]) == ("email", "DELIVERED",
                                                                                       "Come back")
    [activity] = get(base, "/api/v2/contacts/activity", email="ann@example.com", **PERIOD).json()
    assert (activity["sourceEventKey"], activity["sourceEventTypeKey"]) == ("ann@example.com", "cartUpdated")
    assert activity["workflowId"] == 7 and activity["activityStatus"] == "DELIVERED"
    [instance] = _instances(base)
    assert instance["state"] == "sent" and instance["eventId"] == event_id
    assert instance["workflowInstanceId"] == activity["workflowInstanceId"]
    linked = get(base, "/api/v2/contacts/activity", sourceEventTypeKey="cartUpdated",
                 workflowInstanceId=instance["workflowInstanceId"], **PERIOD).json()
    assert len(linked) == 1
    assert get(base, "/api/v2/contacts/activity", sourceEventTypeKey="pageViewed", **PERIOD).json() == []


@pytest.mark.parametrize("stop", ["order", "purchase event"])
def test_a_purchase_within_the_delay_cancels_the_workflow(tmp_path: Path, stop: str) -> None:
    runner = SandboxThread(port=0, data_dir=tmp_path / "slow", workflows=fast_workflows(),
                           account=AccountSettings(time_scale=0.01))  # 5 minutes: 3 s, time enough to stop it
    sandbox = runner.start()
    base = sandbox.base_url
    try:
        add_contact(base, "ann@example.com", externalCustomerId="C-9")
        post(base, "/api/v2/event", cart_event("ann@example.com"))
        [waiting] = _instances(base)
        assert waiting["state"] == "waiting"
        if stop == "order":
            order = {"externalOrderId": "O-1", "externalCustomerId": "C-9", "totalCost": 45.5, "status": "INITIALIZED",
                     "date": "2026-01-01T10:00:00", "currency": "USD"}
            assert post(base, "/api/v1/orders", {"orders": [order]}).json() == {"failedOrders": []}
        else:
            assert post(base, "/api/v2/event", order_created("ann@example.com")).status_code == 200
        [cancelled] = _instances(base)
        assert cancelled["state"] == "cancelled" and "cancelled by" in cancelled["reason"]
        # No message: its timer is gone, which the state shows; and after the delay none has appeared.
        wait_for(lambda: sandbox.automation.db.instances(5)[0].due_at < _now_text(), timeout=30)
        assert _messages(base, "ann@example.com") == []
    finally:
        runner.stop()


def _now_text() -> str:
    from yespo_console.sandbox.accountdb import now_text

    return now_text()


def test_a_newer_trigger_replaces_the_waiting_instance_and_one_message_follows(account: tuple[Sandbox, str]) -> None:
    _, base = account
    add_contact(base, "ann@example.com")
    post(base, "/api/v2/event", cart_event("ann@example.com"))
    post(base, "/api/v2/event", cart_event("ann@example.com"))
    wait_for(lambda: _messages(base, "ann@example.com"))
    states = sorted(instance["state"] for instance in wait_for(
        lambda: [i for i in _instances(base)] if all(i["state"] != "waiting" for i in _instances(base)) else None))
    assert states == ["cancelled", "sent"] or states == ["sent", "sent"]  # the first may fire before the second arrives
    assert len(_messages(base, "ann@example.com")) == states.count("sent")


def test_auto_contacts_creates_the_contact_from_the_events_locators(account: tuple[Sandbox, str]) -> None:
    sandbox, base = account
    changed = httpx.put(base + "/_sandbox/settings", json={"autoContacts": True, "timeScale": 0.002}, trust_env=False)
    assert changed.json()["autoContacts"] is True and changed.json()["timeScale"] == 0.002
    post(base, "/api/v2/event", cart_event("new@example.com"))
    [event] = httpx.get(base + "/_sandbox/events", trust_env=False).json()["events"]
    assert event["contact"] == "Contact created"
    contact = get(base, f"/api/v1/contact/{event['contactId']}").json()
    assert contact["channels"] == [{"type": "email", "value": "new@example.com"}]
    wait_for(lambda: _messages(base, "new@example.com"))
    assert httpx.put(base + "/_sandbox/settings", json={"timeScale": 0}, trust_env=False).status_code == 400
    assert httpx.put(base + "/_sandbox/settings", json={"autoContacts": "yes"}, trust_env=False).status_code == 400
    assert sandbox.account.auto_contacts is True


@pytest.mark.parametrize(("path", "params", "says"), [
    ("/api/v2/contacts/activity", {"dateTo": "2024-01-01"}, "dateFrom is required"),
    ("/api/v2/contacts/activity", {"dateFrom": "2024-02-30", "dateTo": "2024-03-01"}, "is not a date"),
    ("/api/v2/contacts/activity", {"dateFrom": "yesterday", "dateTo": "2024-03-01"}, "is not a date"),
    ("/api/v2/contacts/activity", {**PERIOD, "activityStatus": "SENT"}, "is not one of"),
    ("/api/v2/contacts/activity", {**PERIOD, "maxrows": "10" * 40}, "maxrows must be a whole number"),
    ("/api/v2/contacts/activity", {**PERIOD, "maxrows": "25001"}, "from 1 to 25,000"),
    ("/api/v2/contacts/activity", {"dateFrom": "2024-03-02", "dateTo": "2024-03-01"}, "dateFrom must be before"),
    ("/api/v2/contacts/activity", {**PERIOD, "email": "a@b.c", "sms": "123456"}, "Give one of"),
    ("/api/v2/contacts/messages", PERIOD, "needs one of contactId, externalCustomerId, email, phone"),
    ("/api/v2/contacts/messages", {**PERIOD, "email": "a@b.c", "maxrows": "101"}, "from 1 to 100"),
    ("/api/v2/contacts/messages", {**PERIOD, "email": "a@b.c", "channelTypes": "email,fax"}, "'fax' is not one of"),
    ("/api/v1/contacts", {"maxrows": "501"}, "from 1 to 500"),
    ("/api/v1/contacts", {"startindex": "0"}, "startindex must be"),
    ("/api/v1/contacts", {"phone": "123"}, "Unknown query parameter 'phone'"),
    ("/api/v1/contacts", {"email": "x" * 1001}, "longer than 1,000"),
    ("/api/v1/contact/abc", {}, "should be a whole number"),
    ("/api/v1/workflows", {"maxrows": "-1"}, "maxrows must be"),
])
def test_parameter_mistakes_are_a_clear_400(account: tuple[Sandbox, str], path: str, params: dict[str, str],
                                            says: str) -> None:
    _, base = account
    answer = get(base, path, **params)
    assert answer.status_code == 400 and says in answer.text, answer.text
    assert answer.headers["content-type"].startswith("text/plain")


def test_a_repeated_parameter_is_a_400(account: tuple[Sandbox, str]) -> None:
    _, base = account
    answer = httpx.get(base + "/api/v1/contacts?email=a@b.c&email=d@e.f", auth=AUTH, trust_env=False)
    assert answer.status_code == 400 and "more than once" in answer.text


@pytest.mark.parametrize(("path", "content", "status", "says"), [
    ("/api/v1/contact", b"[" * 5000 + b"]" * 5000, 400, "nests deeper"),
    ("/api/v1/contact", json.dumps({"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}).encode(),
     400, "nests deeper"),
    ("/api/v1/contact", b"\xff\xfe", 400, "not UTF-8"),
    ("/api/v1/contact", b"{", 400, "not valid JSON"),
    ("/api/v1/contact", b'{"channels": []}', 400, "at least one channel"),
    ("/api/v1/contact", b'{"channels": [{"type": "email", "value": "not-an-address"}]}', 400, "not an email"),
    ("/api/v1/contact", b'{"channels": [{"type": "fax", "value": "1"}]}', 400, "type should be one of"),
    ("/api/v1/contact", b'{"channels": [{"type": "email", "value": "a@b.c"}], "nickname": "x"}', 400,
     "unknown field 'nickname'"),
    ("/api/v1/contact", b'{"id": 42, "channels": [{"type": "email", "value": "a@b.c"}]}', 400, "no contact with id 42"),
    ("/api/v1/orders", b'{"orders": []}', 400, "at least one order"),
    ("/api/v1/orders", json.dumps({"orders": [{}] * 1001}).encode(), 400, "At most 1,000 orders"),
])
def test_hostile_and_wrong_bodies_are_a_clear_400(account: tuple[Sandbox, str], path: str, content: bytes,
                                                  status: int, says: str) -> None:
    _, base = account
    answer = httpx.post(base + path, content=content, auth=AUTH, headers=JSON, trust_env=False)
    assert answer.status_code == status and says in answer.text, answer.text
    [record] = httpx.get(base + "/_sandbox/events", trust_env=False).json()["events"]
    assert record["status"] == status and record["endpoint"] == path.removeprefix("/api/")


def test_wrong_orders_are_listed_as_failed_orders(account: tuple[Sandbox, str]) -> None:
    _, base = account
    good = {"externalOrderId": "O-1", "email": "a@b.c", "totalCost": "12.5", "status": "DELIVERED",
            "date": "2026-01-01", "currency": "USD"}
    bad_status = {**good, "status": "PAID"}
    answer = post(base, "/api/v1/orders", {"orders": [good, {"totalCost": 1}, bad_status, {**good, "email": None}]})
    errors = [item["error"] for item in answer.json()["failedOrders"]]
    assert answer.status_code == 200 and len(errors) == 3
    assert "missing externalOrderId" in errors[0] and "status should be one of" in errors[1]
    assert "names no contact" in errors[2]


def test_a_post_that_is_not_json_is_a_415_and_auth_comes_first(account: tuple[Sandbox, str]) -> None:
    _, base = account
    text = httpx.post(base + "/api/v1/contact", content=b"email=a@b.c", auth=AUTH,
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, trust_env=False)
    assert text.status_code == 415
    for path in ("/api/v1/account/info", "/api/v1/contacts", "/api/v2/contacts/messages"):
        assert httpx.get(base + path, trust_env=False).status_code == 401


def test_an_api_key_guards_the_account_endpoints(tmp_path: Path) -> None:
    runner = SandboxThread(port=0, data_dir=tmp_path / "keyed", api_key="right-key")
    base = runner.start().base_url
    try:
        assert httpx.get(base + "/api/v1/account/info", auth=("", "wrong"), trust_env=False).status_code == 401
        right = httpx.get(base + "/api/v1/account/info", auth=("", "right-key"), trust_env=False)
        assert right.json() == {"userEmail": "sandbox@example.com", "organisationName": "Yespo Console sandbox"}
    finally:
        runner.stop()


def test_documented_rate_limits_answer_429_with_retry_after(account: tuple[Sandbox, str]) -> None:
    sandbox, base = account
    sandbox.set_faults(rate_limits=True)
    statuses = []
    for _ in range(200):  # however slow this machine, 200 requests do not take 20 s
        limited = get(base, "/api/v2/contacts/messages", email="a@b.c", **PERIOD)
        statuses.append(limited.status_code)
        if limited.status_code != 200:
            break
    assert statuses[-1] == 429 and len(statuses) > 10  # at least the first 10 in a second are answered
    assert int(limited.headers["Retry-After"]) >= 1 and "10 per second" in limited.text
    sandbox.set_faults(rate_limits=False, status=503, retry_after=7)
    forced = get(base, "/api/v1/contacts")
    assert forced.status_code == 503 and forced.headers["Retry-After"] == "7"


def test_the_control_endpoints_list_contacts_workflows_and_messages(account: tuple[Sandbox, str]) -> None:
    _, base = account
    add_contact(base, "ann@example.com")
    post(base, "/api/v2/event", cart_event("ann@example.com"))
    wait_for(lambda: _messages(base, "ann@example.com"))
    contacts = httpx.get(base + "/_sandbox/contacts", trust_env=False).json()
    assert contacts["total"] == 1 and contacts["contacts"][0]["createdAt"]
    workflows = httpx.get(base + "/_sandbox/workflows", trust_env=False).json()
    assert workflows["timeScale"] == SCALE and workflows["workflows"][0]["cancelledBy"] == ["orderCreated", "an order"]
    [message] = httpx.get(base + "/_sandbox/messages", trust_env=False).json()["messages"]
    assert message["sourceEventTypeKey"] == "cartUpdated" and message["channelType"] == "email"
    assert httpx.get(base + "/_sandbox/messages?limit=x", trust_env=False).status_code == 400


def test_the_account_can_be_reset(account: tuple[Sandbox, str]) -> None:
    sandbox, base = account
    add_contact(base, "ann@example.com")
    post(base, "/api/v2/event", cart_event("ann@example.com"))
    wait_for(lambda: _messages(base, "ann@example.com"))
    assert httpx.delete(base + "/_sandbox/contacts", trust_env=False).json() == {"deleted": 1}
    assert get(base, "/api/v1/contacts").json() == [] and _instances(base) == []
    assert httpx.get(base + "/_sandbox/messages", trust_env=False).json()["messages"] == []
    assert sandbox.store.count() == 2  # the requests' records stay (DELETE /_sandbox/events clears them)


def test_the_rate_windows_count_one_second_per_endpoint() -> None:
    from yespo_console.sandbox.ratelimits import RateWindows

    windows = RateWindows()
    assert all(windows.retry_after("messages", now=100.0 + i / 100) is None for i in range(10))
    assert windows.retry_after("messages", now=100.5) == 1
    assert windows.retry_after("contacts", now=100.5) is None  # each endpoint has its own window and limit
    assert windows.retry_after("messages", now=101.01) is None  # the first has left the window


def test_activity_pages_with_the_last_entrys_offset_and_messages_with_a_count(account: tuple[Sandbox, str]) -> None:
    _, base = account
    for email in ("ann@example.com", "bob@example.com"):
        add_contact(base, email)
        post(base, "/api/v2/event", cart_event(email))
        wait_for(lambda email=email: _messages(base, email))
    first = get(base, "/api/v2/contacts/activity", maxrows=1, **PERIOD).json()
    assert [entry["email"] for entry in first] == ["ann@example.com"]
    rest = get(base, "/api/v2/contacts/activity", offset=first[-1]["offset"], **PERIOD).json()
    assert [entry["email"] for entry in rest] == ["bob@example.com"]
    assert get(base, "/api/v2/contacts/activity", offset=rest[-1]["offset"], **PERIOD).json() == []
    assert get(base, "/api/v2/contacts/messages", email="bob@example.com", offset=1, **PERIOD).json() == []
    assert get(base, "/api/v2/contacts/activity", offset="abc", **PERIOD).status_code == 400
