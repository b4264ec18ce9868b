"""What goes wrong around a send: a damaged or read-only history, a full disk, no keyring, a host that
cannot be reached. Each time: a message that names the problem in words, the send still made where it
can be, and no data lost (the rows from before are there and whole, a damaged file is left as it was).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import keyring
import keyring.backends.fail
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLabel

from tests.core.test_history_processes import WRITER
from tests.gui.conftest import run
from tests.reliability.helpers import HERE, child_env, event_body, history_rows, integrity, kill9, plain, run_cli
from tests.sandbox.helpers import SandboxThread, free_port, skip_unless_lookups_fail
from yespo_console.cli.main import main as cli_main
from yespo_console.core.history import HistoryStore
from yespo_console.core.http.environments import Environment, EnvironmentStore
from yespo_console.core.http.outcome import Outcome
from yespo_console.gui.main_window import MainWindow
from yespo_console.gui.session import Session
from yespo_console.sandbox import Sandbox

pytestmark = pytest.mark.usefixtures("no_keyring")

# -- helpers --------------------------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, str, str]:
    """`yespo-console --data-dir HOME ARGS...` in this process (the same code as the installed command).
    In-process runs between window tests are safe again: the crash they used to be blamed for was a closed
    qasync loop's Qt timer object freed on the sandbox's thread (fixed in tests/gui/conftest.py's qloop)."""
    code = cli_main(["--data-dir", str(home), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(path: Path) -> list[tuple[Any, ...]]:
    """Every row as it stands: what must still be there, unchanged, after a fault."""
    return [(r["id"], r["key_value"], r["outcome"], r["status"], r["request_body"], r["response_body"])
            for r in history_rows(path)]


def _history_with_rows(home: Path, url: str, capsys: pytest.CaptureFixture[str], count: int = 2) -> Path:
    for n in range(count):
        body = home.parent / f"before-{n}.json"
        body.write_bytes(event_body(f"before-{n}"))
        code, out, err = _cli(capsys, home, "send", str(body), "--url", url)
        assert code == 0, out + err
    path = home / "history.sqlite3"
    assert len(_snapshot(path)) == count
    return path


def _words(text: str, *words: str) -> None:
    for word in words:
        assert word.lower() in text.lower(), f"{word!r} not in {text!r}"
    assert "Traceback" not in text, text


@contextlib.contextmanager
def _app(home: Path, request: pytest.FixtureRequest, qtbot: Any) -> Iterator[tuple[Session, MainWindow]]:
    """The window over a session on `home` (prepared by the test before it opens), embedded sandbox on.
    The qasync loop is taken only now: while it is set up as running, the CLI's asyncio.run() cannot run."""
    qloop = request.getfixturevalue("qloop")
    session = Session.open(home)
    run(qloop, session.start_sandbox(), qtbot)  # type: ignore[no-untyped-call]
    window = MainWindow(session, QSettings(str(home.parent / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        yield session, window
    finally:
        # qloop was taken after qtbot, so it is torn down first: close the window (its docks stop their
        # tasks, the inbox leaves the sandbox) while the loop still runs, not after it is closed.
        window.close()
        run(qloop, session.aclose(), qtbot)  # type: ignore[no-untyped-call]


def _send(window: MainWindow, qtbot: Any) -> Any:
    with qtbot.waitSignal(window.send_finished, timeout=20_000) as blocker:
        window.send_action.trigger()
    return blocker.args[0]


def _summary(window: MainWindow) -> str:
    return plain(window.response.summary.text())


# -- a damaged history file -----------------------------------------------------------------------


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(64 * 1024))


def _truncated(path: Path) -> None:
    with path.open("r+b") as out:
        out.truncate(path.stat().st_size // 2)


def _torn_header(path: Path) -> None:
    with path.open("r+b") as out:  # the first page, where SQLite's header and the schema live
        out.seek(16)
        out.write(os.urandom(200))


@pytest.mark.parametrize("damage", [_random_bytes, _truncated, _torn_header], ids=["random", "truncated", "torn"])
def test_a_damaged_history_is_named_and_left_as_it_was(damage: Any, sandbox_thread: Sandbox, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       request: pytest.FixtureRequest, qtbot: Any) -> None:
    home = tmp_path / "home"
    path = _history_with_rows(home, sandbox_thread.event_url, capsys, count=6)
    damage(path)
    digest = _digest(path)
    body = tmp_path / "after.json"
    body.write_bytes(event_body("after-damage"))

    code, out, err = _cli(capsys, home, "send", str(body), "--url", sandbox_thread.event_url)
    assert code == 0 and "Accepted" in out  # the event still goes out ...
    _words(err, "not recording this send in the history", str(path), "damaged", "move it aside")  # ... and why not kept
    assert sandbox_thread.events(1)[0].key_value == "after-damage"
    code, out, err = _cli(capsys, home, "history", "list")
    assert code == 2 and not out
    _words(err, "damaged", "move it aside")

    with _app(home, request, qtbot) as (session, window):
        assert session.history is None
        assert window.history_dock.off_label.isVisible()
        _words(window.history_dock.off_label.text(), "History is off", "damaged", "move it aside")
        result = _send(window, qtbot)  # the window still opens and sends
        assert result.outcome is Outcome.ACCEPTED and result.exchange_id is None
        assert "Accepted" in _summary(window)
    assert _digest(path) == digest, "the damaged file was changed: what was left in it may be lost"


def test_the_status_bar_says_history_is_off(tmp_path: Path, request: pytest.FixtureRequest, qtbot: Any) -> None:
    home = tmp_path / "home"
    home.mkdir()
    _random_bytes(home / "history.sqlite3")
    with _app(home, request, qtbot) as (session, window):
        assert session.history_error
        shown = [label.text() for label in window.statusBar().findChildren(QLabel) if label.isVisible()]
        _words(" ".join([window.statusBar().currentMessage(), *shown]), "History is off")
        window.sandbox_ready()  # an environment change rewrites the message: the note must stay
        assert any("History is off" in label.text() for label in window.statusBar().findChildren(QLabel)
                   if label.isVisible())


# -- a read-only history file ---------------------------------------------------------------------


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """The file made read-only in a way that holds for root too (chattr +i), else by its mode."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True,
                                                            check=False).returncode:
            pytest.skip("running as root without chattr +i on this file system: cannot make a file read-only")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(mode)


def test_a_read_only_history_is_said_and_its_rows_kept(sandbox_thread: Sandbox, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str],
                                                       request: pytest.FixtureRequest, qtbot: Any) -> None:
    home = tmp_path / "home"
    path = _history_with_rows(home, sandbox_thread.event_url, capsys)
    before = _snapshot(path)
    body = tmp_path / "after.json"
    body.write_bytes(event_body("while-read-only"))
    with _read_only(path):
        code, out, err = _cli(capsys, home, "send", str(body), "--url", sandbox_thread.event_url)
        assert code == 0 and "Accepted" in out
        _words(err, "Not recorded in history", "read-only", "--data-dir")
        code, out, err = _cli(capsys, home, "history", "list", "--json")  # reading still works
        assert code == 0 and [json.loads(line)["keyValue"] for line in out.splitlines()] == ["before-1", "before-0"]

        with _app(home, request, qtbot) as (session, window):
            assert session.history is not None  # it opens (nothing to write at open) ...
            result = _send(window, qtbot)
            assert result.outcome is Outcome.ACCEPTED and result.exchange_id is None
            _words(_summary(window), "Accepted", "Not recorded in history", "read-only")  # ... and says so
            assert window.history_dock.model.rowCount() == 2
    assert _snapshot(path) == before
    integrity(path)


def test_a_read_only_history_with_rows_to_recover_turns_history_off(
        sandbox_thread: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest,
        qtbot: Any) -> None:
    """Opening must mark a dead writer's rows interrupted, which a read-only file refuses: the app says so."""
    home = tmp_path / "home"
    path = _history_with_rows(home, sandbox_thread.event_url, capsys)
    writer = subprocess.Popen([sys.executable, str(WRITER), "pending", str(path), "1"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and json.loads(writer.stdout.readline())
    assert kill9(writer)
    before = _snapshot(path)
    with _read_only(path):
        with _app(home, request, qtbot) as (session, window):
            assert session.history is None
            assert window.history_dock.off_label.isVisible()
            _words(window.history_dock.off_label.text(), "History is off", "read-only")
            assert _send(window, qtbot).outcome is Outcome.ACCEPTED
        code, _out, err = _cli(capsys, home, "history", "list")
        assert code == 2
        _words(err, "read-only")
    assert _snapshot(path) == before
    with HistoryStore(path) as store:  # once writable, the row is recovered
        assert store.stats().pending == 0 and store.count(None) == 3


# -- a full disk ----------------------------------------------------------------------------------


def test_a_full_history_says_the_disk_is_full_and_keeps_its_rows(window: MainWindow, session: Session,
                                                                 qtbot: Any) -> None:
    """A full disk simulated with PRAGMA max_page_count on the store's own connection (runs anywhere)."""
    assert session.history is not None
    for _ in range(2):
        assert _send(window, qtbot).exchange_id is not None
    path = session.history.path
    before = _snapshot(path)
    # PRAGMA max_page_count binds only the connection that sets it, and the store has no public way to lend
    # its own: a connection of the test's would leave the store's writes unlimited.
    conn = session.history._connection()
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    window.payload.setCurrentIndex(1)
    window.payload.raw.setPlainText(json.dumps({**json.loads(event_body("full")), "pad": "x" * 16_000}))
    result = _send(window, qtbot)
    assert result.outcome is Outcome.ACCEPTED and result.exchange_id is None  # sent, not kept
    assert session.sandbox is not None and session.sandbox.events(1)[0].key_value == "full"
    _words(_summary(window), "Accepted", "Not recorded in history", "the disk is full")
    assert _snapshot(path) == before
    conn.execute("PRAGMA max_page_count = 1073741823")
    assert _send(window, qtbot).exchange_id is not None  # space again: kept again
    integrity(path)


def _can_mount_privately() -> bool:
    return sys.platform.startswith("linux") and os.geteuid() == 0 and shutil.which("unshare") is not None


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of full_disk_driver.py on a 1 MB tmpfs of its own (root and `unshare --mount` needed)."""
    if not _can_mount_privately():
        pytest.skip("a real full disk needs root and unshare --mount; the max_page_count test covers the rest")
    folder = tmp_path_factory.mktemp("full-disk")
    (folder / "mnt").mkdir()
    body = folder / "event.json"
    body.write_bytes(event_body("on-a-small-disk"))
    runner = SandboxThread(port=0, data_dir=folder / "sandbox")
    sandbox = runner.start()
    try:
        done = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                               str(HERE / "full_disk_driver.py"), str(folder / "mnt"), sandbox.event_url, str(body)],
                              capture_output=True, text=True, env=child_env(), timeout=120, check=False)
    finally:
        runner.stop()
    if done.returncode == 77 or "unshare failed" in done.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_a_real_full_disk_loses_no_row_and_still_sends(full_disk: dict[str, Any]) -> None:
    assert full_disk["before"] == [0, 0]
    assert "No space left" in full_disk["filled"]
    sent = full_disk["send_when_full"]
    assert sent["code"] == 0 and "Accepted" in sent["out"], sent  # the send is made, and no traceback
    assert "Traceback" not in sent["err"] and "not recording this send in the history" in sent["err"]
    listed = full_disk["list_when_full"]
    assert listed["code"] == 2 and "Traceback" not in listed["err"], listed
    assert full_disk["rows_after"] == full_disk["rows_before"]  # nothing lost, nothing half written
    assert full_disk["send_after"]["code"] == 0 and "History: exchange #3" in full_disk["send_after"]["out"]
    # With the store already open (as the app holds it), the words are right:
    assert "the disk is full" in full_disk["open_store_error"]
    assert [row[1] for row in full_disk["open_rows_after"]][:2] == ["open-0", "open-1"]
    assert {row[2] for row in full_disk["open_rows_after"]} == {Outcome.ACCEPTED.value}


def test_a_real_full_disk_is_called_a_full_disk(full_disk: dict[str, Any]) -> None:
    _words(full_disk["send_when_full"]["err"], "disk is full")
    _words(full_disk["list_when_full"]["err"], "disk is full")


# -- no keyring -----------------------------------------------------------------------------------


def test_no_keyring_is_said_and_the_variable_still_works(sandbox_thread: Sandbox, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    path = _history_with_rows(home, sandbox_thread.event_url, capsys)
    before = _snapshot(path)
    EnvironmentStore.open(home).save(Environment(name="staging", url=sandbox_thread.event_url))
    body = tmp_path / "event.json"
    body.write_bytes(event_body("staging"))
    words = ("No API key for environment 'staging'", "No usable OS keyring", "YESPO_API_KEY",
             "never writes a secret to a plain file")
    code, out, err = _cli(capsys, home, "send", str(body), "--env", "staging")  # the null backend (no_keyring)
    assert code == 2 and not out
    _words(err, *words, "null keyring backend")
    done = run_cli(home, "send", str(body), "--env", "staging",  # keyring's own "no backend at all"
                   env=child_env(PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"))
    assert done.returncode == 2 and not done.stdout
    _words(done.stderr, *words, "no keyring backend is available")
    assert len(sandbox_thread.events(10)) == 2  # nothing was sent without a key
    done = run_cli(home, "send", str(body), "--env", "staging",
                   env=child_env(PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", YESPO_API_KEY="k" * 16))
    assert done.returncode == 0 and "Accepted" in done.stdout, done.stderr
    assert _snapshot(path)[:2] == before and len(_snapshot(path)) == 3


def test_no_keyring_in_the_app_still_sends_and_says_no_key_was_sent(window: MainWindow, session: Session,
                                                                    qtbot: Any) -> None:
    assert session.sandbox is not None
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    try:
        assert not session.secrets.status().available
        assert _send(window, qtbot).outcome is Outcome.ACCEPTED  # the sandbox needs no keyring
        session.environments.save(Environment(name="staging", url=session.sandbox.event_url))
        window._load_environments("staging")
        result = _send(window, qtbot)
        assert result.status == 401
        _words(_summary(window), "Not authorised (401)", "No key or token was sent")
    finally:
        keyring.set_keyring(previous)


# -- a host that cannot be reached ----------------------------------------------------------------


def _unreachable(url: str) -> tuple[str, int]:
    """The URL with a port nothing listens on in place of {port}; skips when its host is one this machine's
    resolver cannot be trusted to reject."""
    port = free_port()
    host = urlsplit(url).hostname
    if host != "127.0.0.1":
        skip_unless_lookups_fail(str(host))
    return url.format(port=port), port


@pytest.mark.parametrize(("url", "words"), [
    pytest.param("http://127.0.0.1:{port}/api/v2/event",
                 ("Connection refused by 127.0.0.1:{port}: nothing is listening there", "Check the host and port"),
                 id="closed-port"),
    pytest.param("http://nonexistent.invalid/api/v2/event",
                 ("Could not find the host 'nonexistent.invalid' (DNS lookup failed)", "Check the spelling"),
                 id="unknown-host"),
])
def test_an_unreachable_host_is_told_plainly_and_kept(url: str, words: tuple[str, ...], sandbox_thread: Sandbox,
                                                       tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    url, port = _unreachable(url)
    home = tmp_path / "home"
    path = _history_with_rows(home, sandbox_thread.event_url, capsys)
    before = _snapshot(path)
    body = tmp_path / "event.json"
    body.write_bytes(event_body("nowhere"))
    monkeypatch.setenv("YESPO_API_KEY", "k" * 16)  # a host that is not a sandbox needs a key before anything is sent
    code, out, _err = _cli(capsys, home, "send", str(body), "--url", url)
    assert code == 3
    _words(out, *(w.format(port=port) for w in words))
    rows = _snapshot(path)
    assert rows[:2] == before
    assert [row[2] for row in rows[2:]] == [Outcome.CONNECTION_ERROR.value]
    integrity(path)


@pytest.mark.parametrize(("url", "words"), [
    pytest.param("http://127.0.0.1:{port}/api/v2/event",
                 ("Connection refused by 127.0.0.1:{port}", "nothing is listening there"), id="closed-port"),
    pytest.param("http://nonexistent.invalid/api/v2/event",
                 ("Could not find the host 'nonexistent.invalid'", "DNS lookup failed"), id="unknown-host"),
])
def test_an_unreachable_host_in_the_app(url: str, words: tuple[str, ...], window: MainWindow, session: Session,
                                        qtbot: Any) -> None:
    url, port = _unreachable(url)
    assert session.history is not None
    assert _send(window, qtbot).outcome is Outcome.ACCEPTED
    before = _snapshot(session.history.path)
    session.environments.save(Environment(name="unreachable", url=url, connect_timeout_s=5))
    window._load_environments("unreachable")
    result = _send(window, qtbot)
    assert result.outcome is Outcome.CONNECTION_ERROR
    _words(_summary(window), "Connection failed", "no HTTP answer", *(w.format(port=port) for w in words))
    assert session.history.get(result.exchange_id).outcome is Outcome.CONNECTION_ERROR  # type: ignore[union-attr]
    assert _snapshot(session.history.path)[:1] == before
