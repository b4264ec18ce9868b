"""`yespo-console run` end to end: real sandbox, real history."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.cli.helpers import SCENARIO, cli
from tests.core.tracker_bodies import sandbox_url_for
from tests.sandbox.helpers import free_port
from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.environments import EnvironmentStore
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.scenarios.loader import load_scenario
from yespo_console.core.scenarios.recipes import bundled_scenarios, resolve_scenario
from yespo_console.sandbox import Sandbox, SandboxStore

pytestmark = pytest.mark.usefixtures("no_keyring")


# abandoned-cart and abandoned-cart-purchased wait for a workflow: test_run_account.py runs them.
@pytest.mark.parametrize("recipe", [p.stem for p in bundled_scenarios() if not load_scenario(p).follows_up])
def test_every_recipe_runs_green(recipe: str, sandbox_thread: Sandbox, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    # A recipe for the web tracking format (woocommerce-cart) runs against the sandbox's tracker route.
    url = sandbox_url_for(sandbox_thread.base_url, load_scenario(resolve_scenario(recipe)).scenario.environment)
    assert cli(tmp_path, "run", recipe, "--url", url, "--wait-scale", "0") == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "0 failed" in out and "✗" not in out
    with HistoryStore.open(tmp_path) as store:
        assert store.count(HistoryFilter(outcome=Outcome.ACCEPTED)) == len(sandbox_thread.events(limit=50)) > 0


@pytest.mark.parametrize("recipe", [p.stem for p in bundled_scenarios()])
def test_every_recipe_passes_its_dry_run(recipe: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A web tracking recipe's bodies are judged as tracker bodies, not as events without an eventTypeKey.
    assert cli(tmp_path, "run", recipe, "--dry-run") == 0
    assert "Every event passes the inspector." in capsys.readouterr().out


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
    with HistoryStore.open(tmp_path) as store:
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
])
def test_bad_files_and_arguments_exit_2(text: str, args: tuple[str, ...], message: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(text)
    assert cli(tmp_path, "run", str(path), "--url", "http://127.0.0.1:9/api/v2/event", *args) == 2
    assert message in capsys.readouterr().err


def test_a_var_value_is_data_never_a_template(tmp_path: Path, scenario: Path) -> None:
    assert cli(tmp_path, "run", str(scenario), "--url", "http://127.0.0.1:9/api/v2/event", "--var", "query={{x",
               "--dry-run") == 0


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
