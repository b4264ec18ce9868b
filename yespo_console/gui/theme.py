"""The one place colours live: a light and a dark palette, the colour roles the panes use for meaning
(accepted, rejected, warning, dim …), the JSON and diff colours, one application style sheet written in
palette roles, and the View → Theme choice (System / Light / Dark), kept in the settings.

Everything here is Qt GUI only and cheap to import: the window applies the theme before its first paint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QActionGroup, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QMenu

from yespo_console.gui.tinted import tinted_svg

THEME_KEY = "view/theme"


class Theme(StrEnum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, slots=True)
class Colors:
    """Colours by meaning; every pane asks for a role, never for a colour."""

    ok: str
    error: str
    warning: str
    dim: str
    faint: str
    accent: str
    special: str  # an interrupted exchange: neither a failure nor a success
    star: str
    on_error: str  # text on an error-coloured band (the production banner)
    json_key: str
    json_string: str
    json_number: str
    json_literal: str
    diff_removed: str
    diff_added: str
    diff_filler: str
    diff_removed_text: str
    diff_added_text: str
    mark_error: str  # a table cell with a problem: a tint, so the text stays readable
    mark_warning: str


_PAIRS = {  # a role: its light colour, its dark colour
    "ok": ("#1e8e3e", "#81c995"),
    "error": ("#d93025", "#f28b82"),
    "warning": ("#b06000", "#fdd663"),
    "dim": ("#5f6368", "#9aa0a6"),
    "faint": ("#9aa0a6", "#6f7378"),
    "accent": ("#1a73e8", "#8ab4f8"),
    "special": ("#8430ce", "#d7aefb"),
    "star": ("#f9ab00", "#fdd663"),
    "on_error": ("#ffffff", "#ffffff"),
    "json_key": ("#1f5fa8", "#7cb7ff"),
    "json_string": ("#0a7a32", "#8fd694"),
    "json_number": ("#a0520d", "#f2b36b"),
    "json_literal": ("#8a2be2", "#d7a8ff"),
    "diff_removed": ("#fce8e6", "#4a2624"),
    "diff_added": ("#e6f4ea", "#1f3d29"),
    "diff_filler": ("#eeeeee", "#2d2e30"),
    "diff_removed_text": ("#f4a9a3", "#8c3a36"),
    "diff_added_text": ("#9fd6ae", "#2f7a4a"),
    "mark_error": ("#46d93025", "#66f28b82"),
    "mark_warning": ("#46e8a000", "#66fdd663"),
}
LIGHT = Colors(**{role: light for role, (light, _dark) in _PAIRS.items()})
DARK = Colors(**{role: dark for role, (_light, dark) in _PAIRS.items()})
# The production banner is the same loud red in both themes: it must never read as a quiet label.
BANNER = "#c5221f"

_ROLES = {  # a palette role: its light colour, its dark colour
    QPalette.ColorRole.Window: ("#f4f5f7", "#1f2023"),
    QPalette.ColorRole.WindowText: ("#202124", "#e8eaed"),
    QPalette.ColorRole.Base: ("#ffffff", "#16171a"),
    QPalette.ColorRole.AlternateBase: ("#f5f6f8", "#1c1d20"),
    QPalette.ColorRole.Text: ("#202124", "#e8eaed"),
    QPalette.ColorRole.PlaceholderText: ("#70757a", "#9aa0a6"),
    QPalette.ColorRole.Button: ("#ffffff", "#2b2c30"),
    QPalette.ColorRole.ButtonText: ("#202124", "#e8eaed"),
    QPalette.ColorRole.Highlight: ("#1a73e8", "#8ab4f8"),
    QPalette.ColorRole.HighlightedText: ("#ffffff", "#16171a"),
    QPalette.ColorRole.ToolTipBase: ("#ffffff", "#2b2c30"),
    QPalette.ColorRole.ToolTipText: ("#202124", "#e8eaed"),
    QPalette.ColorRole.Link: ("#1a73e8", "#8ab4f8"),
    QPalette.ColorRole.BrightText: ("#ffffff", "#ffffff"),
    QPalette.ColorRole.Light: ("#ffffff", "#3c3d42"),
    QPalette.ColorRole.Midlight: ("#e8eaed", "#333438"),
    # Input frames: 3:1 against Base, the contrast a control's boundary needs to be seen (WCAG 1.4.11).
    QPalette.ColorRole.Mid: ("#8d9299", "#6b6f76"),
    QPalette.ColorRole.Dark: ("#9aa0a6", "#101113"),
    QPalette.ColorRole.Shadow: ("#5f6368", "#000000"),
}
_DISABLED_LIGHT, _DISABLED_DARK = "#a0a4a8", "#6f7378"

# Written in palette roles only, so one sheet serves both themes (and the system's palette). Every input has
# a frame in the Mid role: the platform style draws it in a shade of the window colour, which on a dark
# window is the fields' own colour. A framed spin box or combo box loses its native arrows, so the sheet
# names arrow images, drawn in the palette's text colours when the sheet is applied (style_sheet).
STYLE_SHEET = """
QToolBar#addressBar { spacing: 6px; padding: 4px 6px; border: none; border-bottom: 1px solid palette(mid); }
QLineEdit#addressUrl { border: 1px solid palette(mid); border-radius: 4px; padding: 3px 6px;
    background: palette(base); color: palette(text); }
