"""Issue 15 (5, 6, 8, 11): `history import` of hostile files and a history file damaged by hand: a clear message
and exit 2, or the rest shown with the bad row named, never a traceback, never a lost row."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.helpers import cli
from tests.cli.hostile import hostile_record
from yespo_console.core.history import HistoryStore


def count(home: Path) -> int:
    with HistoryStore.open(home) as store:
        return store.count()


@pytest.mark.parametrize(("content", "message"), [
    ('{"a":' * 5000 + "1" + "}" * 5000 + "\n", "line 1: nested too deeply"),
    (hostile_record(duration_ms=1) .replace('"duration_ms": 1', '"duration_ms": 1e999'), "too large for a JSON parser"),
    ('{"time": "2025-01-01", "url": "x", "request": {"body": "\\ud800"}}\n', "lone surrogate"),
    (hostile_record() + "{not json\n", "line 2: not JSON"),
])
def test_a_bad_import_names_the_line_and_adds_nothing(tmp_path: Path, content: str, message: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.ndjson"
    source.write_text(content)
    assert cli(tmp_path, "history", "import", str(source)) == 2
    assert message in capsys.readouterr().err
    assert count(tmp_path) == 0  # checked whole before any row is added


def test_a_keyvalue_with_a_lone_surrogate_is_imported(tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_text(hostile_record(key_value="\ud800"))
    assert cli(tmp_path, "history", "import", str(source)) == 0
    with HistoryStore.open(tmp_path) as store:
        (exchange,) = store.iter_exchanges()
    assert exchange.key_value == "\\ud800"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_is_refused(tmp_path: Path, device: str, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "export.ndjson"
    link.symlink_to(device)
    assert cli(tmp_path, "history", "import", str(link)) == 2
    assert str(link) in capsys.readouterr().err


def test_import_from_a_pipe_is_checked_then_added(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    lines = "".join(hostile_record(key_value=f"k{i}") for i in range(3))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines.encode())))
    assert cli(tmp_path, "history", "import", "-") == 0
    assert count(tmp_path) == 3


def test_a_large_import_is_added_in_batches(tmp_path: Path) -> None:
    source = tmp_path / "in.ndjson"
    source.write_text("".join(hostile_record(key_value=f"k{i}") for i in range(2500)))
    assert cli(tmp_path, "history", "import", str(source)) == 0
    assert count(tmp_path) == 2500


def _damage(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = home / "in.ndjson"
    source.write_text("".join(hostile_record(key_value=f"k{i}") for i in range(5)))
    assert cli(home, "history", "import", str(source)) == 0
    capsys.readouterr()
    with sqlite3.connect(home / "history.sqlite3") as conn:
        conn.execute("UPDATE exchange SET response_headers = '{bad' WHERE id = 1")
        conn.execute("UPDATE exchange SET diagnostics = '[1' WHERE id = 2")
        conn.execute("UPDATE exchange SET started_at = 'yesterday' WHERE id = 3")
        conn.execute("UPDATE exchange SET outcome = 'weird' WHERE id = 4")
    conn.close()


def test_damaged_rows_are_named_and_the_rest_listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _damage(tmp_path, capsys)
    assert cli(tmp_path, "history", "list", "--json") == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["keyValue"] for line in captured.out.splitlines()] == ["k4", "k1", "k0"]
    assert "exchange #3" in captured.err and "exchange #4" in captured.err and "Traceback" not in captured.err


def test_damaged_rows_are_left_out_of_an_export_and_named(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    _damage(tmp_path, capsys)
    assert cli(tmp_path, "history", "export", "--format", "ndjson") == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["keyValue"] for line in captured.out.splitlines()] == ["k4"]
    for exchange_id in (1, 2, 3, 4):
        assert f"exchange #{exchange_id} in the history is damaged" in captured.err


def test_show_and_stats_of_a_damaged_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _damage(tmp_path, capsys)
    assert cli(tmp_path, "history", "show", "1") == 2
    assert "exchange #1 in the history is damaged: its response_headers" in capsys.readouterr().err
    assert cli(tmp_path, "history", "show", "5") == 0
    assert cli(tmp_path, "history", "stats", "--json") == 0
    stats = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert stats["total"] == 5 and stats["by_outcome"]["weird"] == 1
