"""The event list's second group: the web tracking events (tracker.yespo.io), below the Generate event types.

Light on purpose: it is listed before the window's first paint, and the tracker form itself is loaded only
when one of these is chosen (gui.tracker_mode)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from yespo_console.core.events.tracker_catalog import TRACKER_EVENTS
from yespo_console.gui.icons import event_icon

GROUP_TITLE = "Web tracking\n(tracker.yespo.io)"  # two lines: the list is narrow
GROUP = "group"  # the header row's kind: shown, never chosen
TRACKER = "tracker"  # a web tracking event's row


def add_tracker_group(events: QListWidget) -> None:
    """Append the group's header and one row per web tracking event (kind TRACKER, the event's name)."""
    header = QListWidgetItem(GROUP_TITLE, events)
    header.setData(Qt.ItemDataRole.UserRole, (GROUP, ""))
    header.setFlags(Qt.ItemFlag.NoItemFlags)
    header.setToolTip("The second wire format: POST https://tracker.yespo.io/api/v2, as Yespo's shop "
                      "integrations send it")
    font = QFont(header.font())
    font.setBold(True)
    header.setFont(font)
    for spec in TRACKER_EVENTS:
        item = QListWidgetItem(spec.title, events)
        item.setData(Qt.ItemDataRole.UserRole, (TRACKER, spec.name))
        item.setIcon(event_icon(spec.name))
        item.setToolTip(f"{spec.name} (web tracking): {spec.description}")
