"""Spans of time in scenario files: a wait, or the window an expectation on the account polls in. Both read
seconds (2, 2.5) or core.durations' texts (500ms, 2s, 1.5m, 1h)."""

from __future__ import annotations

from typing import Any

from yespo_console.core.durations import parse_duration

MAX_WAIT_S = 3600.0
MAX_WINDOW_S = 7 * 86_400.0  # a workflow's delay may be days (a wishlist reminder's 3d)


def wait_seconds(value: Any, limit: float = MAX_WAIT_S, what: str = "a wait") -> float:
    """Seconds from 2, 2.5, "500ms", "2s", "1.5m" or "1h", from 0 to `limit`."""
    if isinstance(value, bool):
        raise ValueError(f"{what} is a number of seconds or a text like 500ms, 2s, 1.5m")
    not_a_duration = ValueError(f"{value!r} is not a duration: use a number of seconds or 500ms, 2s, 1.5m, 1h")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = parse_duration(value, bare_unit="s").total_seconds()
        except ValueError:
            raise not_a_duration from None
    else:
        raise not_a_duration
    if not 0 <= seconds <= limit:
        raise ValueError(f"{what} must be between 0 and {span_text(limit)}")
    return seconds


def span_text(seconds: float) -> str:
    """Seconds for people: 2400 → "40 min", 90 → "90 s", 259200 → "3 d"."""
    for unit, size in (("d", 86_400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"
