"""`yespo-console history ...` end to end through the real entry point, on a real history file."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from haralyzer import HarParser

from tests.cli.helpers import cli, run_process
from yespo_console.cli.main import main
from yespo_console.core.history import HistoryStore, VerificationRecord
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("YESPO_CONSOLE_HOME", raising=False)
    folder = tmp_path / "home"
    with HistoryStore(folder / "history.sqlite3") as store:
        rows = [
            ("pageViewed", "a@example.com", 200, NOW - timedelta(days=3)),
            ("cartUpdated", "b@example.com", 400, NOW - timedelta(hours=5)),
            ("cartUpdated", "c@example.com", 429, NOW - timedelta(minutes=10)),
        ]
        for event, key, status, at in rows:
            body = json.dumps({"eventTypeKey": event, "keyValue": key, "params": []}).encode()
            exchange_id = store.begin(ExchangeRequest(url="https://yespo.io/api/v2/event", body=body,
                                                      event_type=event, key_value=key, started_at=at,
                                                      headers=(("Authorization", "Basic ••••"),)))
            store.complete(exchange_id, ExchangeResult(Outcome.from_status(status), status, body=b"reply",
                                                       duration_ms=20.0))
    yield folder


def run(home: Path, *args: str) -> int:
    return cli(home, "history", *args)


def test_list_json_has_one_object_per_line_with_the_promised_fields(
        home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(home, "list", "--json") == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["keyValue"] for row in lines] == ["c@example.com", "b@example.com", "a@example.com"]
    for row in lines:
        assert {"id", "time", "environment", "url", "eventTypeKey", "keyValue", "status", "outcome",
                "duration_ms"} <= set(row)
    assert lines[0]["outcome"] == "rate_limited" and lines[0]["duration_ms"] == 20.0


@pytest.mark.parametrize(("args", "keys"), [
    (["--event", "cartUpdated"], ["c@example.com", "b@example.com"]),
    (["--outcome", "rejected", "--outcome", "accepted"], ["b@example.com", "a@example.com"]),
    (["--search", "b@example.com"], ["b@example.com"]),
    (["--since", "1d"], ["c@example.com", "b@example.com"]),
    (["--since", (NOW - timedelta(hours=1)).isoformat()], ["c@example.com"]),
    (["--until", "1h"], ["b@example.com", "a@example.com"]),
    (["--status", "429"], ["c@example.com"]),
    (["--limit", "1"], ["c@example.com"]),
    (["--starred"], []),
    (["--env", "production"], []),
])
def test_list_filters(home: Path, capsys: pytest.CaptureFixture[str], args: list[str], keys: list[str]) -> None:
    assert run(home, "list", "--json", *args) == 0
    assert [json.loads(line)["keyValue"] for line in capsys.readouterr().out.splitlines()] == keys


def test_list_pages_and_prints_a_table(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(home, "list", "--limit", "2") == 0
    captured = capsys.readouterr()
    table = captured.out.splitlines()
    assert table[0].split()[:3] == ["ID", "TIME", "ENV"] and len(table) == 3
    assert "more: --before-id 2" in captured.err
    assert run(home, "list", "--before-id", "2") == 0
    assert "a@example.com" in capsys.readouterr().out
    assert run(home) == 0  # no action: the latest
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_show_prints_one_exchange_or_exits_1(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(home, "show", "2") == 0
    out = capsys.readouterr().out
    assert "Exchange #2" in out and "Rejected (400)" in out and '"keyValue": "b@example.com"' in out
    assert "Authorization: Basic ••••" in out
    assert run(home, "show", "2", "--json") == 0
    record = json.loads(capsys.readouterr().out)
    assert record["status"] == 400 and record["response"]["body"] == "reply"
    assert run(home, "show", "99") == 1
    assert capsys.readouterr().err.strip() == "yespo-console: no exchange #99 in the history"


def test_export_each_format_to_a_file(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for fmt in ("ndjson", "har", "curl", "httpx"):
        out = tmp_path / f"out.{fmt}"
        assert run(home, "export", "--format", fmt, "--out", str(out), "--event", "cartUpdated") == 0
        assert "exported 2 exchange(s)" in capsys.readouterr().err
    assert len((tmp_path / "out.ndjson").read_text().splitlines()) == 2
    assert len(HarParser(json.loads((tmp_path / "out.har").read_text())).pages[0].entries) == 2
    assert (tmp_path / "out.curl").stat().st_mode & stat.S_IXUSR
    assert subprocess.run(["sh", "-n", str(tmp_path / "out.curl")]).returncode == 0
    compile((tmp_path / "out.httpx").read_text(), "out.py", "exec")
    assert not list(tmp_path.glob(".out.*"))  # no temporary file left behind


def test_export_chosen_exchanges_by_id(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(home, "export", "--format", "ndjson", "--id", "3", "--id", "1") == 0
    assert [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()] == [3, 1]
    assert run(home, "export", "--format", "curl", "--id", "2", "--id", "77") == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "no exchange #77" in captured.err


def test_export_to_stdout_then_import_into_another_folder(home: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert run(home, "export", "--format", "ndjson") == 0
    exported = tmp_path / "all.ndjson"
    exported.write_text(capsys.readouterr().out)
    other = tmp_path / "other"
    assert cli(other, "history", "import", str(exported)) == 0
    assert "imported 3 exchange(s), skipped 0" in capsys.readouterr().out
    assert cli(other, "history", "import", str(exported)) == 0
    assert "imported 0 exchange(s), skipped 3" in capsys.readouterr().out


def test_import_problems_exit_2_with_one_line(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(home, "import", str(tmp_path / "missing.ndjson")) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"time": "2025-01-01", "url": "x"}\nnot json\n')
    assert run(home, "import", str(bad)) == 2
    err = capsys.readouterr().err
    assert err.startswith("yespo-console: line 2: not JSON") and len(err.splitlines()) == 1
    with HistoryStore(home / "history.sqlite3") as store:
        assert store.count() == 3  # nothing from a bad file is added


def test_clear_needs_yes_when_not_interactive(home: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with open(__file__) as not_a_terminal:
        monkeypatch.setattr(sys, "stdin", not_a_terminal)
        assert run(home, "clear") == 2
    assert "add --yes" in capsys.readouterr().err
    assert run(home, "clear", "--yes") == 0
    assert "deleted 3 exchange(s)" in capsys.readouterr().out
    assert run(home, "list", "--json") == 0
    assert capsys.readouterr().out == ""


def test_prune_and_stats(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(home, "stats", "--json") == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["total"] == 3 and stats["by_event_type"] == {"cartUpdated": 2, "pageViewed": 1}
    assert run(home, "stats") == 0
    assert "exchanges     3" in capsys.readouterr().out
    assert run(home, "prune") == 2
    capsys.readouterr()
    assert run(home, "prune", "--older-than", "1d") == 0
    assert "deleted 1 exchange(s)" in capsys.readouterr().out
    assert run(home, "prune", "--keep", "1") == 0
    assert "deleted 1 exchange(s)" in capsys.readouterr().out


def test_prune_older_than_the_calendar_deletes_nothing(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(home, "prune", "--older-than", "999999d") == 0
    assert "deleted 0 exchange(s)" in capsys.readouterr().out


@pytest.mark.parametrize("args", [
    ["list", "--since", "last tuesday"],
    ["list", "--since", "999999d"],  # before the year 1: a plain error, not an OverflowError traceback
    ["list", "--until", "9999999w"],
    ["list", "--limit", "0"],
    ["list", "--outcome", "great"],
    ["show", "abc"],
    ["export"],
    ["export", "--format", "xml"],
    ["prune", "--keep", "-1"],
    ["list", "--verified", "--unverified"],
])
def test_bad_arguments_exit_2(home: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(home, *args)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_an_unusable_store_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "newer"
    folder.mkdir()
    conn = sqlite3.connect(folder / "history.sqlite3")
    conn.execute("PRAGMA user_version = 42")
    conn.close()
    assert cli(folder, "history", "list") == 2
    err = capsys.readouterr().err
    assert "newer Yespo Console" in err and "Traceback" not in err and len(err.splitlines()) == 1

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert cli(blocked, "history", "list") == 2
    err = capsys.readouterr().err
    assert err.startswith("yespo-console: ") and len(err.splitlines()) == 1


def test_the_environment_variable_picks_the_folder(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("YESPO_CONSOLE_HOME", str(home))
    assert main(["history", "list", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_a_real_process_exits_2_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "history.sqlite3"
    bad.write_bytes(b"not a database at all" * 50)
    code, _, err = run_process("--data-dir", str(tmp_path), "history", "list")
    assert code == 2
    assert "Traceback" not in err and "damaged" in err


def _verify(home: Path) -> None:
    """#3 followed by its workflow's email, #1 by nothing within two minutes, as `verify` keeps them."""
    message = {"channel": "email", "time": NOW.isoformat(), "status": "DELIVERED", "subject": "Your cart"}
    with HistoryStore(home / "history.sqlite3") as store:
        store.set_verification(VerificationRecord(3, NOW, "linked", "Followed by 1 message sent after it.",
                                                  {"status": "linked", "contact": {"id": 42}, "messages": [message],
                                                   "activities": [], "waitedS": 4.0}))
        store.set_verification(VerificationRecord(1, NOW, "nothing", "Nothing linked appeared within 120 s.",
                                                  {"status": "nothing", "contact": {"id": 42}, "waitedS": 120.0}))


