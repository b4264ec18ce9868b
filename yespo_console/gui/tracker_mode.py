"""The window's web tracking mode: the tracker form in the form's place, the visitor view in the locator
ladder's, their marks and the event list's selection following each refresh. Made the first time a web
tracking event is chosen or loaded (the window does not need it for its first paint); from then on the
binding's `format_changed` says which form the body comes from, and this swaps the panes to match."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QSizePolicy, QSplitter, QWidget

from yespo_console.core.events.examples import tracker_example
from yespo_console.core.events.findings import Finding, Report
from yespo_console.core.events.tracker_catalog import TRACKER_SPECS
from yespo_console.core.events.tracker_rules import TrackerReport
from yespo_console.gui.tracker_contact import TrackerContact
from yespo_console.gui.tracker_form import TrackerForm
from yespo_console.gui.tracker_list import TRACKER
from yespo_console.gui.tracker_target import counterpart, environment_format

if TYPE_CHECKING:
    from yespo_console.gui.main_window import MainWindow


class TrackerMode(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.binding = window.binding
        self.form = TrackerForm(window)
        self.form.hide()
        self.binding.attach_tracker(self.form)
        self.contact = TrackerContact(window)
        self.contact.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Maximum)
        column = window.ladder.parentWidget()
        if isinstance(column, QSplitter):  # beside the ladder, shown in its place
            column.insertWidget(column.indexOf(window.ladder) + 1, self.contact)
        self.contact.hide()
        self.binding.format_changed.connect(self._format_changed)
        self.binding.report_changed.connect(self._show_report)

    @property
    def active(self) -> bool:
        return self.binding.wire_format == "tracker"

    def choose(self, name: str) -> None:
        """The event list's choice: what was typed for NAME before, else its example."""
        kept = self.window.type_memory.recall(name)
        if kept is None or kept.tracker is None:
            self.show(tracker_example(name), name)
        else:
            self.window.form_undo.restore_quietly(kept)

    def show(self, body: dict[str, Any], name: str | None = None) -> None:
        self.binding.show_tracker(body, name)

    def load_example(self) -> None:
        name = self.form.spec.name if self.form.spec is not None else "StatusCart"
        self.window.form_undo.remember("loading the example")
        self.show(tracker_example(name), name)

    def focus(self, finding: Finding) -> bool:
        return self.form.focus_path(finding.path)

    def site_id(self) -> str | None:
        """The siteId typed last in the tracker form, for a conversion into this format."""
        if self.form.spec is None:
            return None
        value = self.form.body().get("GeneralInfo", {}).get("siteId")
        return value if isinstance(value, str) and value else None

    def _format_changed(self, wire_format: str) -> None:
        tracker = wire_format == "tracker"
        shown: QWidget = self.form if tracker else self.window.form
        scroll = self.window.form_scroll
        if scroll.widget() is not shown:
            old = scroll.takeWidget()
            if old is not None:
                old.setParent(self.window)  # kept, hidden, for the next switch back
                old.hide()
            scroll.setWidget(shown)
            shown.show()
        self.window.ladder.setVisible(not tracker)
        self.contact.setVisible(tracker)
        env = self.window.environment
        if environment_format(env) not in (None, wire_format):
            other = counterpart(env, "tracker" if tracker else "event", self.window.session.environments.all())
            takes = "web tracking" if not tracker else "Generate event"
            suggestion = f": choose {other.label or other.name} to send it" if other is not None else ""
            self.window.statusBar().showMessage(f"{env.label or env.name} takes {takes} bodies{suggestion}.", 10000)

    def _show_report(self, report: Report) -> None:
        if not self.active:
            return
        spec = self.form.spec
        identity = report.identity if isinstance(report, TrackerReport) else None
        self.contact.show_identity(identity, about_visitor=spec is None or spec.visitor)
        self.form.clear_marks()
        for finding in reversed(report.findings):  # errors win over warnings on the same field
            self.form.mark(finding.path, str(finding.severity), finding.message)
        if spec is not None:
            self.select(spec.name)

    def select(self, name: str) -> None:
        events = self.window.events
        current = events.currentItem()
        if current is not None and current.data(Qt.ItemDataRole.UserRole) == (TRACKER, name):
            return
        if name not in TRACKER_SPECS:
            return
        for row in range(events.count()):
            if events.item(row).data(Qt.ItemDataRole.UserRole) == (TRACKER, name):
                events.blockSignals(True)
                events.setCurrentRow(row)
                events.blockSignals(False)
