"""Workflow files and seed files with their mistakes' lines, the store's schema 1 → 2 upgrade, timers that do not
survive a restart, and the data-export webhook both ways (a second sandbox receives what the first delivers)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.sandbox.account_helpers import PERIOD, add_contact, cart_event, fast_workflows, get, post
from tests.sandbox.helpers import SandboxThread
from yespo_console.core.documents import DocumentError
from yespo_console.core.errors import InputError
from yespo_console.sandbox import Sandbox, SandboxStore
from yespo_console.sandbox.accountdb import AccountDB
from yespo_console.sandbox.contacts import load_seed
from yespo_console.sandbox.settings import AccountSettings
from yespo_console.sandbox.webhook import WebhookSender, check_webhook_url
from yespo_console.sandbox.workflows import load_workflows, parse_workflows


def test_the_bundled_workflows_mirror_the_recipes() -> None:
    workflows = load_workflows()
    by_name = {workflow.name: workflow for workflow in workflows}
    cart = by_name["Abandoned cart"]
    assert cart.trigger.event == "cartUpdated" and cart.cancel_on_order and cart.delay.total_seconds() == 1800
    recipes = {path.stem for path in (Path(__file__).parents[2] / "resources" / "scenarios").glob("*.yaml")}
    tagged = {tag.removeprefix("recipe:") for flow in workflows for tag in flow.tags if tag.startswith("recipe:")}
    assert recipes <= tagged
    params = [{"name": "products", "value": []}]
    assert not cart.trigger.matches("cartUpdated", params)
    assert any(rule.matches("cartUpdated", params) for rule in cart.cancel_events)  # a cleared cart stops it
    search = by_name["Search without results"]
    assert search.trigger.matches("searchRequest", [{"name": "isFound", "value": "0"}])  # v1: text
    assert search.trigger.matches("searchRequest", [{"name": "isFound", "value": 0}])  # v2: a number
    assert not search.trigger.matches("searchRequest", [{"name": "isFound", "value": 1}])


def test_a_workflow_files_mistakes_are_named_with_their_lines() -> None:
    text = """\
workflows:
  - id: 1
    name: Fine
    trigger: cartUpdated
    delay: 30m
    message: {channel: email}
  - id: 1
    name: Twin
    trigger: cartUpdated
    delay: 30m
    message: {channel: email}
  - id: two
    name: ""
    trigger: [cartUpdated]
    when: [{param: products, is: full}]
    delay: soon
    colour: blue
    message: {channel: fax}
"""
    with pytest.raises(DocumentError) as caught:
        parse_workflows(text, "flows.yaml")
    problems = {(problem.line, problem.path) for problem in caught.value.problems}
    assert (7, "workflows[1].id") in problems  # used twice
    assert {(12, "workflows[2].id"), (13, "workflows[2].name"), (14, "workflows[2].trigger"),
            (15, "workflows[2].when[0].is"), (16, "workflows[2].delay"), (17, "workflows[2].colour"),
            (18, "workflows[2].message.channel")} <= problems
    message = str(caught.value)
    assert "flows.yaml:16: workflows[2].delay: delay should be a duration" in message
    assert "channel should be one of email, sms, webpush, mobilepush" in message


@pytest.mark.parametrize("text", ["workflows: 3", "[1, 2]", "workflows: [", "\x00"])
def test_a_workflow_file_that_is_not_one_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError):
        parse_workflows(text, "bad.yaml")


def test_seed_files_in_yaml_json_and_csv(tmp_path: Path) -> None:
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("- {email: ann@example.com, firstName: Ann}\n"
                         "- channels: [{type: sms, value: '+380501112233'}]\n")
    assert [doc["channels"][0]["type"] for doc in load_seed(yaml_file)] == ["email", "sms"]
    json_file = tmp_path / "c.json"
    json_file.write_text(json.dumps({"contacts": [{"externalCustomerId": "C-1", "email": "bob@example.com"}]}))
    assert load_seed(json_file)[0]["externalCustomerId"] == "C-1"
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("email,phone,firstName\ncid@example.com,,Cid\n,+380501112244,\n")
    docs = load_seed(csv_file)
    assert docs[0]["firstName"] == "Cid" and docs[1]["channels"] == [{"type": "sms", "value": "+380501112244"}]


def test_a_seed_files_mistakes_are_named_with_their_lines(tmp_path: Path) -> None:
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text("- {email: ann@example.com}\n- {email: not-an-address}\n- {nickname: x, email: a@b.c}\n")
    with pytest.raises(DocumentError) as caught:
        load_seed(yaml_file)
    assert [(p.line, p.path) for p in caught.value.problems] == [(2, "[1]"), (3, "[2]")]
    assert "unknown column 'nickname'" in str(caught.value)
    csv_file = tmp_path / "c.csv"
    csv_file.write_text("email\nok@example.com\nbroken\n")
    with pytest.raises(DocumentError) as caught:
        load_seed(csv_file)
    assert [(p.line, p.path) for p in caught.value.problems] == [(3, "row 2")]
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe- a")
    with pytest.raises(InputError):
        load_seed(tmp_path / "bin.yaml")


def test_a_schema_1_record_file_gains_the_contact_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL,
              endpoint TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, remote TEXT NOT NULL,
              headers TEXT NOT NULL, body BLOB NOT NULL, status INTEGER, response TEXT NOT NULL DEFAULT '',
              fault TEXT, auth TEXT NOT NULL DEFAULT '', valid INTEGER, event_type TEXT, key_value TEXT,
              key_value_source TEXT, event_count INTEGER NOT NULL DEFAULT 1, diagnostics TEXT NOT NULL DEFAULT '[]',
              notes TEXT NOT NULL DEFAULT '[]', duration_ms REAL);
            INSERT INTO events (received_at, endpoint, method, path, remote, headers, body, status)
              VALUES ('2024-01-01T00:00:00+00:00', 'v2/event', 'POST', '/api/v2/event', 'x', '[]', x'7b7d', 200);
            PRAGMA user_version = 1;
        """)
    store = SandboxStore(path)
    try:
        [old] = store.list()
        assert old.status == 200 and old.contact is None
        AccountDB(store)
        with store.locked() as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    finally:
        store.close()


