"""Edit → Convert to the other format: the body in the form, Generate event ↔ web tracking, for the pairs
core.events.tracker_convert knows. The result goes into the form of the other type (Undo puts the form back)
and a small window lists what could not be carried over, under the label every conversion carries: the
pairs are the console's reading of the two descriptions, no Yespo source states them."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from yespo_console.gui.jsontext import parse_json
from yespo_console.gui.startup import after_first_paint

if TYPE_CHECKING:
    from yespo_console.core.events.findings import Report
    from yespo_console.core.events.tracker_convert import Conversion
    from yespo_console.gui.convert_dialog import ConversionDialog
    from yespo_console.gui.main_window import MainWindow

LABEL = "The console's mapping by description (no source states it)."
SHORTCUT = "Ctrl+Shift+T"


class ConvertAction:
    """The action (Edit menu, toolbar, Ctrl+Shift+T), enabled when the body's type has a counterpart."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.action = QAction("Convert to the other format", window)
        self.action.setShortcut(QKeySequence(SHORTCUT))
        self.action.setToolTip(f"Generate event ↔ web tracking, for the pairs whose descriptions match ({SHORTCUT})")
        self.action.triggered.connect(self.convert)
        self.dialog: ConversionDialog | None = None
        # The converter is not needed for the first paint: the action follows the body from just after it.
        after_first_paint(window, self._start_following)

    def _start_following(self) -> None:
        self.window.binding.report_changed.connect(self._follow)
        if self.window.binding.report is not None:
            self._follow(self.window.binding.report)

    def _follow(self, report: Report) -> None:
        from yespo_console.core.events.tracker_convert import PAIRS, REVERSE

        kind = report.event_type
        other = PAIRS.get(kind or "") or REVERSE.get(kind or "")
        self.action.setEnabled(other is not None)
        self.action.setToolTip(f"Convert {kind} to {other} ({SHORTCUT}); {LABEL}" if other else
                               "Convert: only " + ", ".join(f"{a}↔{b}" for a, b in PAIRS.items()) + " have a "
                               "counterpart")

    def convert(self) -> Conversion | None:
        from yespo_console.core.events.payload import draft_from_object
        from yespo_console.core.events.tracker_convert import ConversionError, to_event, to_tracker
        from yespo_console.core.events.tracker_rules import detect_format
        from yespo_console.gui.convert_dialog import ConversionDialog

        window = self.window
        body = parse_json(window.current_body().decode("utf-8", "replace"))
        if not isinstance(body, dict):
            window.statusBar().showMessage("Not converted: the body is not a JSON object.", 8000)
            return None
        try:
            if detect_format(body) == "tracker":
                conversion = to_event(body, nested=window.binding.nested)
            else:
                site = window.tracker_mode.site_id()
                conversion = to_tracker(body, site_id=site, now_ms=time.time_ns() // 1_000_000)
        except ConversionError as exc:
            window.statusBar().showMessage(f"Not converted: {exc}", 8000)
            return None
        source = window.binding.report.event_type if window.binding.report else None
        window.form_undo.remember(f"converting to {conversion.event}")
        if conversion.target == "tracker":
            window.tracker_mode.show(conversion.body, conversion.event)
        else:
            window.set_draft(draft_from_object(conversion.body, window.form.profile))
        if self.dialog is not None:  # one at a time: the last conversion's
            self.dialog.close()
            self.dialog.deleteLater()
        self.dialog = ConversionDialog(source or "the body", conversion, window.form_undo.action, window)
        self.dialog.show()
        window.statusBar().showMessage(f"Converted to {conversion.event}: {LABEL} Edit → Undo puts the form back.",
                                       10000)
        return conversion
