"""The console as a user drives it: typing, the ladder, raw mode, drafts, production guard."""

import json
from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from yespo_console.core.errors import InputError
from yespo_console.core.events.examples import example_draft
from yespo_console.core.events.payload import build_body
from yespo_console.gui.drafts import DRAFTS_KEY
from yespo_console.gui.main_window import MainWindow

DOC_PAGE_VIEWED = ('{\n  "eventTypeKey": "pageViewed",\n  "keyValue": "example@email.com",\n  "params": [\n'
                   '    {"name": "email", "value": "example@email.com"},\n'
                   '    {"name": "page", "value": "{"location":"https://example.com"}"}\n  ]\n}')


def preview(window) -> dict:
    return json.loads(window.payload.preview.toPlainText())


def ladder_winner(window) -> str:
    return window.ladder.headline.full_text()


def test_typing_updates_preview_and_ladder(window, qtbot):
    window.set_draft(example_draft("searchRequest"))
    window.form.key_value_check.setChecked(False)
    email = window.form.locator_editors["email"].focus_widget()
    qtbot.keyClicks(email, "qa@example.com")
    qtbot.waitUntil(lambda: {"name": "email", "value": "qa@example.com"} in preview(window)["params"])
    assert "qa@example.com" in ladder_winner(window) and "from email" in ladder_winner(window)
    search = window.form.scalar_editors["search"].focus_widget()
    search.clear()
    search.insert("чашка")  # QTest can only type ASCII; insert() edits like typing does
    qtbot.waitUntil(lambda: {"name": "search", "value": "чашка"} in preview(window)["params"])
    assert "чашка".encode() in window.current_body()


def test_removing_the_winning_locator_moves_the_ladder(window, qtbot):
    window.set_draft(example_draft("pageViewed"))
    window.form.key_value_check.setChecked(False)
    qtbot.waitUntil(lambda: "from email" in ladder_winner(window))
    assert "phone wins" in window.ladder.fallback.full_text()
    window.form.locator_editors["email"].focus_widget().clear()
    qtbot.waitUntil(lambda: "from phone" in ladder_winner(window))
    window.form.locator_editors["phone"].focus_widget().clear()
    qtbot.waitUntil(lambda: window.ladder.rejected)
    assert "Rejected" in ladder_winner(window)
    codes = [f.code for f in window.diagnostics.findings]
    assert "locator.none" in codes


def test_errors_are_marked_and_clicking_a_diagnostic_focuses_the_field(window, qtbot):
    window.set_draft(example_draft("productViewed"))
    price = window.form.focusable["product.price"]
    price.clear()
    qtbot.keyClicks(price, "cheap")
    qtbot.waitUntil(lambda: any(f.code == "field.wrong_type" for f in window.diagnostics.findings))
    assert "d93025" in price.styleSheet()
    item = next(window.diagnostics.topLevelItem(i) for i in range(window.diagnostics.topLevelItemCount())
                if window.diagnostics.topLevelItem(i).text(3) == "field.wrong_type")
    window.form.focusable["product.productId"].setFocus()
    window.diagnostics.itemClicked.emit(item, 0)
    qtbot.waitUntil(price.hasFocus)


def test_nesting_and_pretty_toggles(window, qtbot):
    window.set_draft(example_draft("productViewed"))
    window.binding.nested_combo.setCurrentIndex(window.binding.nested_combo.findData("object"))
    qtbot.waitUntil(lambda: isinstance(preview(window)["params"][2]["value"], dict))
    window.binding.pretty_action.setChecked(False)
    qtbot.waitUntil(lambda: "\n" not in window.payload.preview.toPlainText())
    assert window.current_body() == build_body(window.form.draft(), nested="object", pretty=False)
    assert window.nested == "object"


def test_cart_table_add_remove_reorder(window, qtbot):
    window.set_draft(example_draft("cartUpdated"))
    table = window.form.list_editors["products"][1]
    assert table.table.rowCount() == 2
    table.table.setCurrentCell(1, 0)
    table.move_selected(-1)
    qtbot.waitUntil(lambda: json.loads(preview(window)["params"][2]["value"])[0]["productId"] == "WS01-L-Green-2")
    table.add_row()
    table.table.item(2, 0).setText("NEW")
    qtbot.waitUntil(lambda: len(json.loads(preview(window)["params"][2]["value"])) == 3)
    codes = {(f.code, f.path) for f in window.diagnostics.findings}
    assert ("field.missing", "params[2].value[2].quantity") in codes
    table.table.selectRow(2)
    table.remove_selected()
    qtbot.waitUntil(lambda: len(json.loads(preview(window)["params"][2]["value"])) == 2)


