"""Start-up: the console's own window first, with a loading face (cheap imports only), then the console built
into that same window."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from PySide6.QtCore import QByteArray, QRect, QSettings, QSize
from PySide6.QtWidgets import QApplication, QMainWindow

from yespo_console.gui.main_window import MainWindow
from yespo_console.gui.session import Session
from yespo_console.gui.startup import GEOMETRY_KEY, STEPS, LoadingFace, show_and_wait_for_paint

# What must not load before the first window (the console's own, with its loading face): each is a slow import,
# and the first window is measured against a bare Qt window (benchmarks/bench_gui.py). The console's parts come
# after it.
HEAVY = ("asyncio", "qasync", "pydantic", "httpx", "yaml", "keyring", "starlette", "uvicorn", "email_validator",
         "phonenumbers", "importlib.metadata", "yespo_console.core.events.catalog", "yespo_console.core.events.payload",
         "yespo_console.gui.forms", "yespo_console.gui.preview", "yespo_console.gui.history_dock",
         "yespo_console.gui.inbox", "yespo_console.gui.verify_dock", "yespo_console.gui.session",
         "yespo_console.gui.icons")
# What the console's window must not import before its own first paint: the HTTP stack comes with the first
# send, the scenario machinery (YAML, the runner) with the Scenarios dock after the paint, the sandbox's server
# when the session starts it; the environments (pydantic), the history's store, the validators, logging and the
# event loop right after the paint; the body's findings (and the rules, repair and currency codes behind them)
# with its first inspection, the masking of URLs with the environments, the dialogs when first opened. Each is a
# slow import, and the console's paint is measured against a bare Qt window's (benchmarks/bench_gui.py).
AFTER_THE_CONSOLE_PAINTS = ("httpx", "yaml", "keyring", "starlette", "uvicorn", "pydantic", "email_validator",
                            "phonenumbers", "pycountry", "datetime", "yespo_console.core.events.findings",
                            "yespo_console.core.events.diagnostics", "yespo_console.core.events.rules",
                            "yespo_console.core.events.repair", "yespo_console.core.http.masking",
                            "yespo_console.gui.proxy_dialog", "yespo_console.gui.convert_dialog",
                            "asyncio", "qasync", "yespo_console.core.http.client",
                            "yespo_console.core.http.environments", "yespo_console.core.history.store",
                            "yespo_console.core.history.models", "hmac", "sqlite3", "yespo_console.core.history.export",
                            "yespo_console.core.scenarios",
                            "yespo_console.gui.logs", "yespo_console.gui.runner_dock", "yespo_console.sandbox.server",
                            "yespo_console.sandbox.faults")


def _home(tmp_path):
    """A data folder whose Sandbox environment is on a free port: the console's sandbox listens at that
    environment's address, and a test should not take 8750 from whatever else runs on this machine."""
    from tests.gui.test_sandbox_port import _home_with_sandbox_port
    from tests.sandbox.helpers import free_port

    return _home_with_sandbox_port(tmp_path, free_port())


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_it_opens_where_the_console_last_was(qtbot, settings):
    previous = QMainWindow()
    qtbot.addWidget(previous)
    previous.setGeometry(QRect(40, 50, 700, 500))
    settings.setValue(GEOMETRY_KEY, previous.saveGeometry())
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    assert window.size() == QSize(700, 500) and isinstance(window.centralWidget(), LoadingFace)
    sized = MainWindow(settings=settings, size=QSize(640, 480))
    qtbot.addWidget(sized)
    assert sized.size() == QSize(640, 480)  # --size wins


@pytest.mark.parametrize("how", ["showMaximized", "showFullScreen"])
def test_it_opens_maximised_or_full_screen_when_the_console_closed_so(qtbot, settings, how):
    previous = QMainWindow()
    qtbot.addWidget(previous)
    getattr(previous, how)()
    qtbot.waitExposed(previous)
    settings.setValue(GEOMETRY_KEY, previous.saveGeometry())
    previous.close()
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    show_and_wait_for_paint(window)
    assert (window.isMaximized(), window.isFullScreen()) == (how == "showMaximized", how == "showFullScreen")


def test_a_broken_saved_geometry_falls_back_to_the_default_size(qtbot, settings):
    settings.setValue(GEOMETRY_KEY, QByteArray(b"not a geometry"))
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    assert window.size() == QSize(1400, 900)


