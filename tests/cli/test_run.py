"""`yespo-console run`, `history replay` and `past-events` end to end: real sandbox, real history."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.sandbox.helpers import free_port
from yespo_console.cli.main import main
from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.environments import EnvironmentStore
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.scenarios.loader import bundled_scenarios
from yespo_console.sandbox import Sandbox, SandboxStore

pytestmark = pytest.mark.usefixtures("no_keyring")

SCENARIO = """\
name: CLI check
variables:
  email: default@example.com
steps:
  - event: searchRequest
    keyValue: "{{email}}"
    locators: {email: "{{email}}"}
    values: {search: "{{query}}", isFound: 0}
  - expect: 200
"""


def cli(data: Path, *args: str) -> int:
    return main(["--data-dir", str(data), *args])


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "check.yaml"
    path.write_text(SCENARIO)
    return path


def history(data: Path) -> HistoryStore:
    return HistoryStore.open(data)


@pytest.mark.parametrize("recipe", [p.stem for p in bundled_scenarios()])
def test_every_recipe_runs_green(recipe: str, sandbox_thread: Sandbox, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(tmp_path, "run", recipe, "--url", sandbox_thread.event_url, "--wait-scale", "0") == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "0 failed" in out and "✗" not in out
    with history(tmp_path) as store:
        assert store.count(HistoryFilter(outcome=Outcome.ACCEPTED)) == len(sandbox_thread.events(limit=50)) > 0


def test_json_output_and_results_files(sandbox_thread: Sandbox, tmp_path: Path, scenario: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "out.csv"
    assert cli(tmp_path, "run", str(scenario), "--url", sandbox_thread.event_url, "--var", "query=mugs", "--json",
               "--results", str(results)) == 0
    document = json.loads(capsys.readouterr().out)
    summary = document["summary"]
    assert summary["ok"] and summary["accepted"] == 1 and summary["expectations_held"] == 1
    assert [r["kind"] for r in document["results"]] == ["event", "expect"]
    with results.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["contact"] == "default@example.com" and rows[1]["expectation"] == "held"
    with history(tmp_path) as store:
        exchange = store.get(1)
    assert exchange is not None and exchange.run_id == summary["run_id"]
    assert json.loads(exchange.request_body)["params"][1]["value"] == "mugs"
    assert cli(tmp_path, "run", str(scenario), "--url", sandbox_thread.event_url, "--var", "query=x",
               "--results", str(tmp_path / "out.json")) == 0
    assert json.loads((tmp_path / "out.json").read_text())["summary"]["accepted"] == 1


def test_a_failing_server_fails_the_run(sandbox_thread: Sandbox, tmp_path: Path, scenario: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    sandbox_thread.set_faults(status=500)
    assert cli(tmp_path, "run", str(scenario), "--url", sandbox_thread.event_url, "--var", "query=q") == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "✗ [default@example.com] 2. expect status 200: 500 server_error" in out


def test_network_errors_only_exit_3(tmp_path: Path, scenario: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/v2/event"
    assert cli(tmp_path, "run", str(scenario), "--url", url, "--var", "query=q") == 3


def test_csv_rows_are_the_contacts(sandbox_thread: Sandbox, tmp_path: Path, scenario: Path) -> None:
    data = tmp_path / "contacts.csv"
    data.write_text("email,query\nann@example.com,red mug\nbo@example.com,blue mug\n")
    assert cli(tmp_path, "run", str(scenario), "--url", sandbox_thread.event_url, "--data", str(data),
               "--concurrency", "2", "--var", "query=ignored") == 0
    received = {(e.key_value, json.loads(e.body)["params"][1]["value"]) for e in sandbox_thread.events()}
    assert received == {("ann@example.com", "red mug"), ("bo@example.com", "blue mug")}


def test_the_scenario_names_its_own_csv_relative_to_itself(sandbox_thread: Sandbox, tmp_path: Path) -> None:
    folder = tmp_path / "suite"
    folder.mkdir()
    (folder / "people.csv").write_text("email,query\nann@example.com,x\n")
    (folder / "s.yaml").write_text(SCENARIO.replace("variables:", "data: people.csv\nvariables:"))
    assert cli(tmp_path, "run", str(folder / "s.yaml"), "--url", sandbox_thread.event_url) == 0
    assert [e.key_value for e in sandbox_thread.events()] == ["ann@example.com"]


@pytest.mark.parametrize(("text", "args", "message"), [
    ("name: X\nsteps:\n  - event: pageViewed\n    locatorz: {}\n", (), "x.yaml:4: steps[0].locatorz: unknown key"),
    ("name: X\nsteps:\n  - wait: 1\n  - expect: 200\n", (), "x.yaml:4: steps[1]: an expect step checks the event"),
    (SCENARIO, (), "x.yaml:8: steps[0].values.search: unknown variable 'query'"),
    (SCENARIO, ("--var", "query"), "--var 'query': write NAME=VALUE"),
    (SCENARIO, ("--var", "q=1", "--data", "missing.csv"), "missing.csv: no such file"),
    (SCENARIO, ("--var", "query={{x", "--dry-run"), None),
])
def test_bad_files_and_arguments_exit_2(text: str, args: tuple[str, ...], message: str | None, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    code = cli(tmp_path, "run", str(path), "--url", "http://127.0.0.1:9/api/v2/event", *args)
    if message is None:  # a --var value is data, never a template
        assert code == 0
        return
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--concurrency", "0"], ["--rate", "-1"], ["--results", "r.txt"],
                                  ["--wait-scale", "x"], ["--retries", "11"]])
def test_bad_options_exit_2(args: list[str], tmp_path: Path, scenario: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        cli(tmp_path, "run", str(scenario), *args)
    assert caught.value.code == 2


def test_an_unrenderable_value_exits_2_before_anything_is_sent(sandbox_thread: Sandbox, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "n.yaml"
    path.write_text("name: N\nsteps:\n  - event: productViewed\n    locators: {email: a@b.co}\n"
                    "    values: {product: {productId: A, price: '{{price | number}}'}}\n")
    assert cli(tmp_path, "run", str(path), "--url", sandbox_thread.event_url, "--var", "price=cheap") == 2
    assert "n.yaml:3: step 1. productViewed: number: 'cheap' is not a number" in capsys.readouterr().err
    assert sandbox_thread.events() == []


def test_dry_run_sends_nothing(sandbox_thread: Sandbox, tmp_path: Path, scenario: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(tmp_path, "run", str(scenario), "--url", sandbox_thread.event_url, "--var", "query=q",
               "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Dry run" in out and '"eventTypeKey":"searchRequest"' in out and "Every event passes" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: B\nsteps:\n  - event: pageViewed\n    locators: {email: a@b.co}\n")
    assert cli(tmp_path, "run", str(bad), "--dry-run", "--json") == 1
    document = json.loads(capsys.readouterr().out)
    assert document["invalid"] == 1 and document["steps"][0]["diagnostics"]["valid"] is False
    assert sandbox_thread.events() == []


def test_the_sandbox_environment_gets_a_temporary_sandbox(tmp_path: Path, scenario: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    store = EnvironmentStore.open(tmp_path)
    store.save(store.get("sandbox").with_url(f"http://127.0.0.1:{free_port()}/api/v2/event"))
    assert cli(tmp_path, "run", str(scenario), "--var", "query=q") == 0
    assert "a temporary one was started" in capsys.readouterr().err
    records = SandboxStore.open(tmp_path)
    assert [e.event_type for e in records.list()] == ["searchRequest"]
    records.close()


# -- history replay --------------------------------------------------------------------------------


def _run_once(sandbox: Sandbox, data: Path, scenario: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert cli(data, "run", str(scenario), "--url", sandbox.event_url, "--var", "query=q", "--json") == 0
    return str(json.loads(capsys.readouterr().out)["summary"]["run_id"])


def test_replay_resends_the_exact_bytes_through_the_runner(sandbox_thread: Sandbox, tmp_path: Path,
                                                           scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _run_once(sandbox_thread, tmp_path, scenario, capsys)
    assert cli(tmp_path, "history", "replay", "--run-id", run_id, "--url", sandbox_thread.event_url, "--yes",
               "--json", "--rate", "50") == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["accepted"] == 1 and summary["rate"] == 50
    first, again = sorted(sandbox_thread.events(), key=lambda e: e.id)
    assert first.body == again.body
    with history(tmp_path) as store:
        assert store.count(HistoryFilter(run_id=summary["run_id"])) == 1
        replayed = store.get(2)
    assert replayed is not None and replayed.note == "replay of #1, step 1. #1 searchRequest"


def test_replay_asks_and_refuses_without_a_terminal(sandbox_thread: Sandbox, tmp_path: Path, scenario: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _run_once(sandbox_thread, tmp_path, scenario, capsys)
    assert cli(tmp_path, "history", "replay", "--run-id", run_id, "--url", sandbox_thread.event_url) == 2
    assert "add --yes" in capsys.readouterr().err
    assert cli(tmp_path, "history", "replay", "--run-id", "nope", "--yes") == 1
    assert len(sandbox_thread.events()) == 1


def test_replay_needs_a_target_when_environments_differ(sandbox_thread: Sandbox, tmp_path: Path,
                                                        scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = EnvironmentStore.open(tmp_path)
    store.save(store.get("sandbox").with_url(sandbox_thread.event_url))
    assert cli(tmp_path, "run", str(scenario), "--var", "query=q") == 0  # environment "sandbox"
    assert cli(tmp_path, "run", str(scenario), "--var", "query=q", "--url", sandbox_thread.event_url) == 0  # custom
    capsys.readouterr()
    assert cli(tmp_path, "history", "replay", "--yes") == 2
    assert "several environments (custom, sandbox)" in capsys.readouterr().err
    assert cli(tmp_path, "history", "replay", "--from-env", "sandbox", "--yes") == 0  # back to where they went
    assert cli(tmp_path, "history", "replay", "--env", "sandbox", "--since", "1h", "--yes") == 0
    assert len(sandbox_thread.events(limit=50)) == 2 + 1 + 3


def test_replay_reports_failures(sandbox_thread: Sandbox, tmp_path: Path, scenario: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    run_id = _run_once(sandbox_thread, tmp_path, scenario, capsys)
    sandbox_thread.set_faults(status=400)
    assert cli(tmp_path, "history", "replay", "--run-id", run_id, "--url", sandbox_thread.event_url, "--yes") == 1
    out = capsys.readouterr().out
    assert "✗ [#1] 1. #1 searchRequest: 400 rejected" in out and "FAILED" in out


# -- past-events -----------------------------------------------------------------------------------


def _events_file(path: Path, count: int, broken: int | None = None) -> Path:
    with path.open("w") as out:
        for i in range(count):
            event = {"eventTypeKey": "searchRequest", "keyValue": f"u{i}@example.com",
                     "occurred": "2025-06-01T10:00:00Z",
                     "params": [{"name": "email", "value": f"u{i}@example.com"}, {"name": "search", "value": "x"}]}
            if i == broken:
                event["keyValue"] = ""
            out.write(json.dumps(event) + "\n")
    return path


def test_past_events_in_batches_with_per_event_results(sandbox_thread: Sandbox, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = _events_file(tmp_path / "e.ndjson", 1201, broken=600)
    assert cli(tmp_path, "past-events", str(path), "--url", sandbox_thread.event_url) == 1
    out = capsys.readouterr().out
    assert "in 3 batch(es) of at most 500 to " + sandbox_thread.past_events_url in out
    assert "batch 2/3: events 501-1000: HTTP 200: 499 OK, 1 with errors" in out
    assert "ERROR   event 601 (line 601): searchRequest" in out and "keyValue is required" in out
    assert "1200 stored, 1 rejected, 0 unknown, 3 request(s)" in out
    assert [len(json.loads(e.body)["events"]) for e in sorted(sandbox_thread.events(), key=lambda e: e.id)] == [
        500, 500, 201]
    with history(tmp_path) as store:
        assert store.count() == 3 and store.get(1).url == sandbox_thread.past_events_url  # type: ignore[union-attr]


def test_past_events_json_and_batch_size(sandbox_thread: Sandbox, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = _events_file(tmp_path / "e.ndjson", 5)
    assert cli(tmp_path, "past-events", str(path), "--url", sandbox_thread.event_url, "--batch", "2",
               "--json") == 0
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] == 5 and [b["count"] for b in document["batches"]] == [2, 2, 1]
    assert document["results"][4]["status"] == "ok"


@pytest.mark.parametrize(("content", "args", "message"), [
    ('{"eventTypeKey": "a", "keyValue": "k"}\n', (), "e.ndjson:1: no `occurred`"),
    ("not json\n", (), "e.ndjson:1: not valid JSON"),
    ('{"eventTypeKey":"a","keyValue":"k","occurred":"x"}\n', ("--url", "https://h/api/v2/events"),
     "cannot find the past_events URL"),
])
def test_past_events_bad_input_exits_2(content: str, args: tuple[str, ...], message: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "e.ndjson"
    path.write_text(content)
    assert cli(tmp_path, "past-events", str(path), *args) == 2
    assert message in capsys.readouterr().err


def test_past_events_bad_batch_size(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        cli(tmp_path, "past-events", "x", "--batch", "501")
    assert caught.value.code == 2