QPushButton#sendButton { background: palette(highlight); color: palette(highlighted-text); font-weight: bold;
    border: none; border-radius: 4px; padding: 5px 18px; }
QPushButton#sendButton:hover { background: palette(link); }
QPushButton#sendButton:disabled { background: palette(mid); color: palette(window); }
QGroupBox { border: none; border-top: 1px solid palette(midlight); margin-top: 14px; padding-top: 4px;
    font-weight: bold; }
QGroupBox::title { subcontrol-origin: margin; subcontrol-position: top left; left: 0px; padding: 0 6px 0 0;
    color: palette(window-text); }
QSplitter::handle { background: palette(window); }
QSplitter::handle:hover { background: palette(highlight); }
QTabWidget::pane { border: 1px solid palette(midlight); border-radius: 3px; }
QDockWidget::title { padding: 3px 6px; background: palette(window); }
QHeaderView::section { background: palette(window); color: palette(window-text); border: none;
    border-bottom: 1px solid palette(midlight); border-right: 1px solid palette(midlight); padding: 2px 6px; }
QListWidget#eventList { border: none; background: palette(window); }
QListWidget#eventList::item { padding: 3px 4px; border-radius: 4px; }
QListWidget#eventList::item:selected { background: palette(highlight); color: palette(highlighted-text); }
QLabel#sectionTitle { color: palette(placeholder-text); font-weight: bold; }
QTextBrowser[reading="true"] { border: none; background: palette(window); }
QLineEdit, QAbstractSpinBox, QComboBox, QPlainTextEdit, QTextEdit {
    border: 1px solid palette(mid); border-radius: 3px; }
QLineEdit, QAbstractSpinBox, QComboBox { padding: 2px 4px; }
QLineEdit, QAbstractSpinBox, QComboBox:editable, QPlainTextEdit, QTextEdit { background: palette(base); }
QLineEdit:focus, QAbstractSpinBox:focus, QComboBox:focus, QPlainTextEdit:focus, QTextEdit:focus {
    border-color: palette(highlight); }
QComboBox:!editable { background: palette(button); }
QLineEdit:read-only, QLineEdit:disabled, QAbstractSpinBox:disabled, QComboBox:disabled { background: palette(window); }
QComboBox::drop-down { border: none; width: 18px; }
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button { border: none; width: 16px; }
QComboBox::down-arrow, QAbstractSpinBox::down-arrow { image: url("{arrow-down}"); width: 9px; height: 9px; }
QAbstractSpinBox::up-arrow { image: url("{arrow-up}"); width: 9px; height: 9px; }
QComboBox::down-arrow:disabled, QAbstractSpinBox::down-arrow:disabled { image: url("{arrow-down-disabled}"); }
QAbstractSpinBox::up-arrow:disabled { image: url("{arrow-up-disabled}"); }
QCheckBox::indicator:unchecked { border: 1px solid palette(mid); border-radius: 2px; background: palette(base); }
QCheckBox::indicator:checked { border: 1px solid palette(highlight); border-radius: 2px; background: palette(highlight);
    image: url("{check}"); }
