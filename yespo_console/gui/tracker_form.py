"""The form for a web tracking event (core.events.tracker_catalog): GeneralInfo (who, which site, when, the
visitor's sc cookie), then the event object built from its spec: its own fields (GUID, OrderNumber, search),
its item (Product, Category) or item list (Products, with add and remove), `tag_` extras and Tags.

It edits a body, not a Draft: the tracker format has no params. Whatever the form has no editor for (an
undocumented GeneralInfo key, a TrackedOrderId, a cookie besides sc, an event object or item list of the wrong
shape) is kept and sent back as it was; as in the Generate event form, a text field sends text.
"""

from __future__ import annotations

import html
import re
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from yespo_console.core.events.catalog import FieldSpec, FieldType, ParamSpec, Shape
from yespo_console.core.events.payload import dump_json
from yespo_console.core.events.tracker_catalog import (
    COOKIES,
    GENERAL_FIELDS,
    GENERAL_INFO,
    SC_COOKIE,
    TAGS,
    TRACKER_SPECS,
    TrackerEventSpec,
)
from yespo_console.gui.field_editors import FieldEditor, make_editor
from yespo_console.gui.forms import ObjectEditor, fresh_content, mark_widget, unmark
from yespo_console.gui.tables import EditableTable, KeyValueTable, ProductTable

SC_SPEC = FieldSpec(SC_COOKIE, FieldType.STRING, "sc cookie", "The visitor's cookie set by Yespo's script (one per "
                    "browser): ties the event to the visitor's browsing.", "CDA68358-94FB-4D83-9655-3FEB3C4114A3")
_ITEM = re.compile(r"\[(\d+)\](?:\.([^.\[]+))?.*")
_TAG_TIP = "Extra fields: tag_<name> = comma-separated values, sent as a list of strings"


def _items_param(spec: TrackerEventSpec, name: str) -> ParamSpec:
    """The item (or item list) of SPEC as the Generate event forms' editors take it; extras are tag_ lists."""
    shape = spec.shape if spec.container is None else spec.container_shape
    return ParamSpec(name, shape, name, spec.description, required=True, fields=spec.item_fields,
                     extra_properties=True, empty_allowed=spec.empty_allowed)


def wire_bytes(body: Any, *, pretty: bool) -> bytes:
    """The exact bytes a tracker body goes out as: plain JSON, nothing nested in strings."""
    return dump_json(body, pretty=pretty).encode("utf-8")


