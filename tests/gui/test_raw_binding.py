"""The form, the preview and the raw editor kept in step by RawBinding, without a window: a real form and
payload panel on a bare parent widget, and the reports it emits counted."""

import json

import pytest
from PySide6.QtWidgets import QWidget

from yespo_console.core.events.examples import example_draft, tracker_example
from yespo_console.core.events.payload import build_body
from yespo_console.gui.forms import EventForm
from yespo_console.gui.preview import PayloadPanel
from yespo_console.gui.raw_binding import RawBinding

# A page object pasted into params[].value without escaping: not JSON until repaired.
UNESCAPED = ('{"eventTypeKey": "pageViewed", "keyValue": "a@b.co", "params": [\n'
             '  {"name": "email", "value": "a@b.co"},\n'
             '  {"name": "page", "value": "{"location":"https://example.com"}"}]}')


class Bound:
    """The binding with what it binds, and every report and status message it emitted."""

    def __init__(self, qtbot) -> None:
        self.parent = QWidget()
        qtbot.addWidget(self.parent)
        self.form = EventForm(self.parent)
        self.payload = PayloadPanel(self.parent)
        self.api_version = "v2"
        self.binding = RawBinding(self.form, self.payload, lambda: self.api_version, self.parent)
        self.reports: list = []
        self.messages: list[tuple[str, int]] = []
        self.binding.report_changed.connect(self.reports.append)
        self.binding.message.connect(lambda text, ms: self.messages.append((text, ms)))


@pytest.fixture
def bound(qtbot) -> Bound:
    return Bound(qtbot)


def test_a_draft_shows_its_wire_bytes_and_report(bound):
    draft = example_draft("cartUpdated")
    bound.binding.show_draft(draft)
    expected = build_body(draft, nested="string", pretty=True)
    assert bound.binding.current_body() == expected
    assert bound.payload.preview.exact_text().encode() == expected
    assert not bound.payload.raw_mode
    assert len(bound.reports) == 1 and bound.binding.report is bound.reports[0]
    assert bound.reports[0].event_type == "cartUpdated" and bound.reports[0].valid


def test_a_burst_of_form_edits_makes_one_refresh(bound, qtbot):
    bound.binding.show_draft(example_draft("searchRequest"))
    bound.reports.clear()
    search = bound.form.scalar_editors["search"].focus_widget()
    for word in ("m", "mu", "mug", "mugs"):
        search.setText(word)
    assert bound.reports == []  # coalesced: nothing until the loop turns
    qtbot.waitUntil(lambda: len(bound.reports) == 1)
    qtbot.wait(20)
    assert len(bound.reports) == 1
    assert {"name": "search", "value": "mugs"} in json.loads(bound.payload.preview.toPlainText())["params"]


def test_the_nested_and_pretty_choices_shape_the_bytes(bound, qtbot):
    bound.binding.show_draft(example_draft("productViewed"))
    bound.binding.set_nested("object")
    assert bound.binding.nested == "object"
    qtbot.waitUntil(lambda: isinstance(json.loads(bound.binding.current_body())["params"][2]["value"], dict))
    bound.binding.pretty_action.setChecked(False)
    qtbot.waitUntil(lambda: b"\n" not in bound.payload.preview.exact_text().encode())
    assert bound.binding.current_body() == build_body(bound.form.draft(), nested="object", pretty=False)
    bound.binding.set_nested("no such encoding")  # falls back to the first choice
    assert bound.binding.nested == "string"


def test_raw_mode_starts_from_the_preview_and_the_form_follows_typing(bound, qtbot):
    bound.binding.show_draft(example_draft("pageViewed"))
    preview = bound.payload.preview.exact_text()
    bound.binding.toggle_raw()
    assert bound.payload.raw_mode and bound.payload.raw.exact_text() == preview
    typed = '{"eventTypeKey":"custom1",  "keyValue":"k", "params":[{"name":"p","value":{"a":1}}]}'
    bound.payload.raw.setPlainText(typed)
    assert bound.form.draft().event_type == "custom1"
    assert bound.binding.nested == "object"  # followed from the body, quietly
    assert bound.reports[-1].event_type == "custom1"
    qtbot.wait(20)  # the refresh the form's change scheduled must not write back into the editor
    assert bound.payload.raw.exact_text() == typed
    assert bound.binding.current_body() == typed.encode()
    bound.binding.toggle_raw()
    assert not bound.payload.raw_mode
    assert json.loads(bound.payload.preview.toPlainText())["eventTypeKey"] == "custom1"


def test_show_raw_puts_text_in_the_raw_editor_as_it_is(bound):
    bound.binding.show_raw("not json at all")
    assert bound.payload.raw_mode and bound.binding.current_body() == b"not json at all"
    assert bound.reports[-1].body is None and not bound.reports[-1].valid


def test_unescaped_nested_json_offers_a_repair_and_repair_applies_it(bound):
    bound.binding.show_raw(UNESCAPED)
    assert bound.payload.repair_button.isEnabled()
    assert [f.code for f in bound.reports[-1].findings] == ["body.unescaped_nested_json"]
    bound.binding.repair()
    assert bound.messages[-1][0].startswith("Repaired: ")
    body = json.loads(bound.binding.current_body())
    assert body["params"][1]["value"] == '{"location":"https://example.com"}'
    assert bound.form.focusable["page.location"].text() == "https://example.com"
    assert bound.reports[-1].findings == ()


def test_repair_with_nothing_to_repair_says_so(bound):
    bound.binding.show_raw('{"eventTypeKey": "pageViewed", "params": []}')
    bound.binding.repair()
    assert bound.messages == [("Nothing to repair: no nested JSON pasted without escaping was found.", 5000)]
    assert bound.payload.raw.exact_text() == '{"eventTypeKey": "pageViewed", "params": []}'


def test_the_report_follows_the_api_version_asked_at_each_refresh(bound):
    bound.binding.show_draft(example_draft("productViewed"))
    bound.binding.set_nested("object")
    bound.binding.refresh()
    assert bound.reports[-1].findings == ()  # v2 takes objects in params[].value
    bound.api_version = "v1"
    bound.binding.refresh()
    assert {f.code for f in bound.reports[-1].findings} == {"param.value_not_string"} and not bound.reports[-1].valid


def test_a_web_tracking_body_in_raw_mode_is_judged_by_the_tracker_rules_and_leaves_the_form(bound):
    bound.binding.show_draft(example_draft("cartUpdated"))
    cart = tracker_example("StatusCart")
    cart["GeneralInfo"]["datetime"] = 1_717_243_200  # seconds: the classic bug
    text = json.dumps(cart)
    bound.binding.show_raw(text)
    report = bound.reports[-1]
    assert any(f.code.startswith("tracker.") and "second" in f.message for f in report.findings)
    assert bound.form.draft().event_type == "cartUpdated"  # not poured into the Generate Event form
    assert not bound.payload.repair_button.isEnabled()
    assert bound.binding.current_body() == text.encode()
