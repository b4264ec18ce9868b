"""The window on laptop and desktop screens, with the values real users paste: a 300-character push token
and a 150-character email typed into the form. Every pane keeps a usable size, nothing overlaps, nothing
needed is below the fold, and long values are elided with the whole text on hover."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QWidget

from tests.gui.screens import window_at
from yespo_console.core.events.examples import example_draft
from yespo_console.gui.main_window import FORM_MIN_WIDTH, MainWindow

# An FCM registration token as apps log it, made as long as the ones that broke the layout.
TOKEN = ("fcm:" + "APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8OvPVGJ-hQMRKRrZuJAEcl7B338qju59zJMjw2DELjz" * 4)[:300]
EMAIL = ("olena.kovalenko-shevchenko.marketing.department.newsletter.subscriptions" + "@"
         + "regional-office-kyiv.customer-relations.example-retail-company.com.ua")
EMAIL = EMAIL.rjust(150, "x")
SIZES = [(1280, 720), (1366, 768), (1920, 1080)]


def in_window(window: MainWindow, widget: QWidget) -> QRect:
    return QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())


@pytest.fixture(params=SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def filled(request, session, settings, qtbot):
    width, height = request.param
    window = window_at(session, settings, qtbot, request.param)
    window.set_draft(example_draft("cartUpdated"))
    window.form.key_value_check.setChecked(False)
    for name, value in (("email", EMAIL), ("pushToken", TOKEN)):
        field = window.form.locator_editors[name].focus_widget()
        field.clear()
        field.insert(value)  # edits as typing does (QTest types ASCII slowly, one event per key)
    qtbot.waitUntil(lambda: window.ladder.rows["pushToken"].value.full_text() == TOKEN)
    qtbot.wait(50)  # the layout settles after the ladder's texts change
    return window, (width, height)


def test_the_window_fits_the_screen_and_the_form_stays_usable(filled):
    window, (width, height) = filled
    assert window.width() == width and window.height() == height  # no value asks for a wider window
    assert window.form_scroll.width() >= FORM_MIN_WIDTH
    assert window.form.locator_editors["email"].focus_widget().width() >= 150
    assert window.ladder.width() < width / 2  # the ladder never takes the whole width
    send = window.address.send_button
    assert send.isVisible() and window.rect().contains(in_window(window, send))


def test_the_ladder_rows_do_not_overlap_and_long_values_are_elided(filled):
    window, _size = filled
    ladder = window.ladder
    rows = list(ladder.rows.values())
    for upper, lower in itertools.pairwise(rows):
        assert in_window(window, upper.name).bottom() < in_window(window, lower.name).top()
    for row in rows:
        columns = [in_window(window, label) for label in row.labels() if label.isVisible()]
        for left, right in itertools.pairwise(columns):
            assert left.right() < right.left()
        assert ladder.rect().contains(QRect(row.reason.mapTo(ladder, row.reason.rect().topLeft()), row.reason.size()))
    token = ladder.rows["pushToken"].value
    assert token.is_elided() and token.toolTip() == TOKEN
    assert len(token.text()) < len(TOKEN)
    email = ladder.rows["email"].value
    assert email.full_text() == EMAIL and email.toolTip() == EMAIL  # the winner, elided, whole on hover


def test_preview_and_history_show_enough_at_once(filled):
    window, (width, height) = filled
    preview = window.payload.preview
    lines = preview.viewport().height() / preview.fontMetrics().lineSpacing()
    history = window.history_dock.view
    rows = history.viewport().height() / history.verticalHeader().defaultSectionSize()
    if (width, height) == (1280, 720):  # the smallest screen: every pane usable, fewer lines each
        assert lines >= 12 and rows >= 5
    else:
        assert lines >= 15 and rows >= 6
    for pane in (window.form_scroll, preview, window.ladder, window.diagnostics, window.response, history):
        assert pane.isVisible() and pane.height() >= 60, pane
        assert window.rect().contains(in_window(window, pane)), pane  # nothing needed below the fold


def test_empty_tables_are_collapsed_until_used(window, qtbot):
    window.set_draft(example_draft("pageViewed"))
    extra = window.form.extra_table
    assert extra.table.isHidden()
    extra.add_row(["utm_source", "newsletter"])
    assert not extra.table.isHidden()
    extra.table.setCurrentCell(0, 0)
    extra.remove_selected()
    assert extra.table.isHidden()


def test_a_long_table_value_is_elided_with_the_whole_text_on_hover(window):
    window.set_draft(example_draft("pageViewed"))
    extra = window.form.extra_table
    extra.add_row(["token", TOKEN])
    assert extra.table.columnWidth(1) <= 240 or extra.table.horizontalHeader().stretchLastSection()
    assert extra.table.item(0, 1).toolTip() == TOKEN
    assert extra.table.columnWidth(0) <= 240


def test_every_event_type_fits_the_form_column_on_the_smallest_screen(session, settings, qtbot):
    window = MainWindow(session, settings)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    for spec in window.form.profile.events:
        window.set_draft(example_draft(spec.key))
        # Wider than the column, the form would be cut at its right edge or need sideways scrolling.
        assert window.form.minimumSizeHint().width() <= window.form_scroll.viewport().width(), spec.key


def test_the_address_strip_shows_the_real_url_and_its_send_button_sends(window, qtbot):
    assert window.address.url.text() == window.environment.url
    assert window.environment.url.startswith(window.session.sandbox.base_url)  # the port the sandbox really has
    window.send_action.setEnabled(False)  # what a send in flight does: the button follows the action
    assert not window.address.send_button.isEnabled()
    window.send_action.setEnabled(True)
    with qtbot.waitSignal(window.send_finished, timeout=10_000) as sent:
        qtbot.mouseClick(window.address.send_button, Qt.MouseButton.LeftButton)
    assert sent.args[0] is not None and sent.args[0].exchange_id is not None


def test_the_address_strip_never_shows_a_password(window):
    window.address.show_url("https://user:s3cret-pass@gateway.example.com/api/v2/event")
    assert "s3cret-pass" not in window.address.url.text() and "s3cret-pass" not in window.address.url.toolTip()
    assert "gateway.example.com" in window.address.url.text()


@pytest.mark.parametrize("size", SIZES[:2], ids=lambda size: f"{size[0]}x{size[1]}")
def test_the_scenarios_dock_fits_its_tab_without_scrolling(session, settings, qtbot, size):
    # A recipe's long description used to be the dock's minimum height: at 1366×768 the dock scrolled, and the
    # run's summary under the table was out of sight. Now the description scrolls in its own box.
    window = window_at(session, settings, qtbot, size)
    qtbot.waitUntil(lambda: window.runner_dock is not None)
    dock = window.runner_dock
    assert dock is not None
    qtbot.wait(50)  # the dock area makes the new dock's tab when it is next laid out
    dock.raise_()
    # Raised, the tab takes the dock area's whole width.
    qtbot.waitUntil(lambda: dock.loaded is not None and dock.width() > window.width() - 20)
    qtbot.wait(50)
    scroll = dock.widget()
    assert scroll.verticalScrollBar().maximum() == 0, (scroll.viewport().size(), scroll.widget().minimumSizeHint())
    for part in (dock.run_button, dock.summary, dock.description, dock.table):
        box = in_window(window, part)
        assert part.isVisible() and window.rect().contains(box), (type(part).__name__, box)
    assert dock.description.height() >= dock.fontMetrics().lineSpacing()
    assert "Abandoned browse" in dock.description.toPlainText()
