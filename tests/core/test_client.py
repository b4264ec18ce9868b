"""The client core with httpx.MockTransport: exact bytes, headers, outcomes, retries, recording.
(tests/sandbox/test_client_live.py covers the same against real sockets.)"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest

from tests.reliability.helpers import integrity
from yespo_console.core.errors import InputError, StoreError
from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.client import CONTENT_TYPE, MAX_RESPONSE_BYTES, ClientPool, EventClient
from yespo_console.core.http.environments import BUILTIN_ENVIRONMENTS, AuthMode, Environment
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.explain import classify_error, explain_status
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.http.ratelimit import RateLimiter
from yespo_console.core.http.recording import RecordGroups
from yespo_console.core.http.secrets import Secret, SecretSource
from yespo_console.core.http.sending import RetryPolicy, Timeouts, parse_retry_after

KEY = "live-key-0123456789"
BODY = (
    b'{"eventTypeKey":"pageViewed","keyValue":"ann@example.com","params":'
    b'[{"name":"page","value":"{\\"location\\":\\"https://example.com\\"}"}]}'
)
YESPO = BUILTIN_ENVIRONMENTS[1]


class Recorder:
    """An ExchangeRecorder that keeps everything in memory and notes the order of events."""

    def __init__(self) -> None:
        self.requests: dict[int, ExchangeRequest] = {}
        self.results: dict[int, ExchangeResult] = {}
        self.log: list[str] = []

    def begin(self, request: ExchangeRequest) -> int:
        exchange_id = len(self.requests) + 1
        self.requests[exchange_id] = request
        self.log.append(f"begin {exchange_id}")
        return exchange_id

    def complete(self, exchange_id: int, result: ExchangeResult) -> None:
        self.results[exchange_id] = result
        self.log.append(f"complete {exchange_id}")


def client_for(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    env: Environment = YESPO,
    secret: str | None = KEY,
    recorder: Recorder | None = None,
    **kwargs: object,
) -> EventClient:
    return EventClient(
        env,
        secret=secret,
        recorder=recorder,
        transport=httpx.MockTransport(handler),
        rate_limit=None,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.asyncio
async def test_posts_the_exact_bytes_with_the_documented_headers() -> None:
    seen: list[httpx.Request] = []
    recorder = Recorder()

    def handler(request: httpx.Request) -> httpx.Response:
        assert recorder.log == ["begin 1"]  # pending is written before the request leaves
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    async with client_for(handler, recorder=recorder) as client:
        result = await client.send(BODY)
    request = seen[0]
    assert request.method == "POST" and str(request.url) == "https://yespo.io/api/v2/event"
    assert request.content == BODY
    assert request.headers["content-type"] == CONTENT_TYPE == "application/json; charset=UTF-8"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f":{KEY}".encode()).decode()
    assert result.ok and result.outcome is Outcome.ACCEPTED and result.status == 200
    assert json.loads(result.body_text) == {"ok": True}
    assert result.exchange_id == 1 and recorder.log == ["begin 1", "complete 1"]
    recorded = recorder.requests[1]
    assert recorded.body == BODY and recorded.environment == "yespo"
    assert recorded.event_type == "pageViewed" and recorded.key_value == "ann@example.com"
    assert ("Authorization", "Basic ••••") in recorded.headers
    assert KEY not in repr(recorder.requests) + repr(recorder.results)
    assert recorder.results[1].outcome is Outcome.ACCEPTED and recorder.results[1].duration_ms is not None


@pytest.mark.asyncio
async def test_bearer_and_user_name() -> None:
    headers: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        headers.append(request.headers.get("authorization", ""))
        return httpx.Response(202)

    bearer = YESPO.model_copy(update={"auth": AuthMode.BEARER})
    async with client_for(handler, env=bearer) as client:
        assert (await client.send(BODY)).ok
    user = YESPO.model_copy(update={"username": "user"})
    async with client_for(handler, env=user) as client:
        await client.send(BODY)
    async with client_for(handler, secret=None) as client:
        result = await client.send(BODY)
    assert headers == [f"Bearer {KEY}", "Basic " + base64.b64encode(f"user:{KEY}".encode()).decode(), ""]
    assert result.ok


@pytest.mark.asyncio
async def test_invalid_bodies_are_sent_as_they_are_with_their_diagnostics() -> None:
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(400, text="The event should have the following params: []")

    recorder = Recorder()
    broken = b'{"eventTypeKey": "pageViewed", "params": [}'
    async with client_for(handler, recorder=recorder) as client:
        result = await client.send(broken)
    assert sent == [broken]
    assert result.outcome is Outcome.REJECTED and result.report is not None and not result.report.valid
    assert recorder.requests[1].diagnostics and recorder.requests[1].diagnostics[0]["severity"] == "error"


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("status", "outcome", "words"),
    [
        (400, Outcome.REJECTED, "invalid"),
        (401, Outcome.REJECTED, "API key or token was not accepted"),
        (403, Outcome.REJECTED, "rights for events"),
        (404, Outcome.REJECTED, "/api/v2/event"),
        (413, Outcome.REJECTED, "20 KB"),
        (429, Outcome.RATE_LIMITED, "350 requests/s"),
        (500, Outcome.SERVER_ERROR, "server's side"),
        (503, Outcome.SERVER_ERROR, "server's side"),
    ],
)
async def test_every_status_has_a_plain_explanation(status: int, outcome: Outcome, words: str) -> None:
    recorder = Recorder()
    async with client_for(lambda r: httpx.Response(status, text="nope"), recorder=recorder) as client:
        result = await client.send(BODY)
    assert result.outcome is outcome and result.status == status
    assert words in result.explanation.text
    assert recorder.results[1].error.startswith(result.explanation.title)


def test_401_names_the_key_masked_and_the_bearer_hint() -> None:
    secret = Secret(KEY, SecretSource.KEYRING, "the OS keyring")
    text = explain_status(401, environment=YESPO, secret=secret).text
    assert "••••6789 from the OS keyring" in text and KEY not in text and "password" in text
    bearer = YESPO.model_copy(update={"auth": AuthMode.BEARER})
    assert "expired" in explain_status(401, environment=bearer, secret=secret).text
    assert "No key or token was sent" in explain_status(401, environment=YESPO).text


def test_retry_after_parsing() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    for bad in (None, "", "soon", "-5", "1.5e3"):
        assert parse_retry_after(bad) is None
    assert "retry after 7 s" in explain_status(429, (("Retry-After", "7"),)).title


@pytest.mark.asyncio
async def test_429_is_retried_after_retry_after_only_when_asked() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(200)]
    recorder = Recorder()
    async with client_for(lambda r: answers.pop(0), recorder=recorder, retry=RetryPolicy(attempts=3)) as client:
        result = await client.send(BODY)
    assert result.ok and result.attempts == 2 and result.earlier[0].outcome is Outcome.RATE_LIMITED
    assert [r.outcome for r in recorder.results.values()] == [Outcome.RATE_LIMITED, Outcome.ACCEPTED]
    assert "attempt 1 of 3" in recorder.requests[1].note

    async with client_for(lambda r: httpx.Response(429, headers={"Retry-After": "0"})) as client:
        once = await client.send(BODY)  # default policy: no retry
    assert once.outcome is Outcome.RATE_LIMITED and once.attempts == 1 and once.retry_after == 0.0


@pytest.mark.asyncio
async def test_a_long_retry_after_ends_the_retries() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, headers={"Retry-After": "3600"})

    started = time.monotonic()
    async with client_for(handler, retry=RetryPolicy(attempts=5, max_retry_after=60)) as client:
        result = await client.send(BODY)
    assert calls == 1 and result.outcome is Outcome.RATE_LIMITED and time.monotonic() - started < 1


@pytest.mark.asyncio
async def test_5xx_backs_off_and_gives_up_after_the_attempts() -> None:
    stamps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        return httpx.Response(503)

    policy = RetryPolicy(attempts=3, backoff_initial=0.05, backoff_max=1)
    async with client_for(handler, retry=policy) as client:
        result = await client.send(BODY)
    assert result.outcome is Outcome.SERVER_ERROR and result.attempts == 3 and len(stamps) == 3
    assert stamps[1] - stamps[0] >= 0.05 * 0.75 - 0.005
    assert stamps[2] - stamps[1] >= 0.1 * 0.75 - 0.005  # doubled
    assert policy.backoff(10) <= 1 * 1.25


@pytest.mark.asyncio
async def test_4xx_is_never_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(400)

    async with client_for(handler, retry=RetryPolicy(attempts=4)) as client:
        await client.send(BODY)
    assert calls == 1


@pytest.mark.asyncio
async def test_cancellation_is_recorded_and_propagates() -> None:
    entered = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        entered.set()
        await asyncio.sleep(30)
        return httpx.Response(200)

    recorder = Recorder()
    async with EventClient(YESPO, secret=KEY, recorder=recorder, transport=httpx.MockTransport(hang)) as client:
        task = asyncio.create_task(client.send(BODY))
        await asyncio.wait_for(entered.wait(), 5)
        assert client.in_flight == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client.in_flight == 0
    assert recorder.results[1].outcome is Outcome.CANCELLED
    assert "may already have reached" in recorder.results[1].error


@pytest.mark.asyncio
async def test_the_total_timeout_bounds_a_slow_answer() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    timeouts = Timeouts(connect=1, read=5, write=5, pool=1, total=0.2)
    async with EventClient(YESPO, secret=KEY, transport=httpx.MockTransport(slow), timeouts=timeouts) as client:
        started = time.monotonic()
        result = await client.send(BODY)
    assert result.outcome is Outcome.TIMEOUT and time.monotonic() - started < 2
    assert "within 0.2 s" in result.explanation.title


@pytest.mark.asyncio
async def test_a_failing_history_store_never_stops_the_send() -> None:
    class Broken(Recorder):
        def begin(self, request: ExchangeRequest) -> int:
            raise StoreError("the disk is full")

    async with client_for(lambda r: httpx.Response(200), recorder=Broken()) as client:
        result = await client.send(BODY)
    assert result.ok and result.exchange_id is None and "disk is full" in result.history_error

    class BrokenComplete(Recorder):
        def complete(self, exchange_id: int, result: ExchangeResult) -> None:
            raise StoreError("locked")

    async with client_for(lambda r: httpx.Response(200), recorder=BrokenComplete()) as client:
        result = await client.send(BODY)
    assert result.ok and "locked" in result.history_error


@pytest.mark.asyncio
async def test_huge_answers_are_truncated() -> None:
    big = b"x" * (MAX_RESPONSE_BYTES + 10)
    async with client_for(lambda r: httpx.Response(200, content=big)) as client:
        result = await client.send(BODY)
    assert len(result.result.body) < len(big) + 100 and result.result.body.endswith(b"truncated by Yespo Console]")


@pytest.mark.asyncio
async def test_transport_errors_become_outcomes() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("All connection attempts failed") from ConnectionRefusedError(111, "refused")

    async with client_for(refuse) as client:
        result = await client.send(BODY)
    assert result.outcome is Outcome.CONNECTION_ERROR and "refused" in result.explanation.title
    assert result.status is None


def _raise_from(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except BaseException as caught:
        return caught


@pytest.mark.parametrize(
    ("exc", "outcome", "words"),
    [
        (
            _raise_from(httpx.ConnectError("x"), socket.gaierror(-2, "Name or service not known")),
            Outcome.CONNECTION_ERROR,
            "DNS lookup failed",
        ),
        (
            _raise_from(
                httpx.ConnectError("All connection attempts failed"),
                ExceptionGroup("many", [ConnectionRefusedError(111, "Connection refused")]),
            ),
            Outcome.CONNECTION_ERROR,
            "refused",
        ),
        (
            _raise_from(httpx.ConnectError("x"), ssl.SSLCertVerificationError("certificate verify failed")),
            Outcome.TLS_ERROR,
            "not trusted",
        ),
        (httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number"), Outcome.TLS_ERROR, "http://"),
        (httpx.ConnectTimeout("x"), Outcome.TIMEOUT, "connect"),
        (httpx.ReadTimeout("x"), Outcome.TIMEOUT, "did not answer"),
        (httpx.WriteTimeout("x"), Outcome.TIMEOUT, "send the request"),
        (httpx.PoolTimeout("x"), Outcome.TIMEOUT, "free connection"),
        (TimeoutError(), Outcome.TIMEOUT, "No complete answer"),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            Outcome.CONNECTION_ERROR,
            "without answering",
        ),
        (
            httpx.RemoteProtocolError("illegal status line: bytearray(b'garbage')"),
            Outcome.CONNECTION_ERROR,
            "not valid HTTP",
        ),
        (httpx.ReadError("reset"), Outcome.CONNECTION_ERROR, "cut"),
        (RuntimeError("odd"), Outcome.CONNECTION_ERROR, "RuntimeError"),
    ],
)
def test_classify_error(exc: BaseException, outcome: Outcome, words: str) -> None:
    got, explanation = classify_error(exc, url="https://yespo.io/api/v2/event", timeouts=Timeouts())
    assert got is outcome
    assert words in explanation.text


def test_refused_sandbox_suggests_starting_it() -> None:
    exc = _raise_from(httpx.ConnectError("x"), ConnectionRefusedError(111, "Connection refused"))
    _, explanation = classify_error(
        exc, url="http://127.0.0.1:8750/api/v2/event", timeouts=Timeouts(), environment=BUILTIN_ENVIRONMENTS[0]
    )
    assert "yespo-console sandbox" in explanation.detail and "127.0.0.1:8750" in explanation.title


def test_rate_limiter_spaces_requests_with_a_burst() -> None:
    now = [0.0]
    limiter = RateLimiter(10, burst=3, clock=lambda: now[0])
    waits = [limiter.reserve() for _ in range(6)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.1, 0.2, 0.3])
    now[0] = 10.0  # idle for a while: the burst is available again, not more
    assert [limiter.reserve() for _ in range(4)] == pytest.approx([0, 0, 0, 0.1])
    with pytest.raises(ValueError):
        RateLimiter(0)


@pytest.mark.asyncio
async def test_client_side_limit_holds_the_rate() -> None:
    env = YESPO.model_copy(update={"rate_limit": 100.0})
    client = EventClient(env, secret=KEY, transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    assert client.limiter is not None and client.limiter.rate == 100.0
    started = time.monotonic()
    async with client:
        results = await asyncio.gather(*(client.send(BODY) for _ in range(40)))
    elapsed = time.monotonic() - started
    assert all(r.ok for r in results)
    assert elapsed >= (40 - client.limiter.burst) / 100.0 * 0.9
    default = EventClient(YESPO, secret=KEY)
    assert default.limiter is not None and default.limiter.rate == 350.0
    await default.aclose()


@pytest.mark.asyncio
async def test_pool_keeps_one_client_per_environment() -> None:
    pool = ClientPool(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    secret = Secret(KEY, SecretSource.KEYRING, "the OS keyring")
    first = pool.client(YESPO, secret)
    assert pool.client(YESPO, secret) is first
    other = pool.client(BUILTIN_ENVIRONMENTS[2], secret)
    assert other is not first
    assert (await first.send(BODY)).ok
    http_client = first.http
    assert first.http is http_client  # one long-lived httpx client
    changed = pool.client(YESPO, Secret("another-key-000000", SecretSource.KEYRING, "the OS keyring"))
    assert changed is not first and not first.closed  # replaced, not closed: it may still be sending
    edited = pool.client(YESPO.model_copy(update={"username": "u"}), secret)
    assert edited is not changed
    await pool.aclose()
    assert first.closed and changed.closed and other.closed and edited.closed
    with pytest.raises(RuntimeError):
        _ = edited.http


def test_prepare_shows_what_would_be_sent_masked() -> None:
    client = EventClient(YESPO, secret=KEY)
    request = client.prepare(BODY, note="dry run")
    assert request.url == YESPO.url and request.body == BODY and request.note == "dry run"
    assert dict(request.headers)["Authorization"] == "Basic ••••"
    assert request.event_type == "pageViewed"


@pytest.mark.asyncio
async def test_the_key_is_sent_but_recorded_nowhere_unmasked() -> None:
    """A body, a URL and a key value holding the key: sent exactly, recorded and explained masked."""
    env = Environment(name="gateway", url=f"https://shop:{KEY}@gw.example.com/api/v2/event?token={KEY}")
    body = BODY.replace(b"ann@example.com", KEY.encode())
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": f"https://gw.example.com/?k={KEY}", "X-Debug-Key": KEY},
                              content=f'{{"echo": "{KEY}"}}'.encode())

    recorder = Recorder()
    async with client_for(handler, env=env, recorder=recorder) as client:
        result = await client.send(body)
    assert seen[0].content == body and KEY in str(seen[0].url)  # what leaves is exact
    recorded = repr(recorder.requests) + repr(recorder.results) + repr(result.explanation)
    assert KEY not in recorded and base64.b64encode(f":{KEY}".encode()).decode() not in recorded
    assert recorder.requests[1].key_value == "••••" and recorder.requests[1].body == body.replace(KEY.encode(),
                                                                                                   "••••".encode())
    assert recorder.requests[1].url == "https://shop:••••@gw.example.com/api/v2/event?token=••••"
    assert dict(result.result.headers)["x-debug-key"] == "••••" and "Redirected (302)" in result.explanation.title


@pytest.mark.parametrize(("auth", "secret"), [("basic", "two\nlines"), ("bearer", "tab\tinside"), ("bearer", "ключ")])
def test_a_secret_that_cannot_go_in_a_header_is_refused_up_front(auth: str, secret: str) -> None:
    env = YESPO.model_copy(update={"auth": auth})  # a plain string, as an unvalidated copy carries it
    with pytest.raises(InputError, match=r"cannot be used|non-ASCII"):
        EventClient(env, secret=secret)


@pytest.mark.asyncio
async def test_auth_mode_given_as_plain_text_still_selects_bearer() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])
        return httpx.Response(200)

    async with client_for(handler, env=YESPO.model_copy(update={"auth": "bearer"})) as client:
        await client.send(BODY)
    assert seen == [f"Bearer {KEY}"]


# -- history writes shared by concurrent sends -------------------------------------------------------


class GroupRecorder(Recorder):
    """A Recorder that also takes groups (`write_many`), as the history store does; notes each group."""

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[tuple[int, int]] = []  # (begins, completes) per write_many
        self.single_calls = 0

    def begin(self, request: ExchangeRequest) -> int:
        self.single_calls += 1
        return super().begin(request)

    def complete(self, exchange_id: int, result: ExchangeResult) -> None:
        self.single_calls += 1
        super().complete(exchange_id, result)

    def write_many(
        self, *, begin: Sequence[ExchangeRequest] = (), complete: Iterable[tuple[int, ExchangeResult]] = ()
    ) -> list[int]:
        complete = list(complete)
        self.groups.append((len(begin), len(complete)))
        for exchange_id, result in complete:
            super().complete(exchange_id, result)
        return [super(GroupRecorder, self).begin(request) for request in begin]


def keyed_body(n: int) -> bytes:
    return json.dumps({"eventTypeKey": "pageViewed", "keyValue": f"k{n}@example.com", "params": []}).encode()


@pytest.fixture
def busy_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every turn of the loop counts as busy, and groups may wait long: only 'every send in flight is
    in the group' ends one, which makes the grouping deterministic enough to test."""
    monkeypatch.setattr(RecordGroups, "idle_turn_s", 0.0)
    monkeypatch.setattr(RecordGroups, "max_wait_s", 5.0)


