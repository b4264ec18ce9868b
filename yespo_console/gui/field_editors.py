"""One typed editor per catalog field type, all with the same small interface.

`value()` returns the typed value to send, or None when the field is left blank (a blank field is
not sent). Text that does not parse as the expected type is sent as typed, so the inspector can say
what is wrong with it instead of the form silently dropping it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QHBoxLayout, QLineEdit, QWidget

from yespo_console.core.events.catalog import FieldSpec, FieldType

if TYPE_CHECKING:
    from PySide6.QtGui import QFocusEvent


def parse_typed(spec: FieldSpec, text: str) -> Any:
    """Text from a cell or a line edit as the value to send."""
    if text == "":
        return None
    if spec.type in (FieldType.NUMBER, FieldType.FLAG):
        try:
            number = json.loads(text)
        except ValueError:
            return text
        if isinstance(number, int | float) and not isinstance(number, bool):
            return number
        return text
    return text


def display_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


class FieldEditor(QWidget):
    """Base for the per-type editors: the form only talks to this interface."""

    changed = Signal()

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def focus_widget(self) -> QWidget:
        raise NotImplementedError


class LineFieldEditor(FieldEditor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(spec.pattern_hint or f"e.g. {display_text(spec.example)}")
        self.edit.setToolTip(spec.help)
        self.edit.setAccessibleName(spec.label)
        self.edit.setClearButtonEnabled(True)
        self.edit.textChanged.connect(self.changed)
        layout.addWidget(self.edit)

    def value(self) -> Any:
        return parse_typed(self.spec, self.edit.text())

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.edit):
            self.edit.setText(display_text(value))

    def focus_widget(self) -> QWidget:
        return self.edit


class CurrencyCombo(QComboBox):
    """Editable, with the ISO 4217 codes as its items and a completer over them. The codes come from pycountry's
    database, which is slow to load: they are put in when the combo is first focused or opened, not when a form
    with a currency is built (a purchase draft restored at start-up would wait for them before the first paint)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.codes_loaded = False

    def load_codes(self) -> None:
        if self.codes_loaded:
            return
        self.codes_loaded = True
        from yespo_console.core.events.rules import currency_codes

        codes = sorted(currency_codes())
        line = self.lineEdit()
        assert line is not None  # an editable combo always has its line edit
        with QSignalBlocker(self), QSignalBlocker(line):
            typed = line.text()  # adding the first item would replace it
            self.addItem("")
            self.addItems(codes)
            self.setEditText(typed)
        completer = QCompleter(codes, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchStartsWith)
        self.setCompleter(completer)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.load_codes()
        super().focusInEvent(event)

    def showPopup(self) -> None:
        self.load_codes()
        super().showPopup()


class ChoiceFieldEditor(FieldEditor):
    """0/1 switches, and currencies: a combo box; an unexpected value is kept as an extra item."""

    NOT_SENT = "(not sent)"

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = CurrencyCombo(self) if spec.type is FieldType.CURRENCY else QComboBox(self)
        self.combo.setToolTip(spec.help)
        self.combo.setAccessibleName(spec.label)
        if spec.type is FieldType.CURRENCY:
            line = self.combo.lineEdit()
            assert line is not None  # an editable combo always has its line edit
            line.setPlaceholderText(f"ISO 4217, e.g. {spec.example} (blank: account default)")
            line.textChanged.connect(self.changed)
        else:
            self.combo.addItem(self.NOT_SENT, None)
            for allowed in spec.allowed or ():
                self.combo.addItem(str(allowed), allowed)
            self.combo.currentIndexChanged.connect(self.changed)
        layout.addWidget(self.combo)

    def value(self) -> Any:
        if self.combo.isEditable():
            text = self.combo.currentText().strip()
            return text or None
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self.combo), QSignalBlocker(self.combo.lineEdit() or self.combo):
            if self.combo.isEditable():
                self.combo.setEditText(display_text(value))
                return
            for index in range(self.combo.count()):
                if self.combo.itemData(index) == value and type(self.combo.itemData(index)) is type(value):
                    self.combo.setCurrentIndex(index)
                    return
            self.combo.addItem(display_text(value), value)  # kept so the form never loses what raw mode sent
            self.combo.setCurrentIndex(self.combo.count() - 1)

    def focus_widget(self) -> QWidget:
        return self.combo


def make_editor(spec: FieldSpec, parent: QWidget | None = None) -> FieldEditor:
    if spec.type in (FieldType.FLAG, FieldType.CURRENCY):
        return ChoiceFieldEditor(spec, parent)
    return LineFieldEditor(spec, parent)
