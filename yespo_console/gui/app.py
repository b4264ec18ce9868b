"""The QApplication, its identity and icon, the settings file, and `run_gui`: the start-up window first,
then the console (gui.lifecycle).

Only Qt and light modules are imported here, on the GUI thread: everything heavier loads after the start-up
window is on screen (see gui.startup). Meanwhile a worker thread imports the heaviest of the console's pure
Python modules (PRELOAD): while the GUI thread is in Qt's own code (loading its libraries, creating the
application, painting the start-up window) the interpreter lock is free for it, so on a second core those
imports are done, or under way, by the time the console needs them. Only when a core is free: on a machine
already busy the thread competes with the GUI thread and delays both windows instead.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QSettings, QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from yespo_console import APP_ID, APP_NAME, __version__
from yespo_console.core.paths import data_dir, resources_dir
from yespo_console.gui.startup import StartupWindow, milestone


def app_icon() -> QIcon:
    icons = resources_dir() / "icons"
    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256):
        path = icons / f"yespo-console-{size}.png"
        if path.exists():
            icon.addFile(str(path), QSize(size, size))
    svg = icons / "yespo-console.svg"
    if svg.exists():
        icon.addFile(str(svg))
    return icon


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or [sys.argv[0]])
    app.setApplicationName("yespo-console")
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName("yespo-console")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    # The asyncio side decides when to stop, after closing clients and the sandbox on their loop.
    app.setQuitOnLastWindowClosed(False)
    return app


# What the console imports first after the start-up window, slowest first. No Qt module and nothing of
# yespo_console.gui: Qt's classes belong to the GUI thread (tests/gui/test_startup.py checks the list).
PRELOAD = ("pydantic", "yespo_console.core.events.examples", "yespo_console.core.events.diagnostics",
           "yespo_console.core.http.environments", "yespo_console.core.history", "asyncio", "logging.handlers",
           "yespo_console.core.http.secrets")


def a_core_is_free(cores: int | None = None, load: float | None = None) -> bool:
    """Whether a core is left for the preload besides the GUI thread's: over the last minute, other processes
    kept at most all but one of the cores busy (CORES and LOAD: the machine's, unless given). Where the load
    is not known (Windows), whether there are more than two cores."""
    cores = cores or os.cpu_count() or 1
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            return cores > 2
    return cores >= 2 and load <= cores - 1


def preload(names: tuple[str, ...] = PRELOAD) -> threading.Thread:
    """Import NAMES on a daemon thread, now. An import that fails here is left to fail again, with its own
    message, where the console imports it."""

    def run() -> None:
        for name in names:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    thread = threading.Thread(target=run, name="yespo-console-preload", daemon=True)
    thread.start()
    return thread


def settings_for(home: Path) -> QSettings:
    """Window state and drafts live beside the history, so YESPO_CONSOLE_HOME moves everything."""
    return QSettings(str(home / "settings.ini"), QSettings.Format.IniFormat)


def run_gui(*, screenshot: str | None = None, event: str | None = None, body: str | None = None,
            size: str | None = None, data_dir_override: str | None = None) -> int:
    """BODY: the text of a body file, loaded into the form after EVENT's example."""
    if screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    window_size = None
    if size:
        try:
            width, height = (int(part) for part in size.lower().split("x"))
            window_size = QSize(width, height)
        except ValueError:
            print(f"--size must look like 1400x900, not {size!r}", file=sys.stderr)
            return 2
    home = data_dir(data_dir_override)
    preloading = preload(PRELOAD if a_core_is_free() else ())
    app = make_application()
    settings = settings_for(home)
    startup = StartupWindow(settings, window_size)
    startup.show_and_wait_for_paint()
    milestone("first window")
    # Logging, asyncio, qasync, the core: all after the first paint.
    from yespo_console.gui.lifecycle import run_console

    try:
        return run_console(app, startup, settings, home, screenshot=Path(screenshot) if screenshot else None,
                           event=event, body=body)
    finally:
        preloading.join(timeout=10)  # long done, unless the console was closed while it loaded
