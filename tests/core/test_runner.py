"""The runner against the real sandbox (and a mock transport where a server must misbehave exactly):
recipes run green, expectations fail when the server fails, the rate limit holds, 429s are retried
after Retry-After, a stop leaves the history consistent, CSV rows drive the contacts."""

from __future__ import annotations

import asyncio
import csv
import json
import time
from pathlib import Path

import httpx
import pytest

from tests.core.tracker_bodies import sandbox_url_for
from tests.sandbox.conftest import sandbox  # noqa: F401  (the fixture)
from tests.sandbox.helpers import VALID_EVENT, body, free_port
from yespo_console.core.errors import InputError
from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.client import EventClient
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.http.ratelimit import RateLimiter
from yespo_console.core.http.sending import RetryPolicy
from yespo_console.core.scenarios.contacts import parse_contacts, preflight, replay_contacts, scenario_contacts
from yespo_console.core.scenarios.loader import load_scenario, parse_scenario
from yespo_console.core.scenarios.recipes import bundled_scenarios
from yespo_console.core.scenarios.results import ContactDone, StepResult, save_results
from yespo_console.core.scenarios.runner import Runner, burst_for
from yespo_console.sandbox import Sandbox
from yespo_console.sandbox.settings import AccountSettings

pytestmark = pytest.mark.asyncio
KEY = "runner-test-key-123"


