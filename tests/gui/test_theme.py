"""View → Theme: light and dark reach every pane, the choice is kept, System gives the platform's palette
back, and no colour is written anywhere in the GUI but in the theme module."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from yespo_console.core.events.examples import example_draft
from yespo_console.core.paths import resources_dir
from yespo_console.gui import theme
from yespo_console.gui.main_window import MainWindow
from yespo_console.gui.theme import DARK, LIGHT, Theme

GUI = Path(theme.__file__).parent
_HEX = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?(?:[0-9a-fA-F]{2})?\b")
_NAMED = re.compile(r"(?:color|background)\s*:\s*(?!palette\()[a-zA-Z]+\b")
_QCOLOR_LITERAL = re.compile(r"QColor\(\s*(?:[\"'\d]|Qt\.GlobalColor\.(?!transparent))")


def colour_literals(source: str) -> list[str]:
    """Colours written in SOURCE: hex or named colours in its strings, QColor built from a literal."""
    found = [match.group() for match in _QCOLOR_LITERAL.finditer(source)]
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.STRING, tokenize.FSTRING_MIDDLE if hasattr(tokenize, "FSTRING_MIDDLE") else -1):
            found += _HEX.findall(token.string) + _NAMED.findall(token.string)
    return found


@pytest.fixture(autouse=True)
def system_theme_after():
    yield
    theme.apply(Theme.SYSTEM)  # the application outlives the test: the next one starts on the platform's look


def test_the_colour_scan_finds_colours():
    # The scan below must be able to fail: each way a colour used to be written is found.
    assert colour_literals('ERROR = "border: 2px solid #d93025;"\n')
    assert colour_literals('label.setStyleSheet("background:#d93025; color:white;")\n') == ["#d93025", "color:white"]
    assert colour_literals('_RED = QColor("#d93025")\n')
    assert colour_literals("mark = QColor(217, 48, 37, 70)\n")
    assert not colour_literals('style = "color: palette(placeholder-text);"  # not #abc\n')
    assert not colour_literals("clear = QColor(Qt.GlobalColor.transparent)\n")


def test_no_colour_is_written_outside_the_theme_module():
    offenders = {path.name: found for path in sorted(GUI.glob("*.py")) if path.name != "theme.py"
                 if (found := colour_literals(path.read_text(encoding="utf-8")))}
    assert offenders == {}


def test_the_icons_follow_the_palette():
    icons = sorted((resources_dir() / "icons").glob("*.svg"))
    drawn = [path for path in icons if not path.name.startswith("yespo-console")]  # the app's logo keeps its own
    assert len(drawn) >= 15
    for path in drawn:
        text = path.read_text(encoding="utf-8")
        assert "currentColor" in text and not _HEX.search(text), path.name


def panes(window: MainWindow) -> dict[str, QPalette]:
    widgets = {"form": window.form, "preview": window.payload.preview, "ladder": window.ladder,
               "diagnostics": window.diagnostics, "response": window.response.body, "history": window.history_dock.view,
               "inbox": window.inbox, "events": window.events, "address": window.address}
    return {name: widget.palette() for name, widget in widgets.items()}


def is_dark(palette: QPalette) -> bool:
    return (palette.color(QPalette.ColorRole.Window).lightness() < 128
            and palette.color(QPalette.ColorRole.Base).lightness() < 128
            and palette.color(QPalette.ColorRole.Text).lightness() > 128)


def test_dark_and_light_reach_every_pane(window, qtbot):
    window.set_theme(Theme.DARK)
    qtbot.wait(20)
    assert {name: is_dark(palette) for name, palette in panes(window).items()} == dict.fromkeys(panes(window), True)
    assert window.payload.preview.highlighter._formats["key"].foreground().color().name() == DARK.json_key
    assert window.ladder.headline.palette().color(QPalette.ColorRole.WindowText).lightness() > 128
    window.set_theme(Theme.LIGHT)
    qtbot.wait(20)
    assert {name: is_dark(palette) for name, palette in panes(window).items()} == dict.fromkeys(panes(window), False)
    assert window.payload.preview.highlighter._formats["key"].foreground().color().name() == LIGHT.json_key


def test_the_choice_is_kept_and_system_gives_the_platform_palette_back(session, settings, qtbot):
    platform = QApplication.palette().color(QPalette.ColorRole.Window).name()
    window = MainWindow(session, settings)
    qtbot.addWidget(window)
    window.theme_actions[Theme.DARK].trigger()
    assert settings.value(theme.THEME_KEY) == "dark"
    window.close()
    theme.apply(Theme.SYSTEM)
    again = MainWindow(session, settings)  # the next start
    qtbot.addWidget(again)
    assert theme.current() is Theme.DARK and is_dark(QApplication.palette())
    assert again.theme_actions[Theme.DARK].isChecked() and not again.theme_actions[Theme.LIGHT].isChecked()
    again.theme_actions[Theme.SYSTEM].trigger()
    assert QApplication.palette().color(QPalette.ColorRole.Window).name() == platform


def test_a_settings_file_with_an_unknown_theme_gets_the_system_look(settings):
    settings.setValue(theme.THEME_KEY, "sepia")
    assert theme.choice(settings) is Theme.SYSTEM


def test_switching_theme_leaves_the_form_and_the_verdict_alone(window, qtbot):
    # Re-highlighting the raw editor is reported by Qt as an edit: it used to hand the raw tab's stale text
    # to the form, which then showed "not a JSON object" for a body that was fine.
    window.set_draft(example_draft("pageViewed"))
    qtbot.waitUntil(lambda: "from" in window.ladder.headline.full_text())
    before = window.form.draft()
    window.set_theme(Theme.DARK)
    qtbot.wait(50)
    assert window.form.draft() == before
    assert window.ladder.resolution is not None and "from" in window.ladder.headline.full_text()


def contrast(first: QColor, second: QColor) -> float:
    """WCAG's contrast ratio of two colours."""
    def luminance(color: QColor) -> float:
        channels = [c / 255 for c in (color.red(), color.green(), color.blue())]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("choice", [Theme.LIGHT, Theme.DARK])
