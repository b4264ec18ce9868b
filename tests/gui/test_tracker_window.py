"""Web tracking in the window, against the embedded sandbox over real HTTP: a StatusCart built in the tracker
form, its exact bytes and diagnostics, sent to the sandbox's tracker route and shown in the inbox; the
environment check; per-type memory; the conversion both ways; the recording proxy switched on and off."""

import json

import httpx
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from yespo_console.core.events.examples import tracker_example
from yespo_console.core.events.payload import dump_json
from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.core.history import HistoryFilter
from yespo_console.core.http.outcome import Outcome
from yespo_console.gui.convert_action import LABEL
from yespo_console.gui.form_memory import TypeMemory
from yespo_console.gui.proxy_dialog import ProxyDialog
from yespo_console.gui.tracker_list import TRACKER

from .conftest import run


def choose(window, name):
    for row in range(window.events.count()):
        if window.events.item(row).data(Qt.ItemDataRole.UserRole) == (TRACKER, name):
            window.events.setCurrentRow(row)
            return window.tracker_mode.form
    raise AssertionError(f"{name} is not in the event list")


def settle(window, qtbot):
    qtbot.waitUntil(lambda: not window.binding._refresh_pending)


def send(window, qtbot):
    with qtbot.waitSignal(window.send_finished, timeout=15_000) as blocker:
        window.send_action.trigger()
    return blocker.args[0]


def build_status_cart(window, qtbot):
    """Typed into the form: a new site, shopper and cart, the second product's quantity raised to 3."""
    form = choose(window, "StatusCart")
    form.line_edit("siteId").setText("SHOP42")
    form.line_edit("user_email").setText("anna@example.com")
    form.line_edit("sc").setText("SC-COOKIE-1")
    form.fields["GUID"].focus_widget().setText("CART-STATE-2")
    column = form.items.column_of("quantity")
    form.items.table.item(1, column).setText("3")
    settle(window, qtbot)
    expected = tracker_example("StatusCart")
    expected["GeneralInfo"].update(siteId="SHOP42", user_email="anna@example.com", cookies={"sc": "SC-COOKIE-1"})
    expected["StatusCart"]["GUID"] = "CART-STATE-2"
    expected["StatusCart"]["Products"][1]["quantity"] = 3
    return form, expected


def test_the_event_list_has_the_web_tracking_group(window):
    rows = [window.events.item(row) for row in range(window.events.count())]
    header = next(item for item in rows if item.text() == "Web tracking\n(tracker.yespo.io)")
    assert header.flags() == Qt.ItemFlag.NoItemFlags  # a heading, never chosen
    names = [item.data(Qt.ItemDataRole.UserRole)[1] for item in rows
             if item.data(Qt.ItemDataRole.UserRole)[0] == TRACKER]
    assert names == ["ProductPage", "StatusCart", "AddToWishlist", "PurchasedItems", "ProductImpressions",
                     "CategoryPage", "CustomerData", "SearchRequest", "ProductUpdate"]


def test_status_cart_from_the_form_to_the_sandbox_inbox(window, session, qtbot):
    form, expected = build_status_cart(window, qtbot)
    assert window.current_body() == dump_json(expected, pretty=True).encode("utf-8")
    assert window.payload.preview.toPlainText() == dump_json(expected, pretty=True)
    assert not window.ladder.isVisible() and window.tracker_mode.contact.isVisible()
    assert "SC-COOKIE-1" in window.tracker_mode.contact.headline.full_text()
    assert not window.binding.report.errors

    form.line_edit("datetime").setText("1579622183")  # epoch seconds: the classic bug
    settle(window, qtbot)
    codes = [finding.code for finding in window.diagnostics.findings]
    assert "tracker.datetime.seconds" in codes
    assert form.line_edit("datetime").styleSheet()  # the field itself is marked
    form.line_edit("datetime").setText("1579622183208")
    settle(window, qtbot)

    window.env_combo.setCurrentIndex(window.env_combo.findData("sandbox-tracker"))
    assert window.address.url.text().endswith("/tracker/api/v2")
    result = send(window, qtbot)
    assert result.outcome is Outcome.ACCEPTED and result.status == 200
    received = session.sandbox.events(limit=1)[0]
    assert received.body == window.current_body()
    qtbot.waitUntil(lambda: window.inbox.model.rowCount() == 1)
    model = window.inbox.model
    assert any("StatusCart" in str(model.data(model.index(0, column))) for column in range(model.columnCount()))
    kept = session.history.get(result.exchange_id)
    assert kept.event_type == "StatusCart" and kept.request_body == window.current_body()


