"""`yespo-console proxy` as a person or a script runs it: in its own process, until Ctrl+C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.relay.conftest import LocalUpstream
from tests.sandbox.helpers import body
from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.masking import secret_forms

ESCAPE = "\x1b[2J"


def _proxy(home: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("YESPO_CONSOLE_HOME",)}
    return subprocess.Popen([sys.executable, "-m", "yespo_console", "--data-dir", str(home), "proxy", *args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", env=env)


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yespo_console", "--data-dir", str(home), "proxy", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8", timeout=60)


@pytest.mark.parametrize("json_lines", [False, True], ids=["lines", "json"])
def test_the_command_relays_prints_each_exchange_and_stops_on_ctrl_c(upstream: LocalUpstream, tmp_path: Path,
                                                                     json_lines: bool) -> None:
    process = _proxy(tmp_path, "--to", upstream.url, "--port", "0", *(["--json"] if json_lines else []))
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("Yespo Console proxy listening on http://127.0.0.1:"), first
        base = first.split()[-1]
        event = json.loads(body())
        event["eventTypeKey"] = f"cart{ESCAPE}Updated"  # a stranger's text, to be escaped in the line
        with httpx.Client(base_url=base, trust_env=False) as client:
            answer = client.post("/api/v2/event?answer=400&apikey=the-shop-key-123", content=json.dumps(event).encode(),
                                 headers={"Content-Type": "application/json"}, auth=("shop", "the-shop-key-123"))
        assert answer.status_code == 400
        line = process.stdout.readline()
        while line.startswith("  "):  # the banner under the first line
            line = process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert ESCAPE not in line + out
    forms = secret_forms("the-shop-key-123", "shop")
    shown = (line + out + err).encode()
    files = {path.name: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}
    assert "history.sqlite3" in files  # and proxy.log, when anything was logged
    assert [form for form in forms if form in shown] == []
    assert [(name, form) for name, data in files.items() for form in forms if form in data] == []
    if json_lines:
        shown = json.loads(line)
        assert shown["status"] == 400 and shown["outcome"] == "rejected" and shown["eventTypeKey"].endswith("Updated")
    else:
        assert "POST /api/v2/event?answer=400&apikey=•••• -> 400 (Rejected" in line and "\\x1b[2J" in line
    with HistoryStore.open(tmp_path) as store:
        assert store.count(HistoryFilter(kind="proxied")) == 1


def test_production_needs_a_yes_without_a_terminal(tmp_path: Path) -> None:
    done = _run(tmp_path, "--to", "yespo", "--port", "0")
    assert done.returncode == 2 and "add --yes to confirm" in done.stderr and "https://yespo.io" in done.stderr
    assert not done.stdout


@pytest.mark.parametrize("target", ["ftp://example.com", "https://example.com/base?x=1", "nowhere"])
def test_a_bad_target_is_a_clear_error(tmp_path: Path, target: str) -> None:
    done = _run(tmp_path, "--to", target, "--port", "0")
    assert done.returncode == 2 and done.stderr.startswith("yespo-console: --to") and "Traceback" not in done.stderr
