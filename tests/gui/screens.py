"""A main window shown at a screen size, for the layout tests."""

from __future__ import annotations

from yespo_console.gui.main_window import MainWindow


def window_at(session, settings, qtbot, size: tuple[int, int]) -> MainWindow:
    window = MainWindow(session, settings)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    return window
