"""Secret leaks: send with a known key, then look for it (in every encoding) everywhere, also after a server
echoed it back in every header and encoding it could.

Everywhere is: every file under the test's folders (the history database with its WAL and SHM, read
while the store is open and again after it closed; the sandbox's record file; the app's log file;
settings and environments), every export format, the clipboard after each Copy as, every CLI output,
a screenshot of the window and every text any widget holds (labels, editors, tables, combo boxes,
tabs, tooltips, actions), the history dock's diff dialog and the inbox's detail view included.
"""

from __future__ import annotations

import base64
import http.server
import logging
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import keyring
import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)

from tests.gui.test_inbox_and_environments import MemoryKeyring
from tests.local_http import serving
from tests.reliability.helpers import event_body, leak_forms, leaks_in, plain
from yespo_console.cli.main import main as cli_main
from yespo_console.core.events.examples import example_draft
from yespo_console.core.history import FORMATS
from yespo_console.core.http.environments import AuthMode, Environment, EnvironmentStore
from yespo_console.core.http.outcome import Outcome
from yespo_console.gui.logs import setup_logging
from yespo_console.gui.main_window import MainWindow
from yespo_console.gui.session import Session
from yespo_console.sandbox import Sandbox

# -- what the window shows ------------------------------------------------------------------------


def _columns(model: QAbstractItemModel, parent: QModelIndex) -> int:
    try:
        return int(model.columnCount(parent))
    except TypeError:  # a list model: PySide6 keeps its columnCount private
        return 1


def _model_texts(model: QAbstractItemModel, parent: QModelIndex | None = None) -> Iterator[str]:
    parent = parent or QModelIndex()
    for row in range(model.rowCount(parent)):
        for column in range(_columns(model, parent)):
            index = model.index(row, column, parent)
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.EditRole):
                value = model.data(index, role)
                if value is not None:
                    yield str(value)
            if column == 0 and model.rowCount(index) > 0:  # a tree's children
                yield from _model_texts(model, index)
    for column in range(_columns(model, parent)):
        yield str(model.headerData(column, Qt.Orientation.Horizontal))


def widget_texts(top: QWidget) -> list[str]:
    """Every text a widget tree holds: what a person can see or get at, shown or not."""
    texts: list[str] = [top.windowTitle()]
    for widget in [top, *top.findChildren(QWidget)]:
        texts += [widget.toolTip(), widget.statusTip(), widget.whatsThis(), widget.accessibleName()]
        if isinstance(widget, QLabel):
            texts.append(widget.text())
        elif isinstance(widget, QLineEdit):
            texts += [widget.text(), widget.placeholderText()]
        elif isinstance(widget, QPlainTextEdit | QTextEdit):
            texts += [widget.toPlainText(), widget.placeholderText()]
        elif isinstance(widget, QAbstractButton):
            texts.append(widget.text())
        elif isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
            texts += [str(widget.itemData(i)) for i in range(widget.count())]
        elif isinstance(widget, QTabBar):
            texts += [widget.tabText(i) for i in range(widget.count())]
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            texts += list(_model_texts(widget.model()))
    for action in top.findChildren(QAction):
        texts += [action.text(), action.toolTip(), action.statusTip()]
    status = getattr(top, "statusBar", None)
    if callable(status):
        texts.append(status().currentMessage())
    return texts


def _assert_clean(where: str, data: bytes, forms: list[bytes]) -> None:
    found = leaks_in(data, forms)
    assert not found, f"the key leaked into {where}: {found}"


def _scan_files(root: Path, forms: list[bytes]) -> list[str]:
    scanned = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            _assert_clean(str(path), path.read_bytes(), forms)
            scanned.append(path.name)
    return scanned


# -- the app --------------------------------------------------------------------------------------


@pytest.fixture
def app_log(session: Session) -> Iterator[Path]:
    """The log file the app writes (`yespo-console gui` sets it up the same way)."""
    path = setup_logging(session.home)
    handler = logging.getLogger().handlers[-1]
    yield path
    logging.getLogger().removeHandler(handler)
    handler.close()


def _send(window: MainWindow, qtbot: Any) -> Any:
    with qtbot.waitSignal(window.send_finished, timeout=15_000) as blocker:
        window.send_action.trigger()
    return blocker.args[0]


