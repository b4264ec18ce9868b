"""The sandbox over real HTTP on a free loopback port, with a plain httpx client (not the project's)."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox.helpers import MISSING_PAGE_EVENT, VALID_EVENT, body
from yespo_console.sandbox import Faults, Sandbox, SandboxError, SandboxEvent, check_auth
from yespo_console.sandbox.intake import EXCERPT_BYTES

AUTH = ("", "any-key")
JSON = {"Content-Type": "application/json; charset=UTF-8"}


async def post(
    sb: Sandbox, data: bytes, *, path: str = "/api/v2/event", auth: object = AUTH, headers: dict[str, str] | None = None
) -> httpx.Response:
    """POST with a fresh connection each time (an httpx client is costly to create: share its SSL setup)."""
    async with httpx.AsyncClient(base_url=sb.base_url, trust_env=False, verify=_SSL) as client:
        return await client.post(path, content=data, auth=auth, headers=headers or JSON)  # type: ignore[arg-type]


_SSL = ssl.create_default_context()


@pytest.mark.asyncio
async def test_valid_event_is_accepted_recorded_and_announced(sandbox: Sandbox) -> None:
    heard: list[SandboxEvent] = []
    sandbox.add_listener(heard.append)
    response = await post(sandbox, body())
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "accepted" and answer["eventTypeKey"] == "pageViewed"
    assert answer["keyValue"] == "ann@example.com" and answer["keyValueSource"] == "keyValue"
    assert response.headers["x-sandbox-event-id"] == str(answer["id"])
    [event] = sandbox.events()
    assert heard == [event]  # the listener hears the very record that is kept
    assert event.id == answer["id"] and event.status == 200 and event.valid is True
    assert event.body == body() and event.endpoint == "v2/event"
    assert event.remote.startswith("127.0.0.1:") and event.auth == "Basic (user '')"
    headers = dict(event.headers)
    assert headers["authorization"] == "Basic ••••"
    assert "any-key" not in json.dumps(event.as_dict())
    assert base64.b64encode(b":any-key").decode() not in json.dumps(event.as_dict())
    assert json.loads(event.response)["id"] == event.id


@pytest.mark.asyncio
async def test_a_missing_param_is_accepted_until_validate_parameters_is_on(sandbox: Sandbox) -> None:
    response = await post(sandbox, body(MISSING_PAGE_EVENT))
    assert response.status_code == 200 and response.json()["downstreamProblems"] == 1
    assert response.headers["x-sandbox-findings"] == "1" and response.headers["x-sandbox-validation"] == "off"
    async with httpx.AsyncClient(trust_env=False) as client:
        settings = await client.put(f"{sandbox.base_url}/_sandbox/settings", json={"validate": ["pageViewed"]})
    assert settings.status_code == 200 and settings.json()["validate"] == ["pageViewed"]
    response = await post(sandbox, body(MISSING_PAGE_EVENT))
    assert response.status_code == 400 and response.headers["x-sandbox-validation"] == "on"
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == 'The event should have the following params: [{"name":"page","required":true}]'
    accepted, rejected = sandbox.events()[1], sandbox.events()[0]
    assert accepted.status == 200 and rejected.status == 400
    assert rejected.valid is False and rejected.errors[0]["code"].startswith("field.missing")


@pytest.mark.asyncio
async def test_validate_all_lists_the_whole_structure_in_yespos_words(sandbox: Sandbox) -> None:
    sandbox.account = sandbox.account.changed({"validate": "all"})
    cart = {"eventTypeKey": "cartUpdated", "keyValue": "ann@example.com",
            "params": [{"name": "products", "value": []}]}
    response = await post(sandbox, body(cart))
    assert response.status_code == 400
    assert response.text == ('The event should have the following params: [{"name":"products","required":true},'
                             '{"name":"currencyCode","required":false},{"name":"recycleStateId","required":true}]')
    custom = {"eventTypeKey": "loyaltyPointsAdded", "keyValue": "ann@example.com", "params": []}
    assert (await post(sandbox, body(custom))).status_code == 200  # a type the account does not describe


@pytest.mark.asyncio
async def test_what_yespo_accepts_is_200_with_the_problems_counted(sandbox: Sandbox) -> None:
    sandbox.account = sandbox.account.changed({"validate": "all"})
    bad = {
        "eventTypeKey": "productViewed",
        "keyValue": "ann@example.com",
        "params": [{"name": "product", "value": {"productId": "A", "price": "abc"}},
                   {"name": "currencyCode", "value": "GBP"}, {"name": "email", "value": "not-an-email"}],
    }
    response = await post(sandbox, body(bad))
    assert response.status_code == 200 and response.headers["x-sandbox-findings"] == "3"
    [event] = sandbox.events()
    assert {d["code"] for d in event.diagnostics} >= {"field.wrong_type", "currency.unsupported", "email.invalid"}


@pytest.mark.asyncio
async def test_what_yespo_always_rejects_is_400_one_line_each(sandbox: Sandbox) -> None:
    bad = {
        "eventTypeKey": "pageViewed",
        "keyValue": "ann’s key",
        "params": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}],
    }
    response = await post(sandbox, body(bad))
    assert response.status_code == 400
    lines = response.text.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("keyValue: ") and "’" in lines[0] and lines[1].startswith("params[1].name: ")


@pytest.mark.asyncio
async def test_settings_endpoint_refuses_what_it_cannot_use(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        url = f"{sandbox.base_url}/_sandbox/settings"
        for wrong in ({"validate": 3}, {"validate": ""}, {"colour": "red"}, {"pastEventsMaxAgeDays": 0}, [1]):
            response = await client.put(url, json=wrong)
            assert response.status_code == 400 and response.text.startswith(("Invalid settings", "Send a JSON")), wrong
        current = (await client.get(url)).json()
    assert current["validate"] == [] and current["profile"] == "Built-in" and "orderCreated" in current["eventTypes"]


@pytest.mark.asyncio
async def test_not_json_is_400(sandbox: Sandbox) -> None:
    response = await post(sandbox, b'{"eventTypeKey": "pageViewed",')
    assert response.status_code == 400 and "JSON" in response.text
    response = await post(sandbox, b"\xff\xfe garbage")
    assert response.status_code == 400 and "UTF-8" in response.text


@pytest.mark.asyncio
async def test_v1_needs_string_values_v2_takes_objects(sandbox: Sandbox) -> None:
    nested = {
        "eventTypeKey": "pageViewed",
        "keyValue": "ann@example.com",
        "params": [{"name": "page", "value": {"location": "https://example.com"}}],
    }
    assert (await post(sandbox, body(nested))).status_code == 200
    v1 = await post(sandbox, body(nested), path="/api/v1/event")
    assert v1.status_code == 400 and "string" in v1.text
    assert (await post(sandbox, body(), path="/api/v1/event")).status_code == 200
    assert [e.endpoint for e in sandbox.events()] == ["v1/event", "v1/event", "v2/event"]


@pytest.mark.asyncio
async def test_auth_rules(tmp_path: Path) -> None:
    async with Sandbox(port=0, data_dir=tmp_path, api_key="right-key") as sb:
        assert (await post(sb, body(), auth=None)).status_code == 401
        wrong = await post(sb, body(), auth=("user", "wrong-key"))
        assert wrong.status_code == 401 and "wrong API key" in wrong.text
        assert (await post(sb, body(), auth=("user", "right-key"))).status_code == 200
        bearer = {**JSON, "Authorization": "Bearer right-key"}
        assert (await post(sb, body(), auth=None, headers=bearer)).status_code == 200
        bearer_wrong = {**JSON, "Authorization": "Bearer nope"}
        assert (await post(sb, body(), auth=None, headers=bearer_wrong)).status_code == 401
        statuses = [e.status for e in sb.events()]
        assert statuses == [401, 200, 200, 401, 401]  # newest first
        assert sb.events()[0].valid is True  # judged even when refused, so support sees both problems
    async with Sandbox(port=0, data_dir=tmp_path) as sb:
        no_auth = await post(sb, body(), auth=None)
        assert no_auth.status_code == 401 and "no Authorization" in no_auth.text
        assert no_auth.headers["www-authenticate"].startswith("Basic")
        anything = {**JSON, "Authorization": "Bearer whatever"}
        assert (await post(sb, body(), auth=None, headers=anything)).status_code == 200


@pytest.mark.parametrize(
    ("header", "ok", "words"),
    [
        (None, False, "no Authorization"),
        ("Basic !!!", False, "malformed"),
        ("Basic " + base64.b64encode(b"nocolon").decode(), False, "no ':'"),
        ("Basic " + base64.b64encode(b"user:").decode(), False, "empty API key"),
        ("Digest abc", False, "unsupported"),
        ("Bearer ", False, "empty Bearer"),
        ("Basic " + base64.b64encode(b"shop:k").decode(), True, "Basic (user 'shop')"),
    ],
)
def test_check_auth(header: str | None, ok: bool, words: str) -> None:
    result = check_auth(header, None)
    assert result.ok is ok and words in result.description


@pytest.mark.asyncio
async def test_content_type(sandbox: Sandbox) -> None:
    wrong = await post(sandbox, body(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert wrong.status_code == 415 and "application/json" in wrong.text
    async with httpx.AsyncClient(trust_env=False) as client:
        bare = await client.post(sandbox.event_url, content=body(), auth=AUTH)
    assert "content-type" not in {k.lower() for k, _ in bare.request.headers.raw}
    assert bare.status_code == 200
    latin = await post(sandbox, body(), headers={"Content-Type": "application/json; charset=ISO-8859-1"})
    assert latin.status_code == 200
    notes = [e.notes for e in sandbox.events()]
    assert "charset=ISO-8859-1" in notes[0][0] and "No Content-Type" in notes[1][0]


@pytest.mark.asyncio
async def test_past_events(sandbox: Sandbox) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    good = {**VALID_EVENT, "occurred": yesterday}
    no_key = {k: v for k, v in good.items() if k != "keyValue"}
    no_time = {k: v for k, v in VALID_EVENT.items()}
    response = await post(sandbox, body({"events": [good, no_key, no_time, "x"]}), path="/api/v2/past_events")
    assert response.status_code == 200
    answer = response.json()
    assert answer["successCount"] == 1 and answer["errorCount"] == 3
    assert [r["status"] for r in answer["results"]] == ["ACCEPTED", "ERROR", "OCCURRED_DATE_IS_REQUIRED", "ERROR"]
    assert any("keyValue is required" in e for e in answer["results"][1]["errors"])
    assert any("occurred" in e for e in answer["results"][2]["errors"])
    [event] = sandbox.events()
    assert event.endpoint == "v2/past_events" and event.event_count == 4 and event.valid is False
    assert any(d["path"].startswith("events[3]") for d in event.diagnostics)

    too_many = await post(sandbox, body({"events": [good] * 501}), path="/api/v2/past_events")
    assert too_many.status_code == 400 and "At most 500" in too_many.text
    assert (await post(sandbox, body({"events": [good] * 500}), path="/api/v2/past_events")).status_code == 200
    for wrong in (b"[]", b'{"events": []}', b'{"events": {}}', b"{", b'{"events":[1] , "x": NaN}'):
        assert (await post(sandbox, wrong, path="/api/v2/past_events")).status_code == 400


@pytest.mark.asyncio
async def test_control_endpoints(sandbox: Sandbox) -> None:
    for _ in range(3):
        await post(sandbox, body())
    async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False) as client:
        health = (await client.get("/_sandbox/health")).json()
        assert health["service"] == "yespo-console-sandbox" and health["events"] == 3
        listed = (await client.get("/_sandbox/events", params={"limit": 2})).json()
        ids = [e["id"] for e in listed["events"]]
        assert listed["total"] == 3 and ids == sorted(ids, reverse=True) and len(ids) == 2
        newer = (await client.get("/_sandbox/events", params={"since_id": ids[-1]})).json()
        assert [e["id"] for e in newer["events"]] == [ids[0]]
        one = await client.get(f"/_sandbox/events/{ids[0]}")
        assert one.json()["id"] == ids[0] and one.json()["bodyEncoding"] == "utf-8"
        assert (await client.get("/_sandbox/events/99999")).status_code == 404
        assert (await client.get("/_sandbox/events", params={"limit": "x"})).status_code == 400
        assert (await client.get("/_sandbox/events", params={"limit": "-1"})).status_code == 400
        assert (await client.delete("/_sandbox/events")).json() == {"deleted": 3}
        assert (await client.get("/_sandbox/events")).json()["events"] == []
        assert (await client.get("/api/v2/event")).status_code == 405
        missing = await client.get("/nothing/here")
        assert missing.status_code == 404 and "/api/v2/event" in missing.text


@pytest.mark.asyncio
async def test_faults_over_http_and_python(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False) as client:
        assert (await client.get("/_sandbox/faults")).json() == Faults().model_dump()
        changed = await client.put("/_sandbox/faults", json={"status": 429, "retry_after": 5})
        assert changed.status_code == 200 and changed.json()["status"] == 429
        assert sandbox.faults.status == 429
        for bad in ({"status": 999}, {"fail_rate": 2}, {"bogus": 1}, [1]):
            response = await client.put("/_sandbox/faults", json=bad)
            assert response.status_code == 400 and "fault" in response.text.lower()
        assert (await client.put("/_sandbox/faults", content=b"{")).status_code == 400
        assert sandbox.faults.status == 429  # unchanged by the bad requests
        limited = await post(sandbox, body())
        assert limited.status_code == 429 and limited.headers["retry-after"] == "5"
        assert (await client.delete("/_sandbox/faults")).json() == Faults().model_dump()
    with pytest.raises(ValueError, match="between 200 and 599"):
        sandbox.set_faults(status=100)
    assert sandbox.set_faults(status=503, retry_after=2).status == 503
    unavailable = await post(sandbox, body())
    assert unavailable.status_code == 503 and unavailable.headers["retry-after"] == "2"
    sandbox.set_faults(Faults(fail_rate=1.0, fail_status=502))
    assert (await post(sandbox, body())).status_code == 502
    sandbox.reset_faults()
    assert (await post(sandbox, body())).status_code == 200
    faults = [e.fault for e in sandbox.events()]
    assert faults[0] is None and "502" in (faults[1] or "") and "503" in (faults[2] or "")


@pytest.mark.asyncio
async def test_latency_is_added(sandbox: Sandbox) -> None:
    sandbox.set_faults(latency_ms=300)
    started = time.monotonic()
    assert (await post(sandbox, body())).status_code == 200
    assert time.monotonic() - started >= 0.29
    assert sandbox.events()[0].duration_ms >= 290  # type: ignore[operator]


@pytest.mark.asyncio
async def test_drop_and_garbage(sandbox: Sandbox) -> None:
    sandbox.set_faults(drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        await post(sandbox, body())
    sandbox.set_faults(drop_rate=0.0, garbage_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        await post(sandbox, body())
    sandbox.reset_faults()
    assert (await post(sandbox, body())).status_code == 200  # the server is fine afterwards
    events = sandbox.events()
    assert [e.status for e in events] == [200, None, None]
    assert "garbage" in (events[1].fault or "") and "dropped" in (events[2].fault or "")


@pytest.mark.asyncio
async def test_random_failures_follow_the_rate(tmp_path: Path) -> None:
    async with Sandbox(port=0, data_dir=tmp_path, seed=3, faults=Faults(fail_rate=0.5)) as sb:
        statuses = [(await post(sb, body())).status_code for _ in range(40)]
    failures = statuses.count(500)
    assert 8 <= failures <= 32 and statuses.count(200) == 40 - failures


@pytest.mark.asyncio
async def test_a_body_over_1_mib_is_413(sandbox: Sandbox) -> None:
    response = await post(sandbox, b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    [event] = sandbox.events()
    assert event.body == b"x" * EXCERPT_BYTES and event.valid is None  # refused unjudged: an excerpt is kept
    assert "over 1,048,576 bytes" in event.notes[-1]


@pytest.mark.asyncio
async def test_records_survive_a_restart_and_listeners_can_fail(tmp_path: Path) -> None:
    async with Sandbox(port=0, data_dir=tmp_path) as first:

        def broken(event: SandboxEvent) -> None:
            raise RuntimeError("listener bug")

        remove = first.add_listener(broken)
        assert (await post(first, body())).status_code == 200
        remove()
        remove()  # twice is harmless
    async with Sandbox(port=0, data_dir=tmp_path) as second:
        assert len(second.events()) == 1
        assert second.clear() == 1


@pytest.mark.asyncio
async def test_start_stop_and_port_errors(tmp_path: Path) -> None:
    sb = Sandbox(port=0, data_dir=tmp_path)
    assert not sb.running and sb.port == 0
    await sb.start()
    assert sb.running and sb.port > 0 and sb.base_url == f"http://127.0.0.1:{sb.port}"
    assert sb.event_url.endswith("/api/v2/event") and sb.past_events_url.endswith("/api/v2/past_events")
    with pytest.raises(SandboxError, match="already running"):
        await sb.start()
    taken = Sandbox(port=sb.port, data_dir=tmp_path)
    with pytest.raises(SandboxError, match=r"in use|another"):
        await taken.start()
    taken.close()
    await sb.stop()
    await sb.stop()
    assert not sb.running
    await sb.start()  # restartable
    assert (await post(sb, body())).status_code == 200
    await sb.stop()
    sb.close()
    with pytest.raises(SandboxError):
        Sandbox(port=70000, data_dir=tmp_path)
    with pytest.raises(SandboxError):
        await Sandbox(host="no-such-host.invalid", port=0, data_dir=tmp_path).start()


@pytest.mark.asyncio
async def test_stop_does_not_wait_for_slow_answers(sandbox: Sandbox) -> None:
    sandbox.set_faults(latency_ms=30_000)
    task = asyncio.create_task(post(sandbox, body()))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await sandbox.stop()
    assert time.monotonic() - started < 3
    with pytest.raises(httpx.HTTPError):
        await task


@pytest.fixture(scope="module")
def sync_client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, auth=AUTH, headers=JSON) as client:
        yield client


def test_sandbox_thread_serves_sync_code(sandbox_thread: Sandbox, sync_client: httpx.Client) -> None:
    response = sync_client.post(sandbox_thread.event_url, content=body())
    assert response.status_code == 200
    assert sandbox_thread.events()[0].id == response.json()["id"]


def test_answers_are_not_held_back_by_nagle(sandbox_thread: Sandbox, sync_client: httpx.Client) -> None:
    """Regression: without TCP_NODELAY on accepted sockets every answer waited for a delayed ACK."""
    sync_client.post(sandbox_thread.event_url, content=body())
    started = time.monotonic()
    for _ in range(20):
        sync_client.post(sandbox_thread.event_url, content=body())
    assert time.monotonic() - started < 0.6
    with socket.create_connection(("127.0.0.1", sandbox_thread.port)) as raw:
        raw.sendall(b"GET /_sandbox/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 200")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_body_gets_an_answer_never_a_crash(sandbox_thread: Sandbox, sync_client: httpx.Client, data: bytes) -> None:
    response = sync_client.post(sandbox_thread.event_url, content=data)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.text.strip()
    past = sync_client.post(sandbox_thread.past_events_url, content=data)
    assert past.status_code in (200, 400)


@pytest.mark.asyncio
async def test_past_events_get_the_documented_statuses(sandbox: Sandbox) -> None:
    now = datetime.now(UTC)
    sandbox.account = sandbox.account.changed({"segmentationOff": ["searchRequest"], "pastEventsMaxAgeDays": 30})
    search = {"eventTypeKey": "searchRequest", "keyValue": "a@b.co",
              "params": [{"name": "search", "value": "mug"}, {"name": "email", "value": "a@b.co"}]}
    cases = {
        (now - timedelta(days=2)).strftime("%Y-%m-%d"): "ACCEPTED",
        "2023-03-22T14:30": "OCCURRED_TIME_TOO_DEPTH",
        (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"): "OCCURRED_TIME_IN_FUTURE",
        "22.03.2023": "INCORRECT_OCCURRED_DATE_FORMAT",
        "2023-02-30": "INCORRECT_OCCURRED_DATE_FORMAT",
    }
    events = [{**VALID_EVENT, "occurred": when} for when in cases]
    events.append({**search, "occurred": (now - timedelta(days=1)).strftime("%Y-%m-%d")})
    response = await post(sandbox, body({"events": events}), path="/api/v2/past_events")
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == [*cases.values(), "EVENT_SEGMENTATION_DISABLED"]


@pytest.mark.asyncio
async def test_control_endpoints_read_a_capped_settings_object(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        for path in ("/_sandbox/settings", "/_sandbox/faults"):
            huge = b'{"validate": "' + b"a" * (128 * 1024) + b'"}'
            deep = b"[" * 100_000 + b"]" * 100_000
            for content in (huge, deep, b"\xff\xfe"):
                response = await client.put(f"{sandbox.base_url}{path}", content=content,
                                            headers={"Content-Type": "application/json"})
                assert response.status_code == 400, (path, content[:20])
    assert sandbox.account.validate is None and sandbox.faults.status is None
