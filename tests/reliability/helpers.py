"""Shared by the reliability tests: scales, child processes, file checks, secret scans."""

from __future__ import annotations

import html
import json
import os
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import hypothesis
import pytest

from tests.sandbox.helpers import VALID_EVENT
from yespo_console.core.history import SCHEMA_VERSION
from yespo_console.core.http.masking import secret_forms

SOAK_ENV = "YESPO_SOAK"
SOAK = os.environ.get(SOAK_ENV) == "1"
# A test with both sizes takes `scale`: "fast" runs in `make test`, "soak" only under `make soak`.
SCALES = [pytest.param("fast", id="fast"), pytest.param("soak", id="soak", marks=pytest.mark.soak)]
HERE = Path(__file__).resolve().parent
GUI_DRIVER = HERE / "gui_driver.py"
REPO = HERE.parents[1]


def profile(scale: str) -> hypothesis.settings:
    """The hypothesis settings of a scale (profiles registered in conftest.py)."""
    return hypothesis.settings.get_profile(f"yespo-{scale}")


def iterations(scale: str, fast: int, soak: int) -> int:
    return soak if scale == "soak" else fast


def plain(rich: str) -> str:
    """What a person reads in a rich-text label: tags dropped, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", rich))).strip()


# -- bodies ---------------------------------------------------------------------------------------


def event_body(marker: str) -> bytes:
    """A valid pageViewed event whose keyValue is `marker`, so that each send can be found again."""
    event = {**VALID_EVENT, "keyValue": marker}
    return json.dumps(event, separators=(",", ":")).encode()


# -- child processes ------------------------------------------------------------------------------


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: offscreen Qt, no OS keyring, no key variables."""
    env = {k: v for k, v in os.environ.items() if k not in ("YESPO_API_KEY", "YESPO_TOKEN", "YESPO_CONSOLE_HOME")}
    env.update(QT_QPA_PLATFORM="offscreen", QT_API="pyside6", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
               PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    env.update(extra)
    return env


def cli(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "yespo_console", "--data-dir", str(home), *args]


def run_cli(home: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli(home, *args), capture_output=True, text=True, env=env or child_env(), timeout=timeout,
                          check=False)


def kill9(process: subprocess.Popen[Any]) -> bool:
    """SIGKILL the process and reap it; True when it was still running (so the kill cut it short)."""
    was_running = process.poll() is None
    if was_running:
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=15)
    return was_running and process.returncode == -signal.SIGKILL


def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class LineReader:
    """Reads a child's stdout lines on a thread, so the test can wait for one without blocking forever."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._stream = process.stdout
        self._thread = threading.Thread(target=self._pump, args=(process.stdout,), daemon=True)
        self._thread.start()

    def _pump(self, stream: Any) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def until(self, prefix: str, timeout: float) -> str:
        """The next line starting with `prefix` (lines before it are kept in `seen`)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line starting {prefix!r} within {timeout} s; seen {self.seen[-5:]}") from None
            if line is None:
                raise AssertionError(f"the process ended before printing {prefix!r}; seen {self.seen[-5:]}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def skip_queued(self) -> None:
        """Move every line printed so far into `seen`: `until` then waits for lines printed from now on."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return
            if line is None:
                self.lines.put(None)
                return
            self.seen.append(line)

    def drain(self, timeout: float = 5.0) -> list[str]:
        """Every line left, after the process ended (its stdout is closed then)."""
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._stream.close()
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return self.seen
            if line is not None:
                self.seen.append(line)


# -- files ----------------------------------------------------------------------------------------


def integrity(path: Path, *, fts: bool = True) -> None:  # fts=False: not a history file (the sandbox's)
    """SQLite's own integrity check, and the search index's, on a file (no Yespo Console code involved).

    A process killed after SQLite created the file but before the schema's one transaction committed leaves
    a file at user_version 0 with no tables: valid (the next open builds the schema), with no index to check.
    """
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], path
        if fts:  # a history file: its schema is there whole or not at all
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            assert version in (0, SCHEMA_VERSION), (path, version)
            assert (version == 0) == ("exchange" not in tables), (path, version, sorted(tables))
            if version:
                conn.execute("INSERT INTO exchange_fts(exchange_fts) VALUES ('integrity-check')")
    finally:
        conn.close()


def outcome_of(path: Path, marker: str) -> str | None:
    """The outcome of the history row whose keyValue is `marker`, read with plain sqlite3; None if none."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(path, timeout=2)
        try:
            row = conn.execute("SELECT outcome FROM exchange WHERE key_value = ?", (marker,)).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # not created yet, or its schema not yet written
    return None if row is None else str(row[0])


def history_rows(path: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM exchange ORDER BY id")]
    finally:
        conn.close()


def sandbox_markers(path: Path) -> list[str]:
    """The keyValues of everything a sandbox recorded in its file."""
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        return [str(row[0]) for row in conn.execute("SELECT key_value FROM events WHERE key_value IS NOT NULL")]
    finally:
        conn.close()


# -- secrets --------------------------------------------------------------------------------------


def leak_forms(key: str, users: Iterable[str] = ()) -> list[bytes]:
    """Every byte form of `key` that must appear nowhere: itself, its Basic-auth base64 forms (any user
    name given, the empty one and "user"), and its UTF-16 form (Qt and some files hold text that way)."""
    forms = set(secret_forms(key))
    for user in users:
        forms.update(secret_forms(key, user))
    forms.add(key.encode("utf-16-le"))
    return sorted(forms)


def leaks_in(data: bytes, forms: Iterable[bytes]) -> list[bytes]:
    return [form for form in forms if form in data]
