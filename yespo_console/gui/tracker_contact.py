"""The "contact" view of a web tracking body, in place of the Generate event locator ladder: how the tracker
may identify the visitor (core.events.tracker_identity). The sc cookie ties the event to a browser; the
contact identifiers tie the visitor to a contact. No source says which one the tracker prefers, so the view
lists each with its state and names no winner. Values are stranger text of any length: one elided line each."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QWidget

from yespo_console.core.events.tracker_catalog import IDENTITY_FIELDS
from yespo_console.core.events.tracker_identity import VisitorIdentity
from yespo_console.gui import theme
from yespo_console.gui.elided import ElidedLabel
from yespo_console.gui.ladder import headline_panel

_ROLES = {"sc": "ties the event to the visitor's browser", "user_es_contact_id": "the contact's ID in Yespo",
          "externalCustomerId": "the shopper's ID in the shop", "user_email": "the contact's email",
          "user_phone": "the contact's phone"}
NO_ORDER = "Which identifier the tracker prefers is documented nowhere: each is listed, none ranked."


class TrackerContact(QFrame):
    """Shows a VisitorIdentity: a headline (who the tracker can tie the event to), one row per identifier."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trackerContact")
        self.setAccessibleName("Visitor: how the tracker identifies it")
        layout, self.headline = headline_panel(self)
        grid = QGridLayout()
        grid.setVerticalSpacing(1)
        grid.setHorizontalSpacing(8)
        grid.setColumnStretch(2, 3)
        grid.setColumnStretch(3, 2)
        self.rows: dict[str, tuple[QLabel, ElidedLabel, ElidedLabel]] = {}
        for row, name in enumerate(IDENTITY_FIELDS):
            mark = QLabel(self)
            value = ElidedLabel(self, Qt.TextElideMode.ElideMiddle)
            state = ElidedLabel(self)
            title = QLabel("cookies.sc" if name == "sc" else name, self)
            title.setToolTip(_ROLES[name])
            for column, label in enumerate((mark, title, value, state)):
                grid.addWidget(label, row, column)
            self.rows[name] = (mark, value, state)
        layout.addLayout(grid)
        self.note = ElidedLabel(self)
        self.note.set_full_text(NO_ORDER)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.identity: VisitorIdentity | None = None
        self._about_visitor = True

    def show_identity(self, identity: VisitorIdentity | None, *, about_visitor: bool = True) -> None:
        self.identity = identity
        self._about_visitor = about_visitor
        theme.paint_text(self.note, "dim")
        if identity is None:
            self.headline.set_full_text("No visitor to show: the body has no readable GeneralInfo.")
            theme.paint_text(self.headline, "dim")
            for mark, value, state in self.rows.values():
                mark.setText("")
                value.set_full_text("")
                state.set_full_text("")
            return
        for candidate in identity.candidates:
            mark, value, state = self.rows[candidate.name]
            mark.setText("✔" if candidate.usable else "–" if candidate.value is None else "✖")
            value.set_full_text("" if candidate.value is None else str(candidate.value))
            state.set_full_text(f"{candidate.reason}: {_ROLES[candidate.name]}" if candidate.usable
                                else candidate.reason)
            role = "ok" if candidate.usable else "faint" if candidate.value is None else "warning"
            for label in (mark, value, state):
                theme.paint_text(label, role)
        if not about_visitor:
            self.headline.set_full_text("About the catalog, not a visitor: no identifier needed.")
            theme.paint_text(self.headline, "dim")
        elif not identity.known:
            self.headline.set_full_text("Not tied to anyone: no sc cookie and no contact identifier.")
            theme.paint_text(self.headline, "error")
        else:
            self.headline.set_full_text(identity.summary())
            theme.paint_text(self.headline, "ok" if identity.cookie else "warning")

    def refresh_palette(self) -> None:
        self.show_identity(self.identity, about_visitor=self._about_visitor)