def test_a_waiting_instance_is_lost_when_the_sandbox_stops(tmp_path: Path) -> None:
    data = tmp_path / "restart"
    runner = SandboxThread(port=0, data_dir=data, workflows=fast_workflows())  # 5 real minutes
    base = runner.start().base_url
    add_contact(base, "ann@example.com")
    post(base, "/api/v2/event", cart_event("ann@example.com"))
    runner.stop()
    again = SandboxThread(port=0, data_dir=data, workflows=fast_workflows())
    sandbox = again.start()
    try:
        [instance] = sandbox.automation.db.instances(5)
        assert instance.state == "lost" and "stopped" in instance.reason
        assert get(sandbox.base_url, "/api/v1/contacts", email="ann@example.com").json()  # contacts are kept
    finally:
        again.stop()


def test_an_instance_left_waiting_by_a_sandbox_that_did_not_stop_is_lost_once_it_was_due(tmp_path: Path) -> None:
    """Another sandbox may share the file: its instances that are not yet due are its own to fire."""
    from yespo_console.sandbox.accountdb import WAITING, Instance

    store = SandboxStore(tmp_path / "shared.sqlite3")
    try:
        db = AccountDB(store)
        for name, due in (("past", "2000-01-01T00:00:00.000+00:00"), ("future", "2999-01-01T00:00:00.000+00:00")):
            db.add_instance(Instance(name, 1, "W", 1, None, "cartUpdated", "a@b.c", WAITING, "", due, due, None))
        AccountDB(store)  # another sandbox opens the file
        assert {i.instance_id: i.state for i in db.instances(5)} == {"past": "lost", "future": "waiting"}
    finally:
        store.close()


def test_the_webhook_check_endpoint_masks_a_password_in_the_delivery_url(tmp_path: Path) -> None:
    sender = WebhookSender("http://user:hunter2-secret@127.0.0.1:9/hook")
    runner = SandboxThread(port=0, data_dir=tmp_path / "masked", webhook=sender)
    base = runner.start().base_url
    try:
        answer = httpx.get(base + "/_sandbox/webhook", trust_env=False)
        assert answer.status_code == 200 and "hunter2-secret" not in answer.text
        assert answer.json()["deliveringTo"].endswith("@127.0.0.1:9/hook")
    finally:
        runner.stop()


