"""The body being edited, kept in step both ways: the form builds the wire bytes shown in the preview,
and in raw mode the text is sent exactly as typed while the form follows it whenever it parses.

The form following the raw text must not write back into the raw editor (that would reformat what is
being typed, and loop), and a burst of form edits makes one refresh, not one per keystroke. Each
refresh inspects the body and emits its Report, for the ladder, the diagnostics and the form's marks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSignalBlocker, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QWidget

from yespo_console.core.events.payload import (
    NESTED_ENCODINGS,
    Draft,
    NestedEncoding,
    build_body,
    detect_nested_encoding,
    draft_from_object,
)
from yespo_console.gui.forms import EventForm
from yespo_console.gui.preview import PayloadPanel

# The diagnostics and the repair load with the first refresh, which comes after the console's first paint: it
# shows the preview and the ladder, not yet the findings (gui.main_window `build`).
if TYPE_CHECKING:
    from yespo_console.core.events.findings import ApiVersion, Report
    from yespo_console.core.events.tracker_rules import WireFormat
    from yespo_console.gui.tracker_form import TrackerForm


class RawBinding(QObject):
    """Binds FORM and PAYLOAD (the preview and the raw editor), with the two choices that shape the
    bytes the form builds: `nested_combo` (how nested objects travel) and `pretty_action` (indented or
    compact). These two are made here, children of PARENT, for the window to place in its toolbar."""

    report_changed = Signal(object)  # the Report of the body as it stands after a refresh
    message = Signal(str, int)  # for the status bar: the text, and for how many ms it shows
    format_changed = Signal(str)  # "event" or "tracker": which form the body comes from now

    def __init__(self, form: EventForm, payload: PayloadPanel, api_version: Callable[[], ApiVersion],
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.form = form
        self.payload = payload
        self.api_version = api_version
        self.report: Report | None = None
        self._refresh_pending = False
        self._following_raw = False
        # A web tracking form (gui.tracker_form), attached the first time a tracker type is chosen.
        self.tracker_form: TrackerForm | None = None
        self.wire_format: WireFormat = "event"

        self.nested_combo = QComboBox(parent)
        self.nested_combo.addItem("escaped strings", "string")
        self.nested_combo.addItem("JSON objects (v2)", "object")
        self.nested_combo.setToolTip("How product, page and category objects travel in params[].value")
        self.pretty_action = QAction("Pretty", parent)
        self.pretty_action.setCheckable(True)
        self.pretty_action.setChecked(True)
        self.pretty_action.setToolTip("Indent the body (off: compact)")

        form.changed.connect(self.schedule_refresh)
        payload.currentChanged.connect(self._mode_changed)
        payload.raw_edited.connect(self._raw_edited)
        payload.repair_requested.connect(self.repair)
        self.nested_combo.currentIndexChanged.connect(self.schedule_refresh)
        self.pretty_action.toggled.connect(self.schedule_refresh)

    @property
    def nested(self) -> NestedEncoding:
        value = self.nested_combo.currentData()
        return value if value in NESTED_ENCODINGS else "string"

    def set_nested(self, encoding: str) -> None:
        self.nested_combo.setCurrentIndex(max(self.nested_combo.findData(encoding), 0))

    def current_body(self) -> bytes:
        """The exact bytes a send would post now."""
        if self.payload.raw_mode:
            return self.payload.raw.exact_text().encode("utf-8")
        return self._form_body()

    def _form_body(self) -> bytes:
        if self.tracker_form is not None and self.wire_format == "tracker":
            return self.tracker_form.wire(pretty=self.pretty_action.isChecked())
        return build_body(self.form.draft(), nested=self.nested, pretty=self.pretty_action.isChecked(),
                          profile=self.form.profile)

    def show_draft(self, draft: Draft) -> None:
        """Into the form, with the preview (not raw mode) showing what it builds."""
        self._set_format("event")
        self.payload.setCurrentIndex(PayloadPanel.PREVIEW)
        self.form.set_draft(draft)
        self.refresh()

    def attach_tracker(self, form: TrackerForm) -> None:
        self.tracker_form = form
        form.changed.connect(self.schedule_refresh)

    def show_tracker(self, body: dict[str, Any], name: str | None = None) -> None:
        """A web tracking body into the tracker form (of event NAME, else of its eventName), with the preview."""
        assert self.tracker_form is not None, "attach_tracker first"
        self._set_format("tracker")
        self.payload.setCurrentIndex(PayloadPanel.PREVIEW)
        self.tracker_form.set_body(body, name)
        self.refresh()

    def _set_format(self, wire_format: WireFormat) -> None:
        if wire_format != self.wire_format:
            self.wire_format = wire_format
            self.nested_combo.setEnabled(wire_format == "event")  # the tracker's bodies are plain JSON
            self.format_changed.emit(wire_format)

    def show_raw(self, text: str) -> None:
        """Into the raw editor, as it is: the form follows if it parses."""
        self.payload.setCurrentIndex(PayloadPanel.RAW)
        self.payload.raw.setPlainText(text)

    def toggle_raw(self) -> None:
        self.payload.setCurrentIndex(PayloadPanel.PREVIEW if self.payload.raw_mode else PayloadPanel.RAW)

    def repair(self) -> None:
        from yespo_console.core.events.repair import repair

        result = repair(self.payload.raw.exact_text(), nested=self.nested)
        if result is None:
            self.message.emit("Nothing to repair: no nested JSON pasted without escaping was found.", 5000)
            return
        self.payload.setCurrentIndex(PayloadPanel.RAW)
        self.payload.apply_repair(result)
        self.message.emit("Repaired: " + "; ".join(result.changes), 8000)

    def schedule_refresh(self) -> None:
        # Coalesce a burst of edits into one refresh at the next turn of the event loop.
        if not self._refresh_pending:
            self._refresh_pending = True
            QTimer.singleShot(0, self, self.refresh)

    def refresh(self) -> None:
        self._refresh_pending = False
        if self._following_raw:
            return
        body = self.current_body()
        if not self.payload.raw_mode:
            self.payload.show_wire(body)
        if self.wire_format == "event" and not self.payload.raw_mode:
            from yespo_console.core.events.diagnostics import inspect_body

            self._show_report(inspect_body(body, api_version=self.api_version(), profile=self.form.profile))
            return
        # Raw text is judged as what it is; the tracker form's body by the tracker's rules.
        from yespo_console.core.events.tracker_rules import inspect_wire

        self._show_report(inspect_wire(body, wire_format=None if self.payload.raw_mode else "tracker",
                                       api_version=self.api_version(), profile=self.form.profile))

    def _show_report(self, report: Report) -> None:
        self.report = report
        self.report_changed.emit(report)

    def _mode_changed(self) -> None:
        if self.payload.raw_mode:
            # Raw mode starts from the bytes the form builds now (the form follows it from then on): built
            # here, not read from the preview, which lags by one refresh after the last keystroke.
            self.payload.set_raw_text(self._form_body().decode("utf-8"))
            self._raw_edited(self.payload.raw.exact_text())
        else:
            self.refresh()

    def _raw_edited(self, text: str) -> None:
        # Raw text may be a web tracking body: judged by its own rules, and poured only into the tracker form.
        from yespo_console.core.events.repair import repair
        from yespo_console.core.events.tracker_rules import detect_format, inspect_wire

        tracker = detect_format(text) == "tracker"
        report = inspect_wire(text, api_version=self.api_version(), profile=self.form.profile)
        self.payload.show_repair(repair(text) if report.body is None and not tracker else None)
        if tracker and self.wire_format == "tracker" and isinstance(report.body, dict):
            self._follow_tracker(report.body)
        elif report.body is not None and not tracker and self.wire_format == "event":
            # The form follows the raw text, without the form writing back into it.
            self._following_raw = True
            try:
                self.form.set_draft(draft_from_object(report.body, self.form.profile))
                encoding = detect_nested_encoding(report.body)
                if encoding is not None:
                    with QSignalBlocker(self.nested_combo):
                        self.nested_combo.setCurrentIndex(self.nested_combo.findData(encoding))
            finally:
                self._following_raw = False
        self._show_report(report)

    def _follow_tracker(self, body: dict[str, Any]) -> None:
        assert self.tracker_form is not None
        self._following_raw = True
        try:
            self.tracker_form.set_body(body)
        finally:
            self._following_raw = False
