"""`yespo-console history replay`: a run's exchanges sent again through the runner, real sandbox, real history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import cli
from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.environments import EnvironmentStore
from yespo_console.sandbox import Sandbox

pytestmark = pytest.mark.usefixtures("no_keyring")


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
    with HistoryStore.open(tmp_path) as store:
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