@pytest.mark.asyncio
@pytest.mark.usefixtures("busy_loop")
async def test_concurrent_sends_share_history_writes_and_keep_their_guarantees() -> None:
    recorder = GroupRecorder()
    pending_when_sent: list[bool] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        mine = [i for i, r in recorder.requests.items() if r.body == request.content]
        pending_when_sent.append(len(mine) == 1 and mine[0] not in recorder.results)  # committed, not completed
        await asyncio.sleep(0)
        return httpx.Response(200, text=f"answer to {json.loads(request.content)['keyValue']}")

    async def send_and_check(client: EventClient, n: int) -> None:
        result = await client.send(keyed_body(n))
        assert result.ok and not result.history_error
        assert result.exchange_id is not None
        # When send() returns, its result is recorded, answer included.
        assert recorder.results[result.exchange_id].body == f"answer to k{n}@example.com".encode()

    async with client_for(handler, recorder=recorder) as client:
        await asyncio.gather(*(send_and_check(client, n) for n in range(30)))
    assert pending_when_sent == [True] * 30
    assert len(recorder.requests) == len(recorder.results) == 30 and recorder.single_calls == 0
    assert sum(b for b, _ in recorder.groups) == sum(c for _, c in recorder.groups) == 30
    assert len(recorder.groups) < 60 and max(b + c for b, c in recorder.groups) > 1  # shared transactions


