"""The sandbox is not a door (issue 15): web pages, rebound host names, refused bodies, odd Unicode and odd
query parameters, each from its reproduction, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from tests.sandbox.helpers import VALID_EVENT, body
from yespo_console.sandbox import Sandbox
from yespo_console.sandbox.intake import EXCERPT_BYTES
from yespo_console.sandbox.logs import RepeatFilter
from yespo_console.sandbox.store import MAX_DIAGNOSTICS, MAX_STORED_BODY

AUTH = ("", "any-key")
JSON = {"Content-Type": "application/json; charset=UTF-8"}


def _client(sb: Sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=sb.base_url, trust_env=False)


def _many_params_body(count: int = 38_000) -> bytes:
    """The reproduction: 950 KB of one param name repeated, 38,000 findings when judged."""
    params = b",".join([b'{"name":"x","value":"1"}'] * count)
    return b'{"eventTypeKey":"pageViewed","keyValue":"a@b.c","params":[' + params + b"]}"


@pytest.mark.asyncio
async def test_a_web_page_cannot_post_text_plain(sandbox: Sandbox) -> None:
    """A page's no-cors fetch: POST text/plain with its Origin. Refused before reading; nothing stored."""
    async with _client(sandbox) as client:
        for origin in ("https://evil.example", "null", f"http://localhost:{sandbox.port + 1}", "http://127.0.0.1"):
            page = await client.post(
                "/api/v2/event", content=body(), auth=AUTH, headers={"Content-Type": "text/plain", "Origin": origin}
            )
            assert page.status_code == 403 and "web pages" in page.text
        cross = await client.post("/api/v2/event", content=body(), auth=AUTH,
                                  headers={**JSON, "Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403
        assert sandbox.events() == []
        # The sandbox's own origin (a page it served, or a typed address) and plain programs pass.
        own = await client.post("/api/v2/event", content=body(), auth=AUTH,
                                headers={**JSON, "Origin": sandbox.base_url, "Sec-Fetch-Site": "same-origin"})
        assert own.status_code == 200
        assert (await client.post("/api/v2/event", content=body(), auth=AUTH, headers=JSON)).status_code == 200
    assert len(sandbox.events()) == 2


@pytest.mark.asyncio
async def test_a_rebound_host_name_reads_and_changes_nothing(sandbox: Sandbox) -> None:
    """DNS rebinding: the page's own name now points at 127.0.0.1, so the browser sends Host: its name."""
    rebound = {"Host": f"rebind.evil.example:{sandbox.port}"}
    async with _client(sandbox) as client:
        await client.post("/api/v2/event", content=body(), auth=AUTH, headers=JSON)
        listed = await client.get("/_sandbox/events", headers=rebound)
        assert listed.status_code == 421 and "ann@example.com" not in listed.text
        assert (await client.delete("/_sandbox/events", headers=rebound)).status_code == 421
        assert (await client.put("/_sandbox/faults", json={"status": 500}, headers=rebound)).status_code == 421
        post = await client.post("/api/v2/event", content=body(), auth=AUTH, headers={**JSON, **rebound})
        assert post.status_code == 421
        for host in ("evil.example", "127.0.0.1.evil.example", f"127.0.0.1:{sandbox.port + 1}", "[::1", "a b"):
            assert (await client.get("/_sandbox/health", headers={"Host": host})).status_code == 421, host
        for host in ("127.0.0.1", f"localhost:{sandbox.port}", "LOCALHOST", f"[::1]:{sandbox.port}"):
            assert (await client.get("/_sandbox/health", headers={"Host": host})).status_code == 200, host
    assert sandbox.faults.status is None and len(sandbox.events()) == 1


@pytest.mark.asyncio
async def test_a_configured_host_name_is_accepted(tmp_path: Path) -> None:
    async with Sandbox(port=0, data_dir=tmp_path, allowed_hosts=["sandbox.test"]) as sb, _client(sb) as client:
        named = {"Host": f"sandbox.test:{sb.port}", "Origin": f"http://sandbox.test:{sb.port}"}
        assert (await client.get("/_sandbox/health", headers=named)).status_code == 200
        assert (await client.get("/_sandbox/health", headers={"Host": "other.test"})).status_code == 421


@pytest.mark.asyncio
async def test_control_endpoints_refuse_form_and_text_bodies(sandbox: Sandbox) -> None:
    async with _client(sandbox) as client:
        for media in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            sent = await client.put("/_sandbox/faults", content=b'{"status": 500}', headers={"Content-Type": media})
            assert sent.status_code == 415, media
        cleared = await client.request("DELETE", "/_sandbox/events", headers={"Content-Type": "text/plain"})
        assert cleared.status_code == 415
        assert sandbox.faults.status is None
        assert (await client.put("/_sandbox/faults", json={"status": 500})).status_code == 200


@pytest.mark.asyncio
async def test_a_refused_flood_keeps_only_an_excerpt(tmp_path: Path) -> None:
    """The reproduction: 950 KB, 38,000 same-name params, wrong key. Stored 8.2 MB with its diagnostics;
    now a 4 KiB excerpt, not judged, and the inbox still shows that it came."""
    flood = _many_params_body()
    async with Sandbox(port=0, data_dir=tmp_path, api_key="right-key") as sb, _client(sb) as client:
        refused = await client.post("/api/v2/event", content=flood, auth=("", "wrong"), headers=JSON)
        assert refused.status_code == 401
        text_plain = await client.post("/api/v2/event", content=flood, auth=("", "right-key"),
                                       headers={"Content-Type": "text/plain"})
        assert text_plain.status_code == 415
        small = await client.post("/api/v2/event", content=body(), auth=("", "wrong"), headers=JSON)
        assert small.status_code == 401
        events = sb.events()
        assert [e.status for e in events] == [401, 415, 401]
        for event in events[1:]:
            assert event.body == flood[:EXCERPT_BYTES] and event.valid is None and event.diagnostics == ()
            assert "Not judged" in event.notes[-1]
        assert events[0].body == body() and events[0].valid is True  # a small body is judged all the same
    stored = sum(p.stat().st_size for p in tmp_path.glob("sandbox.sqlite3*"))
    assert stored < 1024 * 1024


@pytest.mark.asyncio
async def test_an_accepted_flood_is_judged_but_its_record_is_capped(sandbox: Sandbox) -> None:
    flood = _many_params_body()
    async with _client(sandbox) as client:
        response = await client.post("/api/v2/event", content=flood, auth=AUTH, headers=JSON)
    assert response.status_code == 400  # judged whole: too large, and every param unknown
    [event] = sandbox.events()
    assert len(event.body) == MAX_STORED_BODY and event.body == flood[:MAX_STORED_BODY]
    assert any("950,059 bytes" in note for note in event.notes)
    assert len(event.diagnostics) == MAX_DIAGNOSTICS + 1
    more = event.diagnostics[-1]
    assert more["code"] == "sandbox.more_findings" and "37,801 more" in more["message"]
    assert len(event.response) < 70 * 1024


@pytest.mark.asyncio
async def test_a_lone_surrogate_is_judged_answered_and_recorded(sandbox: Sandbox) -> None:
    """`"keyValue":"\\ud800"` is valid JSON, and Yespo's Java parser (Jackson) accepts it into a Java String;
    the sandbox answered 500 and dropped it. Now: 200, the bytes kept as sent, every view readable."""
    event = dict(VALID_EVENT, keyValue="\ud800")
    sent = json.dumps(event).encode()  # ASCII: the surrogate is written "\ud800"
    assert b'"\\ud800"' in sent
    async with _client(sandbox) as client:
        answer = await client.post("/api/v2/event", content=sent, auth=AUTH, headers=JSON)
        assert answer.status_code == 200 and answer.json()["keyValue"] == "\ud800"
        batch = json.dumps({"events": [dict(event, occurred="2025-06-01T12:00:00Z", eventTypeKey="\udfff")]})
        past = await client.post("/api/v2/past_events", content=batch.encode(), auth=AUTH, headers=JSON)
        assert past.status_code == 200
        listed = await client.get("/_sandbox/events")
        assert listed.status_code == 200
    [batch_record, record] = sandbox.events()
    assert record.body == sent and record.key_value == "\\ud800" and record.valid is True
    assert listed.json()["events"][1]["body"] == sent.decode()
    assert batch_record.body == batch.encode() and batch_record.status == 200


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("since_id=-9999999999999999999", "since_id must be a whole number"),
        ("since_id=99999999999999999999", "since_id must be a whole number"),
        ("since_id=-1", "since_id"),
        ("since_id=1e3", "since_id"),
        ("limit=10001", "limit must be a whole number from 0 to 10,000"),
        ("limit=%EF%BC%91", "limit"),  # a full-width digit: isdigit() yes, a whole number no
        ("sinceId=3", 'Unknown query parameter "sinceId"'),
    ],
)
async def test_every_events_query_parameter_is_validated(sandbox: Sandbox, query: str, words: str) -> None:
    async with _client(sandbox) as client:
        response = await client.get(f"/_sandbox/events?{query}")
    assert response.status_code == 400 and words in response.text