def test_raw_mode_repair_and_the_form_follows(window, qtbot):
    window.toggle_raw()
    window.payload.raw.setPlainText(DOC_PAGE_VIEWED)
    qtbot.waitUntil(lambda: window.payload.repair_button.isEnabled())
    assert [f.code for f in window.diagnostics.findings] == ["body.unescaped_nested_json"]
    qtbot.mouseClick(window.payload.repair_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.diagnostics.findings == ())
    assert window.form.focusable["page.location"].text() == "https://example.com"
    assert json.loads(window.current_body())["params"][1]["value"] == '{"location":"https://example.com"}'


def test_raw_text_is_sent_as_typed(window, qtbot):
    window.toggle_raw()
    window.payload.raw.setPlainText('{"eventTypeKey":"custom1","keyValue":"k","params":[]}')
    assert window.current_body() == b'{"eventTypeKey":"custom1","keyValue":"k","params":[]}'
    assert window.form.event_type_edit.text() == "custom1"


def test_production_asks_before_sending(window, qtbot, monkeypatch):
    window.env_combo.setCurrentIndex(window.env_combo.findData("yespo"))
    assert window.banner.isVisible() and "PRODUCTION" in window.banner.text()
    asked = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.No)
    with qtbot.waitSignal(window.send_finished, timeout=5000) as blocker:
        window.send_action.trigger()
    assert asked and blocker.args == [None]
    assert window.session.history.count() == 0
    window.env_combo.setCurrentIndex(window.env_combo.findData("sandbox"))
    assert not window.banner.isVisible()


def test_drafts_and_window_state_survive_a_restart(window, session, settings, qtbot):
    window.set_draft(example_draft("searchRequest"))
    window.form.scalar_editors["search"].focus_widget().setText("mugs")
    window.save_draft("my search")
    window.close()
    again = MainWindow(session, settings)
    qtbot.addWidget(again)
    assert again.form.draft().values["search"] == "mugs"
    names = [again.events.item(i).text() for i in range(again.events.count())]
    assert "my search" in names
    item = again.events.item(names.index("my search"))
    again.events.setCurrentItem(item)
    assert again.form.draft().event_type == "searchRequest"


def test_copy_as_curl_masks_the_secret(window, qtbot, qloop):
    window.set_draft(example_draft("pageViewed"))
    text = window.copy_as("curl")
    assert "curl" in text and "sandbox" not in text.split("--user")[-1].split("\\")[0].replace("YESPO", "")
    assert json.loads(window.copy_as("json")) == json.loads(window.current_body())
    assert "httpx" in window.copy_as("httpx")


def test_a_broken_saved_draft_is_told_in_the_status_bar(window, session, settings, qtbot):
    window.set_draft(example_draft("cartUpdated"))
    window.save_draft("good")
    window.set_draft(example_draft("searchRequest"))
    window.close()
    saved = json.loads(str(settings.value(DRAFTS_KEY)))
    settings.setValue(DRAFTS_KEY, json.dumps({**saved, "broken": {"event_type": 5}}))
    again = MainWindow(session, settings)
    qtbot.addWidget(again)
    names = [again.events.item(i).text() for i in range(again.events.count())]
    assert names[-2:] == ["broken", "good"]
    again.events.setCurrentRow(names.index("broken"))
    assert "The saved draft 'broken' cannot be read" in again.statusBar().currentMessage()
    assert again.form.draft().event_type == "searchRequest"  # the form keeps what it had
    again.events.setCurrentRow(names.index("good"))
    assert again.form.draft().event_type == "cartUpdated"


def test_delete_draft_removes_the_selected_one_and_needs_a_selection(window, qtbot):
    window.save_draft("temp")
    names = [window.events.item(i).text() for i in range(window.events.count())]
    window.events.setCurrentRow(0)  # an event type, not a draft
    window.delete_draft()
    assert "Select a saved draft" in window.statusBar().currentMessage()
    window.events.setCurrentRow(names.index("temp"))
    window.delete_draft()
    assert "temp" not in [window.events.item(i).text() for i in range(window.events.count())]
    assert window.drafts.names() == []


def test_copy_as_curl_with_a_key_that_cannot_be_sent_says_why(window, session, monkeypatch):
    def bad_key(env):
        raise InputError("The API key or token contains control characters (a pasted line break?).")

    monkeypatch.setattr(session, "client", bad_key)
    assert window.copy_as("curl") == ""
    assert window.statusBar().currentMessage().startswith("Not copied: The API key or token contains control")


def test_a_history_body_nested_too_deep_loads_into_raw_mode(window):
    from yespo_console.core.history import Exchange

    body = b"[" * 100_000
    window.load_exchange(Exchange(id=3, started_at=datetime.now(UTC), environment="sandbox", url="http://x",
                                  request_body=body))
    assert window.payload.raw_mode and window.current_body() == body
    assert "Loaded exchange #3" in window.statusBar().currentMessage()