async def _turns_taken_by_one_send(recorder: Recorder) -> int:
    turns = 0

    def tick() -> None:
        nonlocal turns
        turns += 1
        handle[0] = asyncio.get_running_loop().call_soon(tick)

    async with client_for(lambda r: httpx.Response(200), recorder=recorder) as client:
        handle = [asyncio.get_running_loop().call_soon(tick)]
        result = await client.send(BODY)
        handle[0].cancel()
    assert result.ok and result.exchange_id == 1 and recorder.results[1].status == 200
    return turns


@pytest.mark.asyncio
async def test_a_lone_send_is_written_on_the_spot() -> None:
    recorder = GroupRecorder()
    turns = await _turns_taken_by_one_send(recorder)
    assert recorder.groups == [(1, 0), (0, 1)] and recorder.single_calls == 0
    plain = Recorder()  # no write_many: one begin and one complete, nothing grouped
    plain_turns = await _turns_taken_by_one_send(plain)
    assert plain.log == ["begin 1", "complete 1"]
    assert turns == plain_turns  # not one turn of the loop more than writing each on its own


@pytest.mark.asyncio
async def test_a_recorder_without_write_many_gets_one_begin_and_one_complete_per_send() -> None:
    recorder = Recorder()
    async with client_for(lambda r: httpx.Response(200), recorder=recorder) as client:
        await asyncio.gather(*(client.send(BODY) for _ in range(5)))
    assert sorted(recorder.log) == sorted([f"begin {n}" for n in range(1, 6)] + [f"complete {n}" for n in range(1, 6)])


