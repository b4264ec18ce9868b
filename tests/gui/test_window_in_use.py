"""The window in ordinary use (issue 14): switching event types keeps what was typed, loading over a form
can be undone, Ctrl+F reaches the history search from the form, the shortcut list is the actions' own,
every toolbar action is in a menu, and the body toggles come back after a restart."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QToolBar, QWidgetAction

from yespo_console.core.events.examples import example_draft
from yespo_console.gui.main_window import MainWindow
from yespo_console.gui.shortcuts import shortcut_rows


def choose_type(window: MainWindow, key: str) -> None:
    for row in range(window.events.count()):
        if window.events.item(row).data(Qt.ItemDataRole.UserRole) == ("type", key):
            window.events.setCurrentRow(row)
            return
    raise AssertionError(f"no event type {key}")


def email_field(window: MainWindow):
    return window.form.locator_editors["email"].focus_widget()


def menu_actions(window: MainWindow) -> list[QAction]:
    found: list[QAction] = []

    def walk(menu: QMenu) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu())
            found.append(action)

    for top in window.menuBar().actions():
        walk(top.menu())
    return found


def test_switching_event_types_keeps_what_was_typed(window, qtbot):
    choose_type(window, "cartUpdated")
    email_field(window).setText("marketer.real@shop.ua")
    choose_type(window, "pageViewed")
    assert window.form.draft().event_type == "pageViewed"
    assert email_field(window).text() == "example@email.com"  # a type not typed into shows its example
    choose_type(window, "cartUpdated")
    assert email_field(window).text() == "marketer.real@shop.ua"
    assert json.loads(window.current_body())["params"][0]["value"] == "marketer.real@shop.ua"


def test_a_type_in_raw_mode_comes_back_as_typed(window, qtbot):
    choose_type(window, "pageViewed")
    window.toggle_raw()
    window.payload.raw.setPlainText('{"eventTypeKey": "pageViewed", "keyValue": broken')
    choose_type(window, "cartUpdated")
    choose_type(window, "pageViewed")
    assert window.payload.raw_mode
    assert window.payload.raw.exact_text() == '{"eventTypeKey": "pageViewed", "keyValue": broken'
    window.form_undo.action.trigger()  # the one undo: entering raw mode, not the switches between types
    assert not window.payload.raw_mode and not window.form_undo.action.isEnabled()
    assert window.form.draft().event_type == "pageViewed"


def test_each_types_last_draft_survives_a_restart(window, session, settings, qtbot):
    choose_type(window, "cartUpdated")
    email_field(window).setText("kept.cart@shop.ua")
    choose_type(window, "searchRequest")
    window.form.scalar_editors["search"].focus_widget().setText("mugs")
    window.close()
    again = MainWindow(session, settings)
    qtbot.addWidget(again)
    assert again.form.draft().values["search"] == "mugs"  # the form as it was left
    choose_type(again, "cartUpdated")
    assert email_field(again).text() == "kept.cart@shop.ua"


def test_loading_a_history_exchange_over_typed_work_can_be_undone(window, session, qtbot):
    choose_type(window, "pageViewed")
    email_field(window).setText("in.progress@shop.ua")
    before = window.current_body()
    from tests.gui.test_history_dock import add

    exchange = session.history.get(add(session.history, event="cartUpdated", key="from.history@shop.ua"))
    window.load_exchange(exchange)
    assert json.loads(window.current_body()) == json.loads(exchange.request_body)
    assert window.form_undo.action.isEnabled() and window.form_undo.action.text() == (
        f"Undo loading history #{exchange.id}")
    window.history_dock.view.setFocus()  # Ctrl+Z outside a text field undoes the load
    qtbot.keyClick(window.history_dock.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.current_body() == before and email_field(window).text() == "in.progress@shop.ua"
    assert not window.form_undo.action.isEnabled()
    assert "Undone: loading history" in window.statusBar().currentMessage()


def test_raw_edits_over_the_form_can_be_undone(window, qtbot):
    window.set_draft(example_draft("pageViewed"))
    email_field(window).setText("typed@shop.ua")
    before = window.current_body()
    window.toggle_raw()  # at once, before the preview caught up with the last keystroke
    assert json.loads(window.payload.raw.exact_text())["params"][0]["value"] == "typed@shop.ua"
    window.payload.raw.setPlainText('{"eventTypeKey": "pageViewed", "keyValue": "raw@shop.ua"}')
    qtbot.waitUntil(lambda: window.form.draft().key_value == "raw@shop.ua")
    window.form_undo.action.trigger()
    assert not window.payload.raw_mode and window.current_body() == before


def test_ctrl_f_from_the_form_focuses_the_history_search(window, qtbot):
    window.history_dock.search.setText("old")
    field = email_field(window)
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    text = field.text()
    qtbot.keyClick(field, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.history_dock.search.hasFocus() and window.history_dock.search.selectedText() == "old"
    assert field.text() == text  # nothing typed into the form


def test_ctrl_f_brings_the_history_tab_to_the_front(window, qtbot):
    window.inbox.raise_()
    window.runner_dock and window.runner_dock.raise_()
    window.payload.preview.setFocus()
    qtbot.keyClick(window.payload.preview, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.history_dock.search.hasFocus() and not window.history_dock.visibleRegion().isEmpty()


def test_the_shortcut_list_is_built_from_the_actions(window, qtbot):
    rows = shortcut_rows(window)
    listed = {(name, keys) for name, keys, _where in rows}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            if not key.isEmpty():
                assert any(keys.find(key.toString(key.SequenceFormat.NativeText)) >= 0 for _n, keys in listed), (
                    action.text())
    names = {name for name, _keys, _where in rows}
    assert {"Send", "Find in history", "Environments", "Undo form change", "Keyboard shortcuts",
            "Copy as cURL", "Delete"} <= names
    where = {name: w for name, _keys, w in rows}
    assert where["Find in history"] == "anywhere in the window"
    assert where["Delete"].startswith("in the History of exchanges")
    dialog = window.show_shortcuts()
    qtbot.waitExposed(dialog)
    assert dialog.table.rowCount() == len(rows)
    assert {dialog.table.item(r, 0).text() for r in range(len(rows))} == names
    dialog.close()


def test_every_toolbar_action_is_also_in_a_menu(window):
    in_menus = set(map(id, menu_actions(window)))
    toolbar_actions = [action for bar in window.findChildren(QToolBar) for action in bar.actions()
                       if not action.isSeparator() and not isinstance(action, QWidgetAction)]
    assert toolbar_actions
    assert all(id(action) in in_menus for action in toolbar_actions), [a.text() for a in toolbar_actions
                                                                         if id(a) not in in_menus]
    assert "Environments…" in [a.text() for a in menu_actions(window)]


def test_the_body_toggles_come_back_after_a_restart(window, session, settings, qtbot):
    window.binding.pretty_action.setChecked(False)
    combo = window.binding.nested_combo
    combo.setCurrentIndex(combo.findData("object"))
    combo.activated.emit(combo.currentIndex())  # what a user's pick emits, and loading a body does not
    window.close()
    again = MainWindow(session, settings)
    qtbot.addWidget(again)
    assert not again.binding.pretty_action.isChecked()
    assert again.nested == "object"


def test_ctrl_f_opens_a_closed_history_dock(window, qtbot):
    window.history_dock.close()
    assert not window.history_dock.isVisible()
    window.payload.preview.setFocus()
    qtbot.keyClick(window.payload.preview, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.history_dock.isVisible() and window.history_dock.search.hasFocus()
