"""Issue 15 (4, 5): a stranger's text (keyValue, event type, a server's answer) never reaches the terminal with
its escapes raw, human output shows them as visible escapes, and JSON output stays exact JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import cli
from tests.cli.hostile import ESCAPES, hostile_record, hostile_server, no_raw_controls
from yespo_console.cli.io import print_json, say
from yespo_console.core.history import HistoryStore

pytestmark = pytest.mark.usefixtures("no_keyring")


@pytest.fixture
def hostile_home(tmp_path: Path) -> Path:
    export = tmp_path / "in.ndjson"
    export.write_text(hostile_record())
    home = tmp_path / "home"
    assert cli(home, "history", "import", str(export)) == 0
    return home


def test_say_escapes_controls_but_keeps_lines(capsys: pytest.CaptureFixture[str]) -> None:
    say(f"a{ESCAPES}\n\tb")
    out = capsys.readouterr().out
    assert no_raw_controls(out) and "\\x1b]0;pwned\\x07" in out and "\n\tb" in out


def test_print_json_is_exact_and_printable(capsys: pytest.CaptureFixture[str]) -> None:
    value = {"k": f"Привіт{ESCAPES}\ud800"}
    print_json(value)
    out = capsys.readouterr().out
    assert no_raw_controls(out) and "Привіт" in out and json.loads(out) == value


@pytest.mark.parametrize("args", [("history", "list"), ("history", "show", "1"), ("history", "stats")])
def test_history_human_output_shows_escapes(hostile_home: Path, args: tuple[str, ...],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(hostile_home, *args) == 0
    captured = capsys.readouterr()
    assert no_raw_controls(captured.out + captured.err)
    assert "\\x1b]0;pwned" in captured.out


@pytest.mark.parametrize("args", [("history", "list", "--json"), ("history", "show", "1", "--json")])
def test_history_json_output_is_exact(hostile_home: Path, args: tuple[str, ...],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(hostile_home, *args) == 0
    out = capsys.readouterr().out
    assert no_raw_controls(out)
    assert json.loads(out)["keyValue"] == f"kv{ESCAPES}"


def test_send_shows_a_hostile_answer_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YESPO_API_KEY", "test-key")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"eventTypeKey": f"x{ESCAPES}", "keyValue": f"k{ESCAPES}", "params": []}))
    with hostile_server() as url:
        assert cli(tmp_path, "send", str(event), "--url", url) == 1
        human = capsys.readouterr()
        assert cli(tmp_path, "send", str(event), "--url", url, "--json") == 1
        machine = capsys.readouterr().out
    assert no_raw_controls(human.out + human.err) and "\\x1b]0;pwned" in human.out
    assert no_raw_controls(machine)
    assert ESCAPES in json.loads(machine)["response"]["body"]


def test_inspect_text_and_json_escape_a_hostile_body(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"eventTypeKey": f"x{ESCAPES}", "keyValue": "\ud800", "params": []}))
    assert cli(tmp_path, "inspect", str(event)) == 1
    human = capsys.readouterr().out
    assert cli(tmp_path, "inspect", str(event), "--json") == 1
    machine = capsys.readouterr().out
    assert no_raw_controls(human) and no_raw_controls(machine)
    assert json.loads(machine)["keyValue"] == "\ud800"


def test_a_lone_surrogate_is_sent_recorded_and_exported(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The reproduction: `"keyValue":"\\ud800"` passed inspect, but send then failed to record it."""
    monkeypatch.setenv("YESPO_API_KEY", "test-key")
    sent = b'{"eventTypeKey":"pageViewed","keyValue":"\\ud800","params":[]}'
    event = tmp_path / "event.json"
    event.write_bytes(sent)
    with hostile_server() as url:
        cli(tmp_path, "send", str(event), "--url", url)
    assert "not recorded" not in capsys.readouterr().err.lower()
    with HistoryStore.open(tmp_path) as store:
        (exchange,) = store.iter_exchanges()
    assert exchange.request_body == sent and exchange.key_value == "\\ud800"
    assert cli(tmp_path, "history", "export", "--format", "ndjson", "--out", str(tmp_path / "out.ndjson")) == 0
    other = tmp_path / "other"
    assert cli(other, "history", "import", str(tmp_path / "out.ndjson")) == 0
    with HistoryStore.open(other) as store:
        (again,) = store.iter_exchanges()
    assert again.request_body == sent


def test_an_argument_error_quotes_the_argument_escaped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        cli(tmp_path, "history", "list", f"x{ESCAPES}")  # "unrecognized arguments" quotes it as typed
    err = capsys.readouterr().err
    assert info.value.code == 2 and no_raw_controls(err) and "\\x1b]0;pwned" in err
