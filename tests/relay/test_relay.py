"""The recording proxy (issue 16, deliverable 5) against a local upstream, over real HTTP on 127.0.0.1: what the
client gets is what the upstream said, what the upstream gets is what the client sent, and the history keeps
every exchange, judged and masked."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import secrets
from pathlib import Path

import httpx
import pytest

from tests.relay.conftest import ODD_BODY, SHORT, LocalUpstream, hammer
from tests.sandbox.helpers import MISSING_PAGE_EVENT, VALID_EVENT, body, free_port
from yespo_console.core.history import Exchange, HistoryFilter, HistoryStore
from yespo_console.core.http.masking import secret_forms
from yespo_console.core.http.outcome import Outcome
from yespo_console.relay import ProxiedExchange, Relay, upstream_for

JSON = {"Content-Type": "application/json; charset=UTF-8"}
NOT_RELAYED = {"connection", "keep-alive", "x-hop", "transfer-encoding"}


def _canary() -> str:
    return f"relay/{secrets.token_hex(10)}+{secrets.token_hex(3)}x"


def _basic(user: str, key: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{key}".encode()).decode()


def _proxied(history: HistoryStore) -> list[Exchange]:
    rows = history.query(HistoryFilter(kind="proxied"), limit=10_000)
    found = [history.get(row.id) for row in reversed(rows)]
    return [exchange for exchange in found if exchange is not None]


def _headers(response: httpx.Response) -> list[tuple[str, str]]:
    return [(name.decode().lower(), value.decode()) for name, value in response.headers.raw]


@pytest.mark.asyncio
async def test_the_client_gets_the_upstreams_answer_exactly(upstream: LocalUpstream, relay: Relay,
                                                            history: HistoryStore) -> None:
    """Status, body bytes and headers (less the hop-by-hop ones) as the upstream sent them, for 200/400/429/500;
    the upstream gets the client's headers and body untouched, less hop-by-hop ones and with its own Host."""
    key = _canary()
    request_headers = {**JSON, "Authorization": _basic("shop", key), "User-Agent": "WooCommerce/8.1",
                       "X-Shop": "odd  inner", "Connection": "keep-alive, X-Drop", "X-Drop": "1"}
    async with httpx.AsyncClient(trust_env=False) as client:
        for status in (200, 400, 429, 500):
            path = f"/api/v2/event?answer={status}"
            direct = await client.post(upstream.url + path, content=body(), headers=request_headers)
            proxied = await client.post(relay.base_url + path, content=body(), headers=request_headers)
            assert (proxied.status_code, proxied.content) == (direct.status_code, direct.content) == (status, ODD_BODY)
            expected = [header for header in _headers(direct) if header[0] not in NOT_RELAYED]
            assert _headers(proxied) == expected
            assert ("set-cookie", "b=2; Path=/") in expected and ("server", "odd-upstream/1.0") in expected
    sent = upstream.log.received
    assert len(sent) == 8
    for direct, through in zip(sent[::2], sent[1::2], strict=True):
        assert through.body == direct.body == body()
        theirs = {name.lower(): value for name, value in through.headers}
        assert theirs["authorization"] == _basic("shop", key)  # the integration's own credentials, untouched
        assert theirs["user-agent"] == "WooCommerce/8.1" and theirs["x-shop"] == "odd  inner"
        assert theirs["host"] == upstream.url.removeprefix("http://")
        assert "x-drop" not in theirs and "connection" not in theirs
    recorded = _proxied(history)
    assert [(e.status, e.outcome) for e in recorded] == [
        (200, Outcome.ACCEPTED), (400, Outcome.REJECTED), (429, Outcome.RATE_LIMITED), (500, Outcome.SERVER_ERROR)]
    for exchange in recorded:
        assert exchange.kind == "proxied" and exchange.environment == "custom"
        assert exchange.note.startswith("proxied for 127.0.0.1:")
        assert exchange.url.startswith(upstream.url + "/api/v2/event?answer=")
        assert exchange.request_body == body() and exchange.response_body == ODD_BODY
        assert exchange.event_type == "pageViewed" and exchange.key_value == "ann@example.com"
        assert ("authorization", "Basic ••••") in [(n.lower(), v) for n, v in exchange.request_headers]
    assert "Retry-After" in recorded[2].error or "7 s" in recorded[2].error


