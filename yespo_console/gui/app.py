"""QApplication + qasync loop, the exception hook, the embedded sandbox, clean shutdown, and the
offscreen screenshot mode."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
from pathlib import Path
from types import TracebackType

os.environ.setdefault("QT_API", "pyside6")  # qasync would pick PyQt6 first if both were installed

import qasync
from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from yespo_console import APP_ID, APP_NAME, __version__
from yespo_console.core.examples import EXAMPLE_KEYS, example_draft
from yespo_console.core.paths import data_dir

log = logging.getLogger("yespo_console")


def _resources_dir() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)  # a PyInstaller bundle keeps its data files under this folder
    return Path(bundle) / "resources" if bundle else Path(__file__).resolve().parents[2] / "resources"


RESOURCES = _resources_dir()


def app_icon() -> QIcon:
    icon = QIcon()
    for size in (16, 32, 48, 64, 128, 256):
        path = RESOURCES / "icons" / f"yespo-console-{size}.png"
        if path.exists():
            icon.addFile(str(path), QSize(size, size))
    svg = RESOURCES / "icons" / "yespo-console.svg"
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


def setup_logging(home: Path) -> Path:
    path = home / "yespo-console.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path


_error_boxes: list[QMessageBox] = []


def install_excepthook(log_path: Path | None) -> None:
    """An uncaught error (an async slot's included) is logged and shown in a dialog; the app lives on.

    The dialog is shown, not exec()'d: a nested event loop inside a running asyncio task would make
    qasync step other tasks re-entrantly.
    """

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, error, tb))
        log.error("unexpected error:\n%s", text)
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            sys.__excepthook__(kind, error, tb)
            return
        box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, f"Something went wrong: {error}")
        where = f" It was logged to {log_path}." if log_path else ""
        box.setInformativeText(f"Your data is safe; the window keeps working.{where}")
        box.setDetailedText(text)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        _error_boxes.append(box)  # no parent: without a reference Python would delete it at once
        box.finished.connect(lambda _result: _error_boxes.remove(box))
        box.show()

    sys.excepthook = hook


async def _run(window_size: QSize | None, screenshot: Path | None, event: str | None, home: Path) -> int:
    from yespo_console.gui.main_window import MainWindow
    from yespo_console.gui.session import Session

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    session = Session.open(home)
    window = MainWindow(session, settings_for(home))
    if event is not None:
        window.set_draft(example_draft(event))
    if window_size is not None:
        window.resize(window_size)
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    window.show()
    await session.start_sandbox()  # after the window shows: it opens sooner, and says when it listens
    window.sandbox_ready()
    if screenshot is not None:
        await asyncio.sleep(0.3)  # let layouts, the first paint and the sandbox settle
        ok = window.grab().save(str(screenshot))
        window.close()
        await session.aclose()
        print(f"screenshot {'saved to' if ok else 'FAILED:'} {screenshot}")
        return 0 if ok else 1
    await closed.wait()
    await session.aclose()
    return 0


def run_gui(*, screenshot: str | None = None, event: str | None = None, size: str | None = None,
            data_dir_override: str | None = None) -> int:
    if screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if event is not None and event not in EXAMPLE_KEYS:
        print(f"unknown event {event!r}; choose one of {', '.join(EXAMPLE_KEYS)}", file=sys.stderr)
        return 2
    window_size = None
    if size:
        try:
            width, height = (int(part) for part in size.lower().split("x"))
            window_size = QSize(width, height)
        except ValueError:
            print(f"--size must look like 1400x900, not {size!r}", file=sys.stderr)
            return 2
    home = data_dir(data_dir_override)
    log_path = setup_logging(home)
    app = make_application()
    install_excepthook(log_path)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        return loop.run_until_complete(_run(window_size, Path(screenshot) if screenshot else None, event, home))