def test_list_verified_says_what_followed(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(home, "list") == 0
    assert "FOLLOWED" not in capsys.readouterr().out  # no column while nothing on the page was verified
    _verify(home)
    assert run(home, "list", "--verified") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("FOLLOWED") and len(lines) == 3
    assert lines[1].startswith("      3  ✓ ") and lines[1].endswith(" message email DELIVERED")
    assert lines[2].startswith("      1  ✗ ") and lines[2].endswith(" nothing within 2m")
    assert run(home, "list", "--unverified", "--json") == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["id"] == 2 and "verification" not in row
    assert run(home, "list", "--verified", "--event", "cartUpdated", "--json") == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (row["id"], row["verification"], row["followed"]) == (3, "linked", "message email DELIVERED")
    assert datetime.fromisoformat(row["verifiedAt"]) == NOW


def test_export_import_keeps_verifications_and_names_a_bad_one(home: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    _verify(home)
    assert run(home, "export", "--format", "ndjson") == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r.get("verification", {}).get("status") for r in records] == ["nothing", None, "linked"]
    assert records[2]["verification"]["contactFound"] is True
    records[0]["verification"]["status"] = "\x1b]0;owned\x07"  # hostile: also a terminal escape
    exported = tmp_path / "out.ndjson"
    exported.write_text("".join(json.dumps(r) + "\n" for r in records))
    other = tmp_path / "other"
    assert cli(other, "history", "import", str(exported)) == 0
    captured = capsys.readouterr()
    assert "imported 3 exchange(s) (1 with their verification), skipped 0" in captured.out
    (warning,) = captured.err.splitlines()
    assert warning.startswith(f"yespo-console: warning: {exported}: line 1: verification: 'status' must be one of")
    assert "\x1b" not in warning and warning.endswith("the exchange is imported without it")
    assert cli(other, "history", "list", "--verified", "--json") == 0
    assert [json.loads(line)["keyValue"] for line in capsys.readouterr().out.splitlines()] == ["c@example.com"]
    assert run(home, "export", "--format", "har") == 0
    entries = json.loads(capsys.readouterr().out)["log"]["entries"]
    assert [e.get("_yespoVerification", {}).get("status") for e in entries] == ["nothing", None, "linked"]
