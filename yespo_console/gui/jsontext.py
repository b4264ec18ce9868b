"""JSON from text the user, the settings file or a server handed over, read without trusting it: text that is
not JSON, not UTF-8 or nested too deep for the parser (brackets thousands deep) is answered with None."""

from __future__ import annotations

import json
from typing import Any


def parse_json(text: str | bytes) -> Any:
    """The value the text holds, or None when it does not parse."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # a UnicodeDecodeError is a ValueError too
        return None


def pretty_json(text: str | bytes) -> str | None:
    """The text as indented JSON, or None when it does not parse."""
    try:
        return json.dumps(json.loads(text), ensure_ascii=False, indent=2)
    except (ValueError, RecursionError):
        return None