def test_it_paints_its_face_names_each_step_then_the_console_is_built_into_it(qtbot, settings, tmp_path):
    window = MainWindow(settings=settings, size=QSize(1280, 720))
    qtbot.addWidget(window)
    show_and_wait_for_paint(window)
    face = window.loading
    assert window.isVisible() and face is not None and face.status.text() == STEPS[0]
    seen = []
    for _ in STEPS[1:]:
        window.advance()
        seen.append((face.status.text(), face.progress.value()))
    assert seen == [(step, number) for number, step in enumerate(STEPS) if number]
    geometry = window.geometry()
    window.build(Session.open(tmp_path, history=False), first_paint_only=True)
    assert window.loading is None and window.centralWidget() is not face
    qtbot.waitUntil(lambda: window.form.isVisibleTo(window))  # what was added to the shown window shows
    assert window.isVisible() and window.built and window.geometry() == geometry and not window.abandoned
    assert [w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()] == [window]


def test_closing_it_while_loading_marks_it_abandoned(qtbot, settings):
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    show_and_wait_for_paint(window)
    window.close()
    assert window.abandoned and not window.built
    assert not settings.contains("window/state")  # nothing of a console to keep


def _python(code: str, home, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(home)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env})


def test_nothing_heavy_loads_before_the_first_window(tmp_path):
    # The real entry point, stopped when its first window is painted: what has Python imported by then?
    result = _python(f"""
        import os, sys
        import yespo_console.gui.startup as startup
        noted = startup.milestone
        def milestone(name):
            noted(name)
            if name == "first window":
                print(sorted(name for name in {HEAVY!r} if name in sys.modules), flush=True)
                os._exit(0)
        startup.milestone = milestone
        from yespo_console.cli.main import main
        sys.exit(main(["--data-dir", sys.argv[1]]))
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_entry_point_paints_its_window_then_the_console_in_it_and_logs_both(tmp_path):
    _home(tmp_path)
    shot = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "yespo_console", "--data-dir", str(tmp_path), "gui",
                             "--screenshot", str(shot)], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "YESPO_CONSOLE_TRACE_STARTUP": "1"})
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("startup ")]
    assert lines == ["startup first window", "startup console ready"]
    log = (tmp_path / "yespo-console.log").read_text()
    assert "start-up: first window " in log and ", console ready " in log
    assert shot.stat().st_size > 0


def test_closing_the_window_while_the_console_loads_quits_quietly(tmp_path):
    _home(tmp_path)
    result = _python("""
        import sys
        from pathlib import Path
        from PySide6.QtWidgets import QApplication, QMainWindow
        from yespo_console.gui.app import make_application, settings_for
        from yespo_console.gui.lifecycle import run_console
        from yespo_console.gui.main_window import MainWindow
        advancing = MainWindow.advance
        def advance(window, *args):
            window.close()  # as a user would, while the console loads
            advancing(window, *args)
        MainWindow.advance = advance
        app = make_application()
        home = Path(sys.argv[1])
        code = run_console(app, settings_for(home), home, screenshot=None, event=None)
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()]
        built = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.built]
        print(code, len(shown), len(built), (home / "sandbox.sqlite3").exists())
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "0", "0", "False"]