@pytest.fixture
def history(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = HistoryStore(tmp_path / "history.sqlite3")
    yield store
    store.close()


def client(url: str, history: HistoryStore | None = None, **kwargs: object) -> EventClient:
    return EventClient(Environment.custom(url), secret=KEY, recorder=history, rate_limit=None, **kwargs)  # type: ignore[arg-type]


def bodies(n: int) -> list[tuple[int, str | None, bytes]]:
    return [(i + 1, "pageViewed", body()) for i in range(n)]


def assert_consistent(history: HistoryStore, run_id: str) -> None:
    assert history.count(HistoryFilter(outcome=Outcome.PENDING)) == 0
    assert history.count() == history.count(HistoryFilter(run_id=run_id))


# The recipes that follow up in the account (abandoned-cart and its purchased variant) wait for a workflow:
# tests/cli/test_run_account.py runs them at a small time scale.
@pytest.mark.parametrize("path", [p for p in bundled_scenarios() if not load_scenario(p).follows_up],
                         ids=lambda p: p.stem)
async def test_every_bundled_recipe_runs_green(path: Path, sandbox: Sandbox, history: HistoryStore) -> None:  # noqa: F811
    loaded = load_scenario(path)
    async with client(sandbox_url_for(sandbox.base_url, loaded.scenario.environment), history) as http:
        runner = Runner(http, name=loaded.name, wait_scale=0)
        report = await runner.run(scenario_contacts(loaded, run_id=runner.run_id, seed=1))
    summary = report.summary
    assert summary.ok and summary.exit_code() == 0, [r for r in report.results if r.expectation == "failed"]
    assert summary.sent == summary.accepted == loaded.event_steps and summary.expectations_failed == 0
    assert summary.expectations_held >= loaded.event_steps
    received = sandbox.events(limit=100)
    assert len(received) == loaded.event_steps and all(event.valid for event in received)
    assert all(event.diagnostics == () for event in received)  # not even a warning
    assert_consistent(history, runner.run_id)


async def test_waits_really_wait(sandbox: Sandbox) -> None:  # noqa: F811
    loaded = parse_scenario("name: W\nsteps:\n  - event: pageViewed\n    locators: {email: a@b.co}\n"
                            "    values: {page: {location: 'https://e.com'}}\n  - wait: 300ms\n"
                            "  - event: pageViewed\n    locators: {email: a@b.co}\n"
                            "    values: {page: {location: 'https://e.com/2'}}\n")
    async with client(sandbox.event_url) as http:
        started = time.perf_counter()
        report = await Runner(http).run(scenario_contacts(loaded))
    assert time.perf_counter() - started >= 0.3
    assert [r.outcome for r in report.results] == ["accepted", "waited", "accepted"]


async def test_expectations_fail_when_the_sandbox_fails(sandbox: Sandbox, history: HistoryStore) -> None:  # noqa: F811
    sandbox.set_faults(status=500)
    loaded = load_scenario(next(p for p in bundled_scenarios() if p.stem == "abandoned-browse"))
    async with client(sandbox.event_url, history) as http:
        runner = Runner(http, name=loaded.name, wait_scale=0)
        report = await runner.run(scenario_contacts(loaded))
    summary = report.summary
    assert not summary.ok and summary.exit_code() == 1
    assert summary.errors == 4 and summary.accepted == 0 and summary.expectations_held == 0
    failed = [r for r in report.results if r.expectation == "failed"]
    assert len(failed) == summary.expectations_failed == 4 and all(r.kind == "expect" for r in failed)
    assert all("got 500 (Server error)" in r.detail for r in failed)
    assert history.count(HistoryFilter(outcome=Outcome.SERVER_ERROR, run_id=runner.run_id)) == 4


async def test_an_expected_rejection_holds(sandbox: Sandbox) -> None:  # noqa: F811
    sandbox.account = AccountSettings(validate="all")  # a missing required param is refused only then
    loaded = parse_scenario("name: R\nsteps:\n  - event: pageViewed\n    locators: {email: a@b.co}\n"
                            "  - expect: {status: 400, contains: page}\n  - event: pageViewed\n"
                            "    locators: {email: a@b.co}\n")
    async with client(sandbox.event_url) as http:
        report = await Runner(http).run(scenario_contacts(loaded))
    verdicts = [(r.kind, r.status, r.expectation) for r in report.results]
    assert verdicts == [("event", 400, ""), ("expect", 400, "held"), ("event", 400, "failed")]
    assert report.summary.rejected == 2 and report.summary.exit_code() == 1
    assert "expected it to be accepted" in report.results[2].detail


async def test_the_rate_limit_is_respected(sandbox: Sandbox) -> None:  # noqa: F811
    count, rate = 60, 100.0
    async with client(sandbox.event_url) as http:
        runner = Runner(http, rate=rate, concurrency=10)
        started = time.perf_counter()
        report = await runner.run(replay_contacts(bodies(count)))
        elapsed = time.perf_counter() - started
    assert report.summary.accepted == count
    assert elapsed >= (count - burst_for(rate)) / rate
    assert len(sandbox.events(limit=1000)) == count


async def test_without_a_limit_the_run_is_not_paced(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    # Counted, not timed: a wall-clock bound flakes on a loaded machine (the benchmarks hold the speed).
    reservations: list[float] = []
    reserve = RateLimiter.reserve

    def counted(limiter: RateLimiter) -> float:
        reservations.append(wait := reserve(limiter))
        return wait

    monkeypatch.setattr(RateLimiter, "reserve", counted)
    async with client(sandbox.event_url) as http:
        report = await Runner(http, rate=None, concurrency=10).run(replay_contacts(bodies(60)))
    assert report.summary.sent == 60 and reservations == []
    async with client(sandbox.event_url) as http:
        await Runner(http, rate=100.0, concurrency=10).run(replay_contacts(bodies(12)))
    assert len(reservations) == 12  # the same run with a limit takes a slot for every send


def _flaky(statuses: list[int], seen: list[float]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(time.perf_counter())
        status = statuses.pop(0) if statuses else 200
        headers = {"Retry-After": "1"} if status == 429 else {}
        return httpx.Response(status, headers=headers, text="slow down" if status == 429 else '{"ok":1}')

    return httpx.MockTransport(handle)


async def test_a_429_is_retried_after_its_retry_after(history: HistoryStore) -> None:
    seen: list[float] = []
    async with client("https://example.test/api/v2/event", history, transport=_flaky([429], seen)) as http:
        runner = Runner(http)
        report = await runner.run(replay_contacts(bodies(1)))
    assert report.summary.ok and report.summary.retries == 1
    assert report.results[0].attempts == 2 and report.results[0].status == 200
    assert seen[1] - seen[0] >= 1.0
    rows = [history.get(i) for i in (1, 2)]
    assert [r.outcome for r in rows if r] == [Outcome.RATE_LIMITED, Outcome.ACCEPTED]
    assert all(r is not None and r.run_id == runner.run_id for r in rows)
    assert rows[1] is not None and "(attempt 2)" in rows[1].note


async def test_without_retries_a_429_fails_the_expectation() -> None:
    async with client("https://example.test/api/v2/event", transport=_flaky([429], [])) as http:
        report = await Runner(http, retry=RetryPolicy(attempts=1)).run(replay_contacts(bodies(1)))
    assert report.results[0].outcome == "rate_limited" and report.results[0].expectation == "failed"
    assert report.summary.exit_code() == 1


async def test_stop_mid_run_leaves_history_consistent(sandbox: Sandbox, history: HistoryStore) -> None:  # noqa: F811
    sandbox.set_faults(latency_ms=3000)
    async with client(sandbox.event_url, history) as http:
        runner = Runner(http, concurrency=3)
        task = asyncio.ensure_future(runner.run(replay_contacts(bodies(10))))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if history.count(HistoryFilter(outcome=Outcome.PENDING)) == 3:
                break
        assert http.in_flight == 3
        runner.cancel()
        report = await asyncio.wait_for(task, 2)
    summary = report.summary
    assert summary.cancelled and summary.exit_code() == 130 and summary.not_run == 7
    assert [r.outcome for r in report.results] == ["cancelled"] * 3
    assert history.count(HistoryFilter(outcome=Outcome.PENDING)) == 0
    assert history.count(HistoryFilter(outcome=Outcome.CANCELLED, run_id=runner.run_id)) == 3
    assert history.count() == 3
    assert "STOPPED" in summary.lines()[0]


async def test_cancelling_the_awaiting_task_also_leaves_no_pending_row(
        sandbox: Sandbox, history: HistoryStore) -> None:  # noqa: F811
    sandbox.set_faults(latency_ms=3000)
    async with client(sandbox.event_url, history) as http:
        runner = Runner(http, concurrency=2)
        task = asyncio.ensure_future(runner.run(replay_contacts(bodies(4))))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if http.in_flight == 2:
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert history.count(HistoryFilter(outcome=Outcome.PENDING)) == 0
    assert history.count(HistoryFilter(outcome=Outcome.CANCELLED)) == 2


SCENARIO = """\
name: Per contact
variables:
  currency: USD
steps:
  - event: productViewed
    keyValue: "{{email}}"
    locators: {email: "{{email}}"}
    values:
      product: {productId: "{{sku}}", price: "{{price | number}}"}
      currencyCode: "{{currency}}"
  - event: cartUpdated
    keyValue: "{{email}}"
    locators: {email: "{{email}}"}
    values:
      products: [{productId: "{{sku}}", quantity: 1, price: "{{price | number}}"}]
      recycleStateId: "cart-{{contact_index}}"
"""


async def test_csv_rows_drive_per_contact_variables(sandbox: Sandbox, history: HistoryStore) -> None:  # noqa: F811
    rows = parse_contacts("email,sku,price\nann@example.com,A-1,10.5\nbo@example.com,B-2,20\n"
                          "cy@example.com,C-3,30\n")
    loaded = parse_scenario(SCENARIO)
    done: list[ContactDone] = []
    async with client(sandbox.event_url, history) as http:
        runner = Runner(http, concurrency=2, on_contact=done.append)
        report = await runner.run(scenario_contacts(loaded, rows, {"currency": "EUR"}, run_id=runner.run_id))
    assert report.summary.ok and report.summary.contacts_done == 3
    assert sorted(d.done for d in done) == [1, 2, 3] and {d.label for d in done} == {r["email"] for r in rows}
    seen: dict[str, list[tuple[str | None, str]]] = {}
    for event in reversed(sandbox.events(limit=100)):  # oldest first
        params = {p["name"]: p["value"] for p in json.loads(event.body)["params"]}
        value = params.get("product") or params["products"]
        seen.setdefault(event.key_value or "", []).append((event.event_type, value))
    for row in rows:
        events = seen[row["email"]]
        assert [e[0] for e in events] == ["productViewed", "cartUpdated"]  # in order, per contact
        product = json.loads(events[0][1])
        assert product == {"productId": row["sku"], "price": float(row["price"]) if "." in row["price"]
                           else int(row["price"])}
        assert json.loads(events[1][1])[0]["productId"] == row["sku"]
    cart = [json.loads(e.body) for e in sandbox.events(limit=100) if e.event_type == "cartUpdated"]
    assert {p["value"] for b in cart for p in b["params"] if p["name"] == "recycleStateId"} == {
        "cart-1", "cart-2", "cart-3"}
    currencies = {p["value"] for e in sandbox.events(limit=100) for p in json.loads(e.body)["params"]
                  if p["name"] == "currencyCode"}
    assert currencies == {"EUR"}  # --var beats the scenario's default
    assert_consistent(history, runner.run_id)


async def test_an_event_that_cannot_be_rendered_is_reported_not_sent(sandbox: Sandbox) -> None:  # noqa: F811
    rows = parse_contacts("email,sku,price\nann@example.com,A-1,cheap\n")
    contacts = scenario_contacts(parse_scenario(SCENARIO), rows)
    assert preflight(contacts) and "number: 'cheap' is not a number" in preflight(contacts)[0]
    async with client(sandbox.event_url) as http:
        report = await Runner(http).run(contacts)
    assert [r.outcome for r in report.results] == ["not_sent", "not_sent"]
    assert report.summary.not_sent == 2 and report.summary.sent == 0 and report.summary.exit_code() == 1
    assert "<scenario>:5: step 1. productViewed" in report.results[0].detail
    assert sandbox.events() == []


async def test_network_errors_only_give_exit_code_3() -> None:
    async with client(f"http://127.0.0.1:{free_port()}/api/v2/event") as http:
        report = await Runner(http).run(replay_contacts(bodies(2)))
    summary = report.summary
    assert summary.network_errors == 2 and summary.failed_without_answer == 2 and summary.exit_code() == 3
    assert all(r.outcome == "connection_error" for r in report.results)


async def test_replay_sends_the_exact_bytes(sandbox: Sandbox) -> None:  # noqa: F811
    odd = json.dumps(VALID_EVENT, indent=3).encode()
    async with client(sandbox.event_url) as http:
        await Runner(http).run(replay_contacts([(7, "pageViewed", odd)]))
    assert sandbox.events()[0].body == odd


async def test_progress_callbacks_and_a_broken_one(sandbox: Sandbox) -> None:  # noqa: F811
    steps: list[StepResult] = []

    def broken(_done: ContactDone) -> None:
        raise RuntimeError("a display bug")

    async with client(sandbox.event_url) as http:
        report = await Runner(http, concurrency=2, on_step=steps.append, on_contact=broken).run(
            replay_contacts(bodies(5)))
    assert steps == report.results and report.summary.contacts_done == 5


async def test_results_export(sandbox: Sandbox, tmp_path: Path) -> None:  # noqa: F811
    async with client(sandbox.event_url) as http:
        report = await Runner(http).run(scenario_contacts(parse_scenario(SCENARIO),
                                                          [{"email": "a@b.co", "sku": "S", "price": "1"}]))
    save_results(report, tmp_path / "r.csv")
    save_results(report, tmp_path / "r.json")
    with (tmp_path / "r.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["step"], r["status"], r["outcome"], r["expectation"]) for r in rows] == [
        ("productViewed", "200", "accepted", "held"), ("cartUpdated", "200", "accepted", "held")]
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["summary"]["accepted"] == 2 and document["summary"]["ok"] is True
    assert len(document["results"]) == 2 and document["results"][0]["contact"] == "a@b.co"
    with pytest.raises(InputError, match=r"must end in \.csv or \.json"):
        save_results(report, tmp_path / "r.txt")


async def test_bad_settings_are_input_errors(sandbox: Sandbox) -> None:  # noqa: F811
    async with client(sandbox.event_url) as http:
        for kwargs in ({"concurrency": 0}, {"rate": -1}, {"wait_scale": 11}):
            with pytest.raises(InputError):
                Runner(http, **kwargs)  # type: ignore[arg-type]