QCheckBox::indicator:checked:disabled { border-color: palette(mid); background: palette(mid); }
"""


def choice(settings: QSettings) -> Theme:
    value = settings.value(THEME_KEY, Theme.SYSTEM.value)
    try:
        return Theme(str(value))
    except ValueError:  # a settings file edited by hand: the system's look, not a crash
        return Theme.SYSTEM


def is_dark() -> bool:
    if QGuiApplication.instance() is None:
        return False
    return QGuiApplication.palette().window().color().lightness() < 128


def colors() -> Colors:
    """The colour roles for the palette in use now."""
    return DARK if is_dark() else LIGHT


def qcolor(role: str) -> QColor:
    value: str = getattr(colors(), role)
    return QColor(value)


def paint_text(label: QLabel, role: str) -> None:
    """A label's text in a role's colour (its palette, so that a theme change repaints it through the role)."""
    color = qcolor(role)
    palette = label.palette()
    if palette.color(QPalette.ColorRole.WindowText) != color:
        palette.setColor(QPalette.ColorRole.WindowText, color)
        label.setPalette(palette)


def css(role: str) -> str:
    """A role as a colour for rich text and style sheets (#rrggbb; Qt's rich text ignores #aarrggbb)."""
    return qcolor(role).name()


def mark_style(severity: str) -> str:
    """The border of a form field with an error or a warning."""
    return f"border: 2px solid {css('error' if severity == 'error' else 'warning')}; border-radius: 3px;"


def palette_for(theme: Theme) -> QPalette:
    dark = theme is Theme.DARK
    palette = QPalette()
    for role, (light_value, dark_value) in _ROLES.items():
        palette.setColor(role, QColor(dark_value if dark else light_value))
    disabled = _DISABLED_DARK if dark else _DISABLED_LIGHT
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    return palette


def theme_menu(menu: QMenu, current: Theme | None, choose: Callable[[Theme], None]) -> dict[Theme, QAction]:
    """System / Light / Dark as exclusive choices in MENU."""
    group = QActionGroup(menu)
    actions = {}
    for theme in Theme:
        action = menu.addAction(theme.value.capitalize())
        action.setCheckable(True)
        action.setChecked(theme is current)
        action.triggered.connect(lambda _checked=False, chosen=theme: choose(chosen))
        group.addAction(action)
        actions[theme] = action
    return actions


class _Applied:
    system: QPalette | None = None  # the platform's own palette, taken before the first switch
    current: Theme | None = None
    sheet_set = False  # the style sheet for the current palette


def style_sheet(palette: QPalette) -> str:
    """STYLE_SHEET with its arrow images in PALETTE's text colours, enabled and disabled, and its check mark in
    the colour of text on the highlight (a checked box is filled with the highlight: in the dark theme the
    style's own box was hardly told from an empty one)."""
    sheet = STYLE_SHEET
    for name in ("arrow-down", "arrow-up"):
        for suffix, group in (("", QPalette.ColorGroup.Active), ("-disabled", QPalette.ColorGroup.Disabled)):
            color = palette.color(group, QPalette.ColorRole.Text).name()
            sheet = sheet.replace(f"{{{name}{suffix}}}", tinted_svg(name, color).as_posix())
    check = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.HighlightedText).name()
    return sheet.replace("{check}", tinted_svg("check", check).as_posix())


def current() -> Theme | None:
    return _Applied.current


def apply(theme: Theme, *, with_sheet: bool = True) -> None:
    """Give the application THEME's palette and the style sheet; System puts the platform's palette back.
    WITH_SHEET false: the palette only, the sheet with `apply_sheet` (the console's start-up builds its
    widgets before it: Qt then applies the sheet once to the lot instead of to each widget as it is added)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    if theme is not _Applied.current:
        if _Applied.system is None:
            _Applied.system = app.palette()
        _Applied.current = theme
        app.setPalette(_Applied.system if theme is Theme.SYSTEM else palette_for(theme))
        _Applied.sheet_set = False
    if with_sheet:
        apply_sheet()


def apply_sheet() -> None:
    """The style sheet for the palette applied, unless it is already there."""
    app = QApplication.instance()
    if not isinstance(app, QApplication) or _Applied.sheet_set:
        return
    _Applied.sheet_set = True
    # palette() in a style sheet is read when a widget is polished: set it again to re-polish.
    app.setStyleSheet("")
    app.setStyleSheet(style_sheet(app.palette()))
