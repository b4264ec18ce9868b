"""Fuzzing the inspector, the repair and the raw editor: any input, no crash, and answers that agree.

Six targets, each at both scales (see SCALES): "fast" runs the yespo-fast profile (80 inputs each, about
500 in all) in `make test`; "soak" runs yespo-soak (2,000 each, 12,000 in all) under `make soak`.
"""

from __future__ import annotations

import json
import sys
from types import TracebackType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtWidgets import QApplication

from tests.reliability.helpers import SCALES, event_body, profile
from yespo_console.core.events.catalog import EVENTS, LOCATOR_PRIORITY
from yespo_console.core.events.diagnostics import inspect_body, inspect_event
from yespo_console.core.events.findings import Report, Severity
from yespo_console.core.events.repair import repair
from yespo_console.gui.main_window import MainWindow
from yespo_console.gui.preview import PayloadPanel

# -- strategies -----------------------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=5), max_leaves=25)
names = st.sampled_from(sorted({p.name for spec in EVENTS for p in spec.params} | set(LOCATOR_PRIORITY)
                               | {"page", "product", "email", "phone"})) | st.text(max_size=12)
field_names = st.sampled_from(["location", "productId", "price", "isInStock", "quantity", "name", "category",
                               "discount", "productCategoryId"]) | st.text(max_size=8)
nested_objects = st.dictionaries(field_names, scalars, min_size=1, max_size=6)
values = scalars | nested_objects | st.lists(nested_objects, max_size=4) | nested_objects.map(
    lambda obj: json.dumps(obj)) | st.lists(nested_objects, max_size=4).map(json.dumps)
params = st.lists(st.fixed_dictionaries({"name": names, "value": values})
                  | st.dictionaries(st.sampled_from(["name", "value", "type"]), json_values, max_size=3)
                  | json_values, max_size=8)
events = st.fixed_dictionaries(
    {"eventTypeKey": st.sampled_from([spec.key for spec in EVENTS] + ["custom", ""]) | json_values},
    optional={"keyValue": st.text(max_size=30) | json_values, "params": params | json_values,
              "extra": json_values})


# After `"{"`, a first key that starts with , : } or ] reads as the end of an ordinary string: such a paste
# is ambiguous by the repair's design (core/events/repair.py), so the broken bodies below avoid it.
doc_objects = st.dictionaries(field_names.filter(lambda k: k.lstrip(" \t\r\n")[:1] not in (",", ":", "}", "]")),
                              scalars, min_size=1, max_size=6)


@st.composite
def doc_style_broken(draw: st.DrawFn) -> tuple[str, Any]:
    """A body with a nested value pasted without escaping, as the documentation's examples do."""
    inner = draw(doc_objects)
    event = draw(st.sampled_from([spec.key for spec in EVENTS]))
    name = draw(st.sampled_from(["page", "product", "category", "products"]))
    pretty = draw(st.booleans())
    head = json.dumps({"eventTypeKey": event, "keyValue": "ann@example.com"}, indent=2 if pretty else None)[:-1]
    return f'{head}, "params": [{{"name": "{name}", "value": "{json.dumps(inner)}"}}]}}', inner


@st.composite
def mutated_bodies(draw: st.DrawFn) -> str:
    """A valid body with a few characters inserted, deleted or swapped."""
    text = event_body(draw(st.text(max_size=20))).decode()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "dup"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from([*'{}[]",:\\ \n', "null", "//", "/*", "\ufeff"])) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + 1:]
        else:
            text = text[:at] + text[at:at + 8] + text[at:]
    return text


raw_texts = st.one_of(st.text(), json_values.map(json.dumps), events.map(json.dumps),
                      events.map(lambda e: json.dumps(e, indent=2, ensure_ascii=False)),
                      doc_style_broken().map(lambda pair: pair[0]), mutated_bodies())


# -- checks ---------------------------------------------------------------------------------------


