"""The whole loop against the console's own sandbox (the account double), through the commands a user types:
a test contact, a cartUpdated sent, the contact found, the workflow's message linked to that event; and an event
for an unknown contact, verified as Contact not found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import cli
from tests.sandbox.account_helpers import add_contact, cart_event, fast_workflows
from tests.sandbox.helpers import SandboxThread
from yespo_console.sandbox.settings import AccountSettings


@pytest.fixture
def account(tmp_path: Path):  # type: ignore[no-untyped-def]
    runner = SandboxThread(port=0, data_dir=tmp_path / "account", workflows=fast_workflows(),
                           account=AccountSettings(time_scale=0.001))
    sandbox = runner.start()
    try:
        yield sandbox
    finally:
        runner.stop()


def test_send_then_verify_finds_the_contact_and_the_linked_message(
        account, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    add_contact(account.base_url, "ann@example.com")
    body = tmp_path / "cart.json"
    body.write_text(json.dumps(cart_event("ann@example.com")))
    assert cli(tmp_path, "send", str(body), "--url", account.event_url) == 0
    capsys.readouterr()
    assert cli(tmp_path, "verify", "--last", "--url", account.event_url, "--wait", "30s", "--interval", "1s",
               "--json") == 0
    result = json.loads(capsys.readouterr().out)
    text = json.dumps(result)
    assert "ann@example.com" in text and "cartUpdated" in text
    assert cli(tmp_path, "contact", "find", "--email", "ann@example.com", "--url", account.event_url, "--json") == 0
    assert "ann@example.com" in capsys.readouterr().out
    assert cli(tmp_path, "history", "show", "1") == 0
    assert "verif" in capsys.readouterr().out.lower()


def test_an_unknown_contact_is_verified_as_not_found(
        account, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    body = tmp_path / "cart.json"
    body.write_text(json.dumps(cart_event("nobody@example.com")))
    assert cli(tmp_path, "send", str(body), "--url", account.event_url) == 0
    capsys.readouterr()
    assert cli(tmp_path, "verify", "--last", "--url", account.event_url, "--wait", "3s", "--interval", "1s") == 1
    assert "Contact not found" in capsys.readouterr().out
