"""`yespo-console profile …` and `--profile` on the commands that build or judge events."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest

from tests.cli.helpers import cli
from tests.sandbox.helpers import start_sandbox_process
from yespo_console.core.history import HistoryStore
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome

REJECTION = ('The event should have the following params: [{"name":"externalCustomerId","required":true},'
             '{"name":"cartId","required":true},{"name":"totalValue","required":false}]')


def test_list_and_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(tmp_path, "profile", "list") == 0
    out = capsys.readouterr().out
    assert f"Profiles folder: {tmp_path / 'profiles'}" in out and "abandoned-cart" in out
    assert cli(tmp_path, "profile", "show", "abandoned-cart") == 0
    out = capsys.readouterr().out
    assert "AbandonedCart: Abandoned cart" in out and "  cartId *  string" in out and "orderCreated" in out
    assert cli(tmp_path, "profile", "show", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["name"] == "Built-in" and len(shown["eventTypes"]) == 11
    assert cli(tmp_path, "profile", "show", "nope") == 2
    assert "no profile 'nope'" in capsys.readouterr().err


def test_from_400_writes_a_profile_that_drives_example_and_inspect(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text(REJECTION)
    out = tmp_path / "shop.yaml"
    assert cli(tmp_path, "profile", "from-400", str(answer), "--event", "AbandonedCart", "--out", str(out)) == 0
    assert "Wrote" in capsys.readouterr().err and out.read_text().startswith("# AbandonedCart: built from")
    assert cli(tmp_path, "profile", "from-400", str(answer), "--event", "AbandonedCart", "--out", str(out)) == 2
    assert "--force" in capsys.readouterr().err
    assert cli(tmp_path, "example", "AbandonedCart", "--profile", str(out)) == 0
    body = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in body["params"]] == ["externalCustomerId", "cartId", "totalValue"]
    body["params"] = body["params"][:1]
    sent = tmp_path / "sent.json"
    sent.write_text(json.dumps(body))
    assert cli(tmp_path, "inspect", str(sent), "--profile", str(out), "--json") == 1
    judged = json.loads(capsys.readouterr().out)
    assert judged["verdict"] == {"validationOff": "accepted", "validationOn": "rejected"}
    assert judged["profile"] == {"name": "AbandonedCart", "validateParameters": False}
    assert cli(tmp_path, "inspect", str(sent), "--json") == 0  # the built-in profile does not know the type
    capsys.readouterr()
    assert cli(tmp_path, "example", "AbandonedCart") == 2
    assert "unknown event type 'AbandonedCart'" in capsys.readouterr().err
    answer.write_text("Bad request")
    assert cli(tmp_path, "profile", "from-400", str(answer), "--event", "X") == 2
    assert "paste the whole body" in capsys.readouterr().err


def test_infer_from_the_history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with HistoryStore.open(tmp_path) as history:
        for total in (250.75, 12):
            body = json.dumps({"eventTypeKey": "AbandonedCart", "params": [
                {"name": "externalCustomerId", "value": "u"}, {"name": "totalValue", "value": total}]}).encode()
            row = history.begin(ExchangeRequest(url="http://127.0.0.1:1/api/v2/event", body=body,
                                                environment="sandbox", event_type="AbandonedCart"))
            history.complete(row, ExchangeResult(outcome=Outcome.ACCEPTED, status=200))
    assert cli(tmp_path, "profile", "infer", "--event", "AbandonedCart", "--name", "Shop") == 0
    text = capsys.readouterr().out
    assert "inferred from the 2 newest sent event(s)" in text and "name: Shop" in text
    assert "- name: totalValue\n    type: number\n    required: true" in text
    assert cli(tmp_path, "profile", "infer", "--event", "Nope") == 2
    assert "no sent event of type 'Nope'" in capsys.readouterr().err


def test_sandbox_validate_option(tmp_path: Path) -> None:
    process, base = start_sandbox_process(tmp_path, "--profile", "abandoned-cart", "--validate", "AbandonedCart")
    try:
        lacking = {"eventTypeKey": "AbandonedCart", "params": [{"name": "externalCustomerId", "value": "u"}]}
        answer = httpx.post(base + "/api/v2/event", json=lacking, auth=("", "k"), trust_env=False)
        assert answer.status_code == 400 and answer.text.startswith(
            'The event should have the following params: [{"name":"externalCustomerId","required":true},'
            '{"name":"cartId","required":true}')
        settings = httpx.get(base + "/_sandbox/settings", trust_env=False).json()
        assert settings["validate"] == ["AbandonedCart"] and settings["profile"] == "Example shop (AbandonedCart)"
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)


@pytest.mark.parametrize("args", [["--validate", ""], ["--profile", "nope"], ["--validate", ","]])
def test_sandbox_refuses_bad_profile_options(tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    assert cli(tmp_path, "sandbox", "--port", "0", *args) == 2
    assert "--profile/--validate" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "event", "words"), [
    ("The event should have the following params: " + "[" * 100_000 + "]" * 100_000, "X", "nested too deeply"),
    ('The event should have the following params: [{"name":"\\ud800","required":true}]', "X", "lone surrogate"),
    ('The event should have the following params: [{"name":"a\\u001b]0;x\\u0007","required":true}]', "X",
     "control characters"),
    ('The event should have the following params: [{"name":"a","required":true}]', "bad/key", "cannot hold /"),
    ('The event should have the following params: [{"name":"a","required":true}]', "k\x1b[2J", "would not read back"),
])
def test_from_400_refuses_what_a_profile_cannot_hold_with_a_message(
        tmp_path: Path, text: str, event: str, words: str, capsys: pytest.CaptureFixture[str]) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_text(text, encoding="utf-8")
    assert cli(tmp_path, "profile", "from-400", str(answer), "--event", event) == 2
    captured = capsys.readouterr()
    assert words in captured.err and "Traceback" not in captured.err and "\x1b" not in captured.err
    assert captured.out == ""