@pytest.mark.asyncio
@pytest.mark.usefixtures("busy_loop")
async def test_cancelled_while_its_row_waits_the_request_never_leaves_and_leaves_no_row() -> None:
    recorder = GroupRecorder()
    arrived: list[bytes] = []
    hold = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        arrived.append(request.content)
        await hold.wait()
        return httpx.Response(200)

    async with client_for(handler, recorder=recorder) as client:
        first = asyncio.create_task(client.send(keyed_body(1)))
        while not arrived:
            await asyncio.sleep(0.001)
        second = asyncio.create_task(client.send(keyed_body(2)))
        groups = client._recording._groups
        assert groups is not None
        while not groups._begins:  # its row waits for company in a group
            assert not second.done()
            await asyncio.sleep(0)
        assert len(recorder.requests) == 1
        second.cancel()
        with pytest.raises(asyncio.CancelledError):
            await second
        hold.set()
        assert (await first).ok
    assert arrived == [keyed_body(1)]
    assert [r.body for r in recorder.requests.values()] == [keyed_body(1)]  # no row for the cancelled one


@pytest.mark.asyncio
@pytest.mark.usefixtures("busy_loop")
async def test_cancelled_while_its_result_waits_the_answer_is_still_recorded() -> None:
    recorder = GroupRecorder()
    hold = asyncio.Event()
    arrived: list[bytes] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        arrived.append(request.content)
        if request.content == keyed_body(1):
            await hold.wait()
        return httpx.Response(200, text="got it")

    async with client_for(handler, recorder=recorder) as client:
        slow = asyncio.create_task(client.send(keyed_body(1)))
        while not arrived:
            await asyncio.sleep(0.001)
        quick = asyncio.create_task(client.send(keyed_body(2)))
        groups = client._recording._groups
        assert groups is not None
        while not groups._completes:  # its answer is in; its result waits
            assert not quick.done()
            await asyncio.sleep(0)
        quick_id = next(i for i, r in recorder.requests.items() if r.body == keyed_body(2))
        assert quick_id not in recorder.results
        quick.cancel()
        with pytest.raises(asyncio.CancelledError):
            await quick
        hold.set()
        assert (await slow).ok
    assert recorder.results[quick_id].outcome is Outcome.ACCEPTED and recorder.results[quick_id].body == b"got it"