def test_every_input_is_framed_so_it_can_be_seen_in_both_themes(window, qtbot, choice):
    window.set_theme(choice)
    qtbot.wait(20)
    palette = QApplication.palette()
    base = palette.color(QPalette.ColorRole.Base)
    assert contrast(palette.color(QPalette.ColorRole.Mid), base) >= 3  # a control's boundary (WCAG 1.4.11)
    verify_wait = window.verify_dock.wait
    inputs = {"line edit": window.form.locator_editors["email"].focus_widget(), "spin box": verify_wait,
              "search": window.history_dock.search, "combo box": window.inbox.faults}
    for name, widget in inputs.items():
        image = widget.grab().toImage()
        edge = image.pixelColor(0, image.height() // 2)  # the frame's left edge, halfway down
        inside = image.pixelColor(2, image.height() // 2)  # its padding, inside the frame
        assert contrast(edge, inside) >= 2.5, (name, edge.name(), inside.name())


def test_framed_spin_and_combo_boxes_keep_their_arrows_in_the_text_colour(window):
    window.set_theme(Theme.DARK)
    sheet = QApplication.instance().styleSheet()
    text = QApplication.palette().color(QPalette.ColorRole.Text).name()
    images = re.findall(r'url\("([^"]+)"\)', sheet)
    # Up and down, enabled and disabled, and the check mark; no placeholder left.
    assert len(images) == 5 and "{arrow" not in sheet and "{check}" not in sheet
    for image in images:
        assert Path(image).is_file(), image
    assert any(text.encode() in Path(image).read_bytes() for image in images)


@pytest.mark.parametrize("choice", [Theme.LIGHT, Theme.DARK])
def test_a_checked_box_is_filled_with_the_highlight(window, qtbot, choice):
    # In the dark theme the style's own checked box was hardly told from an empty one.
    from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton

    window.set_theme(choice)
    boxes = []
    for checked in (True, False):
        box = QCheckBox("send", window.form)
        box.setChecked(checked)
        box.show()
        qtbot.waitExposed(box)
        option = QStyleOptionButton()
        box.initStyleOption(option)
        indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
        boxes.append(box.grab().toImage().pixelColor(indicator.left() + 2, indicator.top() + 2))
    checked_fill, empty_fill = boxes
    highlight = QApplication.palette().color(QPalette.ColorRole.Highlight)
    assert contrast(checked_fill, highlight) < 1.2, (checked_fill.name(), highlight.name())
    assert contrast(checked_fill, empty_fill) >= 2.0, (checked_fill.name(), empty_fill.name())


def test_tinted_icons_are_copies_in_the_colour_and_the_original_where_none_can_be_written(monkeypatch):
    import tempfile

    from yespo_console.gui import tinted

    path = tinted.tinted_svg("action-send", "#12ab34")
    text = path.read_text(encoding="utf-8")
    assert "#12ab34" in text and "currentColor" not in text
    assert tinted.tinted_svg("action-send", "#12ab34") == path  # written once
    tinted._folder.cache_clear()

    def no_temporary_folder(*args: object, **kwargs: object) -> str:
        raise OSError("read-only file system")

    monkeypatch.setattr(tempfile, "mkdtemp", no_temporary_folder)
    try:
        assert tinted.tinted_svg("action-send", "#12ab34") == resources_dir() / "icons" / "action-send.svg"
    finally:
        tinted._folder.cache_clear()  # the next caller makes a real folder again


def test_without_a_temporary_folder_the_icons_keep_the_theme_colour(monkeypatch, qapp):
    import tempfile

    from yespo_console.gui import icons, tinted

    def no_temporary_folder(*args: object, **kwargs: object) -> str:
        raise OSError("read-only file system")

    tinted._folder.cache_clear()
    icons._icon.cache_clear()
    monkeypatch.setattr(tempfile, "mkdtemp", no_temporary_folder)
    try:
        image = icons._icon("action-send", "#e8eaed").pixmap(24, 24).toImage()
        inked = [image.pixelColor(x, y) for x in range(24) for y in range(24) if image.pixelColor(x, y).alpha() > 200]
        # The dark theme's text colour, not black (rounding moves a channel by a step or two).
        assert inked and all(abs(c.red() - 0xE8) + abs(c.green() - 0xEA) + abs(c.blue() - 0xED) <= 6 for c in inked)
    finally:
        tinted._folder.cache_clear()
        icons._icon.cache_clear()
