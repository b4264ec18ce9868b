"""`yespo-console send` end to end (real sockets, real stores)."""

from __future__ import annotations

import base64
import http.server
import io
import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.cli.helpers import cli
from tests.local_http import serving
from tests.sandbox.helpers import MISSING_PAGE_EVENT, body, free_port
from yespo_console.core.history import HistoryStore
from yespo_console.core.http.environments import Environment, EnvironmentStore
from yespo_console.core.http.outcome import Outcome
from yespo_console.sandbox import Sandbox, SandboxStore

pytestmark = pytest.mark.usefixtures("no_keyring")


def run(data: Path, *args: str) -> int:
    return cli(data, "send", *args)


@pytest.fixture
def event_file(tmp_path: Path) -> Path:
    path = tmp_path / "event.json"
    path.write_bytes(body())
    return path


@pytest.fixture
def invalid_file(tmp_path: Path) -> Path:
    path = tmp_path / "invalid.json"
    path.write_bytes(body(MISSING_PAGE_EVENT))
    return path


def history_rows(data: Path) -> list[Outcome]:
    with HistoryStore.open(data) as store:
        return [store.get(i).outcome for i in range(1, store.count() + 1)]  # type: ignore[union-attr]


def test_send_accepted(
    sandbox_thread: Sandbox, tmp_path: Path, event_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, str(event_file), "--url", sandbox_thread.event_url) == 0
    out = capsys.readouterr().out
    assert "Accepted" in out and "-> 200 in" in out and "Local diagnostics: valid" in out
    assert '"status": "accepted"' in out and "History: exchange #1" in out
    assert sandbox_thread.events()[0].body == body()
    assert history_rows(tmp_path) == [Outcome.ACCEPTED]


def test_send_json_output(
    sandbox_thread: Sandbox, tmp_path: Path, event_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, str(event_file), "--url", sandbox_thread.event_url, "--json") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["outcome"] == "accepted" and result["status"] == 200 and result["durationMs"] > 0
    assert result["diagnostics"]["valid"] is True and result["historyId"] == 1
    assert json.loads(result["response"]["body"])["status"] == "accepted"
    assert result["explanation"]["title"].startswith("Accepted by the sandbox (")
    assert result["explanation"]["title"].endswith("— Yespo would accept it too.")