def _well_formed(report: Report, size: int) -> None:
    assert report.size == size
    for finding in report.findings:
        assert isinstance(finding.severity, Severity) and finding.code and finding.message
        assert isinstance(finding.path, str)
    json.dumps(report.as_dict())  # the `inspect --json` output can always be written
    if report.body is None:
        assert not report.valid, "a body that is not an object cannot be valid"
    if report.key_value_source is not None:
        assert isinstance(report.key_value, str)


# -- the inspector --------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", SCALES)
def test_inspector_takes_any_text(scale: str) -> None:
    @profile(scale)
    @given(st.text() | raw_texts, st.sampled_from(["v1", "v2"]))
    def check(text: str, version: str) -> None:
        report = inspect_body(text, api_version=version)  # type: ignore[arg-type]
        _well_formed(report, len(text.encode("utf-8", "surrogatepass")))
        again = inspect_body(text.encode("utf-8", "surrogatepass"), api_version=version)  # type: ignore[arg-type]
        if not any("\ud800" <= c <= "\udfff" for c in text):  # a lone surrogate is not UTF-8 at all
            assert again.findings == report.findings and again.body == report.body  # str and bytes agree

    check()


@pytest.mark.parametrize("scale", SCALES)
def test_inspector_takes_any_bytes(scale: str) -> None:
    @profile(scale)
    @given(st.binary(max_size=400) | raw_texts.map(lambda t: t.encode("utf-8", "surrogatepass")))
    def check(data: bytes) -> None:
        report = inspect_body(data)
        _well_formed(report, len(data))
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            assert [f.code for f in report.findings] == ["body.encoding"]

    check()


@pytest.mark.parametrize("scale", SCALES)
def test_inspector_takes_any_json_value(scale: str) -> None:
    @profile(scale)
    @given(json_values | events, st.booleans())
    def check(value: Any, pretty: bool) -> None:
        text = json.dumps(value, indent=2 if pretty else None, ensure_ascii=pretty)
        report = inspect_body(text)
        _well_formed(report, len(text.encode()))
        if isinstance(value, dict):
            assert report.body == value  # what was parsed is what was sent
            assert inspect_event(value, size=report.size).findings == report.findings
        else:
            assert report.body is None and not report.valid

    check()


# -- the repair -----------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", SCALES)
def test_repair_takes_any_text_and_what_it_gives_is_json(scale: str) -> None:
    @profile(scale)
    @given(raw_texts, st.sampled_from(["string", "object"]))
    def check(text: str, nested: str) -> None:
        result = repair(text, nested=nested)  # type: ignore[arg-type]
        if result is None:
            return
        assert result.changes
        body = json.loads(result.text)  # a repair always gives JSON
        assert repair(result.text) is None  # and leaves nothing to repair
        report = inspect_body(result.text)
        assert report.body == body
        assert not {"body.not_json", "body.unescaped_nested_json"} & {f.code for f in report.findings}

    check()


@pytest.mark.parametrize("scale", SCALES)
def test_repair_restores_the_documentations_broken_bodies(scale: str) -> None:
    @profile(scale)
    @given(doc_style_broken(), st.sampled_from(["string", "object"]))
    def check(broken: tuple[str, Any], nested: str) -> None:
        text, inner = broken
        assert inspect_body(text).body is None
        result = repair(text, nested=nested)  # type: ignore[arg-type]
        assert result is not None, text
        value = json.loads(result.text)["params"][0]["value"]
        assert (json.loads(value) if nested == "string" else value) == inner

    check()


# -- the raw editor ------------------------------------------------------------------------------


