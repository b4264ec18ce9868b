"""`account`, `contact find`, `activity` and `verify` through the real entry point, against a scripted Yespo
on 127.0.0.1 (tests.local_http.Scripted), with a real history file in a temporary data folder."""

from __future__ import annotations

import base64
import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli.helpers import cli
from tests.local_http import Answer, Scripted, serving
from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.environments import Environment, EnvironmentStore
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome

CANARY = "cli-canary-key-7d1e0f9a"
CONTACT = {"id": 42, "firstName": "Ann", "channels": [{"type": "email", "value": "ann@example.com"}]}


@pytest.fixture
def yespo(no_keyring, monkeypatch) -> Iterator[tuple[Scripted, str]]:
    """The scripted server, and an environment `local` for it (a remote kind: it gets the real key)."""
    script = Scripted()
    script.on("/api/v1/workflows", Answer(200, [{"id": 7, "name": "Abandoned cart", "status": "active"}]))
    script.on("/api/v2/contacts/messages", Answer(200, []))
    monkeypatch.setenv("YESPO_API_KEY", CANARY)
    with serving(script.handler()) as host:
        yield script, host


@pytest.fixture
def data(tmp_path: Path, yespo) -> Path:
    folder = tmp_path / "data"
    EnvironmentStore.open(folder).save(Environment(name="local", url=f"http://{yespo[1]}/api/v2/event"))
    return folder


def output(capsys) -> str:
    return capsys.readouterr().out


def test_account_says_who_the_key_belongs_to(yespo, data, capsys) -> None:
    script, _ = yespo
    script.on("/api/v1/account/info", Answer(200, {"userEmail": "qa@shop.example", "organisationName": "Shop\x1b[2J"}))
    assert cli(data, "account", "--env", "local") == 0
    out = output(capsys)
    assert "organisation  Shop\\x1b[2J" in out and "qa@shop.example" in out and "\x1b" not in out
    assert script.seen[0].headers["Authorization"] == "Basic " + base64.b64encode(f":{CANARY}".encode()).decode()
    assert cli(data, "account", "--env", "local", "--json") == 0
    assert json.loads(output(capsys)) == {"ok": True, "environment": "local", "base": f"http://{yespo[1]}/api",
                                          "organisationName": "Shop\x1b[2J", "userEmail": "qa@shop.example"}
    with HistoryStore.open(data) as store:
        rows = store.query(HistoryFilter(kind="lookup"))
    assert [r.url for r in rows] == [f"http://{yespo[1]}/api/v1/account/info"] * 2
    on_disk = b"".join(p.read_bytes() for p in data.rglob("*") if p.is_file())
    assert CANARY.encode() not in on_disk


@pytest.mark.parametrize(("answer", "code", "words"), [
    (Answer(401, b""), 1, "Wrong key (401)"),
    (Answer(403, b""), 1, "No access for this call (403)"),
    (Answer(200, b"<html>portal</html>"), 1, "Not a Yespo answer"),
])
def test_account_says_why_it_failed(yespo, data, capsys, answer: Answer, code: int, words: str) -> None:
    yespo[0].on("/api/v1/account/info", answer)
    assert cli(data, "account", "--env", "local") == code
    assert words in output(capsys)