def test_invalid_is_sent_anyway_and_exits_1(
    sandbox_thread: Sandbox, tmp_path: Path, invalid_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox_thread.account = sandbox_thread.account.changed({"validate": "all"})
    assert run(tmp_path, str(invalid_file), "--url", sandbox_thread.event_url) == 1
    out = capsys.readouterr().out
    assert "Rejected" in out and "The event should have the following params" in out
    assert "INVALID" in out and "field.missing" in out
    assert len(sandbox_thread.events()) == 1
    assert history_rows(tmp_path) == [Outcome.REJECTED]


def test_strict_refuses_to_send(
    sandbox_thread: Sandbox, tmp_path: Path, invalid_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, str(invalid_file), "--url", sandbox_thread.event_url, "--strict") == 4
    captured = capsys.readouterr()
    assert "not sent" in captured.err and "field.missing" in captured.out
    assert sandbox_thread.events() == []
    assert run(tmp_path, str(invalid_file), "--url", sandbox_thread.event_url, "--strict", "--json") == 4
    assert json.loads(capsys.readouterr().out)["sent"] is False


def test_dry_run_sends_nothing(
    sandbox_thread: Sandbox, tmp_path: Path, event_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, str(event_file), "--url", sandbox_thread.event_url, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Dry run: would POST" in out and "Authorization: Basic ••••" in out
    assert "Content-Type: application/json; charset=UTF-8" in out
    assert sandbox_thread.events() == []
    assert not (tmp_path / "history.sqlite3").exists()
    assert run(tmp_path, str(event_file), "--env", "yespo", "--dry-run", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["url"] == "https://yespo.io/api/v2/event" and "YESPO_API_KEY" in shown["note"]


def test_no_history(sandbox_thread: Sandbox, tmp_path: Path, event_file: Path) -> None:
    assert run(tmp_path, str(event_file), "--url", sandbox_thread.event_url, "--no-history") == 0
    assert len(sandbox_thread.events()) == 1
    assert not (tmp_path / "history.sqlite3").exists()


def test_nested_reencodes_with_the_builder(sandbox_thread: Sandbox, tmp_path: Path, event_file: Path) -> None:
    assert run(tmp_path, str(event_file), "--url", sandbox_thread.event_url, "--nested", "object") == 0
    sent = json.loads(sandbox_thread.events()[0].body)
    page = next(p for p in sent["params"] if p["name"] == "page")
    assert page["value"] == {"location": "https://example.com/shoes"}
    assert run(tmp_path, str(event_file), "--url", sandbox_thread.event_url, "--nested", "string") == 0
    again = json.loads(sandbox_thread.events()[0].body)
    assert (
        next(p for p in again["params"] if p["name"] == "page")["value"] == '{"location":"https://example.com/shoes"}'
    )


def test_reads_standard_input(sandbox_thread: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(body())))
    assert run(tmp_path, "-", "--url", sandbox_thread.event_url) == 0
    assert sandbox_thread.events()[0].body == body()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["/no/such/file.json"], "no such file"),
        (["{file}", "--url", "ftp://example.com"], "http:// or https://"),
        (["{file}", "--env", "nowhere"], "No environment named 'nowhere'"),
        (["{file}", "--retries", "-1"], "--retries"),
        (["{file}", "--timeout", "0"], "--timeout"),
        (["{bad}", "--nested", "object"], "--nested needs"),
        (["{file}", "--env", "yespo"], "YESPO_API_KEY"),
        (["{file}", "--url", "http://127.0.0.1:1/e", "--user", "a:b"], "user name"),
    ],
)
def test_bad_arguments_exit_2(
    tmp_path: Path, event_file: Path, args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    argv = [a.format(file=event_file, bad=bad) for a in args]
    assert run(tmp_path, *argv) == 2
    assert words in capsys.readouterr().err


def test_env_and_url_are_exclusive(tmp_path: Path, event_file: Path) -> None:
    with pytest.raises(SystemExit) as info:
        run(tmp_path, str(event_file), "--env", "yespo", "--url", "http://x/e")
    assert info.value.code == 2


def test_network_errors_exit_3(
    sandbox_thread: Sandbox, tmp_path: Path, event_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, str(event_file), "--url", f"http://127.0.0.1:{free_port()}/api/v2/event") == 3
    assert "refused" in capsys.readouterr().out
    sandbox_thread.set_faults(latency_ms=5000)
    assert run(tmp_path, str(event_file), "--url", sandbox_thread.event_url, "--timeout", "0.3") == 3
    assert "Timed out" in capsys.readouterr().out
    assert history_rows(tmp_path) == [Outcome.CONNECTION_ERROR, Outcome.TIMEOUT]


def test_retries_honour_retry_after(
    sandbox_thread: Sandbox, tmp_path: Path, event_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox_thread.set_faults(status=429, retry_after=0)
    assert run(tmp_path, str(event_file), "--url", sandbox_thread.event_url) == 1
    assert "Rate limited" in capsys.readouterr().out
    sandbox_thread.add_listener(lambda event: sandbox_thread.reset_faults())
    assert run(tmp_path, str(event_file), "--url", sandbox_thread.event_url, "--retries", "2") == 0
    assert "Attempts: 2" in capsys.readouterr().out


def test_named_environment_uses_the_variable_and_auth(
    sandbox_thread: Sandbox, tmp_path: Path, event_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    EnvironmentStore.open(tmp_path).save(Environment(name="staging", url=sandbox_thread.event_url))
    monkeypatch.setenv("YESPO_API_KEY", "staging-api-key-1")
    monkeypatch.setenv("YESPO_TOKEN", "staging-token-22")
    assert run(tmp_path, str(event_file), "--env", "staging", "--user", "shop") == 0
    assert sandbox_thread.events()[0].auth == "Basic (user 'shop')"
    assert run(tmp_path, str(event_file), "--env", "staging", "--auth", "bearer") == 0
    assert sandbox_thread.events()[0].auth == "Bearer"


def test_default_sandbox_env_uses_a_running_sandbox(
    sandbox_thread: Sandbox, tmp_path: Path, event_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = EnvironmentStore.open(tmp_path)
    store.save(store.get("sandbox").with_url(sandbox_thread.event_url))
    assert run(tmp_path, str(event_file)) == 0
    assert "temporary" not in capsys.readouterr().err
    assert len(sandbox_thread.events()) == 1


def test_default_sandbox_env_starts_a_temporary_one(
    tmp_path: Path, event_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = EnvironmentStore.open(tmp_path)
    store.save(store.get("sandbox").with_url(f"http://127.0.0.1:{free_port()}/api/v2/event"))
    assert run(tmp_path, str(event_file)) == 0
    captured = capsys.readouterr()
    assert "a temporary one was started" in captured.err and "yespo-console sandbox" in captured.err
    assert "Accepted by the sandbox (Sandbox (local)) — Yespo would accept it too." in captured.out
    records = SandboxStore.open(tmp_path)
    assert [e.body for e in records.list()] == [body()]
    records.close()
    assert run(tmp_path, str(event_file), "--url", f"http://127.0.0.1:{free_port()}/api/v2/event") == 3


def test_a_broken_key_in_the_variable_is_reported(
    tmp_path: Path, event_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("YESPO_API_KEY", "first-line\nsecond-line")
    assert run(tmp_path, str(event_file), "--env", "yespo") == 2
    err = capsys.readouterr().err
    assert "$YESPO_API_KEY" in err and "control characters" in err and "second-line" not in err


def test_an_accepted_event_with_problems_says_so(
    sandbox_thread: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = tmp_path / "cart.json"
    body.write_text(json.dumps({"eventTypeKey": "productViewed", "keyValue": "a@b.co", "params": [
        {"name": "product", "value": {"productId": "A", "price": "abc"}}, {"name": "currencyCode", "value": "GBP"}]}))
    assert run(tmp_path, str(body), "--url", sandbox_thread.event_url) == 0
    out = capsys.readouterr().out
    assert "Accepted by the sandbox (" in out and "— Yespo would accept it too; 2 problems downstream." in out


# -- a real key goes only where it belongs -----------------------------------------------------------

CANARY = "canary-0f3b9a1c7d2e4f60-not-for-the-sandbox"


def test_the_sandbox_environment_never_gets_the_real_key(
    sandbox_thread: Sandbox, tmp_path: Path, event_file: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("YESPO_API_KEY", CANARY)
    monkeypatch.setenv("YESPO_TOKEN", CANARY)
    store = EnvironmentStore.open(tmp_path)
    store.save(store.get("sandbox").with_url(sandbox_thread.event_url))
    sandbox_thread.api_key = CANARY  # accepts only the real key: a 401 proves it was not sent
    for args in ((), ("--auth", "bearer"), ("--url", sandbox_thread.event_url)):
        assert run(tmp_path, str(event_file), *args) == 1, args
        out = capsys.readouterr().out
        assert "Not authorised (401)" in out and "the sandbox default key 'sandbox'" in out, out
    sandbox_thread.api_key = "sandbox"  # the placeholder is what is sent
    assert run(tmp_path, str(event_file)) == 0


class _Stranger(http.server.BaseHTTPRequestHandler):
    """Something on the sandbox's port that is not a console sandbox: answers everything with 200."""

    seen: ClassVar[list[tuple[str, str, str | None]]] = []

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).seen.append((self.command, self.path, self.headers.get("Authorization")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def stranger_url() -> Iterator[str]:
    _Stranger.seen = []
    with serving(_Stranger) as address:
        yield f"http://{address}/api/v2/event"


def test_a_stranger_on_the_sandbox_port_stops_the_send(
    stranger_url: str, tmp_path: Path, event_file: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("YESPO_API_KEY", CANARY)
    store = EnvironmentStore.open(tmp_path)
    store.save(store.get("sandbox").with_url(stranger_url))
    assert run(tmp_path, str(event_file)) == 2
    captured = capsys.readouterr()
    assert "is not a Yespo Console sandbox" in captured.err and "nothing was sent" in captured.err
    assert captured.out == ""
    assert _Stranger.seen == [("GET", "/_sandbox/health", None)]  # asked who it is; sent nothing
    assert not (tmp_path / "history.sqlite3").exists() or history_rows(tmp_path) == []


def test_a_loopback_url_that_is_no_sandbox_is_told_truthfully(
    stranger_url: str, tmp_path: Path, event_file: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("YESPO_API_KEY", CANARY)
    assert run(tmp_path, str(event_file), "--url", stranger_url) == 0
    out = capsys.readouterr().out
    assert "Accepted (200) by 127.0.0.1" in out and "neither a Yespo host nor a Yespo Console sandbox" in out
    assert "by the sandbox" not in out and "nothing reached Yespo" not in out and "Yespo took" not in out
    (_, _, _), (method, _, auth) = _Stranger.seen
    assert method == "POST" and auth == "Basic " + base64.b64encode(b":sandbox").decode()


def test_a_silent_listener_on_the_sandbox_port_stops_the_send(
    tmp_path: Path, event_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # takes connections, never answers
        store = EnvironmentStore.open(tmp_path)
        store.save(store.get("sandbox").with_url(f"http://127.0.0.1:{listener.getsockname()[1]}/api/v2/event"))
        assert run(tmp_path, str(event_file)) == 2
    assert "does not answer" in capsys.readouterr().err
