"""The typed field editors: a currency field fills its codes (pycountry's database) when first used, not when a
form with one is built."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from yespo_console.core.events.catalog import FieldSpec, FieldType
from yespo_console.core.events.rules import currency_codes
from yespo_console.gui.field_editors import ChoiceFieldEditor, CurrencyCombo, make_editor

CURRENCY = FieldSpec("currency", FieldType.CURRENCY, label="Currency", help="ISO 4217", example="UAH")


def _editor(qtbot) -> tuple[QWidget, ChoiceFieldEditor]:
    parent = QWidget()
    qtbot.addWidget(parent)
    editor = make_editor(CURRENCY, parent)
    assert isinstance(editor, ChoiceFieldEditor) and isinstance(editor.combo, CurrencyCombo)
    return parent, editor


def test_a_currency_field_is_built_without_its_codes_and_keeps_a_value_set_before_they_come(qtbot):
    parent, editor = _editor(qtbot)
    combo = editor.combo
    assert isinstance(combo, CurrencyCombo)
    assert not combo.codes_loaded and combo.count() == 0
    editor.set_value("EUR")
    changes: list[object] = []
    editor.changed.connect(lambda *args: changes.append(args))
    parent.show()
    combo.setFocus()
    qtbot.waitUntil(lambda: combo.codes_loaded)
    assert combo.count() == len(currency_codes()) + 1  # and the blank one: the account's default
    assert editor.value() == "EUR" and combo.currentText() == "EUR"
    assert changes == []  # filling the list is not an edit


def test_the_codes_come_with_the_list_and_complete_what_is_typed(qtbot, qtlog):
    parent, editor = _editor(qtbot)
    combo = editor.combo
    assert isinstance(combo, CurrencyCombo)
    parent.show()
    with qtlog.disabled():  # the offscreen platform cannot raise a popup or grab the keyboard, and says so
        combo.showPopup()
        assert combo.codes_loaded and combo.findText("UAH") > 0
        combo.hidePopup()
    completer = combo.completer()
    assert completer is not None
    completer.setCompletionPrefix("ua")
    assert completer.currentCompletion() == "UAH"
    combo.load_codes()  # once only
    assert combo.count() == len(currency_codes()) + 1