def test_account_unreachable_is_exit_3_and_no_key_is_said(data, capsys, monkeypatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    EnvironmentStore.open(data).save(Environment(name="gone", url=f"http://127.0.0.1:{port}/api/v2/event"))
    assert cli(data, "account", "--env", "gone", "--json") == 3
    assert json.loads(output(capsys))["error"]["kind"] == "unreachable"
    monkeypatch.delenv("YESPO_API_KEY")
    assert cli(data, "account", "--env", "yespo") == 1
    assert "No API key for environment 'yespo'" in output(capsys)
    assert cli(data, "account", "--env", "nowhere") == 2


def test_contact_find(yespo, data, capsys) -> None:
    script, _ = yespo
    script.on("/api/v1/contacts", Answer(200, [CONTACT]), Answer(200, []))
    assert cli(data, "contact", "find", "--phone", "+380501234567", "--env", "local") == 0
    assert "Contact found: #42 Ann (email ann@example.com)" in output(capsys)
    assert script.seen[-1].query["sms"] == ["+380501234567"]
    assert cli(data, "contact", "find", "--external-id", "c-9", "--env", "local", "--json") == 1
    assert json.loads(output(capsys)) == {"ok": True, "contacts": []}
    assert script.seen[-1].query["externalCustomerId"] == ["c-9"]


def test_activity_lists_the_entries_since_a_span(yespo, data, capsys) -> None:
    script, _ = yespo
    entry = {"activityDateTime": "2026-01-01T10:00:00", "activityStatus": "DELIVERED", "mediaType": "email",
             "workflowId": 7, "sourceEventTypeKey": "cartUpdated", "sourceEventKey": "ann@example.com"}
    script.on("/api/v2/contacts/activity", Answer(200, [entry]))
    assert cli(data, "activity", "--email", "ann@example.com", "--since", "30m", "--env", "local") == 0
    assert "DELIVERED  email  workflow #7  from cartUpdated (ann@example.com)" in output(capsys)
    [seen] = script.seen
    since = datetime.strptime(seen.query["dateFrom"][0], "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    assert 25 * 60 < (datetime.now(UTC) - since).total_seconds() < 35 * 60
    with pytest.raises(SystemExit) as caught:
        cli(data, "activity", "--email", "a@b.c", "--since", "forever")
    assert caught.value.code == 2 and "not a duration" in capsys.readouterr().err


def _sent(data: Path, environment: str = "local", kind: str = "send") -> int:
    with HistoryStore.open(data) as store:
        exchange_id = store.begin(ExchangeRequest(
            url="http://x/api/v2/event", body=b"{}", environment=environment, event_type="cartUpdated",
            key_value="ann@example.com", key_value_source="email", kind=kind))  # type: ignore[arg-type]
        store.complete(exchange_id, ExchangeResult(Outcome.ACCEPTED, status=200))
    return exchange_id


def test_verify_the_last_send_finds_the_linked_activity_and_keeps_it(yespo, data, capsys) -> None:
    script, _ = yespo
    exchange_id = _sent(data)
    script.on("/api/v1/contacts", Answer(200, [CONTACT]))
    linked = {"activityDateTime": datetime.now(UTC).isoformat(), "activityStatus": "DELIVERED",
              "mediaType": "email", "workflowId": 7, "sourceEventTypeKey": "cartUpdated",
              "sourceEventKey": "ann@example.com"}
    script.on("/api/v2/contacts/activity", Answer(200, []), Answer(200, [linked]))
    assert cli(data, "verify", "--last", "--interval", "50ms", "--wait", "10s") == 0
    out = output(capsys)
    assert "Contact found: #42 Ann" in out and "Abandoned cart" in out and "kept with the exchange" in out
    assert len(script.hits("/api/v2/contacts/activity")) == 2
    assert cli(data, "history", "show", str(exchange_id)) == 0
    shown = output(capsys)
    assert "Verification (" in shown and ": linked" in shown and "Abandoned cart" in shown
    assert cli(data, "history", "show", str(exchange_id), "--json") == 0
    assert json.loads(output(capsys))["verification"]["status"] == "linked"
    assert cli(data, "history", "list", "--kind", "send") == 0
    assert f"{exchange_id:>7}  ✓ " in output(capsys)
    assert cli(data, "history", "list", "--kind", "send", "--json") == 0
    assert json.loads(output(capsys).splitlines()[0])["verification"] == "linked"


def test_verify_contact_not_found_nothing_within_the_wait_and_bad_input(yespo, data, capsys) -> None:
    script, _ = yespo
    exchange_id = _sent(data)
    script.on("/api/v1/contacts", Answer(200, []), Answer(200, [CONTACT]))
    assert cli(data, "verify", str(exchange_id), "--json") == 1
    assert json.loads(output(capsys))["status"] == "contact_not_found"
    script.on("/api/v2/contacts/activity", Answer(200, []))
    assert cli(data, "verify", str(exchange_id), "--interval", "100ms", "--wait", "300ms") == 1
    assert "Nothing linked to the event appeared within 0.3 s" in output(capsys)
    assert cli(data, "history", "list") == 0
    assert f"{exchange_id:>7}  ✗ " in output(capsys)
    lookup = _sent(data, kind="lookup")
    assert cli(data, "verify", str(lookup)) == 2
    assert cli(data, "verify", "999") == 2
    custom = _sent(data, environment="custom")
    assert cli(data, "verify", str(custom)) == 2
    assert "give --url or --env" in capsys.readouterr().err


def test_verify_unreachable_is_exit_3(data, capsys) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    EnvironmentStore.open(data).save(Environment(name="local", url=f"http://127.0.0.1:{port}/api/v2/event"))
    _sent(data)
    assert cli(data, "verify", "--last", "--json") == 3
    assert json.loads(output(capsys))["error"]["kind"] == "unreachable"


def test_verify_counts_down_on_a_terminal_and_ctrl_c_stops_it_cleanly(yespo, data) -> None:
    script, _ = yespo
    exchange_id = _sent(data)
    script.on("/api/v1/contacts", Answer(200, [CONTACT]))
    script.on("/api/v2/contacts/activity", Answer(200, []))
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "yespo_console", "--data-dir", str(data), "verify", "--last",
                                "--interval", "30s", "--wait", "1m"], stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 30
    while b"poll 1, 0:5" not in seen and time.monotonic() < deadline:  # waiting after the first poll
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            seen += os.read(leader, 4096)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    os.close(leader)
    line = rb"\rFollowing cartUpdated up: poll 1, 0:[45]\d left \(Ctrl\+C stops\)"
    assert re.search(line, seen.replace(b"\x1b[K", b""))
    assert process.returncode == 130
    assert b"Stopped before anything linked appeared." in out
    with HistoryStore.open(data) as store:
        assert store.verifications([exchange_id])[exchange_id].status == "cancelled"