def test_ended_instances_and_deliveries_are_pruned_to_the_newest(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from yespo_console.sandbox import accountdb
    from yespo_console.sandbox.accountdb import SENT, WAITING, Instance

    monkeypatch.setattr(accountdb, "KEEP", 3)
    monkeypatch.setattr(accountdb, "_PRUNE_EVERY", 4)
    store = SandboxStore(tmp_path / "pruned.sqlite3")
    try:
        db = AccountDB(store)
        db.add_instance(Instance("w", 1, "W", 1, None, "e", "k", WAITING, "", "t", "2999", None))
        for index in range(7):
            db.add_instance(Instance(f"s{index}", 1, "W", 1, None, "e", "k", SENT, "", f"t{index}", "t", "t"))
            db.add_delivery(1, f"2024-01-01T00:00:0{index}", {"n": index})
        kept = {i.instance_id for i in db.instances(100)}
        assert {"w", "s6"} <= kept and "s0" not in kept  # the waiting one stays, the oldest ended ones go
        assert len(kept) <= 1 + 3 + 4  # the waiting one, KEEP, and what came since the last pruning
        delivered = [d["n"] for d in db.recent_deliveries(100)]
        assert delivered[0] == 6 and 0 not in delivered and len(delivered) <= 3 + 4
    finally:
        store.close()


def test_webhook_urls_are_loopback_unless_allowed() -> None:
    with pytest.raises(ValueError, match="not this machine"):
        check_webhook_url("https://example.com/hook")
    assert check_webhook_url("https://example.com/hook", allow_remote=True)
    with pytest.raises(ValueError, match="http"):
        check_webhook_url("ftp://127.0.0.1/hook")


@pytest.mark.asyncio
async def test_activity_is_delivered_to_a_webhook_after_a_check(tmp_path: Path) -> None:
    receiver = Sandbox(port=0, data_dir=tmp_path / "receiver")
    await receiver.start()
    try:
        url = f"{receiver.base_url}/_sandbox/webhook"
        sender = WebhookSender(url, backoff_s=0.01)
        source = Sandbox(port=0, data_dir=tmp_path / "source", workflows=fast_workflows(), webhook=sender,
                         account=AccountSettings(time_scale=0.001))
        await source.start()
        try:
            await asyncio.to_thread(add_contact, source.base_url, "ann@example.com")
            await asyncio.to_thread(post, source.base_url, "/api/v2/event", cart_event("ann@example.com"))
            for _ in range(400):
                received = [e for e in receiver.events() if e.endpoint == "webhook"]
                if received and sender.log:
                    break
                await asyncio.sleep(0.05)
            [delivered] = received
            [entry] = json.loads(delivered.body)
            assert (entry["sourceEventKey"], entry["sourceEventTypeKey"], entry["workflowId"]) == (
                "ann@example.com", "cartUpdated", 7)
            assert sender.log[-1]["status"] == 200
            checked = await asyncio.to_thread(httpx.get, url, trust_env=False)
            assert checked.status_code == 200 and checked.json()["ok"] is True
        finally:
            await source.stop()
            source.close()
    finally:
        await receiver.stop()
        receiver.close()


@pytest.mark.asyncio
async def test_a_failing_webhook_is_retried_then_dropped(tmp_path: Path) -> None:
    sender = WebhookSender("http://127.0.0.1:9/nothing-listens", attempts=3, backoff_s=0.01, timeout_s=2)
    sender.start()
    try:
        sender.send([{"iid": "1"}])
        for _ in range(200):
            if sender.log:
                break
            await asyncio.sleep(0.05)
        [outcome] = sender.log
        assert outcome["attempts"] == 3 and outcome["status"] is None and outcome["problem"]
    finally:
        await sender.stop()


def test_a_received_webhook_is_recorded_as_its_own_endpoint(sandbox_thread: Sandbox) -> None:
    base = sandbox_thread.base_url
    sent = httpx.post(base + "/_sandbox/webhook", json=[{"sourceEventKey": "a@b.c"}, {"iid": "2"}], trust_env=False)
    assert sent.status_code == 200
    bad = httpx.post(base + "/_sandbox/webhook", content=b"{", headers={"Content-Type": "application/json"},
                     trust_env=False)
    assert bad.status_code == 400
    form = httpx.post(base + "/_sandbox/webhook", content=b"a=b",
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, trust_env=False)
    assert form.status_code == 415  # a web page cannot post into it
    events = httpx.get(base + "/_sandbox/events", trust_env=False).json()["events"]
    assert [(e["endpoint"], e["status"], e["eventCount"]) for e in events] == [("webhook", 400, 1),
                                                                               ("webhook", 200, 2)]
    assert get(base, "/api/v2/contacts/activity", **PERIOD).json() == []