class _Errors:
    """Collects what Qt slots raise (PySide6 hands it to sys.excepthook) during one example."""

    def __init__(self) -> None:
        self.caught: list[BaseException] = []

    def __enter__(self) -> _Errors:
        self._previous = sys.excepthook
        sys.excepthook = self._hook
        return self

    def _hook(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        self.caught.append(error)

    def __exit__(self, *exc: object) -> None:
        sys.excepthook = self._previous
        if self.caught:
            raise self.caught[0]


# The raw editor (a QPlainTextEdit, read with toRawText) keeps every character but these: it turns \r\n and \r
# into \n, holds U+2029 as its own line break, and drops a byte order mark at the very start (the inspector
# warns about one anyway). The fuzz types only text the editor holds as it is, and allows for that change where
# a repair brings such a character in (an escaped \\u2029 the repair writes out).
_QT_CHANGES = ("\u2029", "\r")


def _as_qt_holds_it(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2029", "\n")


@pytest.mark.parametrize("scale", SCALES)
def test_raw_editor_takes_any_text(scale: str, window: MainWindow, qtbot: Any) -> None:
    app = QApplication.instance()
    assert app is not None
    window.payload.setCurrentIndex(PayloadPanel.RAW)
    qtbot.waitUntil(lambda: window.payload.raw_mode)

    @profile(scale)
    @given(raw_texts.filter(lambda t: not any(c in t for c in _QT_CHANGES) and not t.startswith("\ufeff")),
           st.booleans(), st.booleans())
    def check(text: str, click_repair: bool, round_trip: bool) -> None:
        with _Errors():
            window.payload.raw.setPlainText(text)
            app.processEvents()
            assert window.current_body() == text.encode("utf-8")  # raw mode sends what was typed
            report = inspect_body(text, api_version=window.environment.api_version)
            assert window.diagnostics.findings == report.findings
            repairable = report.body is None and repair(text) is not None
            assert window.payload.repair_button.isEnabled() is repairable
            if repairable and click_repair:
                window.payload.repair_button.click()
                app.processEvents()
                fixed = window.payload.raw.exact_text()
                assert repair(text, nested=window.nested) is not None
                assert fixed == _as_qt_holds_it(repair(text, nested=window.nested).text)  # type: ignore[union-attr]
                assert window.diagnostics.findings == inspect_body(fixed).findings
                assert not window.payload.repair_button.isEnabled()
            if round_trip:  # to the form's preview and back: the window rebuilds, nothing raises
                window.toggle_raw()
                app.processEvents()
                assert not window.payload.raw_mode
                json.loads(window.current_body())  # the form always builds JSON
                window.toggle_raw()
                app.processEvents()
                assert window.payload.raw_mode

    check()


@pytest.mark.parametrize("text", [
    '{"eventTypeKey":"searchRequest","keyValue":"ann@example.com","params":[{"name":"search","value":"10\u00a0kg"}]}',
    '{"eventTypeKey":"searchRequest","keyValue":"ann@example.com","params":[{"name":"search","value":"a\u2028b"}]}',
], ids=["no-break space", "line separator"])
def test_raw_mode_sends_exactly_what_was_typed(text: str, window: MainWindow, qtbot: Any) -> None:
    assert inspect_body(text).valid
    window.payload.setCurrentIndex(PayloadPanel.RAW)
    window.payload.raw.setPlainText(text)
    qtbot.waitUntil(lambda: window.payload.raw_mode)
    assert window.current_body() == text.encode("utf-8")


def test_repair_in_the_raw_editor_keeps_every_character(window: MainWindow, qtbot: Any) -> None:
    broken = '{"eventTypeKey":"pageViewed","keyValue":"a@b.co","params":[{"name":"page","value":"{"location":' \
             '"https://example.com/a\\u00a0b"}"}]}'
    expected = repair(broken)
    assert expected is not None and "\u00a0" in expected.text
    window.payload.setCurrentIndex(PayloadPanel.RAW)
    window.payload.raw.setPlainText(broken)
    qtbot.waitUntil(lambda: window.payload.repair_button.isEnabled())
    window.payload.repair_button.click()
    assert window.current_body() == expected.text.encode("utf-8")