def test_the_console_window_module_leaves_http_scenarios_and_the_sandbox_server_for_later(tmp_path):
    result = _python(f"""
        import sys
        import yespo_console.gui.main_window
        print(sorted(name for name in {AFTER_THE_CONSOLE_PAINTS!r} if name in sys.modules))
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_an_old_history_is_upgraded_on_a_worker_thread_while_the_console_works_and_nothing_goes_out(tmp_path):
    # The one-time search index rebuild takes minutes on a large history: it runs beside the painted console,
    # which keeps painting and taking input, says what is going on, and sends nothing that would go unrecorded.
    from yespo_console.core.history import db as history_db

    _home(tmp_path)
    history_db.connect(tmp_path / "history.sqlite3", target=2).close()  # a file from the previous version
    result = _python("""
        import sys
        import threading
        import time
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        import yespo_console.gui.startup as startup
        from yespo_console.gui.session import Session
        seen = {}
        ticks = []
        loading = Session.load_history
        def slow_load(session):  # as a large history's rebuild would be
            seen["thread"] = threading.current_thread().name
            seen["began"] = time.monotonic()
            time.sleep(1.5)
            store = loading(session)
            seen["ended"] = time.monotonic()
            return store
        Session.load_history = slow_load
        def window():
            return next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow")
        def probe():  # on the GUI thread, while the history is being rebuilt
            seen["title"] = window().history_dock.windowTitle()
            seen["status"] = window().history_upgrade.text()
            seen["pending"] = window().session.history is None
            window().send()
            seen["send"] = window().statusBar().currentMessage()
        noted = startup.milestone
        def milestone(name):
            noted(name)
            if name == "console ready":
                timer = QTimer()
                timer.timeout.connect(lambda: ticks.append(time.monotonic()))
                timer.start(50)
                seen["timer"] = timer
                QTimer.singleShot(800, probe)
        startup.milestone = milestone
        from yespo_console.cli.main import main
        code = main(["--data-dir", sys.argv[1], "gui", "--screenshot", sys.argv[1] + "/shot.png"])
        print(seen["thread"])
        print(seen["title"])
        print(seen["status"])
        print(seen["pending"])
        print(seen["send"])
        print(sum(1 for t in ticks if seen["began"] < t < seen["ended"]))
        print(window().history_dock.windowTitle(), window().session.history is not None, window().history_upgrade)
        print(code)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    thread, title, status, pending, send, ticks, after, code = result.stdout.splitlines()[-8:]
    assert thread == "history-upgrade" and title == "History (rebuilding its search index…)"
    assert status.startswith("Rebuilding the history's search index") and pending == "True"
    assert send.startswith("Not sent: the history is rebuilding its search index"), send
    assert int(ticks) >= 15, ticks  # the window's timers ran on: 1.5 s at 50 ms
    assert after == "History True None" and code == "0"  # the note at the status bar's right is gone
    from yespo_console.core.history import SCHEMA_VERSION

    upgraded = history_db.connect(tmp_path / "history.sqlite3")
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert upgraded.execute("SELECT count(*) FROM exchange").fetchone()[0] == 0  # the refused send left no row
    upgraded.close()

def test_the_console_is_painted_and_takes_keys_before_the_sandbox_and_the_scenarios_load(tmp_path):
    # The real entry point, looked at when the console says it is ready: what is loaded, and does a key typed
    # in the form land in it? Then the sandbox comes, at the Sandbox environment's address.
    _home(tmp_path)
    result = _python(f"""
        import gc
        import sys
        import yespo_console.gui.startup as startup
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication
        noted = startup.milestone
        def milestone(name):
            noted(name)
            if name == "console ready":
                print(sorted(n for n in {AFTER_THE_CONSOLE_PAINTS!r} if n in sys.modules))
                window = next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow")
                # Focused as a first show focuses.
                print(window.isVisible(), window.session.sandbox is None, window.inbox.contents_built,
                      window.verify_dock.contents_built, window.focusWidget() is window.events)
                editor = window.form.focusable["email"]
                editor.setFocus()
                editor.clear()
                QTest.keyClicks(editor, "typed@example.com")
                print(window.form.draft().locators.get("email"))
        startup.milestone = milestone
        from yespo_console.cli.main import main
        code = main(["--data-dir", sys.argv[1], "gui", "--screenshot", sys.argv[1] + "/shot.png"])
        window = next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow")
        print(code, "yespo_console.sandbox.server" in sys.modules, window.inbox.contents_built,
              window.verify_dock.contents_built, window.inbox.address.text().startswith("Listening at"),
              gc.isenabled())
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["[]", "True True False False True", "typed@example.com"], result.stdout
    # The sandbox came after, its inbox and the Verification dock (hidden tabs) with it; garbage collection,
    # off while the console was made, is back on.
    assert lines[-1] == "0 True True True True True"


def test_closing_the_console_before_its_first_paint_quits_without_starting_the_sandbox(tmp_path):
    # The sandbox waits for the console's first paint: a window closed before it paints must not leave the app
    # waiting for a paint that never comes.
    _home(tmp_path)
    result = _python("""
        import sys, time
        from pathlib import Path
        from yespo_console.gui.app import make_application, settings_for
        from yespo_console.gui.lifecycle import run_console
        from yespo_console.gui.main_window import MainWindow
        building = MainWindow.build
        def build(window, *args, **kwargs):
            building(window, *args, **kwargs)
            window.close()  # at once, as the console is built: before it is painted
        MainWindow.build = build
        app = make_application()
        home = Path(sys.argv[1])
        began = time.monotonic()
        code = run_console(app, settings_for(home), home, screenshot=None, event=None)
        print(code, time.monotonic() - began < 30, (home / "sandbox.sqlite3").exists())
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "True", "False"]


def test_the_history_opens_after_the_first_paint_and_its_rows_then_show(tmp_path):
    from yespo_console.core.history import HistoryStore
    from yespo_console.core.http.exchange import ExchangeRequest

    _home(tmp_path)
    with HistoryStore.open(tmp_path) as store:
        store.begin(ExchangeRequest(url="http://127.0.0.1:1/api/v2/event", body=b'{"eventTypeKey": "kept"}'))
    result = _python("""
        import sys
        import yespo_console.gui.startup as startup
        from PySide6.QtWidgets import QApplication
        def window():
            return next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow")
        noted = startup.milestone
        def milestone(name):
            noted(name)
            if name == "console ready":
                dock = window().history_dock
                print(dock.store is None, dock.off_label.isVisible(), dock.model.rowCount())
        startup.milestone = milestone
        from yespo_console.cli.main import main
        code = main(["--data-dir", sys.argv[1], "gui", "--screenshot", sys.argv[1] + "/shot.png"])
        dock = window().history_dock
        print(code, dock.store is None, dock.off_label.isVisible(), dock.model.rowCount())
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    # Not open at the paint, and not said to be off either: one turn later it is open, with its row.
    lines = result.stdout.splitlines()
    assert (lines[0], lines[-1]) == ("True False 0", "0 False False 1"), result.stdout


def test_a_history_that_cannot_open_is_said_to_be_off_once_the_console_is_painted(tmp_path):
    _home(tmp_path)
    (tmp_path / "history.sqlite3").write_bytes(b"this is not a database" * 100)
    result = _python("""
        import sys
        from PySide6.QtWidgets import QApplication
        from yespo_console.cli.main import main
        code = main(["--data-dir", sys.argv[1], "gui", "--screenshot", sys.argv[1] + "/shot.png"])
        window = next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow")
        print(code, window.history_dock.off_label.isVisibleTo(window.history_dock), window.history_off is not None)
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 True True", result.stdout


def test_the_first_window_is_the_console_s_own_and_the_console_is_built_into_it(tmp_path):
    _home(tmp_path)
    result = _python("""
        import sys
        import yespo_console.gui.startup as startup
        from PySide6.QtWidgets import QApplication
        seen = []
        def shown():
            return [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        noted = startup.milestone
        def milestone(name):
            noted(name)
            windows = shown()
            seen.append((name, [type(w).__name__ for w in windows], [w.built for w in windows], windows))
        startup.milestone = milestone
        from yespo_console.cli.main import main
        code = main(["--data-dir", sys.argv[1], "gui", "--screenshot", sys.argv[1] + "/shot.png"])
        (first, names, built, windows), (ready, names_then, built_then, windows_then) = seen
        print(code, first, names, built, ready, names_then, built_then, windows[0] is windows_then[0])
    """, tmp_path, YESPO_CONSOLE_TRACE_STARTUP="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == ("0 first window ['MainWindow'] [False] "
                                              "console ready ['MainWindow'] [True] True")
    milestones = [line for line in result.stderr.splitlines() if line.startswith("startup ")]
    assert milestones == ["startup first window", "startup console ready"]


def test_size_applies_to_the_console_when_no_start_up_window_shows(tmp_path):
    _home(tmp_path)
    result = _python("""
        import sys
        from PySide6.QtWidgets import QApplication
        from yespo_console.cli.main import main
        code = main(["--data-dir", sys.argv[1], "gui", "--screenshot", sys.argv[1] + "/shot.png", "--size", "1280x720"])
        window = next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow")
        print(code, window.width(), window.height())
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "0 1280 720"


def test_work_on_the_upgrade_thread_that_ends_after_its_loop_closed_ends_quietly():
    # Closing the window does not wait for the history's upgrade: the loop may be gone when the thread ends.
    import asyncio
    import threading

    from yespo_console.gui.lifecycle import _on_a_daemon_thread

    release, ended, failures = threading.Event(), threading.Event(), []
    previous = threading.excepthook
    threading.excepthook = lambda args: failures.append(args.exc_value)

    def work() -> str:
        release.wait(5)
        ended.set()
        return "opened"

    async def start() -> None:
        _on_a_daemon_thread(work)

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(start())
    finally:
        loop.close()
    try:
        release.set()
        assert ended.wait(5)
        time.sleep(0.1)  # the thread hands its result over, to a closed loop
    finally:
        threading.excepthook = previous
    assert failures == []
