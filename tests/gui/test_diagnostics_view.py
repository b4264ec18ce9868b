"""The diagnostics list in the width a laptop gives it: the problem's words keep room beside the tier,
the path and the code, whatever their lengths; what is narrowed is whole on hover."""

from __future__ import annotations

import json

import pytest

from yespo_console.core.events.diagnostics import inspect_body
from yespo_console.gui.diagnostics_view import CODE, PROBLEM, TIER, DiagnosticsView

BAD = json.dumps({"eventTypeKey": "orderCreated", "params": [
    {"name": "totalCost", "value": "abc"}, {"name": "email", "value": "not an email"},
    {"name": "phone", "value": "+38 (050) 123"}, {"name": "date", "value": "yesterday"}]})


@pytest.mark.parametrize("width", [330, 360, 700])
def test_the_problem_keeps_room_and_no_column_scrolls_sideways(qtbot, width):
    view = DiagnosticsView()
    qtbot.addWidget(view)
    view.resize(width, 200)
    view.show()
    qtbot.waitExposed(view)
    view.show_findings(inspect_body(BAD).findings)
    qtbot.wait(20)
    inner = view.viewport().width()
    assert view.columnWidth(PROBLEM) >= 0.4 * inner  # it had two letters' room at 1366×768
    assert not view.horizontalScrollBar().isVisible()
    tier = view.topLevelItem(1)
    assert view.columnWidth(TIER) >= view.fontMetrics().horizontalAdvance(tier.text(TIER))  # "✖ accepted, but" whole
    assert view.isColumnHidden(CODE) == (width < 520)
    code = tier.text(CODE)
    assert code and f"Code: {code}" in tier.toolTip(PROBLEM)  # a hidden code is still one hover away
