"""core.followup's client against a real HTTP server on 127.0.0.1 answering like Yespo (tests.local_http.Scripted):
the base URL, the answers read defensively, 401/403/404, 429 with Retry-After, slow and huge answers, the
production question for writes, and each call recorded in a real history file as a masked lookup."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.local_http import Answer, Scripted, serving
from yespo_console.core.followup import answers
from yespo_console.core.followup.client import AccountClient, FollowupError, api_base
from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.secrets import Secret, SecretSource

CANARY = "canary-key-5f3a9c0d1e2b"
KEY = Secret(CANARY, SecretSource.ENVIRONMENT, "the test")
CONTACT = {"id": 42, "firstName": "Ann", "lastName": "Lee", "channels": [{"type": "email", "value": "ann@example.com"}],
           "fields": [], "addressBookId": 1}


@pytest.fixture
def yespo() -> Iterator[tuple[Scripted, str]]:
    script = Scripted()
    with serving(script.handler()) as host:
        yield script, host


def environment(host: str, **changes: Any) -> Environment:
    return Environment(name="local", url=f"http://{host}/api/v2/event", **changes)


async def _with(host: str, call: Any, **options: Any) -> Any:
    env_changes = options.pop("env", {})
    async with AccountClient(environment(host, **env_changes), secret=options.pop("secret", KEY), **options) as client:
        return await call(client)


def run(host: str, call: Any, **options: Any) -> Any:
    return asyncio.run(_with(host, call, **options))


def test_the_base_url_comes_from_the_event_url() -> None:
    assert api_base("https://yespo.io/api/v2/event") == "https://yespo.io/api"
    assert api_base("http://127.0.0.1:8750/api/v2/event") == "http://127.0.0.1:8750/api"
    assert api_base("https://proxy.example.com/yespo/api/v1/event") == "https://proxy.example.com/yespo/api"
    assert api_base("https://example.com/") == "https://example.com/api"


def test_account_info_sends_the_key_as_basic_auth_and_reads_the_answer(yespo) -> None:
    script, host = yespo
    script.on("/api/v1/account/info", Answer(200, {"userEmail": "qa@shop.example", "organisationName": "Shop"}))
    info = run(host, lambda c: c.account_info())
    assert info == answers.AccountInfo("Shop", "qa@shop.example")
    [seen] = script.seen
    assert seen.method == "GET"
    assert seen.headers["Authorization"] == "Basic " + base64.b64encode(f":{CANARY}".encode()).decode()


@pytest.mark.parametrize(("status", "kind", "words"), [
    (401, "unauthorized", "Wrong key (401)"),
    (403, "forbidden", "No access for this call (403)"),
    (404, "not_found", "Not found (404)"),
    (500, "http_error", "answered 500"),
])
def test_refusals_are_errors_in_words(yespo, status: int, kind: str, words: str) -> None:
    script, host = yespo
    script.on("/api/v1/account/info", Answer(status, b"no"))
    with pytest.raises(FollowupError) as caught:
        run(host, lambda c: c.account_info())
    assert caught.value.kind == kind and words in caught.value.title and not caught.value.network


@pytest.mark.parametrize(("body", "words"), [
    (b"<html>hello</html>", "not JSON"),
    (b"", "empty"),
    (b"\xff\xfe", "not UTF-8"),
    (b"[" * 5000 + b"]" * 5000, "nests more than"),
    (b'["not", "an object"]', "expected a JSON object"),
    (b'{"something": "else"}', "neither organisationName nor userEmail"),
])
def test_a_200_that_is_not_the_documented_answer_is_named_as_such(yespo, body: bytes, words: str) -> None:
    script, host = yespo
    script.on("/api/v1/account/info", Answer(200, body))
    with pytest.raises(FollowupError) as caught:
        run(host, lambda c: c.account_info())
    assert caught.value.kind == "not_yespo" and words in caught.value.title


def test_a_huge_answer_is_capped_and_refused(yespo, tmp_path: Path) -> None:
    script, host = yespo
    script.on("/api/v1/contacts", Answer(200, b"[" + b"1," * (3 * 1024 * 1024) + b"1]"))
    with HistoryStore(tmp_path / "h.sqlite3") as store, pytest.raises(FollowupError) as caught:
        run(host, lambda c: c.find_contacts(email="ann@example.com"), recorder=store)
    assert caught.value.kind == "not_yespo" and "more than 4 MB" in caught.value.title
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        [row] = store.query(HistoryFilter(kind="lookup"))
        assert len(store.get(row.id).response_body) == 4 * 1024 * 1024


def test_wrong_shapes_in_lists_skip_the_bad_entries() -> None:
    found = answers.contacts([CONTACT, "junk", {"id": "x"}, {"id": "7", "channels": "nope"}, None, 3])
    assert [c.id for c in found] == [42, 7] and found[1].channels == ()
    assert answers.contact(CONTACT).name == "Ann Lee"
    assert answers.activities([{"activityStatus": ["x"], "workflowId": True}, 5]) == [answers.Activity()]
    with pytest.raises(answers.BadAnswer):
        answers.contacts({"id": 1})


def test_429_waits_for_retry_after_then_tries_again(yespo, tmp_path: Path) -> None:
    script, host = yespo
    script.on("/api/v1/contacts", Answer(429, b"slow down", {"Retry-After": "2"}), Answer(200, [CONTACT]))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    with HistoryStore(tmp_path / "h.sqlite3") as store:
        found = run(host, lambda c: c.find_contacts(email="ann@example.com"), recorder=store, sleep=sleep)
        rows = store.query(HistoryFilter(kind="lookup"))
    assert [c.id for c in found] == [42] and waits == [2.0]
    assert sorted(r.status for r in rows) == [200, 429]


def test_429_past_the_longest_wait_ends_the_call(yespo) -> None:
    script, host = yespo
    script.on("/api/v1/contacts", Answer(429, b"", {"Retry-After": "3600"}))
    with pytest.raises(FollowupError) as caught:
        run(host, lambda c: c.find_contacts(sms="+380501234567"))
    assert caught.value.kind == "rate_limited" and len(script.seen) == 1


def test_a_slow_answer_is_a_timeout(yespo) -> None:
    script, host = yespo
    script.on("/api/v1/account/info", Answer(200, {"userEmail": "a@b.c"}, delay_s=2.0))
    with pytest.raises(FollowupError) as caught:
        run(host, lambda c: c.account_info(), env={"timeout_s": 0.3, "connect_timeout_s": 0.3})
    assert caught.value.kind == "timeout" and caught.value.network


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the call: nothing listens there
    with pytest.raises(FollowupError) as caught:
        run(f"127.0.0.1:{port}", lambda c: c.account_info())
    assert caught.value.kind == "unreachable" and caught.value.network


def test_no_key_sends_nothing(yespo) -> None:
    script, host = yespo
    with pytest.raises(FollowupError) as caught:
        run(host, lambda c: c.account_info(), secret=None, missing_key="No API key: set $YESPO_API_KEY.")
    assert caught.value.kind == "no_key" and "YESPO_API_KEY" in caught.value.title and script.seen == []


def test_a_key_that_cannot_go_into_a_header_sends_nothing_and_says_why(yespo) -> None:
    script, host = yespo
    broken = Secret("line\nbreak-key-0123", SecretSource.ENVIRONMENT, "the test")
    with pytest.raises(FollowupError) as caught:
        run(host, lambda c: c.account_info(), secret=broken)
    assert caught.value.kind == "no_key" and "line break" in caught.value.title and script.seen == []


def test_writes_to_production_ask_first_and_send_nothing_when_refused(yespo) -> None:
    script, host = yespo
    script.on("/api/v1/contact", Answer(200, {"id": 42}))
    script.on("/api/v1/orders", Answer(200, {"failedOrders": []}))
    production = {"production": True}
    asked: list[str] = []

    def no(env: Environment, what: str) -> bool:
        asked.append(what)
        return False

    for confirm in (None, no):
        with pytest.raises(FollowupError) as caught:
            run(host, lambda c: c.save_contact(CONTACT), env=production, confirm=confirm)
        assert caught.value.kind == "refused" and "--yes" in caught.value.detail
    assert script.seen == [] and asked == ["create or update a contact"]

    async def yes(env: Environment, what: str) -> bool:
        return True

    assert run(host, lambda c: c.save_contact(CONTACT), env=production, confirm=yes) == 42
    assert run(host, lambda c: c.send_orders([{"externalOrderId": "1"}]), env=production, confirm=yes) == []
    assert [s.path for s in script.seen] == ["/api/v1/contact", "/api/v1/orders"]
    assert b'"externalOrderId": "1"' in script.seen[1].body
    # Reads never ask, and a non-production environment is not asked about.
    assert run(host, lambda c: c.save_contact(CONTACT)) == 42


def test_every_call_is_a_masked_lookup_in_the_history_and_the_key_never_reaches_the_data_folder(
        yespo, tmp_path: Path) -> None:
    script, host = yespo
    echo = f"you sent {CANARY} and Basic " + base64.b64encode(f":{CANARY}".encode()).decode()
    script.on("/api/v1/account/info", Answer(401, echo.encode()))
    script.on("/api/v2/contacts/activity", Answer(200, []))
    data = tmp_path / "data"
    since = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)

    async def calls(client: AccountClient) -> None:
        with pytest.raises(FollowupError) as caught:
            await client.account_info()
        assert CANARY not in str(caught.value)
        await client.activity(since, since + timedelta(hours=1), email="ann@example.com")

    with HistoryStore(data / "history.sqlite3") as store:
        run(host, calls, recorder=store)
        rows = store.query(HistoryFilter(kind="lookup"))
        assert len(rows) == 2 and store.query(HistoryFilter(kind="send")) == []
        activity = store.get(max(r.id for r in rows))
    assert activity.method == "GET" and activity.note == "contact activity"
    assert "dateFrom=2026-01-01T10%3A00" in activity.url and "email=ann%40example.com" in activity.url
    on_disk = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    assert CANARY.encode() not in on_disk and base64.b64encode(f":{CANARY}".encode()) not in on_disk
    assert len(script.seen) == 2


def test_the_contact_by_id_and_by_push_token_are_none_when_absent(yespo) -> None:
    script, host = yespo
    script.on("/api/v1/contact/42", Answer(200, CONTACT))
    script.on("/api/v1/contact/token/app%2F1/tok/contactId", Answer(200, {"id": 42}))
    assert run(host, lambda c: c.contact(42)).id == 42
    assert run(host, lambda c: c.contact(7)) is None
    assert run(host, lambda c: c.contact_id_for_push_token("app/1", "tok")) in (42, None)


def test_each_endpoint_keeps_to_its_documented_rate() -> None:
    from yespo_console.core.followup import client as followup

    env = Environment(name="local", url="http://127.0.0.1:9/api/v2/event")
    limits = AccountClient(env, secret=KEY)
    rates = {e.name: (limits._limiter(e).rate, limits._limiter(e).burst) for e in (
        followup.MESSAGES, followup.CONTACT_SEARCH, followup.CONTACT_BY_TOKEN, followup.ACCOUNT_INFO)}
    assert rates == {"contact messages": (10.0, 1), "contact search": (50.0, 5), "contact by push token": (150.0, 10),
                     "account info": (200.0, 10)}
    assert limits._limiter(followup.MESSAGES) is limits._limiter(followup.MESSAGES)