def _click_later(label_part):
    def click():
        for box in QApplication.topLevelWidgets():
            if isinstance(box, QMessageBox) and box.isVisible():
                button = next(b for b in box.findChildren(QPushButton) if label_part in b.text())
                button.click()
                return
        QTimer.singleShot(20, click)
    QTimer.singleShot(20, click)


def test_a_tracker_body_for_an_event_environment_offers_the_tracker_one(window, session, qtbot):
    choose(window, "ProductPage")
    window.env_combo.setCurrentIndex(window.env_combo.findData("sandbox"))
    _click_later("Switch to")
    result = send(window, qtbot)
    assert window.env_combo.currentData() == "sandbox-tracker"
    assert result.status == 200 and session.sandbox.events(limit=1)[0].body == window.current_body()

    window.env_combo.setCurrentIndex(window.env_combo.findData("sandbox"))
    _click_later("Cancel")
    assert send(window, qtbot) is None  # nothing sent
    assert session.history.count(HistoryFilter()) == 1


def test_each_tracker_type_keeps_what_was_typed(window, qtbot):
    form = choose(window, "StatusCart")
    form.line_edit("siteId").setText("KEPT-SITE")
    settle(window, qtbot)
    choose(window, "ProductPage")
    assert form.line_edit("siteId").text() == tracker_example("ProductPage")["GeneralInfo"]["siteId"]
    window.events.setCurrentRow(0)  # a Generate event type: the event form is back
    assert window.binding.wire_format == "event" and window.form_scroll.widget() is window.form
    choose(window, "StatusCart")
    assert form.line_edit("siteId").text() == "KEPT-SITE"
    window.save_state()
    kept = TypeMemory(window.drafts).recall("StatusCart")  # as the next session reads it
    assert kept is not None and kept.tracker["GeneralInfo"]["siteId"] == "KEPT-SITE"


def test_convert_status_cart_to_cart_updated_and_back(window, qtbot):
    _form, original = build_status_cart(window, qtbot)
    conversion = window.convert.convert()
    assert conversion is not None and conversion.event == "cartUpdated"
    assert window.binding.wire_format == "event" and window.form.spec.key == "cartUpdated"
    body = json.loads(window.current_body())
    assert body["eventTypeKey"] == "cartUpdated" and body["keyValue"] == "255830499"  # contactId first
    dialog = window.convert.dialog
    assert dialog.label.text() == LABEL == "The console's mapping by description (no source states it)."
    lost = [dialog.lost.item(row).text() for row in range(dialog.lost.count())]
    assert any("sc cookie" in line for line in lost) and any("Tags" in line for line in lost)

    back = window.convert.convert()
    assert back is not None and back.event == "StatusCart" and window.binding.wire_format == "tracker"
    again = json.loads(window.current_body())["StatusCart"]
    assert again["GUID"] == "CART-STATE-2"
    assert [(p["productKey"], p["quantity"]) for p in again["Products"]] == [
        (p["productKey"], p["quantity"]) for p in original["StatusCart"]["Products"]]
    assert json.loads(window.current_body())["GeneralInfo"]["siteId"] == "SHOP42"  # the form's last siteId

    assert window.form_undo.undo()  # back to the cartUpdated the first conversion made
    assert window.binding.wire_format == "event" and window.form.spec.key == "cartUpdated"
    assert window.form_undo.undo()  # and to the StatusCart as typed
    assert window.binding.wire_format == "tracker"
    assert window.current_body() == dump_json(original, pretty=True).encode()


