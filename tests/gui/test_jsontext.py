"""The window's one reader for JSON it did not write: hostile text is None, never a traceback."""

from __future__ import annotations

import pytest

from yespo_console.gui.jsontext import parse_json, pretty_json


@pytest.mark.parametrize("text", ["{not json", b"\xff\xfe", "[" * 100_000 + "]" * 100_000, ""])
def test_what_does_not_parse_is_none(text: str | bytes) -> None:
    assert parse_json(text) is None
    assert pretty_json(text) is None


def test_json_parses_and_is_indented() -> None:
    assert parse_json(b'{"a": [1]}') == {"a": [1]}
    assert pretty_json('{"a":"é"}') == '{\n  "a": "é"\n}'
