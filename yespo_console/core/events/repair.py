"""Repair of the documentation's own broken examples.

The main doc prints nested JSON inside a string without escaping its quotes:

    "value": "{"location":"https://example.com"}"

which is not JSON. When a string that starts with `{` or `[` ends early and the text after it is not
a delimiter, we read a balanced JSON value from that point; if it parses and a closing quote follows
(allowing stray closing brackets, as in the doc's productViewed example), the intent is unambiguous
and the value is re-encoded with a JSON encoder, as an escaped string or as a real object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from yespo_console.core.events.payload import NestedEncoding, dump_json

_DELIMITERS = frozenset(",:}]")
_MAX_STRAY = 4


@dataclass(frozen=True, slots=True)
class NestedSpot:
    """One string that holds unescaped JSON: text[start:end] is the whole broken string literal."""

    start: int
    end: int
    inner: str  # the balanced JSON text found inside
    stray: str  # closing brackets after the value that had no opener (dropped by the repair)
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class RepairResult:
    text: str
    changes: tuple[str, ...]


def _string_end(text: str, quote: int) -> int:
    """Index of the quote closing the JSON string that opens at `quote`, or -1."""
    i = quote + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            return i
        i += 1
    return -1


def _balanced_end(text: str, start: int) -> int:
    """End (exclusive) of the bracketed JSON value starting at text[start], or -1."""
    depth = 0
    in_string = False
    i = start
    while i < len(text):
        char = text[i]
        if in_string:
            if char == "\\":
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _next_non_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _location(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _spot_at(text: str, quote: int) -> NestedSpot | None:
    opener = quote + 1
    if opener >= len(text) or text[opener] not in "{[":
        return None
    end = _balanced_end(text, opener)
    if end < 0:
        return None
    inner = text[opener:end]
    try:
        json.loads(inner)
    except (ValueError, RecursionError):  # nested past what the parser (and any server) takes: not a spot
        return None
    i = _next_non_space(text, end)
    stray_start = i
    while i < len(text) and text[i] in "}]" and i - stray_start < _MAX_STRAY:
        i = _next_non_space(text, i + 1)
    if i >= len(text) or text[i] != '"':
        return None
    after = _next_non_space(text, i + 1)
    if after < len(text) and text[after] not in _DELIMITERS:
        return None
    stray = "".join(ch for ch in text[stray_start:i] if ch in "}]")
    line, column = _location(text, quote)
    return NestedSpot(quote, i + 1, inner, stray, line, column)


def find_unescaped_nested(text: str) -> list[NestedSpot]:
    """Every string literal whose nested JSON was pasted without escaping its quotes."""
    spots: list[NestedSpot] = []
    i = 0
    while i < len(text):
        if text[i] != '"':
            i += 1
            continue
        end = _string_end(text, i)
        if end < 0:
            break
        follower = _next_non_space(text, end + 1)
        if follower >= len(text) or text[follower] in _DELIMITERS:
            i = end + 1  # an ordinary, well-formed string
            continue
        spot = _spot_at(text, i)
        if spot is None:
            i = end + 1
            continue
        spots.append(spot)
        i = spot.end
    return spots


def repair(text: str, *, nested: NestedEncoding = "string", pretty: bool = True) -> RepairResult | None:
    """The repaired body, or None when the text has no repairable spot or is still not JSON after it."""
    spots = find_unescaped_nested(text)
    if not spots:
        return None
    pieces: list[str] = []
    changes: list[str] = []
    cursor = 0
    for spot in spots:
        value: Any = json.loads(spot.inner)
        encoded = dump_json(value) if nested == "string" else value
        pieces.append(text[cursor:spot.start])
        pieces.append(json.dumps(encoded, ensure_ascii=False))
        cursor = spot.end
        how = "escaped as a JSON string" if nested == "string" else "turned into a JSON object"
        change = f"line {spot.line}, column {spot.column}: nested JSON {how}"
        if spot.stray:
            change += f"; stray {spot.stray!r} after it dropped"
        changes.append(change)
    pieces.append(text[cursor:])
    repaired = "".join(pieces)
    try:
        body = json.loads(repaired)
    except (ValueError, RecursionError):
        return None
    return RepairResult(dump_json(body, pretty=pretty), tuple(changes))
