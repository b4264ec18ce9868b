"""kill -9 of the CLI and of the desktop app mid-send, and the app and the CLI writing history at once.

Real processes on one data folder, killed at random moments: while starting (the history file may be
half created), with the request in flight (its row pending), and just as the answer arrives. After every
kill SQLite's own integrity check must pass; at the end every send the sandbox received has its row, no
row is left pending, and each row that was pending when its writer died is `interrupted` — marked by the
next process that opened the history, not by the test. The seed of the random moments is in every
failure message; YESPO_KILL_SEED replays one.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

from tests.reliability.helpers import (
    GUI_DRIVER,
    SCALES,
    LineReader,
    child_env,
    cli,
    event_body,
    history_rows,
    integrity,
    iterations,
    kill9,
    outcome_of,
    sandbox_markers,
    wait_for,
)
from yespo_console.core.history import INTERRUPTED_ERROR, HistoryStore
from yespo_console.core.http.outcome import Outcome
from yespo_console.sandbox import Sandbox

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")

CLI_LATENCY_MS = 1000
GUI_LATENCY_MS = 700


def _pending(path: Path, marker: str) -> bool:
    return outcome_of(path, marker) == Outcome.PENDING.value


def _received(sandbox: Sandbox, marker: str) -> bool:
    return any(event.key_value == marker for event in sandbox.events(5))


def _seed() -> int:
    return int(os.environ.get("YESPO_KILL_SEED") or random.SystemRandom().randrange(1 << 30))


@dataclass
class Kills:
    """What the test saw of each killed process."""

    seed: int
    killed: int = 0  # processes the SIGKILL cut short
    pending_at_kill: dict[str, int] = field(default_factory=dict)  # marker -> iteration; pending when killed
    final_at_kill: dict[str, str] = field(default_factory=dict)  # marker -> outcome already final when killed
    writers: dict[str, int] = field(default_factory=dict)  # marker -> iteration, for every row written

    def note(self, path: Path, markers: list[str], iteration: int) -> None:
        for marker in markers:
            outcome = outcome_of(path, marker)
            if outcome is None:
                continue
            self.writers[marker] = iteration
            if outcome == Outcome.PENDING.value:
                self.pending_at_kill[marker] = iteration
            else:
                self.final_at_kill[marker] = outcome


def _check_after_all_kills(home: Path, kills: Kills, sandbox_received: list[str]) -> None:
    path = home / "history.sqlite3"
    where = f"(seed {kills.seed})"
    integrity(path)
    # Before anything of ours opens the store: rows pending at a kill and followed by another process that
    # opened the history are interrupted already (that process's open marked them).
    before = {row["key_value"]: row["outcome"] for row in history_rows(path)}
    last_writer = max(kills.writers.values(), default=-1)
    for marker, iteration in kills.pending_at_kill.items():
        if iteration < last_writer:
            assert before[marker] == Outcome.INTERRUPTED.value, f"{marker} not marked by the next open {where}"

    with HistoryStore(path) as store:  # the next open of all
        assert store.stats().pending == 0, where
    rows = history_rows(path)
    by_marker = {row["key_value"]: row for row in rows}
    assert len(by_marker) == len(rows), f"a send recorded twice {where}"
    for marker in sandbox_received:
        assert marker in by_marker, f"the sandbox received {marker} but the history has no row for it {where}"
    for marker in kills.pending_at_kill:
        row = by_marker[marker]
        assert row["outcome"] == Outcome.INTERRUPTED.value, where
        assert row["error"] == INTERRUPTED_ERROR
    for marker, outcome in kills.final_at_kill.items():
        assert by_marker[marker]["outcome"] == outcome, f"a finished row changed {where}"
    for row in rows:  # every row whole: its exact request bytes, its own marker
        assert json.loads(row["request_body"])["keyValue"] == row["key_value"], where
        assert row["writer_pid"] is None and row["writer_token"] is None, where
    integrity(path)


@pytest.mark.parametrize("scale", SCALES)
def test_cli_killed_mid_send_loses_nothing(scale: str, sandbox_thread: Sandbox, tmp_path: Path) -> None:
    count = iterations(scale, 3, 20)
    kills = Kills(_seed())
    rng = random.Random(kills.seed)
    modes = ["startup", "in-flight", "answer"] if scale == "fast" else [
        rng.choice(["startup", "in-flight", "in-flight", "answer"]) for _ in range(count)]
    sandbox_thread.set_faults(latency_ms=CLI_LATENCY_MS)
    home = tmp_path / "home"
    path = home / "history.sqlite3"
    env = child_env()
    for iteration, mode in enumerate(modes):
        marker = f"cli-{iteration}"
        body_file = tmp_path / f"{marker}.json"
        body_file.write_bytes(event_body(marker))
        process = subprocess.Popen(cli(home, "send", str(body_file), "--url", sandbox_thread.event_url),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        try:
            if mode == "startup":
                time.sleep(rng.uniform(0.05, 0.9))
            elif mode == "in-flight":
                wait_for(partial(_pending, path, marker), 30, f"{marker} pending")
                time.sleep(rng.uniform(0.0, 0.4))
            else:
                wait_for(partial(_received, sandbox_thread, marker), 30, f"the sandbox to answer {marker}",
                         interval=0.002)
                time.sleep(rng.uniform(0.0, 0.03))
        finally:
            cut_short = kill9(process)
            kills.killed += cut_short
            assert process.stderr is not None
            err = process.stderr.read().decode()
            process.stderr.close()
        assert "Traceback" not in err, err
        # Only a kill as the answer arrives may come after the process ended on its own.
        assert cut_short or mode == "answer", (mode, process.returncode, err, kills.seed)
        if path.exists():
            integrity(path)
        kills.note(path, [marker], iteration)
    received = [e.key_value or "" for e in sandbox_thread.events(1000)]
    assert kills.pending_at_kill, f"no kill caught a send in flight (seed {kills.seed}, modes {modes})"
    _check_after_all_kills(home, kills, received)


@pytest.mark.parametrize("scale", SCALES)
def test_app_killed_mid_send_loses_nothing(scale: str, tmp_path: Path) -> None:
    count = iterations(scale, 3, 20)
    kills = Kills(_seed())
    rng = random.Random(kills.seed)
    modes = ["in-flight", "startup", "between"] if scale == "fast" else [
        rng.choice(["startup", "in-flight", "in-flight", "between"]) for _ in range(count)]
    home = tmp_path / "home"
    path = home / "history.sqlite3"
    env = child_env()
    for iteration, mode in enumerate(modes):
        tag = f"app{iteration}"
        process = subprocess.Popen([sys.executable, str(GUI_DRIVER), str(home), tag, "0", str(GUI_LATENCY_MS)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        reader = LineReader(process)
        try:
            if mode == "startup":
                time.sleep(rng.uniform(0.1, 1.5))
            else:
                reader.until("ready", 60)
                sends = rng.randrange(3)  # let a few sends complete first
                if mode == "in-flight":
                    reader.until(f"start {sends}", 30)
                    wait_for(partial(_pending, path, f"{tag}-{sends}"), 30, "the send's pending row")
                    time.sleep(rng.uniform(0.0, 0.35))
                else:
                    reader.until(f"done {sends}", 30)
                    time.sleep(rng.uniform(0.0, 0.02))
        finally:
            kills.killed += kill9(process)
            lines = reader.drain()
            assert process.stderr is not None
            err = process.stderr.read()
            process.stderr.close()
        assert "Traceback" not in err, err
        started = [int(line.split()[1]) for line in lines if line.startswith("start ")]
        markers = [f"{tag}-{n}" for n in started]
        for line in lines:
            if line.startswith("done "):
                _, number, _exchange_id, outcome = line.split()
                assert outcome == Outcome.ACCEPTED.value, line
                kills.writers[f"{tag}-{number}"] = iteration
        if path.exists():
            integrity(path)
        if (home / "sandbox.sqlite3").exists():
            integrity(home / "sandbox.sqlite3", fts=False)  # the embedded sandbox's file died with the app
        kills.note(path, markers, iteration)
        if mode == "in-flight":  # the kill came while the row was pending (or, on a slow day, just after)
            assert markers[-1] in kills.pending_at_kill or \
                kills.final_at_kill.get(markers[-1]) == Outcome.ACCEPTED.value, (lines, kills.seed)
    assert kills.killed == count, f"an app ended before its kill (seed {kills.seed})"
    assert kills.pending_at_kill, f"no kill caught a send in flight (seed {kills.seed}, modes {modes})"
    _check_after_all_kills(home, kills, sandbox_markers(home / "sandbox.sqlite3"))


def test_the_app_and_the_cli_write_one_history_at_once(tmp_path: Path) -> None:
    """tests/core/test_history_processes.py has two core writers; here the real app and real CLI runs."""
    home = tmp_path / "home"
    env = child_env()
    cli_sends = 4
    stop = tmp_path / "stop"  # the app sends until the CLI runs are over, and a few more
    app = subprocess.Popen([sys.executable, str(GUI_DRIVER), str(home), "app", "0", "100", str(stop)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    reader = LineReader(app)
    runs: list[subprocess.Popen[str]] = []
    try:
        url = reader.until("ready", 60).split()[1]
        reader.until("done 1", 30)
        for n in range(cli_sends):
            body_file = tmp_path / f"cli-{n}.json"
            body_file.write_bytes(event_body(f"cli-{n}"))
            runs.append(subprocess.Popen(cli(home, "send", str(body_file), "--url", url), stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, env=env))
        outputs = [run.communicate(timeout=60) for run in runs]
        reader.skip_queued()
        after = int(reader.until("start ", 30).split()[1])  # a send begun after every CLI run ended
        reader.until(f"done {after}", 30)
        stop.touch()
        finished = reader.until("finished", 60)
        assert app.wait(timeout=30) == 0
    finally:
        for process in (app, *runs):
            if process.poll() is None:
                process.kill()
                process.wait()
        lines = reader.drain()
        assert app.stderr is not None
        app_err = app.stderr.read()
        app.stderr.close()
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, (out, err)
        assert "History: exchange #" in out and "locked" not in err and "Traceback" not in err, (out, err)
    assert "Traceback" not in app_err and "locked" not in app_err, app_err
    done = [line.split() for line in lines if line.startswith("done ")]
    app_sends = len(done)
    assert app_sends > 4 and {d[3] for d in done} == {Outcome.ACCEPTED.value}

    path = home / "history.sqlite3"
    integrity(path)
    rows = history_rows(path)
    assert sorted(row["key_value"] for row in rows) == sorted(
        [f"app-{n}" for n in range(app_sends)] + [f"cli-{n}" for n in range(cli_sends)])
    assert {row["outcome"] for row in rows} == {Outcome.ACCEPTED.value}
    app_ids = [row["id"] for row in rows if row["key_value"].startswith("app-")]
    cli_ids = [row["id"] for row in rows if row["key_value"].startswith("cli-")]
    assert min(app_ids) < min(cli_ids) and max(cli_ids) < max(app_ids), "the app was not writing all along"
    # The window's history list, refreshed after its last send, shows the CLI's rows too.
    assert int(finished.split()[1]) == len(rows)
    assert sorted(sandbox_markers(home / "sandbox.sqlite3")) == sorted(row["key_value"] for row in rows)
