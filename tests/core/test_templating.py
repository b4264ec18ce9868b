"""The template engine of scenario files: variables, built-ins, filters, types, and its errors."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yespo_console.core.scenarios.templating import (
    RenderContext,
    TemplateError,
    parse_template,
    render_text,
    render_value,
    text_of,
)

FIXED = datetime(2025, 6, 1, 12, 30, 0, tzinfo=UTC)


def ctx(**variables: object) -> RenderContext:
    return RenderContext(variables, random.Random(42), lambda: FIXED)


def test_plain_text_is_kept_byte_for_byte() -> None:
    for text in ("", "plain", "a } b { c", "}}{", "{ {email} }", "emoji ✓ and \x00"):
        assert render_text(text, ctx()) == text


def test_variables_and_mixed_text() -> None:
    assert render_text("{{email}}", ctx(email="ann@example.com")) == "ann@example.com"
    assert render_text("Hi {{ name }}, cart {{id}}!", ctx(name="Ann", id=7)) == "Hi Ann, cart 7!"


def test_a_lone_expression_keeps_its_type() -> None:
    values = ctx(price=45.5, count=3, flag=True)
    assert render_text("{{price}}", values) == 45.5
    assert render_text("{{count}}", values) == 3
    assert render_text("{{flag}}", values) is True
    assert render_text("{{random_int 5 5}}", values) == 5
    assert render_text("total {{price}}", values) == "total 45.5"
    assert render_text("{{flag}}!", values) == "true!"


def test_builtins() -> None:
    values = ctx()
    assert render_text("{{now}}", values) == "2025-06-01T12:30:00Z"
    assert render_text("{{now -2h}}", values) == "2025-06-01T10:30:00Z"
    assert render_text("{{now +1d}}", values) == "2025-06-02T12:30:00Z"
    assert render_text("{{today -1w}}", values) == "2025-05-25"
    assert render_text("{{timestamp}}", values) == int(FIXED.timestamp() * 1000)
    made = render_text("{{uuid}}", values)
    assert uuid.UUID(made).version == 4 and made != render_text("{{uuid}}", values)
    for _ in range(50):
        assert 1 <= render_text("{{random_int 1 3}}", values) <= 3
        number = render_text("{{random_float 10 20 1}}", values)
        assert 10 <= number <= 20 and round(number, 1) == number
        assert render_text("{{random_choice a 'b c' d}}", values) in ("a", "b c", "d")


def test_a_seed_repeats_the_random_values() -> None:
    one, other = ctx(), ctx()
    first = [render_text("{{uuid}} {{random_int 1 1000}}", one) for _ in range(3)]
    second = [render_text("{{uuid}} {{random_int 1 1000}}", other) for _ in range(3)]
    assert len(set(first)) == 3 and first == second


def test_filters() -> None:
    values = ctx(price="45.50", qty="3", name=" Ann ", big="1" * 30)
    assert render_text("{{price | number}}", values) == 45.5
    assert render_text("{{qty|number}}", values) == 3
    assert render_text("{{qty | int}}", values) == 3
    assert render_text("{{big | number}}", values) == int("1" * 30)
    assert render_text("{{name | trim | upper}}", values) == "ANN"
    assert render_text("{{random_int 7 7 | str}}", values) == "7"
    with pytest.raises(TemplateError, match="not a number"):
        render_text("{{name | number}}", values)
    with pytest.raises(TemplateError, match="not a whole number"):
        render_text("{{price | int}}", values)


def test_quoted_literal_escapes_the_braces() -> None:
    assert render_text('{{ "{{" }}email}}', ctx()) == "{{email}}"
    assert render_text("{{'a }} b'}}", ctx()) == "a }} b"


def test_render_value_walks_keys_and_values() -> None:
    value = {"{{k}}": ["{{v}}", 1, None, {"n": "{{random_int 2 2}}"}]}
    assert render_value(value, ctx(k="key", v="val")) == {"key": ["val", 1, None, {"n": 2}]}


@pytest.mark.parametrize(("text", "fragment", "column"), [
    ("abc {{email", "never closed", 5),
    ("{{ }}", "empty", 1),
    ("x{{random_int 1}}", "random_int takes 2 argument(s)", 2),
    ("{{random_int a 3}}", "whole number", 1),
    ("{{random_int 9 3}}", "above the upper bound", 1),
    ("{{random_float 1 inf}}", "finite number", 1),
    ("{{now yesterday}}", "offset", 1),
    ("{{email extra}}", "variable, not a function", 1),
    ("{{emial | lowr}}", "unknown filter 'lowr' (did you mean 'lower'?)", 1),
    ("{{9lives}}", "not a variable name", 1),
    ("{{'open}}", "the quote ' at column 3 is not closed", 1),
    ("{{ | upper}}", "filter needs a value", 1),
    ("{{uuid | a b}}", "one filter name", 1),
])
def test_syntax_errors_say_what_and_where(text: str, fragment: str, column: int) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(text)
    assert fragment in str(caught.value)
    assert caught.value.column == column and f"(column {column})" in str(caught.value)


def test_unknown_variable_is_named_with_the_known_ones_and_a_suggestion() -> None:
    with pytest.raises(TemplateError) as caught:
        render_text("{{emial}}", ctx(email="a@b.c", phone="1"))
    message = str(caught.value)
    assert "unknown variable 'emial'" in message and "did you mean 'email'?" in message
    assert "known variables: email, phone" in message and "--var emial=" in message


def test_now_far_outside_the_calendar_is_an_error_not_a_crash() -> None:
    with pytest.raises(TemplateError, match="calendar"):
        render_text("{{now +999999w}}", ctx())


def test_values_that_are_not_text_render_as_json() -> None:
    assert text_of({"a": [1, None]}) == '{"a":[1,null]}'
    assert text_of(None) == "null"
    assert text_of(datetime(2025, 1, 1)) == "2025-01-01 00:00:00"
    assert text_of([datetime(2025, 1, 1)]) == '["2025-01-01 00:00:00"]'


# -- properties ------------------------------------------------------------------------------------

NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([*"{}|'\" abx_-+19.", "{{", "}}", "now", "random_int", "uuid", "email", "number"]),
                max_size=25).map("".join),
       st.dictionaries(NAMES, st.one_of(st.text(max_size=5), st.integers(), st.floats(allow_nan=False)), max_size=3))
def test_the_engine_never_crashes_on_any_text(text: str, variables: dict[str, object]) -> None:
    try:
        result = render_text(text, ctx(**variables))
    except TemplateError as exc:
        assert str(exc)  # a message for people, never an empty one
    else:
        if "{{" not in text:
            assert result == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.dictionaries(NAMES, st.text(max_size=5), max_size=3))
def test_arbitrary_unicode_never_crashes(text: str, variables: dict[str, object]) -> None:
    value = {"k": [text, {text: text}]}
    try:
        rendered = render_value(value, ctx(**variables))
    except TemplateError as exc:
        assert "{{" in text and str(exc)  # only an expression can be wrong, and it says how
        return
    if "{{" not in text:
        assert rendered == value  # text without an expression is kept as it is, key and value
    [key] = rendered["k"][1]
    assert list(rendered) == ["k"] and isinstance(key, str)  # a rendered key is always text


@settings(max_examples=200, deadline=None)
@given(NAMES, st.dictionaries(NAMES, st.text(max_size=5), max_size=4))
def test_an_unknown_variable_is_always_a_clear_error(name: str, variables: dict[str, object]) -> None:
    variables.pop(name, None)
    from yespo_console.core.scenarios.templating import FUNCTIONS

    if name in FUNCTIONS:
        return
    with pytest.raises(TemplateError) as caught:
        render_text(f"x {{{{{name}}}}} y", ctx(**variables))
    assert re.search(rf"unknown variable '{re.escape(name)}'", str(caught.value))
    assert caught.value.column == 3
