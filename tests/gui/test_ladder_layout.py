"""The ladder's width at laptop sizes: why each rung won or lost is the explanation a user reads, so it
gets the width it needs before the values do (values are elided in the middle and whole on hover)."""

from __future__ import annotations

import pytest

from tests.gui.screens import window_at
from tests.gui.test_layout import EMAIL, TOKEN
from yespo_console.core.events.examples import example_draft


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)], ids=lambda size: f"{size[0]}x{size[1]}")
def test_the_reasons_are_readable_and_a_phone_number_stays_whole(session, settings, qtbot, size):
    window = window_at(session, settings, qtbot, size)
    window.set_draft(example_draft("cartUpdated"))  # keyValue sent explicitly: every locator below loses to it
    for name, value in (("email", EMAIL), ("pushToken", TOKEN)):
        field = window.form.locator_editors[name].focus_widget()
        field.clear()
        field.insert(value)
    rows = window.ladder.rows
    qtbot.waitUntil(lambda: rows["pushToken"].value.full_text() == TOKEN)
    qtbot.wait(50)
    for name in ("email", "phone", "pushToken"):
        assert rows[name].reason.full_text() == "keyValue is sent explicitly"
        assert not rows[name].reason.is_elided(), name
    assert rows["phone"].value.full_text() == "380501234567" and not rows["phone"].value.is_elided()
    assert rows["email"].value.is_elided() and rows["email"].value.toolTip() == EMAIL