@pytest.mark.asyncio
async def test_a_cookie_one_client_is_answered_never_goes_up_with_anothers_request(upstream: LocalUpstream,
                                                                                 relay: Relay) -> None:
    for _ in range(2):  # a client of its own each time: only the proxy could carry the first one's cookies on
        async with httpx.AsyncClient(base_url=relay.base_url, trust_env=False) as client:
            answer = await client.post("/api/v2/event", content=body(), headers=JSON)
            assert answer.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2; Path=/"]
    assert [[v for n, v in sent.headers if n.lower() == "cookie"] for sent in upstream.log.received] == [[], []]


@pytest.mark.asyncio
async def test_a_head_request_gets_the_upstreams_length_and_no_body(upstream: LocalUpstream, relay: Relay) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        direct = await client.head(upstream.url + "/api/v2/event")
        proxied = await client.head(relay.base_url + "/api/v2/event")
    assert proxied.content == direct.content == b""
    assert proxied.headers["content-length"] == direct.headers["content-length"] == str(len(ODD_BODY))


@pytest.mark.asyncio
async def test_event_and_tracker_bodies_are_judged_and_others_recorded_unjudged(upstream: LocalUpstream, relay: Relay,
                                                                    history: HistoryStore) -> None:
    seen: list[ProxiedExchange] = []
    relay.add_listener(seen.append)
    async with httpx.AsyncClient(base_url=relay.base_url, trust_env=False) as client:
        await client.post("/api/v2/event", content=body(MISSING_PAGE_EVENT), headers=JSON)
        await client.post("/api/v1/event", content=body(VALID_EVENT), headers=JSON)  # v1: values must be strings
        await client.post("/api/v2", content=b'{"GeneralInfo":{"eventName":"StatusCart"}}', headers=JSON)
        await client.get("/api/v1/contacts?email=ann%40example.com")
    missing, v1, tracker, lookup = _proxied(history)
    assert any(d["code"] for d in missing.diagnostics) and missing.event_type == "pageViewed"
    assert v1.event_type == "pageViewed"  # judged by the v1 rules: its values are all strings, so no finding
    # A web tracking body is judged by the tracker's rules: this one lacks siteId, its StatusCart object, …
    assert tracker.event_type == "StatusCart" and any(d["code"].startswith("tracker.") for d in tracker.diagnostics)
    assert lookup.diagnostics == () and lookup.event_type is None
    assert lookup.method == "GET" and lookup.url.endswith("/api/v1/contacts?email=ann%40example.com")
    assert [s.errors is None for s in seen] == [False, False, False, True]
    assert seen[0].id == missing.id and "from 127.0.0.1:" in seen[0].line()


@pytest.mark.asyncio
async def test_credentials_are_masked_everywhere_but_on_the_wire(upstream: LocalUpstream, relay: Relay,
                                                                 history: HistoryStore, tmp_path: Path) -> None:
    """A canary key in Basic and Bearer, echoed back by the upstream: the client gets the echo as it came, and
    no form of the key reaches the data folder or what the proxy shows."""
    key = _canary()
    forms = secret_forms(key, "shop")
    shown: list[str] = []
    relay.add_listener(lambda exchange: shown.extend([exchange.line(), json.dumps(exchange.as_dict())]))
    async with httpx.AsyncClient(base_url=relay.base_url, trust_env=False) as client:
        for authorization in (_basic("shop", key), f"Bearer {key}"):
            answer = await client.post(f"/api/v2/event?echo=1&answer=401&apikey={key}", content=body(),
                                       headers={**JSON, "Authorization": authorization})
            assert answer.status_code == 401 and authorization in answer.text  # byte for byte to the client
            assert answer.headers["x-echo-authorization"] == authorization
    assert len(_proxied(history)) == 2
    history.close()
    leaks = [(path.name, form) for path in tmp_path.rglob("*") if path.is_file()
             for form in forms if form in path.read_bytes()]
    assert not leaks
    assert not [form for form in forms for text in shown if form.decode() in text]


@pytest.mark.asyncio
async def test_an_unreachable_upstream_is_a_502_and_recorded(history: HistoryStore) -> None:
    proxy = Relay(upstream_for(f"http://127.0.0.1:{free_port()}"), port=0, store=history, timeouts=SHORT)
    async with proxy, httpx.AsyncClient(base_url=proxy.base_url, trust_env=False) as client:
        answer = await client.post("/api/v2/event", content=body(), headers=JSON)
    assert answer.status_code == 502 and answer.headers["content-type"].startswith("text/plain")
    assert "did not answer" in answer.text and answer.headers["x-yespo-console-proxy"] == "answered-by-proxy"
    (exchange,) = _proxied(history)
    assert exchange.outcome is Outcome.CONNECTION_ERROR and exchange.status is None and exchange.error