@pytest.mark.asyncio
async def test_the_largest_ids_find_nothing_rather_than_fail(sandbox: Sandbox) -> None:
    async with _client(sandbox) as client:
        assert (await client.get("/_sandbox/events?since_id=9223372036854775807")).json()["events"] == []
        assert (await client.get("/_sandbox/events/99999999999999999999")).status_code == 404
        assert (await client.get("/_sandbox/events/" + "9" * 5000)).status_code == 404
        assert (await client.get("/_sandbox/events/abc")).status_code == 404


def test_repeated_log_records_are_written_once_with_a_count(caplog: pytest.LogCaptureFixture) -> None:
    repeats = RepeatFilter(window_s=3600)
    caplog.handler.addFilter(repeats)
    logger = logging.getLogger("yespo_console.sandbox.test")
    try:
        for index in range(500):
            logger.warning("refused a request from %s", f"127.0.0.1:{index}")
        repeats.window_s = 0
        logger.warning("refused a request from %s", "127.0.0.1:9")
        repeats.flush(logger)
    finally:
        caplog.handler.removeFilter(repeats)
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "refused a request from 127.0.0.1:0",
        "refused a request from 127.0.0.1:9 [and 499 more like this before]",
    ]


@pytest.mark.asyncio
async def test_an_embedded_sandbox_folds_a_flood_of_refusals(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Wherever its log goes (the window's log file has no filter of its own), a page hammering the sandbox
    writes one line per kind, and the count when the sandbox stops."""
    caplog.set_level(logging.WARNING)
    async with Sandbox(port=0, data_dir=tmp_path) as sb, _client(sb) as client:
        for _ in range(30):
            assert (await client.get("/_sandbox/events", headers={"Host": "evil.example"})).status_code == 421
        during = [r.getMessage() for r in caplog.records if "refused a Host header" in r.getMessage()]
    assert len(during) <= 1  # none when an earlier test's line of this kind is still within the window
    folded = [r.getMessage() for r in caplog.records if "more times]" in r.getMessage()]
    assert any(f"[repeated {30 - len(during)} more times]" in line for line in folded), folded
