"""The diagnostics list opens with both verdicts; each finding shows its tier and, on hover, its source."""

import json

from yespo_console.core.events.examples import example_draft
from yespo_console.core.events.payload import build_body


def _raw(window, qtbot, body: str, expected: str) -> None:
    window.payload.raw.setPlainText(body)
    qtbot.waitUntil(lambda: window.diagnostics.verdict_text == expected)


def test_the_verdict_line_for_accepted_and_rejected_bodies(window, qtbot):
    window.toggle_raw()
    valid = build_body(example_draft("pageViewed")).decode()
    _raw(window, qtbot, valid, "Yespo accepts")
    assert window.diagnostics.topLevelItem(0).text(0) == "✔ Yespo accepts: no problems found."

    no_page = json.dumps({"eventTypeKey": "pageViewed", "keyValue": "a@b.co", "params": []})
    _raw(window, qtbot, no_page, "Yespo accepts · rejects if Validate parameters is on")
    assert window.diagnostics.topLevelItem(0).text(0) == "Yespo accepts · rejects if Validate parameters is on"
    row = window.diagnostics.topLevelItem(1)
    assert row.text(0) == "✖ if validated" and row.text(3) == "field.missing"
    assert "Source: D validating-event-parameters.md" in row.toolTip(2)

    bad_email = json.dumps({"eventTypeKey": "x", "params": [{"name": "email", "value": "bad"}]})
    _raw(window, qtbot, bad_email, "Yespo accepts · 1 problem downstream")
    assert "Tier: accepted, but downstream" in window.diagnostics.topLevelItem(1).toolTip(0)

    _raw(window, qtbot, '{"params": []}', "Yespo rejects this event")
    tiers = [window.diagnostics.topLevelItem(i).text(0) for i in range(1, window.diagnostics.topLevelItemCount())]
    assert "✖ rejected" in tiers
