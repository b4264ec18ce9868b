"""Verifying a sent event against a real HTTP server on 127.0.0.1 answering like Yespo: the contact found or
not, activity appearing after some polls, the wait running out, 429 during polling, cancelling; and the
verification kept with its exchange in a real history file (schema v5)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.local_http import Answer, Scripted, serving
from yespo_console.core.followup.answers import Activity, Message
from yespo_console.core.followup.client import AccountClient
from yespo_console.core.followup.verify import (
    NOT_FOUND_TEXT,
    Locator,
    PollPlan,
    Progress,
    SentEvent,
    Verification,
    linked_activities,
    locator_for,
    verify,
)
from yespo_console.core.history import HistoryStore, VerificationRecord
from yespo_console.core.history import db as history_db
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.http.secrets import Secret, SecretSource

KEY = Secret("verify-key-0123456789", SecretSource.ENVIRONMENT, "the test")
SENT = datetime.now(UTC) - timedelta(seconds=5)
EVENT = SentEvent("cartUpdated", "ann@example.com", "email", SENT)
CONTACT = {"id": 42, "firstName": "Ann", "channels": [{"type": "email", "value": "ann@example.com"}]}
FAST = PollPlan(wait_s=5.0, first_interval_s=0.05, factor=1.0, max_interval_s=0.05)


def activity(event_type: str = "cartUpdated", key: str | None = "ann@example.com",
             when: datetime | None = None) -> dict[str, object]:
    return {"activityStatus": "DELIVERED", "activityDateTime": (when or datetime.now(UTC)).isoformat(),
            "mediaType": "email", "sourceEventTypeKey": event_type, "sourceEventKey": key, "workflowId": 7}


@pytest.fixture
def yespo() -> Iterator[tuple[Scripted, str]]:
    script = Scripted()
    script.on("/api/v1/workflows", Answer(200, [{"id": 7, "name": "Abandoned cart", "status": "active"}]))
    script.on("/api/v2/contacts/messages", Answer(200, []))
    with serving(script.handler()) as host:
        yield script, host


def run_verify(host: str, event: SentEvent = EVENT, plan: PollPlan = FAST, **options) -> Verification:
    async def go() -> Verification:
        env = Environment(name="local", url=f"http://{host}/api/v2/event")
        async with AccountClient(env, secret=KEY, **options) as client:
            return await verify(client, event, plan)
    return asyncio.run(go())


def test_the_locator_follows_the_key_value_source() -> None:
    assert locator_for("ann@example.com", "email") == Locator("email", "ann@example.com")
    assert locator_for("+380501234567", "phone") == Locator("sms", "+380501234567")
    assert locator_for("c-1", "externalCustomerId") == Locator("externalCustomerId", "c-1")
    assert locator_for("42", "contactId") == Locator("contactId", "42")
    assert locator_for("x@y.z", "keyValue").kind == "email"
    assert locator_for("+38 050 123 45 67", "keyValue").kind == "sms"
    assert locator_for("shopper-9", None).kind == "externalCustomerId"
    assert locator_for(None, "email") is None


def test_linking_wants_the_type_this_key_and_a_time_after_the_send() -> None:
    entries = [Activity(source_event_type_key="cartUpdated", source_event_key="ann@example.com",
                        time=datetime.now(UTC).isoformat()),
               Activity(source_event_type_key="cartUpdated", source_event_key=None, time="not a time"),
               Activity(source_event_type_key="orderCreated", source_event_key="ann@example.com"),
               Activity(source_event_type_key="cartUpdated", source_event_key="bob@example.com"),
               Activity(source_event_type_key="cartUpdated", time=(SENT - timedelta(hours=1)).isoformat())]
    assert [mine for _, mine in linked_activities(entries, EVENT)] == [True, False]


def test_activity_found_after_some_polls_stops_the_wait(yespo) -> None:
    script, host = yespo
    script.on("/api/v1/contacts", Answer(200, [CONTACT]))
    script.on("/api/v2/contacts/activity", Answer(200, []), Answer(200, [activity("pageViewed")]),
              Answer(200, [activity()]))
    result = run_verify(host)
    assert result.status == "linked" and result.polls == 3
    assert result.contact is not None and result.contact.id == 42
    [linked] = result.activities
    assert linked.workflow_name == "Abandoned cart" and linked.this_event
    assert "Contact found: #42 Ann (email ann@example.com)" in result.summary
    assert "this very event" in result.summary
    assert len(script.hits("/api/v2/contacts/activity")) == 3 and len(script.hits("/api/v1/workflows")) == 1
    assert script.hits("/api/v1/contacts")[0].query["email"] == ["ann@example.com"]
    assert script.hits("/api/v2/contacts/messages")[0].query["contactId"] == ["42"]


def test_a_message_after_the_send_counts(yespo) -> None:
    script, host = yespo
    script.on("/api/v1/contacts", Answer(200, [CONTACT]))
    script.on("/api/v2/contacts/activity", Answer(200, []))
    old = {"channelType": "email", "sentDateTime": (SENT - timedelta(days=1)).isoformat(), "activityStatus": "READ"}
    new = {"channelType": "sms", "sentDateTime": datetime.now(UTC).isoformat(), "activityStatus": "DELIVERED"}
    script.on("/api/v2/contacts/messages", Answer(200, [old]), Answer(200, [old, new]))
    result = run_verify(host)
    assert result.status == "linked" and result.messages == [Message("sms", new["sentDateTime"], "DELIVERED")]


def test_contact_not_found_stops_at_once(yespo) -> None:
    script, host = yespo
    script.on("/api/v1/contacts", Answer(200, []))
    result = run_verify(host)
    assert result.status == "contact_not_found" and result.summary == NOT_FOUND_TEXT
    assert script.hits("/api/v2/contacts/activity") == []


def test_a_push_token_says_it_needs_the_app_id(yespo) -> None:
    script, host = yespo
    result = run_verify(host, SentEvent("appOpened", "tok-1", "pushToken", SENT))
    assert result.status == "contact_unknown" and "app's id" in result.summary and script.seen == []


def test_nothing_within_the_wait_and_429_during_polling_is_waited_out(yespo) -> None:
    script, host = yespo
    script.on("/api/v1/contact/42", Answer(200, CONTACT))
    script.on("/api/v2/contacts/activity", Answer(429, b"", {"Retry-After": "999"}), Answer(200, []))
    result = run_verify(host, SentEvent("cartUpdated", "42", "contactId", SENT),
                        PollPlan(wait_s=0.6, first_interval_s=0.1, factor=2.0, max_interval_s=1.0))
    assert result.status == "nothing" and "within 0.6 s" in result.summary
    assert result.polls >= 2 and result.problems and "429" in result.problems[0]
    # The contact found by id is followed through its email channel.
    assert script.hits("/api/v2/contacts/activity")[-1].query["email"] == ["ann@example.com"]


def test_an_error_other_than_throttling_ends_it_with_the_error(yespo) -> None:
    script, host = yespo
    script.on("/api/v1/contacts", Answer(403, b"forbidden"))
    result = run_verify(host)
    assert result.status == "error" and result.error is not None and result.error.kind == "forbidden"


def test_cancelling_returns_what_was_found_so_far(yespo) -> None:
    script, host = yespo
    script.on("/api/v1/contacts", Answer(200, [CONTACT]))
    script.on("/api/v2/contacts/activity", Answer(200, []))
    seen: list[Progress] = []

    async def go() -> Verification:
        env = Environment(name="local", url=f"http://{host}/api/v2/event")
        async with AccountClient(env, secret=KEY) as client:
            task = asyncio.ensure_future(verify(client, EVENT, PollPlan(wait_s=60, first_interval_s=30),
                                                progress=seen.append))
            while not any(p.stage == "waiting" for p in seen):
                await asyncio.sleep(0.01)
            task.cancel()
            return await task

    result = asyncio.run(go())
    assert result.status == "cancelled" and result.contact is not None and result.polls == 1
    assert [p.stage for p in seen][:3] == ["contact", "polling", "waiting"] and seen[-1].remaining_s > 50


def _exchange(store: HistoryStore) -> int:
    return store.begin(ExchangeRequest(url="http://x/api/v2/event", body=b"{}"))


def test_the_verification_is_kept_with_its_exchange_and_goes_with_it(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        first, second = _exchange(store), _exchange(store)
        record = VerificationRecord(first, datetime.now(UTC), "linked", "Contact found", {"polls": 2})
        store.set_verification(record)
        store.set_verification(VerificationRecord(999, datetime.now(UTC), "nothing", "gone"))  # no such exchange
        assert store.verifications([first, second, 999]) == {first: record}
        store.set_verification(VerificationRecord(first, datetime.now(UTC), "nothing", "again", {"x": "y" * 300_000}))
        again = store.verifications([first])[first]
        assert again.summary == "again" and again.detail == {"status": "nothing", "summary": "again",
                                                              "truncated": True}
        store.delete([first])
        assert store.verifications([first]) == {}
        store.complete(second, ExchangeResult(Outcome.ACCEPTED, status=200))
        store.set_verification(VerificationRecord(second, datetime.now(UTC), "linked", "ok"))
        assert store.clear() == 1 and store.verifications([second]) == {}


def test_a_v4_file_gains_the_verification_table(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = history_db.connect(path, target=4)
    conn.close()
    assert history_db.upgrade_pending(path)
    with HistoryStore(path) as store:
        exchange_id = _exchange(store)
        store.set_verification(VerificationRecord(exchange_id, datetime.now(UTC), "linked", "ok"))
        assert store.verifications([exchange_id])[exchange_id].linked
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == 5
