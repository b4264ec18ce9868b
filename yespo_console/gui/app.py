"""The QApplication, its identity and icon, the settings file, and `run_gui`: the console (gui.lifecycle),
its own window painted first with a loading face.

Only Qt and light modules are imported here: everything heavier loads with the console, and what its first
paint does not need after that paint (see gui.lifecycle).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from yespo_console import APP_ID, APP_NAME, __version__
from yespo_console.core.paths import data_dir, resources_dir


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
    app = make_application()
    settings = settings_for(home)
    from yespo_console.gui import theme  # the chosen theme's colours from the first paint on

    theme.apply(theme.choice(settings), with_sheet=False)  # the sheet once the console is built (MainWindow)
    from yespo_console.gui.lifecycle import run_console

    return run_console(app, settings, home, screenshot=Path(screenshot) if screenshot else None,
                       event=event, body=body, size=window_size)
