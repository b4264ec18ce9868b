"""`yespo-console past-events`: a file of past events sent in batches, real sandbox, real history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import cli
from yespo_console.core.history import HistoryStore
from yespo_console.sandbox import Sandbox

pytestmark = pytest.mark.usefixtures("no_keyring")


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
    with HistoryStore.open(tmp_path) as store:
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


def test_past_events_warns_about_occurred_outside_the_documented_forms(sandbox_thread: Sandbox, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = _events_file(tmp_path / "e.ndjson", 23)
    assert cli(tmp_path, "past-events", str(path), "--url", sandbox_thread.event_url, "--json") == 0
    err = capsys.readouterr().err
    assert "warning: line 1: occurred '2025-06-01T10:00:00Z' is not in a documented form" in err
    assert err.count("is not in a documented form") == 20 and "3 more events with such an occurred" in err
