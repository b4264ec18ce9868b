"""One sandbox at a known address: the window's embedded sandbox listens at the Sandbox environment's port,
the CLI sends to it there (so the window's inbox shows them); a port held by a stranger or by another window
is named, and the window's own sandbox moves to a free port; without an embedded sandbox, sends to the
Sandbox environment's address go only to a console sandbox."""

from __future__ import annotations

import contextlib
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gui.conftest import run
from tests.sandbox.helpers import body, free_port
from yespo_console.core.errors import InputError
from yespo_console.core.http.environments import SANDBOX, EnvironmentStore, builtin
from yespo_console.gui.main_window import MainWindow
from yespo_console.gui.session import Session
from yespo_console.sandbox.store import SANDBOX_FILE


def _home_with_sandbox_port(home: Path, port: int) -> Path:
    """HOME whose Sandbox environment is at 127.0.0.1:PORT (as a user would set it in Environments…)."""
    home.mkdir(parents=True, exist_ok=True)
    EnvironmentStore.open(home).save(builtin(SANDBOX).with_url(f"http://127.0.0.1:{port}/api/v2/event"))
    return home


@contextlib.contextmanager
def _stranger(port: int) -> Iterator[None]:
    """An HTTP server on PORT that is not a console sandbox: it answers 404 to everything."""

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(404)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", port), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def sessions(qloop, qtbot):
    opened: list[Session] = []
    yield opened
    for session in opened:
        run(qloop, session.aclose(), qtbot)


def _started(home: Path, qloop, qtbot, sessions: list[Session]) -> Session:
    session = Session.open(home)
    sessions.append(session)
    run(qloop, session.start_sandbox(port=None), qtbot)
    return session


def _window(session: Session, qtbot, tmp_path: Path) -> MainWindow:
    from PySide6.QtCore import QSettings

    window = MainWindow(session, QSettings(str(tmp_path / f"{id(session)}.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.sandbox_ready()  # as the app does once the sandbox listens
    return window


def test_the_window_sandbox_listens_at_the_environment_port_and_a_cli_send_lands_in_its_inbox(
        qloop, qtbot, sessions, tmp_path):
    port = free_port()
    home = _home_with_sandbox_port(tmp_path / "home", port)
    session = _started(home, qloop, qtbot, sessions)
    assert session.sandbox is not None and session.sandbox.port == port and session.sandbox_moved == ""
    window = _window(session, qtbot, tmp_path)
    assert window.statusBar().currentMessage().endswith(f"Sandbox listening at http://127.0.0.1:{port}")
    body_file = tmp_path / "event.json"
    body_file.write_bytes(body())
    # The CLI of another process, on the same data folder: its Sandbox environment is the window's address.
    process = subprocess.Popen([sys.executable, "-m", "yespo_console", "--data-dir", str(home), "send", str(body_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: process.poll() is not None, timeout=30_000)  # the sandbox answers on this loop
    _, err = process.communicate()
    assert process.returncode == 0, err
    assert "temporary" not in err  # no sandbox of its own: the window's
    events = session.sandbox.events()
    assert len(events) == 1 and events[0].event_type == "pageViewed"
    qtbot.waitUntil(lambda: window.inbox.model.rowCount() == 1)


def test_a_port_held_by_a_stranger_is_named_and_the_window_sandbox_moves(qloop, qtbot, sessions, tmp_path):
    port = free_port()
    home = _home_with_sandbox_port(tmp_path / "home", port)
    with _stranger(port):
        session = _started(home, qloop, qtbot, sessions)
        assert session.sandbox is not None and session.sandbox.port not in (0, port)
        assert session.sandbox_moved == f"port {port} is held by something that is not a Yespo Console sandbox"
        window = _window(session, qtbot, tmp_path)
        said = window.statusBar().currentMessage()
        assert f"Sandbox listening at {session.sandbox.base_url} (port {port} is held by something" in said
        assert window.env_combo.toolTip() == said
        # The Sandbox environment is this window's own sandbox, at its real address: sends never reach the stranger.
        assert window.environment.url == session.sandbox.event_url


def test_a_second_window_says_the_first_holds_the_port_and_uses_its_own(qloop, qtbot, sessions, tmp_path):
    port = free_port()
    first = _started(_home_with_sandbox_port(tmp_path / "one", port), qloop, qtbot, sessions)
    second = _started(_home_with_sandbox_port(tmp_path / "two", port), qloop, qtbot, sessions)
    assert first.sandbox is not None and first.sandbox.port == port and first.sandbox_moved == ""
    assert second.sandbox is not None and second.sandbox.port != port
    assert second.sandbox_moved.startswith(f"port {port} is held by another console sandbox")
    assert second.environment(SANDBOX).url == second.sandbox.event_url


def _failing_home(home: Path, port: int) -> Path:
    """HOME where the embedded sandbox cannot start: its record file's place is taken by a folder."""
    (_home_with_sandbox_port(home, port) / SANDBOX_FILE).mkdir()
    return home


def test_without_the_embedded_sandbox_a_stranger_at_the_address_gets_nothing(qloop, qtbot, sessions, tmp_path):
    port = free_port()
    home = _failing_home(tmp_path / "home", port)
    with _stranger(port):
        session = _started(home, qloop, qtbot, sessions)
        assert session.sandbox is None and session.sandbox_error
        env = session.environment(SANDBOX)
        assert env.url == f"http://127.0.0.1:{port}/api/v2/event"
        with pytest.raises(InputError) as refused:
            session.client(env)
        assert "Sends there are refused: something that is not a Yespo Console sandbox holds 127.0.0.1:" in str(
            refused.value)
        assert "by the sandbox" not in str(refused.value)
        window = _window(session, qtbot, tmp_path)
        assert "Sends there are refused" in window.statusBar().currentMessage()
        with qtbot.waitSignal(window.send_flow.not_sent) as signal:
            window.send()
        assert signal.args[0].startswith("Sends there are refused")


def test_without_the_embedded_sandbox_a_console_sandbox_at_the_address_gets_the_sends(qloop, qtbot, sessions,
                                                                                      tmp_path):
    port = free_port()
    holder = _started(_home_with_sandbox_port(tmp_path / "holder", port), qloop, qtbot, sessions)
    assert holder.sandbox is not None and holder.sandbox.port == port
    session = _started(_failing_home(tmp_path / "home", port), qloop, qtbot, sessions)
    assert session.sandbox is None
    assert session.sandbox_status().endswith(f"Sends go to the console sandbox at http://127.0.0.1:{port}/api/v2/event.")
    result = run(qloop, session.client(session.environment(SANDBOX)).send(body()), qtbot)
    assert result.status == 200 and len(holder.sandbox.events()) == 1


def test_nothing_at_the_address_is_asked_again_at_the_next_send(qloop, qtbot, sessions, tmp_path):
    port = free_port()
    session = _started(_failing_home(tmp_path / "home", port), qloop, qtbot, sessions)
    env = session.environment(SANDBOX)
    with pytest.raises(InputError, match="Nothing listens at"):
        session.client(env)
    holder = _started(_home_with_sandbox_port(tmp_path / "holder", port), qloop, qtbot, sessions)
    assert holder.sandbox is not None and holder.sandbox.port == port
    with pytest.raises(InputError):  # this one asks again, in the background
        session.client(env)
    qtbot.waitUntil(lambda: session.sandbox_holders.get(f"127.0.0.1:{port}") == "sandbox")
    assert session.client(env) is not None
