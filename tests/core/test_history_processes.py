"""Real processes on one history file: a writer killed with SIGKILL, two writers at once."""

from __future__ import annotations

import itertools
import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.outcome import Outcome

WRITER = Path(__file__).with_name("history_writer.py")

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(WRITER), *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


def _check_file(path: Path) -> None:
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.execute("INSERT INTO exchange_fts(exchange_fts) VALUES ('integrity-check')")
    conn.close()


def test_rows_of_a_killed_writer_become_interrupted_and_a_live_writers_rows_do_not(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    live = _start("pending", str(path), "2")
    doomed = _start("pending", str(path), "3")
    try:
        assert live.stdout is not None and doomed.stdout is not None and live.stdin is not None
        live_ids = json.loads(live.stdout.readline())
        doomed_ids = json.loads(doomed.stdout.readline())

        with HistoryStore(path) as store:  # both writers alive: nothing is interrupted
            assert {store.get(i).outcome for i in live_ids + doomed_ids} == {Outcome.PENDING}  # type: ignore[union-attr]

        _kill(doomed)
        with HistoryStore(path) as store:
            assert {store.get(i).outcome for i in doomed_ids} == {Outcome.INTERRUPTED}  # type: ignore[union-attr]
            assert {store.get(i).outcome for i in live_ids} == {Outcome.PENDING}  # type: ignore[union-attr]

        live.stdin.write("complete\n")
        live.stdin.flush()
        assert live.stdout.readline().strip() == "done"
        assert live.wait(timeout=10) == 0
        with HistoryStore(path) as store:
            assert {store.get(i).outcome for i in live_ids} == {Outcome.ACCEPTED}  # type: ignore[union-attr]
            assert store.count(HistoryFilter(outcome=Outcome.INTERRUPTED)) == 3
    finally:
        for process in (live, doomed):
            if process.poll() is None:
                process.kill()
                process.wait()
    _check_file(path)


@pytest.mark.parametrize("rows_before_kill", [1, 7, 25])
def test_a_writer_killed_mid_write_leaves_a_sound_file_and_loses_no_committed_row(
        tmp_path: Path, rows_before_kill: int) -> None:
    path = tmp_path / "h.sqlite3"
    writer = _start("loop", str(path), "killed")
    assert writer.stdout is not None
    committed = [int(writer.stdout.readline()) for _ in range(rows_before_kill)]
    _kill(writer)  # it is writing the next rows (20 KB bodies) as fast as it can

    _check_file(path)
    with HistoryStore(path) as store:
        outcomes = Counter(s.outcome for s in store.query(limit=10_000))
        assert set(outcomes) <= {Outcome.ACCEPTED, Outcome.INTERRUPTED}
        assert outcomes[Outcome.INTERRUPTED] <= 1  # at most the row it had begun
        for exchange_id in committed:
            assert store.get(exchange_id).outcome is Outcome.ACCEPTED  # type: ignore[union-attr]
        assert store.count(HistoryFilter(search="killed")) == sum(outcomes.values())
    _check_file(path)


@pytest.mark.parametrize("pause", [0.0, 0.001], ids=["flat-out", "with-network-time"])
def test_two_writers_at_once_lose_nothing_and_never_report_a_lock(tmp_path: Path, pause: float) -> None:
    path = tmp_path / "h.sqlite3"
    go = tmp_path / "go"
    per_writer = 250
    writers = [_start("write", str(path), str(per_writer), tag, str(go), str(pause))
               for tag in ("writerA", "writerB")]
    try:
        for writer in writers:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        go.touch()
        with HistoryStore(path) as reader:  # a third party reading all along, as the GUI would
            while any(writer.poll() is None for writer in writers):
                reader.query(limit=50)
                reader.count(HistoryFilter(event_type="writerA"))
                time.sleep(0.002)
        for writer in writers:
            out, err = writer.communicate(timeout=30)
            assert writer.returncode == 0, err
            assert out.strip() == f"ok {per_writer}"
            assert "locked" not in err and "Traceback" not in err
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
                writer.wait()

    with HistoryStore(path) as store:
        if pause:
            # With time between a send's two writes, as a real send has, the writers take turns: they
            # really wrote at once. Flat out, SQLite's lock may let one writer finish before the other
            # gets in; what matters there is that both finish and nothing is lost.
            tags = [e.event_type for e in store.iter_exchanges()]
            assert sum(1 for a, b in itertools.pairwise(tags) if a != b) > 10, tags
        assert store.count() == 2 * per_writer
        assert store.count(HistoryFilter(outcome=Outcome.ACCEPTED)) == 2 * per_writer
        for tag in ("writerA", "writerB"):
            keys = [e.key_value for e in store.iter_exchanges(HistoryFilter(event_type=tag))]
            assert sorted(keys) == sorted(f"{tag}-{n}" for n in range(per_writer))  # type: ignore[type-var]
            assert store.count(HistoryFilter(search=tag)) == per_writer
    _check_file(path)
