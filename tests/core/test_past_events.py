"""Past events: the URL rule, reading NDJSON/arrays with lines, batches of at most 500 against the
real sandbox with per-event results, and the answers that give no per-event detail."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sandbox.conftest import sandbox  # noqa: F401  (the fixture)
from tests.sandbox.helpers import free_port
from yespo_console.core.errors import InputError
from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.client import EventClient
from yespo_console.core.http.environments import Environment, builtin
from yespo_console.core.scenarios.past_events import (
    MAX_BATCH,
    RESULT_STATUSES,
    PastEvent,
    PastEventsSender,
    batches,
    parse_events,
    past_events_environment,
    past_events_url,
)
from yespo_console.sandbox import Sandbox

KEY = "past-events-key-123"
WHEN = "2025-06-01T12:00:00Z"


def event(i: int, **changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "eventTypeKey": "pageViewed", "keyValue": f"u{i}@example.com", "occurred": WHEN,
        "params": [{"name": "email", "value": f"u{i}@example.com"},
                   {"name": "page", "value": '{"location":"https://example.com/p"}'}],
    }
    item.update(changes)
    return {k: v for k, v in item.items() if v is not None}


def events(n: int) -> list[PastEvent]:
    return [PastEvent(i, i + 1, event(i)) for i in range(n)]


def sender(url: str, history: HistoryStore | None = None,
           transport: httpx.AsyncBaseTransport | None = None) -> EventClient:
    """A client aimed at the past_events URL of the event URL `url`."""
    env = past_events_environment(Environment.custom(url))
    return EventClient(env, secret=KEY, recorder=history, rate_limit=None, inspect=False, transport=transport)


def test_the_url_rule() -> None:
    assert past_events_url("https://yespo.io/api/v2/event") == "https://yespo.io/api/v2/past_events"
    assert past_events_url("http://127.0.0.1:9/api/v2/event/") == "http://127.0.0.1:9/api/v2/past_events"
    assert past_events_url("https://h/x/api/v1/event?k=1") == "https://h/x/api/v1/past_events?k=1"
    with pytest.raises(InputError, match="with /event replaced by /past_events"):
        past_events_url("https://yespo.io/api/v2/events")
    env = past_events_environment(builtin("yespo"))
    assert env.url == "https://yespo.io/api/v2/past_events" and env.rate_limit == 100 and env.production


def test_reading_ndjson_arrays_and_wrapped_lists_with_lines() -> None:
    ndjson = "\n".join(json.dumps(event(i)) for i in range(3)) + "\n\n"
    parsed = parse_events(ndjson.encode(), "e.ndjson")
    assert [(e.index, e.line, e.key_value) for e in parsed] == [(0, 1, "u0@example.com"), (1, 2, "u1@example.com"),
                                                               (2, 3, "u2@example.com")]
    array = "[\n  " + ",\n  ".join(json.dumps(event(i)) for i in range(3)) + "\n]"
    assert [e.line for e in parse_events(array)] == [2, 3, 4]
    wrapped = '{"events": [\n' + ",\n".join(json.dumps(event(i)) for i in range(2)) + "\n]}"
    assert [e.line for e in parse_events(wrapped)] == [2, 3]
    assert parse_events(json.dumps(event(0)))[0].event_type == "pageViewed"  # one object: NDJSON of one line


@pytest.mark.parametrize(("text", "message"), [
    ("", "e.json: no events (the file is empty)"),
    ("[]", "e.json: no events"),
    ('{"eventTypeKey": "a", "keyValue": "k"}\n', "e.json:1: no `occurred`"),
    (f'{json.dumps(event(0))}\n{{"bad json\n', "e.json:2: not valid JSON"),
    (f'[\n{json.dumps(event(0))},\n  42\n]', "e.json:3: an event is a JSON object, not int"),
    (f'[\n{json.dumps(event(0))}\n{json.dumps(event(1))}]', "e.json:3: expected ',' or ']'"),
    ('{"events": 3}', 'e.json: "events" must be a list'),
    (f'[{json.dumps(event(0))}]\n\n]', "e.json:3: unexpected text after the list"),
    (f'{json.dumps(event(0))}\n{{"occurred": "2023-03-22", "keyValue": "a\\ud800"}}\n',
     "e.json:2: holds a lone surrogate"),
])
def test_bad_files_say_where(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_events(text.encode(), "e.json")
    assert str(caught.value).startswith(message)


def test_many_problems_are_listed_up_to_twenty() -> None:
    text = "\n".join(json.dumps({"eventTypeKey": "a"}) for _ in range(30))
    with pytest.raises(InputError) as caught:
        parse_events(text)
    lines = str(caught.value).splitlines()
    assert len(lines) == 21 and lines[-1] == "… and 10 more"


def test_batches_hold_at_most_500() -> None:
    assert [len(b) for b in batches(events(1201))] == [500, 500, 201]
    assert [len(b) for b in batches(events(5), 2)] == [2, 2, 1]
    with pytest.raises(InputError):
        batches(events(3), MAX_BATCH + 1)


@pytest.mark.asyncio
async def test_1201_events_go_in_three_requests_with_per_event_results(
        sandbox: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    items = events(1201)
    items[700] = PastEvent(700, 701, event(700, keyValue=None))
    items[1200] = PastEvent(1200, 1201, event(1200, occurred="yesterday"))
    with HistoryStore(tmp_path / "h.sqlite3") as history:
        http = sender(sandbox.event_url, history)
        async with http:
            seen = []
            report = await PastEventsSender(http, on_batch=lambda b, r: seen.append((b.number, len(r)))).send(items)
        assert history.count(HistoryFilter(run_id=report.run_id)) == 3
        assert history.count(HistoryFilter(outcome="pending")) == 0  # type: ignore[arg-type]
    received = sorted(sandbox.events(limit=10), key=lambda e: e.id)
    assert [e.endpoint for e in received] == ["v2/past_events"] * 3
    assert [len(json.loads(e.body)["events"]) for e in received] == [500, 500, 201]
    assert seen == [(1, 500), (2, 500), (3, 201)]
    assert [(b.count, b.status, b.per_event, b.success_count, b.error_count) for b in report.batches] == [
        (500, 200, True, 500, 0), (500, 200, True, 499, 1), (201, 200, True, 200, 1)]
    assert report.count("ok") == 1199 and report.count("error") == 2 and report.exit_code() == 1
    bad = [r for r in report.results if r.status == "error"]
    assert [(r.index, r.line, r.batch) for r in bad] == [(700, 701, 2), (1200, 1201, 3)]
    assert "keyValue is required" in bad[0].detail and "INCORRECT_OCCURRED_DATE_FORMAT" in bad[1].detail
    assert [r.index for r in report.results] == list(range(1201))


def _answer(status: int, payload: object | None) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        text = "" if payload is None else payload if isinstance(payload, str) else json.dumps(payload)
        return httpx.Response(status, text=text)

    return httpx.MockTransport(handle)


@pytest.mark.asyncio
@pytest.mark.parametrize("payload", [None, {}, {"successCount": 2}, "accepted"])
async def test_a_reply_without_per_event_results_says_so(payload: object) -> None:
    http = sender("https://example.test/api/v2/event", transport=_answer(200, payload))
    async with http:
        report = await PastEventsSender(http).send(events(2))
    assert [r.status for r in report.results] == ["unknown", "unknown"]
    assert all("no per-event result" in r.detail for r in report.results)
    assert not report.batches[0].per_event and report.exit_code() == 0
    if payload == {"successCount": 2}:
        assert "it counted 2 OK" in report.results[0].detail


@pytest.mark.asyncio
async def test_partial_results_and_other_spellings() -> None:
    payload = {"results": [{"status": "success"}, {"index": 1, "success": False, "message": "bad key"}, "junk"]}
    http = sender("https://example.test/api/v2/event", transport=_answer(200, payload))
    async with http:
        report = await PastEventsSender(http).send(events(3))
    assert [(r.status, r.errors) for r in report.results] == [("ok", ()), ("error", ("bad key",)),
                                                                ("unknown", ())]
    assert "has no result for this event" in report.results[2].detail


def test_occurred_outside_the_documented_forms_gets_a_warning() -> None:
    for good in ("2023-03-22", "2023-03-22T14:30"):
        assert PastEvent(0, 1, event(0, occurred=good)).occurred_warning() is None
    for bad in (WHEN, "2023-03-22T14:30:05", "22.03.2023", 1679495400000):
        warning = PastEvent(0, 3, event(0, occurred=bad)).occurred_warning()
        assert warning is not None and warning.startswith("line 3: occurred") and "YYYY-MM-DDTHH:mm" in warning


@pytest.mark.asyncio
async def test_the_documented_result_statuses_are_explained() -> None:
    statuses = [code for code in RESULT_STATUSES if code != "ACCEPTED"]
    payload = {"results": [{"status": "ACCEPTED"}, *({"status": code} for code in statuses)]}
    http = sender("https://example.test/api/v2/event", transport=_answer(200, payload))
    async with http:
        report = await PastEventsSender(http).send(events(1 + len(statuses)))
    assert [r.status for r in report.results] == ["ok"] + ["error"] * len(statuses)
    assert report.results[0].detail == "stored" and report.exit_code() == 1
    for result, code in zip(report.results[1:], statuses, strict=True):
        assert result.errors == (f"{code}: {RESULT_STATUSES[code]}",)
    assert "in the future" in report.results[1 + statuses.index("OCCURRED_TIME_IN_FUTURE")].detail


@pytest.mark.asyncio
async def test_a_refused_batch_fails_all_its_events() -> None:
    http = sender("https://example.test/api/v2/event", transport=_answer(400, "At most 500 events"))
    async with http:
        report = await PastEventsSender(http).send(events(2))
    assert [r.status for r in report.results] == ["error", "error"]
    assert report.results[0].errors == ("At most 500 events",) and report.exit_code() == 1
    assert "the whole batch was refused" in report.results[0].detail


@pytest.mark.asyncio
async def test_no_answer_is_unknown_and_exit_3() -> None:
    http = sender(f"http://127.0.0.1:{free_port()}/api/v2/event")
    async with http:
        report = await PastEventsSender(http, batch_size=1).send(events(2))
    assert [r.status for r in report.results] == ["unknown", "unknown"] and report.exit_code() == 3
    assert "Whether Yespo stored it is unknown" in report.results[0].detail


@pytest.mark.asyncio
async def test_at_most_100_requests_a_second(sandbox: Sandbox) -> None:  # noqa: F811
    http = sender(sandbox.event_url)
    async with http:
        started = time.perf_counter()
        report = await PastEventsSender(http, batch_size=1).send(events(11))
    assert len(report.batches) == 11 and time.perf_counter() - started >= 10 / 100
    with pytest.raises(InputError, match="at most 100"):
        PastEventsSender(http, rate=150)
    with pytest.raises(InputError, match="between 1 and 500"):
        PastEventsSender(http, batch_size=501)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(['{"occurred": 1}', '{"a": 1}', "[", "]", ",", "\n", '{"events": ', "}", "x", " ",
                                 '"occurred"', ":", "null", "\ufeff"]), max_size=20).map("".join))
def test_any_file_is_events_or_a_clear_error(text: str) -> None:
    try:
        parsed = parse_events(text.encode(), "f")
    except InputError as exc:
        assert str(exc).startswith("f")
    else:
        assert parsed and all(isinstance(e.event, dict) and e.event.get("occurred") is not None for e in parsed)
