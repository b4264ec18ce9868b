"""`yespo-console send` of a web tracking body: judged as one, no key needed with auth none, recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import cli
from tests.core import tracker_bodies as tb
from yespo_console.core.history import HistoryStore
from yespo_console.sandbox import Sandbox

pytestmark = pytest.mark.usefixtures("no_keyring")


@pytest.fixture
def cart_file(tmp_path: Path) -> Path:
    path = tmp_path / "cart.json"
    path.write_text(json.dumps(tb.woo_status_cart()))
    return path


def test_a_tracker_body_goes_to_the_sandbox_tracker_without_a_key_and_lands_in_the_history(
        sandbox_thread: Sandbox, tmp_path: Path, cart_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = sandbox_thread.base_url + "/tracker/api/v2"
    assert cli(tmp_path, "send", str(cart_file), "--url", url, "--auth", "none", "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == 200 and result["diagnostics"]["format"] == "tracker"
    assert result["diagnostics"]["eventName"] == "StatusCart" and result["diagnostics"]["diagnostics"] == []
    [event] = sandbox_thread.events()
    assert event.endpoint == "tracker" and "authorization" not in dict(event.headers)
    with HistoryStore.open(tmp_path) as store:
        [row] = store.query()
        assert row.event_type == "StatusCart" and row.status == 200


def test_the_tracker_environment_needs_no_key_and_sends_no_authorization(
        tmp_path: Path, cart_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(tmp_path, "send", str(cart_file), "--env", "tracker", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "https://tracker.yespo.io/api/v2" in out and "Authorization" not in out and "no Authorization" not in out
    assert "Local diagnostics: valid" in out


def test_nested_is_refused_for_a_tracker_body_rather_than_turning_it_into_an_event(
        tmp_path: Path, cart_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(tmp_path, "send", str(cart_file), "--env", "tracker", "--nested", "object", "--dry-run") == 2
    assert "web tracking body" in capsys.readouterr().err