def test_convert_says_why_a_type_without_counterpart_is_not_converted(window, qtbot):
    choose(window, "PurchasedItems")
    settle(window, qtbot)
    qtbot.waitUntil(lambda: not window.convert.action.isEnabled())  # it follows the body from the first paint on
    choose(window, "StatusCart")
    qtbot.waitUntil(window.convert.action.isEnabled)
    choose(window, "PurchasedItems")
    qtbot.waitUntil(lambda: not window.convert.action.isEnabled())
    assert window.convert.convert() is None
    assert "no Generate event counterpart" in window.statusBar().currentMessage()


def test_the_proxy_switch_relays_and_records(window, session, qloop, qtbot):
    switch = window.proxy_switch
    task = switch.start(session.sandbox.base_url, 0)  # the embedded sandbox as a local upstream
    qtbot.waitUntil(task.done)
    assert switch.running and switch.action.isChecked()
    assert switch.indicator.text() == f"Proxy :{switch.relay.port} → {session.sandbox.base_url}"
    body = dump_json(tracker_example("StatusCart")).encode()

    async def post():
        async with httpx.AsyncClient() as client:
            return await client.post(switch.relay.base_url + "/tracker/api/v2", content=body,
                                     headers={"Content-Type": "application/json"})

    answer = run(qloop, post(), qtbot)
    assert answer.status_code == 200
    qtbot.waitUntil(lambda: session.history.count(HistoryFilter(kind="proxied")) == 1)
    proxied = session.history.get(session.history.query(HistoryFilter(kind="proxied"), limit=1)[0].id)
    assert proxied.request_body == body and proxied.status == 200
    qtbot.waitUntil(lambda: window.history_dock.model.rowCount() == 1)
    assert "Proxied" in window.statusBar().currentMessage()
    # Live in the inbox too, beside what the sandbox (the upstream here) received from the proxy.
    qtbot.waitUntil(lambda: any(e.endpoint == "proxy /tracker/api/v2" for e in window.inbox.model.events))
    shown = next(e for e in window.inbox.model.events if e.endpoint == "proxy /tracker/api/v2")
    assert shown.body == body and shown.status == 200 and shown.remote.startswith("127.0.0.1:")
    assert shown.event_type == proxied.event_type == "StatusCart" and shown.diagnostics == proxied.diagnostics
    assert shown.valid is not None  # judged as a web tracking body
    assert "the answer is the upstream's (HTTP 200)" in shown.notes[0]

    stopping = switch.stop()
    qtbot.waitUntil(stopping.done)
    assert not switch.running and not switch.indicator.isVisible() and not switch.action.isChecked()


def test_the_proxy_and_a_send_wait_while_the_history_is_being_upgraded(window, session, monkeypatch, qtbot):
    # The window upgrades an old history on a worker thread after its first paint; what went out then would not be
    # recorded, so neither the proxy nor a send goes.
    monkeypatch.setattr(session, "history_pending", True)
    assert window.proxy_switch.start("yespo", 0) is None and not window.proxy_switch.running
    assert window.statusBar().currentMessage().startswith("Proxy not started: the history is rebuilding")
    with qtbot.waitSignal(window.send_finished, timeout=2000) as blocker:
        window.send_action.trigger()
    assert blocker.args == [None]
    assert window.statusBar().currentMessage().startswith("Not sent: the history is rebuilding")
    assert session.sandbox is not None and session.sandbox.store.count() == 0


def test_the_proxy_switch_refuses_a_bad_target(window):
    assert window.proxy_switch.start("ftp://example.com", 0) is None
    assert "Proxy not started" in window.statusBar().currentMessage()
    assert not window.proxy_switch.action.isChecked()


