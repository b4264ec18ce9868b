"""The sandbox inbox in the default layout on laptop and desktop screens: it shares the bottom dock area
with the history (sized for six history rows) and must show as many requests at once, one line each,
with a 150-character email elided and whole on hover."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from tests.gui.screens import window_at
from tests.gui.test_layout import EMAIL, SIZES, TOKEN
from yespo_console.gui.inbox import COLUMNS, SHARING


def long_body() -> str:
    return json.dumps({"eventTypeKey": "cartUpdated", "keyValue": EMAIL,
                       "params": [{"name": "email", "value": EMAIL}, {"name": "pushToken", "value": TOKEN}]})


@pytest.fixture(params=SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def inbox_shown(request, session, settings, qtbot):
    window = window_at(session, settings, qtbot, request.param)
    window.load_body_text(long_body())
    with qtbot.waitSignal(window.send_finished, timeout=10_000):
        window.send_action.trigger()
    qtbot.waitUntil(lambda: window.inbox.model.rowCount() == 1)
    window.inbox.raise_()
    qtbot.waitUntil(window.inbox.table.isVisible)
    qtbot.wait(50)  # the dock area settles after the tab switch
    return window, request.param


def test_the_inbox_shows_six_requests_beside_the_selected_one(inbox_shown):
    window, _size = inbox_shown
    table = window.inbox.table
    row = table.verticalHeader().defaultSectionSize()
    assert table.viewport().height() / row >= 6
    assert table.rowHeight(0) == row  # the long email did not make its row two lines tall
    assert not table.horizontalScrollBar().isVisible()  # a sideways scroll bar would take a row's height
    # The selected request's body and diagnostics sit beside the list, not under it.
    body = window.inbox.body_view
    assert body.isVisible()
    assert body.mapTo(window, body.rect().topLeft()).x() > table.mapTo(window, table.rect().topRight()).x()


def test_the_long_columns_share_the_width_and_keep_the_whole_text_on_hover(inbox_shown):
    window, _size = inbox_shown
    table, model = window.inbox.table, window.inbox.model
    for column in SHARING:
        assert table.columnWidth(column) >= 100, COLUMNS[column]  # readable, even at 1280×720
    key_value = model.index(0, COLUMNS.index("keyValue"))
    assert model.data(key_value) == EMAIL
    assert model.data(key_value, Qt.ItemDataRole.ToolTipRole) == EMAIL
    assert model.data(model.index(0, COLUMNS.index("status")), Qt.ItemDataRole.ToolTipRole) is None
    header = table.horizontalHeader()
    for column, title in enumerate(COLUMNS):  # no title is cut ("ndpoint")
        assert header.sectionSize(column) >= header.fontMetrics().horizontalAdvance(title), title


def test_the_account_settings_sit_in_the_tab_row(inbox_shown):
    window, _size = inbox_shown
    inbox = window.inbox
    bar = inbox.tabs.cornerWidget(Qt.Corner.TopRightCorner)
    assert bar is not None and bar.isVisible()
    assert inbox.time_scale.parent() is bar and inbox.auto_contacts.parent() is bar
    tabs = inbox.tabs.tabBar()
    tabs_right = tabs.mapTo(window, tabs.rect().topLeft()).x() + tabs.tabRect(tabs.count() - 1).right()
    assert bar.mapTo(window, bar.rect().topLeft()).x() > tabs_right  # beside the tabs, not over them