class TrackerForm(QWidget):
    """Edits one tracker body. `changed` fires on every edit; `body()` reads it, `set_body()` shows one."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec: TrackerEventSpec | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(6, 6, 6, 6)
        self._content: QWidget | None = None
        self._marked: list[QWidget] = []
        self._kept: dict[str, Any] = {}  # top-level keys the form has no editor for
        self._kept_info: dict[str, Any] = {}
        self._kept_object: dict[str, Any] = {}
        self._kept_cookies: dict[str, Any] = {}
        self._cookies_text = False  # the body sent `cookies` as the cookie string itself (the page allows it)
        self._raw_object: Any = None  # an event object that is not the shape the spec says: kept as it is

    # -- building -----------------------------------------------------------------------------

    def _build(self, spec: TrackerEventSpec) -> None:
        self._marked = []
        self.spec = spec
        content, layout = fresh_content(self, self._content, f"<b>{html.escape(spec.title)}</b> "
                                        f"({html.escape(spec.name)}, web tracking) — {html.escape(spec.description)}")

        info = QGroupBox(f"{GENERAL_INFO} (the visitor, the site, the time)", content)
        info_form = QFormLayout(info)
        info_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.general: dict[str, FieldEditor] = {}
        for field in (*GENERAL_FIELDS, SC_SPEC):
            editor = make_editor(field, info)
            editor.changed.connect(self.changed)
            self.general[field.name] = editor
            label = f"{COOKIES}.{SC_COOKIE}" if field is SC_SPEC else field.name
            info_form.addRow(f"{label}{' *' if field.required else ''}", editor)
        layout.addWidget(info)

        self.fields: dict[str, FieldEditor] = {}
        self.item: ObjectEditor | None = None
        self.items: ProductTable | None = None
        self.tags: KeyValueTable | None = None
        if spec.object_key is not None:
            box = QGroupBox(f"{spec.object_key} (the event)", content)
            box_layout = QVBoxLayout(box)
            if spec.fields:
                fields_form = QFormLayout()
                fields_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
                for field in spec.fields:
                    editor = make_editor(field, box)
                    editor.changed.connect(self._object_edited)
                    self.fields[field.name] = editor
                    fields_form.addRow(f"{field.name}{' *' if field.required else ''}", editor)
                box_layout.addLayout(fields_form)
            name = spec.container or spec.object_key
            if spec.item_fields:
                param = _items_param(spec, name)
                if param.shape is Shape.LIST:
                    empty = " (an empty list empties the cart)" if spec.empty_allowed else ""
                    note = QLabel(f"{name}{empty}; extra fields as tag_name=value1,value2", box)
                    note.setWordWrap(True)  # else its one line sets the form's width
                    box_layout.addWidget(note)
                    self.items = ProductTable(param, box)
                    self.items.changed.connect(self._object_edited)
                    box_layout.addWidget(self.items)
                else:
                    self.item = ObjectEditor(param, box)
                    if self.item.extra is not None:
                        self.item.extra.setToolTip(_TAG_TIP)
                    self.item.changed.connect(self._object_edited)
                    box_layout.addWidget(self.item)
            if spec.tags:
                tags_box = QGroupBox(f"{TAGS} (additional fields: lists of strings)", box)
                tags_layout = QVBoxLayout(tags_box)
                self.tags = KeyValueTable("name", "values", "Comma-separated values, sent as a list of strings",
                                          list_values=True, parent=tags_box)
                self.tags.changed.connect(self._object_edited)
                tags_layout.addWidget(self.tags)
                box_layout.addWidget(tags_box)
            self.object_note = QLabel(box)
            self.object_note.setWordWrap(True)
            self.object_note.hide()
            box_layout.addWidget(self.object_note)
            layout.addWidget(box)
        layout.addStretch(1)
        self._layout.addWidget(content)
        self._content = content

    # -- reading and writing ------------------------------------------------------------------

    def body(self) -> dict[str, Any]:
        assert self.spec is not None
        info: dict[str, Any] = {}
        for field in GENERAL_FIELDS:
            value = self.general[field.name].value()
            if value is not None:
                info[field.name] = value
        sc = self.general[SC_COOKIE].value()
        if self._cookies_text and not self._kept_cookies:
            if sc is not None:
                info[COOKIES] = sc
        elif sc is not None or self._kept_cookies:
            info[COOKIES] = ({SC_COOKIE: sc} if sc is not None else {}) | self._kept_cookies
        info.update(self._kept_info)
        body: dict[str, Any] = {GENERAL_INFO: info}
        if self.spec.object_key is not None:
            body[self.spec.object_key] = self._event_object()
        body.update(self._kept)
        return body

    def _event_object(self) -> Any:
        assert self.spec is not None
        if self._raw_object is not None:
            return self._raw_object
        if self.spec.shape is Shape.LIST:
            return self.items.value() if self.items is not None else []
        obj: dict[str, Any] = {}
        for name, editor in self.fields.items():
            if editor.value() is not None:
                obj[name] = editor.value()
        if self.spec.container is not None:
            inner = self.items if self.items is not None else self.item
            if inner is not None:
                obj[self.spec.container] = inner.value()
        if self.tags is not None and self.tags.pairs():
            obj[TAGS] = dict(self.tags.pairs())
        obj.update(self._kept_object)
        return obj

    def wire(self, *, pretty: bool) -> bytes:
        return wire_bytes(self.body(), pretty=pretty)

    def set_body(self, body: dict[str, Any], name: str | None = None) -> None:
        """Show BODY in the form of event NAME (else of its eventName, else the type shown now)."""
        info = body.get(GENERAL_INFO)
        info = info if isinstance(info, dict) else {}
        named = info.get("eventName")
        spec = TRACKER_SPECS.get(name or (named if isinstance(named, str) else "")) or self.spec
        if spec is None:
            spec = TRACKER_SPECS["StatusCart"]
        if spec is not self.spec:
            self._build(spec)
        for field in GENERAL_FIELDS:
            self.general[field.name].set_value(info.get(field.name))
        cookies = info.get(COOKIES)
        self._cookies_text = COOKIES in info and not isinstance(cookies, dict)
        if isinstance(cookies, dict):
            self.general[SC_COOKIE].set_value(cookies.get(SC_COOKIE))
            self._kept_cookies = {k: v for k, v in cookies.items() if k != SC_COOKIE}
        else:
            self.general[SC_COOKIE].set_value(cookies)
            self._kept_cookies = {}
        known = {field.name for field in GENERAL_FIELDS} | {COOKIES}
        self._kept_info = {k: v for k, v in info.items() if k not in known}
        self._kept = {k: v for k, v in body.items() if k not in (GENERAL_INFO, spec.object_key)}
        if not isinstance(body.get(GENERAL_INFO, {}), dict):
            self._kept[GENERAL_INFO] = body[GENERAL_INFO]  # not an object: sent back as it was
        self._set_object(spec, body.get(spec.object_key) if spec.object_key else None)

    def _set_object(self, spec: TrackerEventSpec, value: Any) -> None:
        self._raw_object = None
        self._kept_object = {}
        if spec.object_key is None:
            return
        expected = list if spec.shape is Shape.LIST else dict
        if value is not None and not isinstance(value, expected):
            self._raw_object = value
            self.object_note.setText(f"{spec.object_key} is not a JSON {'list' if expected is list else 'object'}; "
                                     "it is kept as is. Edit a field to replace it, or fix it in Raw mode.")
            self.object_note.show()
            value = None
        else:
            self.object_note.hide()
        if spec.shape is Shape.LIST:
            if self.items is not None:
                with QSignalBlocker(self.items):
                    self.items.set_value(value or [])
            return
        obj: dict[str, Any] = value or {}
        for name, editor in self.fields.items():
            editor.set_value(obj.get(name))
        inner_value = obj.get(spec.container) if spec.container else None
        if self.items is not None:
            with QSignalBlocker(self.items):
                self.items.set_value(inner_value if inner_value is not None else [])
        if self.item is not None:
            with QSignalBlocker(self.item):
                self.item.set_value(inner_value if inner_value is not None else {})
        tags = obj.get(TAGS)
        if self.tags is not None:
            self.tags.set_pairs(list(tags.items()) if isinstance(tags, dict) else [])
        handled = {*self.fields, spec.container, TAGS if isinstance(tags, dict) and self.tags is not None else None}
        self._kept_object = {k: v for k, v in obj.items() if k not in handled}

    def _object_edited(self) -> None:
        if self._raw_object is not None:
            self._raw_object = None
            self.object_note.hide()
        self.changed.emit()

    # -- problems ---------------------------------------------------------------------------------

    def _target(self, path: str) -> tuple[QWidget | None, EditableTable | None, int, int | None]:
        """The editor (or the table, row and column) a finding's JSON path points at."""
        if self.spec is None:
            return None, None, 0, None
        if path.startswith(f"{GENERAL_INFO}."):
            name = path.removeprefix(f"{GENERAL_INFO}.").split(".")[0]
            editor = self.general.get(SC_COOKIE if name == COOKIES else name)
            return (editor.focus_widget() if editor else None), None, 0, None
        key = self.spec.object_key
        if key is None or not path.startswith(key):
            return None, None, 0, None
        rest = path.removeprefix(key)
        if self.spec.container is not None and rest.startswith(f".{self.spec.container}"):
            rest = rest.removeprefix(f".{self.spec.container}")
            if self.item is not None:
                name = rest.lstrip(".").split(".")[0]
                editor = self.item.editors.get(name)
                return (editor.focus_widget() if editor else self.item), None, 0, None
        elif rest.startswith("."):
            name = rest.lstrip(".").split(".")[0]
            if name == TAGS:
                return None, self.tags, 0, None
            editor = self.fields.get(name)
            return (editor.focus_widget() if editor else None), None, 0, None
        item = _ITEM.fullmatch(rest)
        if item is not None and self.items is not None:
            column = self.items.column_of(item.group(2)) if item.group(2) else None
            return None, self.items, int(item.group(1)), column
        return None, None, 0, None

    def clear_marks(self) -> None:
        unmark(self._marked)

    def mark(self, path: str, severity: str, message: str) -> bool:
        widget, table, row, column = self._target(path)
        if table is not None:
            if row < table.table.rowCount():
                table.mark_cell(row, column, severity, message)
                self._marked.append(table)
            return True
        if widget is None or isinstance(widget, ObjectEditor):
            return False
        mark_widget(widget, severity, message)
        self._marked.append(widget)
        return True

    def focus_path(self, path: str) -> bool:
        widget, table, row, column = self._target(path)
        if table is not None:
            table.focus_cell(row, column or 0)
            return True
        if widget is None:
            return False
        widget.setFocus()
        return True

    def line_edit(self, name: str) -> QLineEdit | None:
        """The line edit of a GeneralInfo field (or of the sc cookie), for tests and focus."""
        editor = self.general.get(name)
        widget = editor.focus_widget() if editor else None
        return widget if isinstance(widget, QLineEdit) else None