ODD_BODIES = [
    {"GeneralInfo": ["not", "an", "object"], "StatusCart": {"GUID": "G", "Products": []}},
    {"GeneralInfo": {"eventName": "StatusCart", "siteId": "S", "cookies": "SC-AS-TEXT", "webId": "w1"},
     "StatusCart": "not an object", "TrackedOrderId": "77"},
    {"GeneralInfo": {"eventName": "StatusCart", "cookies": {"sc": "A", "_ga": "GA1"}},
     "StatusCart": {"GUID": "G", "Products": ["text", 3], "Tags": {"t": ["1"]}, "TrackedOrderId": "9"}},
    {"GeneralInfo": {"eventName": "ProductUpdate", "siteId": "S"}, "ProductUpdate": {"product_id": "1"}},
]


@pytest.mark.parametrize("odd", ODD_BODIES)
def test_the_tracker_form_keeps_what_it_has_no_editor_for(window, qtbot, odd):
    window.load_body_text(json.dumps(odd))
    settle(window, qtbot)
    assert window.binding.wire_format == "tracker"
    assert json.loads(window.current_body()) == odd
    assert window.diagnostics.findings  # judged, never crashed


def test_raw_edits_of_a_tracker_body_are_followed_by_the_tracker_form(window, qtbot):
    form = choose(window, "StatusCart")
    window.binding.toggle_raw()
    body = tracker_example("ProductPage")
    body["GeneralInfo"]["user_email"] = "raw@example.com"
    window.payload.raw.setPlainText(json.dumps(body))
    qtbot.waitUntil(lambda: form.spec.name == "ProductPage")
    assert form.line_edit("user_email").text() == "raw@example.com"
    assert window.tracker_mode.contact.rows["user_email"][1].full_text() == "raw@example.com"
    window.binding.toggle_raw()
    assert json.loads(window.current_body()) == body


def test_choosing_a_tracker_event_on_an_event_environment_says_which_to_use(window):
    window.env_combo.setCurrentIndex(window.env_combo.findData("sandbox"))
    choose(window, "SearchRequest")
    assert window.statusBar().currentMessage() == ("Sandbox (local) takes Generate event bodies: choose Sandbox "
                                                   "web tracking (local) to send it.")


def test_relaying_to_production_is_asked_once_at_start(window, monkeypatch, qtbot):
    asked = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    switch = window.proxy_switch
    assert switch.start("yespo", 0) is None
    assert not switch.action.isChecked() and "https://yespo.io" in asked[0] and "real contacts" in asked[0]

    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    task = switch.start("tracker", 0)  # listens only: nothing is relayed in this test
    qtbot.waitUntil(task.done)
    assert len(asked) == 2 and switch.running
    assert switch.indicator.text() == f"Proxy :{switch.relay.port} → https://tracker.yespo.io"
    qtbot.waitUntil(switch.stop().done)
    assert not switch.running


def test_the_proxy_action_asks_where_to_relay(window, session, qtbot):
    def fill():
        dialog = next((w for w in QApplication.topLevelWidgets() if isinstance(w, ProxyDialog) and w.isVisible()),
                      None)
        if dialog is None:
            QTimer.singleShot(20, fill)
            return
        dialog.target.setEditText(session.sandbox.base_url)
        dialog.port.setValue(0)
        dialog.accept()

    QTimer.singleShot(20, fill)
    window.proxy_switch.action.trigger()
    qtbot.waitUntil(lambda: window.proxy_switch.running)
    assert window.proxy_switch.indicator.isVisible() and window.proxy_switch.action.isChecked()
    window.proxy_switch.action.trigger()  # unchecked: stops
    qtbot.waitUntil(lambda: window.proxy_switch.task.done())
    assert not window.proxy_switch.running and not window.proxy_switch.indicator.isVisible()


def test_an_account_profile_change_leaves_the_tracker_form_shown(window, qtbot):
    form = choose(window, "StatusCart")
    form.line_edit("siteId").setText("STAYS")
    window.set_profile(Profile("Shop account", BUILTIN.events[:3]))
    settle(window, qtbot)
    assert window.binding.wire_format == "tracker" and window.form_scroll.widget() is form
    assert json.loads(window.current_body())["GeneralInfo"]["siteId"] == "STAYS"
    assert window.form.profile.name == "Shop account"  # the hidden event form follows the account
