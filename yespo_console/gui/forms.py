"""One generic form, built from the catalog, for every event type (documented or custom)."""

from __future__ import annotations

import html
import re
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from yespo_console.core.events.catalog import LOCATORS, EventSpec, ParamSpec, Shape, is_locator
from yespo_console.core.events.payload import Draft, ExtraParam
from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.gui import theme
from yespo_console.gui.field_editors import FieldEditor, make_editor
from yespo_console.gui.tables import EditableTable, KeyValueTable, ProductTable

_LIST_ITEM = re.compile(r"(\w+)\[(\d+)\](?:\.(.+))?")
_EXTRA = re.compile(r"extra\[(\d+)\]")


class ObjectEditor(QGroupBox):
    """A nested object param (product, page, category): its fields, plus extra properties."""

    changed = Signal()

    def __init__(self, param: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(f"{param.label} ({param.name}){' *' if param.required else ''}", parent)
        self.param = param
        self.setToolTip(param.help)
        layout = QFormLayout(self)
        layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a narrow form puts labels above
        self.editors: dict[str, FieldEditor] = {}
        for spec in param.fields:
            editor = make_editor(spec, self)
            editor.changed.connect(self._edited)
            self.editors[spec.name] = editor
            layout.addRow(f"{spec.label}{' *' if spec.required else ''}", editor)
        self.extra: KeyValueTable | None = None
        if param.extra_properties:
            self.extra = KeyValueTable("property", "values", "Comma-separated values, sent as a list of strings",
                                       list_values=True, parent=self)
            self.extra.changed.connect(self._edited)
            layout.addRow("Extra properties", self.extra)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.hide()
        layout.addRow(self.note)
        self._raw: Any = None

    def _edited(self) -> None:
        self._raw = None
        self.note.hide()
        self.changed.emit()

    def value(self) -> Any:
        if self._raw is not None:
            return self._raw
        obj = {name: editor.value() for name, editor in self.editors.items() if editor.value() is not None}
        if self.extra is not None:
            obj.update(self.extra.pairs())
        return obj

    def set_value(self, value: Any) -> None:
        self._raw = None
        self.note.hide()
        if not isinstance(value, dict):
            self._raw = value
            self.note.setText("The value sent is not a JSON object; it is kept as is. Edit a field to replace it, "
                              "or fix it in Raw mode.")
            self.note.show()
            value = {}
        for name, editor in self.editors.items():
            editor.set_value(value.get(name))
        if self.extra is not None:
            self.extra.set_pairs([(k, v) for k, v in value.items() if k not in self.editors])


def fresh_content(owner: QWidget, old: QWidget | None, heading: str) -> tuple[QWidget, QVBoxLayout]:
    """A rebuilt form's new content widget (OLD, if any, dropped) and its layout, HEADING (rich text) on top."""
    if old is not None:
        old.setParent(None)
        old.deleteLater()
    content = QWidget(owner)
    layout = QVBoxLayout(content)
    layout.setContentsMargins(0, 0, 0, 0)
    title = QLabel(heading, content)
    title.setWordWrap(True)
    layout.addWidget(title)
    return content, layout


def mark_widget(widget: QWidget, severity: str, message: str) -> None:
    """Outline a field with a problem, the message above its own tooltip (`unmark` takes both back)."""
    if widget.property("base_tooltip") is None:
        widget.setProperty("base_tooltip", widget.toolTip())
    widget.setStyleSheet(theme.mark_style(severity))
    widget.setToolTip(f"{message}\n\n{widget.property('base_tooltip')}")


def unmark(marked: list[QWidget]) -> None:
    """Take the marks off MARKED (fields, and tables with marked cells) and empty it."""
    for widget in marked:
        if isinstance(widget, EditableTable):
            widget.clear_marks()
        else:
            widget.setStyleSheet("")
            widget.setToolTip(widget.property("base_tooltip"))
    marked.clear()


class EventForm(QWidget):
    """Edits a Draft. `changed` fires on every keystroke; `draft()` reads the current state."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: EventSpec | None = None
        self.profile: Profile = BUILTIN  # the account's event types; the window sets it per environment
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self._content: QWidget | None = None
        self.focusable: dict[str, QWidget] = {}
        self._draft_extra_fields: dict[str, Any] = {}
        self._marked: list[QWidget] = []  # cleared on the next refresh; style sheets are costly to reset
        self.set_draft(Draft(event_type="pageViewed"))

    # -- building ---------------------------------------------------------------------------

    def _build(self, spec: EventSpec) -> None:
        self._marked = []
        self.spec = spec
        content, layout = fresh_content(self, self._content,
                                        f"<b>{html.escape(spec.title)}</b> — {html.escape(spec.description)}")
        self.focusable = {}
        header = QFormLayout()
        self.event_type_edit = QLineEdit(content)
        self.event_type_edit.setReadOnly(spec.documented)
        self.event_type_edit.setPlaceholderText("e.g. orderCreated (an unknown key creates a new event type)")
        self.event_type_edit.setToolTip("eventTypeKey: at most 100 characters, none of < ; ' \\ / | \" ` ^ ? ! , >")
        self.event_type_edit.textChanged.connect(self.changed)
        header.addRow("eventTypeKey", self.event_type_edit)
        layout.addLayout(header)
        self.focusable["eventTypeKey"] = self.event_type_edit

        locators = QGroupBox("Contact (keyValue and locators)", content)
        locator_form = QFormLayout(locators)
        key_row = QHBoxLayout()
        self.key_value_check = QCheckBox("send", locators)
        self.key_value_check.setToolTip("Unchecked: keyValue is left out and Yespo takes it from the locators below")
        self.key_value_edit = QLineEdit(locators)
        self.key_value_edit.setPlaceholderText("optional; empty counts as not sent")
        self.key_value_edit.setToolTip("The event key (at most 300 characters). Without it Yespo takes the first of "
                                       "contactId, externalCustomerId, email, phone, pushToken.")
        self.key_value_check.toggled.connect(self.key_value_edit.setEnabled)
        self.key_value_check.toggled.connect(self.changed)
        self.key_value_edit.textChanged.connect(self.changed)
        key_row.addWidget(self.key_value_check)
        key_row.addWidget(self.key_value_edit, 1)
        locator_form.addRow("keyValue", key_row)
        self.focusable["keyValue"] = self.key_value_edit
        self.locator_editors: dict[str, FieldEditor] = {}
        for spec_field in LOCATORS:
            editor = make_editor(spec_field, locators)
            editor.changed.connect(self.changed)
            self.locator_editors[spec_field.name] = editor
            self.focusable[spec_field.name] = editor.focus_widget()
            locator_form.addRow(spec_field.name, editor)
        layout.addWidget(locators)

        self.scalar_editors: dict[str, FieldEditor] = {}
        self.object_editors: dict[str, ObjectEditor] = {}
        self.list_editors: dict[str, tuple[QCheckBox, ProductTable]] = {}
        # A locator the event type lists among its params (AbandonedCart's externalCustomerId) is edited above.
        scalars = [p for p in spec.params if p.shape is Shape.SCALAR and not is_locator(p.name)]
        if scalars:
            box = QGroupBox("Event data", content)
            form = QFormLayout(box)
            for param in scalars:
                assert param.field is not None
                editor = make_editor(param.field, box)
                editor.changed.connect(self.changed)
                self.scalar_editors[param.name] = editor
                self.focusable[param.name] = editor.focus_widget()
                form.addRow(f"{param.name}{' *' if param.required else ''}", editor)
            layout.addWidget(box)
        for param in spec.params:
            if param.shape is Shape.OBJECT:
                obj = ObjectEditor(param, content)
                obj.changed.connect(self.changed)
                self.object_editors[param.name] = obj
                self.focusable[param.name] = obj
                for name, editor in obj.editors.items():
                    self.focusable[f"{param.name}.{name}"] = editor.focus_widget()
                layout.addWidget(obj)
            elif param.shape is Shape.LIST:
                box = QGroupBox(f"{param.label} ({param.name}){' *' if param.required else ''}", content)
                box.setToolTip(param.help)
                box_layout = QVBoxLayout(box)
                send = QCheckBox(f"send {param.name}" + (" (an empty list clears it)" if param.empty_allowed else ""),
                                 box)
                send.setChecked(True)
                send.toggled.connect(self.changed)
                table = ProductTable(param, box)
                table.changed.connect(self.changed)
                send.toggled.connect(table.setEnabled)
                box_layout.addWidget(send)
                box_layout.addWidget(table)
                self.list_editors[param.name] = (send, table)
                self.focusable[param.name] = table
                layout.addWidget(box)

        extra_box = QGroupBox("Extra params", content)
        extra_box.setToolTip("Any other params, sent as name/value pairs after the documented ones")
        extra_layout = QVBoxLayout(extra_box)
        self.extra_table = KeyValueTable("name", "value", "Sent as a string (JSON values loaded from raw mode are "
                                         "kept as JSON)", list_values=False, parent=extra_box)
        self.extra_table.changed.connect(self.changed)
        extra_layout.addWidget(self.extra_table)
        layout.addWidget(extra_box)
        layout.addStretch(1)
        self._layout.addWidget(content)
        self._content = content

    # -- reading and writing ----------------------------------------------------------------

    def draft(self) -> Draft:
        assert self.spec is not None
        locators = {name: editor.value() for name, editor in self.locator_editors.items()
                    if editor.value() is not None}
        values: dict[str, Any] = {}
        for name, editor in self.scalar_editors.items():
            if editor.value() is not None:
                values[name] = editor.value()
        for name, obj in self.object_editors.items():
            values[name] = obj.value()
        for name, (send, table) in self.list_editors.items():
            if send.isChecked():
                values[name] = table.value()
        ordered = {p.name: values[p.name] for p in self.spec.params if p.name in values}
        return Draft(
            event_type=self.event_type_edit.text(),
            key_value=self.key_value_edit.text() if self.key_value_check.isChecked() else None,
            locators=locators, values=ordered,
            extra_params=[ExtraParam(name=n, value=v) for n, v in self.extra_table.pairs()],
            extra_fields=dict(self._draft_extra_fields),
        )

    def set_draft(self, draft: Draft) -> None:
        spec = self.profile.spec(draft.event_type)
        if spec is not self.spec:
            self._build(spec)
        blockers = [QSignalBlocker(w) for w in (self.event_type_edit, self.key_value_edit, self.key_value_check)]
        self.event_type_edit.setText(draft.event_type)
        self.key_value_check.setChecked(draft.key_value is not None)
        self.key_value_edit.setEnabled(draft.key_value is not None)
        self.key_value_edit.setText(draft.key_value or "")
        del blockers
        for name, editor in self.locator_editors.items():
            editor.set_value(draft.locators.get(name))
        for name, editor in self.scalar_editors.items():
            editor.set_value(draft.values.get(name))
        for name, obj in self.object_editors.items():
            with QSignalBlocker(obj):
                obj.set_value(draft.values.get(name, {}))
        for name, (send, table) in self.list_editors.items():
            with QSignalBlocker(send):
                send.setChecked(name in draft.values)
            table.setEnabled(name in draft.values)
            table.set_value(draft.values.get(name, []))
        self.extra_table.set_pairs([(p.name, p.value) for p in draft.extra_params])
        self._draft_extra_fields = dict(draft.extra_fields)

    # -- problems ---------------------------------------------------------------------------

    def clear_marks(self) -> None:
        unmark(self._marked)

    def mark(self, key: str, severity: str, message: str) -> None:
        """Mark the field behind a form key (see core.events.fieldpaths) with an error or a warning."""
        table, row, column = self._cell_of(key)
        if table is not None:
            table.mark_cell(row, column, severity, message)
            self._marked.append(table)
            return
        widget = self.focusable.get(key)
        if widget is None or isinstance(widget, ObjectEditor | ProductTable):
            return
        self._marked.append(widget)
        mark_widget(widget, severity, message)

    def focus_key(self, key: str) -> bool:
        table, row, column = self._cell_of(key)
        if table is not None:
            table.focus_cell(row, column or 0)
            return True
        widget = self.focusable.get(key)
        if widget is None:
            return False
        if isinstance(widget, ObjectEditor) and widget.editors:
            widget = next(iter(widget.editors.values())).focus_widget()
        widget.setFocus()
        return True

    def _cell_of(self, key: str) -> tuple[Any, int, int | None]:
        extra = _EXTRA.fullmatch(key)
        if extra:
            return self.extra_table, int(extra.group(1)), None
        item = _LIST_ITEM.fullmatch(key)
        if item and item.group(1) in self.list_editors:
            table = self.list_editors[item.group(1)][1]
            column = table.column_of(item.group(3).split(".")[0]) if item.group(3) else None
            return table, int(item.group(2)), column
        return None, 0, None
