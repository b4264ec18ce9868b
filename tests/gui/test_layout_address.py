"""The address strip with long names: an environment labelled at length must not push Send into the
toolbar's overflow menu or widen the window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect

from tests.gui.screens import window_at
from yespo_console.core.http.environments import Environment
from yespo_console.gui.address_bar import ENV_MAX_WIDTH

LABEL = "Production EU — customer-relations.example-retail-company.com.ua (marketing team, read this first)"


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)], ids=lambda size: f"{size[0]}x{size[1]}")
def test_a_long_environment_label_leaves_send_in_view(session, settings, qtbot, size):
    session.environments.save(Environment(name="long", label=LABEL, url="https://api.example.com/api/v2/event"))
    window = window_at(session, settings, qtbot, size)
    window._load_environments("long")
    qtbot.wait(50)
    address = window.address
    assert address.env_combo.currentText() == LABEL and address.env_combo.toolTip()
    assert window.width() == size[0]
    send = address.send_button
    assert send.isVisible() and window.rect().contains(QRect(send.mapTo(window, QPoint(0, 0)), send.size()))
    assert address.env_combo.width() <= ENV_MAX_WIDTH
    assert address.url.width() >= 250  # the URL keeps room to be read