@pytest.mark.asyncio
async def test_a_failing_group_write_never_stops_the_send() -> None:
    class Broken(GroupRecorder):
        def write_many(
            self, *, begin: Sequence[ExchangeRequest] = (), complete: Iterable[tuple[int, ExchangeResult]] = ()
        ) -> list[int]:
            raise StoreError("the disk is full")

    async with client_for(lambda r: httpx.Response(200), recorder=Broken()) as client:
        results = await asyncio.gather(*(client.send(BODY) for _ in range(3)))
    assert all(r.ok and r.exchange_id is None and "disk is full" in r.history_error for r in results)


class CountingStore(HistoryStore):
    """The history store, counting its writes: each `begin` and each `write_many` is one transaction."""

    writes = 0

    def begin(self, request: ExchangeRequest) -> int:
        self.writes += 1
        return super().begin(request)

    def write_many(
        self, *, begin: Sequence[ExchangeRequest] = (), complete: Iterable[tuple[int, ExchangeResult]] = ()
    ) -> list[int]:
        self.writes += 1
        return super().write_many(begin=begin, complete=complete)


@pytest.mark.asyncio
@pytest.mark.usefixtures("busy_loop")
async def test_grouped_sends_against_the_real_history_store(tmp_path: Path) -> None:
    store = CountingStore(tmp_path / "history.sqlite3")
    pending_when_sent: list[bool] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        key = json.loads(request.content)["keyValue"]
        pending = [store.get(s.id) for s in store.query(HistoryFilter(outcome=Outcome.PENDING), limit=1000)]
        pending_when_sent.append([e.request_body for e in pending if e is not None].count(request.content) == 1)
        await asyncio.sleep(0)
        return httpx.Response(200, json={"status": "accepted", "echo": f"reply-{key}"})

    async def send_and_check(client: EventClient, n: int) -> None:
        result = await client.send(keyed_body(n))
        assert result.exchange_id is not None
        row = store.get(result.exchange_id)  # complete, answer and all, when send() returns
        assert row is not None and row.outcome is Outcome.ACCEPTED and b"reply-k" in row.response_body

    try:
        async with EventClient(
            YESPO, secret=KEY, recorder=store, transport=httpx.MockTransport(handler), rate_limit=None
        ) as client:
            await asyncio.gather(*(send_and_check(client, n) for n in range(40)))
        assert pending_when_sent == [True] * 40
        assert store.count() == 40 and store.count(HistoryFilter(outcome=Outcome.PENDING)) == 0
        for n in (0, 17, 39):  # searchable by request, by answer and by key
            assert store.count(HistoryFilter(search=f"k{n}@example.com")) == 1
            assert store.count(HistoryFilter(search=f'"reply-k{n}@example.com"')) == 1
        assert store.writes < 80  # fewer write transactions than one per begin and one per complete
        integrity(store.path)  # the file and its search index
    finally:
        store.close()