# Where the key comes from, the auth mode, how a 401 describes the key sent (masked to its tail), and the
# masked header the history shows.
SOURCES = [
    pytest.param("variable", AuthMode.BASIC, "The key sent was ••••{tail} from $YESPO_API_KEY.", "Basic ••••",
                 id="variable-basic"),
    pytest.param("keyring", AuthMode.BASIC, "The key sent was ••••{tail} from the OS keyring.", "Basic ••••",
                 id="keyring-basic"),
    pytest.param("variable", AuthMode.BEARER, "The token sent was ••••{tail} from $YESPO_TOKEN.", "Bearer ••••",
                 id="variable-bearer"),
]


@pytest.mark.parametrize(("source", "auth", "described", "header"), SOURCES)
def test_the_app_leaks_the_key_nowhere(source: str, auth: AuthMode, described: str, header: str,
                                       window: MainWindow, session: Session, app_log: Path, qtbot: Any,
                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert session.sandbox is not None and session.history is not None
    key = f"rel-{secrets.token_hex(16)}"
    forms = leak_forms(key, users=("shop",))
    # A remote environment at the embedded sandbox's address: the Sandbox environment itself never gets a real key.
    session.environments.save(Environment(name="staging", url=session.sandbox.event_url, auth=auth, username="shop"))
    previous = keyring.get_keyring()
    if source == "keyring":
        backend = MemoryKeyring()  # type: ignore[no-untyped-call]
        keyring.set_keyring(backend)
        session.secrets.set("staging", key)
        assert backend.store == {("yespo-console", "staging"): key}
    else:
        monkeypatch.setenv("YESPO_TOKEN" if auth is AuthMode.BEARER else "YESPO_API_KEY", key)
    try:
        window._load_environments("staging")
        session.sandbox.api_key = key  # the sandbox takes only this key: a 200 proves it was sent
        window.set_draft(example_draft("cartUpdated"))
        accepted = _send(window, qtbot)
        assert accepted.outcome is Outcome.ACCEPTED, window.response.summary.text()
        session.sandbox.api_key = "another-key-that-is-not-it"
        refused = _send(window, qtbot)  # a 401 describes the key sent: masked
        assert refused.status == 401 and "key" in window.response.summary.text()
        assert described.format(tail=key[-4:]) in plain(window.response.summary.text())
        for fmt in ("json", "curl", "httpx"):
            _assert_clean(f"Copy as {fmt}", window.copy_as(fmt).encode(), forms)
            _assert_clean(f"the clipboard after Copy as {fmt}", QGuiApplication.clipboard().text().encode(), forms)

        # What the window holds and shows, with the inbox and the history's details open.
        qtbot.waitUntil(lambda: window.history_dock.model.rowCount() == 2 and window.inbox.model.rowCount() == 2)
        window.inbox.table.selectRow(0)
        window.history_dock.view.selectAll()
        diff = window.history_dock.diff_selected()
        assert diff is not None
        qtbot.addWidget(diff)
        texts = widget_texts(window) + widget_texts(diff)
        assert any("Not authorised" in text for text in texts)  # the scan sees the response pane,
        assert any(header in text for text in texts)  # the diff's headers,
        assert any(text == "cartUpdated" for text in texts)  # the history table
        for text in texts:
            _assert_clean("a text in the window", text.encode(), forms)
        png = tmp_path / "window.png"
        assert window.grab().save(str(png))
        _assert_clean("the screenshot", png.read_bytes(), forms)

        # Every export format, as `yespo-console history export` writes them.
        exports = session.home / "exports"
        exports.mkdir()
        for fmt in FORMATS:
            assert cli_main(["--data-dir", str(session.home), "history", "export", "--format", fmt,
                             "--out", str(exports / f"all.{fmt}")]) == 0
        # Files while the store is open (its WAL and SHM are there), then after it closed.
        scanned = _scan_files(tmp_path, forms)
        assert {"history.sqlite3", "history.sqlite3-wal", "history.sqlite3-shm", "sandbox.sqlite3",
                "yespo-console.log", "all.har", "all.ndjson", "all.curl", "all.httpx"} <= set(scanned), scanned
        assert "HTTP Request: POST" in app_log.read_text()  # the log is written, and is scanned
        session.history.close()
        session.sandbox.store.close()
        _scan_files(tmp_path, forms)
    finally:
        keyring.set_keyring(previous)


# -- the command line -----------------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, str]:
    """`yespo-console --data-dir HOME ARGS...` in this process (the same code as the installed command)."""
    code = cli_main(["--data-dir", str(home), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.usefixtures("no_keyring")
def test_the_cli_leaks_the_key_nowhere(sandbox_thread: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    key = f"rel-{secrets.token_hex(16)}"
    forms = leak_forms(key, users=("shop",))
    monkeypatch.setenv("YESPO_API_KEY", key)
    monkeypatch.setenv("YESPO_TOKEN", key)
    home = tmp_path / "home"
    EnvironmentStore.open(home).save(Environment(name="staging", url=sandbox_thread.event_url, username="shop"))
    body = tmp_path / "event.json"
    body.write_bytes(event_body("ann@example.com"))
    sandbox_thread.api_key = key
    outputs = []
    for args in (("--env", "staging"), ("--env", "staging", "--json"), ("--env", "staging", "--auth", "bearer"),
                 ("--env", "staging", "--dry-run"), ("--env", "staging", "--dry-run", "--json")):
        code, output = _cli(capsys, home, "send", str(body), *args)
        assert code == 0, (args, output)
        outputs.append(output)
    sandbox_thread.api_key = "another-key-that-is-not-it"
    code, output = _cli(capsys, home, "send", str(body), "--env", "staging")
    assert code == 1 and "Not authorised (401)" in output
    assert f"••••{key[-4:]} from $YESPO_API_KEY" in output  # described, masked
    outputs.append(output)
    exports = tmp_path / "exports"
    exports.mkdir()
    for fmt in FORMATS:
        code, output = _cli(capsys, home, "history", "export", "--format", fmt, "--out", str(exports / f"all.{fmt}"))
        assert code == 0, output
        outputs.append(output)
        code, output = _cli(capsys, home, "history", "export", "--format", fmt)  # to standard output
        assert code == 0 and output, output
        outputs.append(output)
    for args in (("history", "list", "--json"), ("history", "show", "1"), ("history", "show", "4", "--json"),
                 ("history", "stats", "--json")):
        code, output = _cli(capsys, home, *args)
        assert code == 0, (args, output)
        outputs.append(output)
    assert len(sandbox_thread.events(100)) == 4
    assert any("Basic ••••" in output for output in outputs)  # the outputs do show the (masked) header
    for number, output in enumerate(outputs):
        _assert_clean(f"the output of CLI run {number}", output.encode(), forms)
    sandbox_thread.store.close()  # the sandbox's record file, whole
    scanned = _scan_files(tmp_path, forms)
    assert {"history.sqlite3", "environments.json", "sandbox.sqlite3", "all.har", "all.curl"} <= set(scanned)


# -- a server that echoes the key ------------------------------------------------------------------


def _escaped(text: str) -> str:
    """Every character as a JSON `\\u00XX` escape."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


def _basic(user: str, key: str) -> str:
    return base64.b64encode(f"{user}:{key}".encode()).decode()


def _echo_forms(key: str) -> list[bytes]:
    """What must appear nowhere after an echo: the leak forms (raw, Basic tokens of any user name through
    their base64 cores, URL-encoded, `\\/`-escaped, UTF-16), the `\\u00XX` escapes of key and token, and
    the lower-cased URL-safe base64 of the key (a header name holds it so)."""
    urlsafe = base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")
    return sorted({*leak_forms(key, users=("shop", "someone")), _escaped(key).encode(),
                   _escaped(_basic("shop", key)).encode(), quote(_basic("shop", key), safe="").encode(),
                   urlsafe.lower().encode()})


def _key_of(authorization: str) -> str:
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "basic":
        return base64.b64decode(credentials).decode().partition(":")[2]
    return credentials


class _Echo(http.server.BaseHTTPRequestHandler):
    """Echoes the key it was sent in every header and encoding a careless gateway might: the Authorization
    in `X-Echo-Authorization`, the key in `X-Debug-Key`, `WWW-Authenticate`, `Location` (as the URL's
    password and in its query) and a header name, and a JSON body holding it raw, `\\/`- and `\\u00XX`-
    escaped, URL-encoded (both hex cases) and as Basic tokens of several user names, padded or not and
    URL-encoded. Answers 302 on a path ending in /redirect, else 401."""

    keys: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        authorization = self.headers.get("Authorization", "")
        key = _key_of(authorization)
        type(self).keys.append(key)
        shop = _basic("shop", key)
        quoted = quote(key, safe="")
        fields = {
            "authorization": authorization,
            "key": key,
            "slashes": key.replace("/", "\\/"),
            "escaped": _escaped(key),
            "escapedToken": _escaped(shop),
            "urlEncoded": quoted,
            "urlEncodedLower": re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), quoted),
            "basicShop": shop,
            "basicSomeone": _basic("someone", key),
            "basicEmptyUnpadded": _basic("", key).rstrip("="),
            "urlEncodedToken": quote(shop, safe=""),
        }  # written by hand, not by json.dumps, which would not escape `/` nor every character
        body = ("{" + ", ".join(f'"{name}": "{value}"' for name, value in fields.items()) + "}").encode()
        self.send_response(302 if self.path.endswith("/redirect") else 401)
        self.send_header("X-Echo-Authorization", authorization)
        self.send_header("X-Debug-Key", key)
        self.send_header("WWW-Authenticate", f'Basic realm="{key}"')
        self.send_header("Location", f"http://shop:{quoted}@example.com/next?token={quoted}&echo={quoted}")
        self.send_header("X-K-" + base64.urlsafe_b64encode(key.encode()).decode().rstrip("="), "1")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def echo_url() -> Iterator[str]:
    _Echo.keys = []
    with serving(_Echo) as address:
        yield f"http://{address}/api/v2/event"


def _canary() -> str:
    """A key with `/` and `+` (so that escaping and URL-encoding change it) whose `shop:` token is padded."""
    key = f"rel/{secrets.token_hex(10)}+{secrets.token_hex(3)}x"
    assert _basic("shop", key).endswith("=") and quote(_basic("shop", key), safe="").endswith("%3D")
    return key


@pytest.mark.usefixtures("no_keyring")
def test_the_cli_masks_a_key_the_server_echoes(echo_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    key = _canary()
    forms = _echo_forms(key)
    monkeypatch.setenv("YESPO_API_KEY", key)
    monkeypatch.setenv("YESPO_TOKEN", key)
    home = tmp_path / "home"
    store = EnvironmentStore.open(home)
    store.save(Environment(name="gateway", url=echo_url, username="shop"))
    store.save(Environment(name="moved", url=echo_url + "/redirect", username="shop"))
    body = tmp_path / "event.json"
    body.write_bytes(event_body("ann@example.com"))
    outputs = []
    for args in (("--env", "gateway"), ("--env", "gateway", "--json"), ("--env", "gateway", "--auth", "bearer"),
                 ("--env", "moved"), ("--env", "moved", "--json")):
        code, output = _cli(capsys, home, "send", str(body), *args)
        assert code == 1, (args, output)
        outputs.append(output)
    assert _Echo.keys == [key] * 5  # the key was sent each time, so every echo carried it
    assert "x-debug-key" in outputs[1].lower() and "Redirected (302) to http://shop:••••@example.com" in outputs[3]
    exports = tmp_path / "exports"
    exports.mkdir()
    for fmt in FORMATS:
        code, output = _cli(capsys, home, "history", "export", "--format", fmt, "--out", str(exports / f"all.{fmt}"))
        assert code == 0, output
        code, output = _cli(capsys, home, "history", "export", "--format", fmt)
        assert code == 0 and output, output
        outputs.append(output)
    for number in range(1, 6):
        for args in (("history", "show", str(number)), ("history", "show", str(number), "--json")):
            code, output = _cli(capsys, home, *args)
            assert code == 0 and "x-echo-authorization" in output.lower(), (args, output)
            outputs.append(output)
    for number, output in enumerate(outputs):
        _assert_clean(f"the output of CLI run {number}", output.encode(), forms)
    scanned = _scan_files(tmp_path, forms)
    assert {"history.sqlite3", "environments.json", "all.har", "all.ndjson"} <= set(scanned), scanned


def test_the_app_masks_a_key_the_server_echoes(echo_url: str, window: MainWindow, session: Session, qtbot: Any,
                                               tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = _canary()
    forms = _echo_forms(key)
    monkeypatch.setenv("YESPO_API_KEY", key)
    session.environments.save(Environment(name="gateway", url=echo_url, username="shop"))
    window._load_environments("gateway")
    result = _send(window, qtbot)
    assert result.status == 401 and "authorization" in window.response.body.toPlainText()
    assert _Echo.keys == [key]
    exchange = session.history.get(result.exchange_id)  # type: ignore[union-attr]
    assert exchange is not None
    problems = []
    for where, data in (("the response pane", window.response.body.toPlainText().encode()),
                        ("the history row's body", exchange.response_body),
                        ("the history row's headers", repr(exchange.response_headers).encode()),
                        ("a text in the window", "\n".join(widget_texts(window)).encode())):
        if leaks_in(data, forms):
            problems.append(where)
    assert not problems, f"the echoed key is in {problems}"
    _scan_files(tmp_path, forms)
