"""The app-level comforts: the exception hook, the palette, the About box, the desktop id, screenshots."""

import logging
import subprocess
import sys

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from yespo_console import APP_ID
from yespo_console.gui import app as gui_app
from yespo_console.gui import logs as gui_logs
from yespo_console.gui.theme import DARK, LIGHT


def test_exception_hook_logs_and_shows_a_dialog_instead_of_dying(qapp, qtbot, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    gui_logs.install_excepthook(tmp_path / "app.log")
    try:
        raise ValueError("boom in a slot")
    except ValueError:
        with caplog.at_level(logging.ERROR):
            sys.excepthook(*sys.exc_info())
    assert "boom in a slot" in caplog.text
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes and "boom in a slot" in boxes[-1].text()
    assert "app.log" in boxes[-1].informativeText()
    for box in boxes:
        box.close()


def test_application_identity(qapp):
    application = gui_app.make_application()
    assert application.desktopFileName() == APP_ID
    assert not application.windowIcon().isNull()
    assert not application.quitOnLastWindowClosed()


def test_preview_follows_a_dark_palette(window, qtbot):
    fmt = window.payload.preview.highlighter._formats["key"]
    assert fmt.foreground().color().name() == LIGHT.json_key
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#202124"))
    previous = QApplication.palette()
    QApplication.setPalette(palette)
    try:
        qtbot.waitUntil(lambda: window.payload.preview.highlighter._formats["key"].foreground().color().name()
                        == DARK.json_key)
    finally:
        QApplication.setPalette(previous)


def test_about_box_names_the_versions(window, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.about()
    assert "PySide6-Essentials 6." in shown[0] and "httpx" in shown[0] and "qasync" in shown[0]


def test_screenshot_mode_writes_a_png(tmp_path):
    out = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "yespo_console", "--data-dir", str(tmp_path / "home"), "gui",
                             "--screenshot", str(out), "--event", "productViewed", "--size", "1200x800"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage

    assert QImage(str(out)).size().width() == 1200
    bad = subprocess.run([sys.executable, "-m", "yespo_console", "gui", "--screenshot", str(out), "--size", "big"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--size" in bad.stderr


def test_every_dock_is_a_tab_at_the_bottom_and_comes_back_after_a_restart(window, session, settings, qtbot):
    from PySide6.QtWidgets import QTabBar

    from yespo_console.gui.main_window import MainWindow

    def bottom_tabs(win):
        return next(([bar.tabText(i) for i in range(bar.count())] for bar in win.findChildren(QTabBar)
                     if "History" in [bar.tabText(i) for i in range(bar.count())]), [])

    qtbot.waitUntil(lambda: window.runner_dock is not None)
    qtbot.waitUntil(lambda: bottom_tabs(window) == ["History", "Sandbox inbox", "Verification", "Scenarios"])
    window.close()
    again = MainWindow(session, settings)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(lambda: again.runner_dock is not None)
    qtbot.waitUntil(lambda: bottom_tabs(again) == ["History", "Sandbox inbox", "Verification", "Scenarios"])
    assert again.runner_dock.toggleViewAction() in again.view_menu.actions()