@pytest.mark.asyncio
async def test_a_slow_upstream_is_a_504_after_the_timeout(upstream: LocalUpstream, relay: Relay,
                                                          history: HistoryStore) -> None:
    async with httpx.AsyncClient(base_url=relay.base_url, trust_env=False, timeout=10) as client:
        started = asyncio.get_running_loop().time()
        answer = await client.post("/api/v2/event?sleep=3", content=body(), headers=JSON)
        waited = asyncio.get_running_loop().time() - started
    assert answer.status_code == 504 and "did not answer" in answer.text
    assert waited < 3  # answered at the proxy's timeout, not when the upstream finally spoke
    (exchange,) = _proxied(history)
    assert exchange.outcome is Outcome.TIMEOUT


@pytest.mark.asyncio
async def test_web_pages_and_strange_hosts_are_refused_unrelayed(upstream: LocalUpstream, relay: Relay,
                                                                 history: HistoryStore) -> None:
    async with httpx.AsyncClient(base_url=relay.base_url, trust_env=False) as client:
        rebound = await client.post("/api/v2/event", content=body(),
                                    headers={**JSON, "Host": f"evil.example:{relay.port}"})
        page = await client.post("/api/v2/event", content=body(),
                                 headers={"Content-Type": "text/plain", "Origin": "https://evil.example"})
        cross = await client.post("/api/v2/event", content=body(), headers={**JSON, "Sec-Fetch-Site": "cross-site"})
    assert rebound.status_code == 421 and "recording proxy" in rebound.text
    assert page.status_code == cross.status_code == 403
    assert upstream.log.received == [] and _proxied(history) == []


@pytest.mark.asyncio
async def test_a_body_over_the_cap_is_refused_and_recorded(upstream: LocalUpstream, relay: Relay,
                                                           history: HistoryStore) -> None:
    async with httpx.AsyncClient(base_url=relay.base_url, trust_env=False) as client:
        answer = await client.post("/api/v2/event", content=b"x" * (1024 * 1024 + 10), headers=JSON)
    assert answer.status_code == 413 and upstream.log.received == []
    (exchange,) = _proxied(history)
    assert exchange.status == 413 and "Not relayed" in exchange.error and len(exchange.request_body) <= 4096


@pytest.mark.asyncio
async def test_a_compressed_answer_is_relayed_as_it_came_and_recorded_decoded(
        upstream: LocalUpstream, relay: Relay, history: HistoryStore) -> None:
    raw: list[bytes] = []
    async with httpx.AsyncClient(trust_env=False) as client:
        for base in (upstream.url, relay.base_url):
            async with client.stream("POST", base + "/api/v2/event?gzip=1", content=body(), headers=JSON) as answer:
                assert answer.headers["content-encoding"] == "gzip"
                raw.append(b"".join([chunk async for chunk in answer.aiter_raw()]))
    assert raw[0] == raw[1] and gzip.decompress(raw[1]) == b'{"compressed": true}'
    (exchange,) = _proxied(history)
    assert json.loads(exchange.response_body) == {"compressed": True} and "gzip-encoded" in exchange.error


@pytest.mark.asyncio
async def test_200_concurrent_clients_lose_no_exchange(upstream: LocalUpstream, history: HistoryStore) -> None:
    relay = Relay(upstream_for(upstream.url), port=0, store=history)  # the default timeouts: a busy machine
    async with relay:
        statuses = await hammer(relay.base_url, 200)
    assert statuses == [200] * 200
    recorded = _proxied(history)
    assert len(recorded) == len(upstream.log.received) == 200
    assert {e.key_value for e in recorded} == {f"c{n}-0@example.com" for n in range(200)}
    assert {e.outcome for e in recorded} == {Outcome.ACCEPTED}


@pytest.mark.asyncio
async def test_a_body_slower_than_the_deadline_is_a_408_recorded_unrelayed(upstream: LocalUpstream,
                                                                          history: HistoryStore) -> None:
    async with Relay(upstream_for(upstream.url), port=0, store=history, body_timeout_s=0.5) as relay:
        reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
        writer.write(b"POST /api/v2/event HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"eventTypeKey\":")
        await writer.drain()
        head = await asyncio.wait_for(reader.read(200), 10)  # the rest never comes
        writer.close()
    assert head.startswith(b"HTTP/1.1 408 ")
    assert upstream.log.received == []
    (exchange,) = _proxied(history)
    assert exchange.status == 408 and exchange.request_body == b'{"eventTypeKey":' and "0.5 s" in exchange.error
