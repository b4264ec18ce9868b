"""The one duration grammar: scenario waits, history --since/--older-than and template offsets read it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yespo_console.core.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500ms", timedelta(milliseconds=500)),
        ("2s", timedelta(seconds=2)),
        ("1.5m", timedelta(seconds=90)),
        (" 12h ", timedelta(hours=12)),
        ("30d", timedelta(days=30)),
        ("4w", timedelta(weeks=4)),
        ("2H", timedelta(hours=2)),
    ],
)
def test_spans(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_a_bare_number_needs_a_default_unit() -> None:
    assert parse_duration("2.5", bare_unit="s") == timedelta(seconds=2.5)
    with pytest.raises(ValueError, match="no unit"):
        parse_duration("2.5")


def test_offsets_need_a_sign_and_spans_refuse_one() -> None:
    assert parse_duration("-2h", signed=True) == timedelta(hours=-2)
    assert parse_duration("+30m", signed=True) == timedelta(minutes=30)
    with pytest.raises(ValueError):
        parse_duration("2h", signed=True)
    with pytest.raises(ValueError):
        parse_duration("-2h")


@pytest.mark.parametrize("text", ["", "h", "2x", "1e3s", "2 hours", "--2h", "2025-06-01", "١٢h"])
def test_not_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_a_span_too_long_for_a_timedelta_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration("999999999w")


@given(st.text(max_size=30))
def test_any_text_is_a_span_or_a_value_error(text: str) -> None:
    try:
        span = parse_duration(text, bare_unit="s")
    except ValueError:
        return
    assert span >= timedelta(0)
