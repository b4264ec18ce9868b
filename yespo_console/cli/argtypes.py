"""Argument types shared by the commands: a plain message for each bad value, never a traceback."""

from __future__ import annotations

import argparse
from collections.abc import Callable

MAX_RETRIES = 10  # --retries of send, run and past-events


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from `minimum` to `maximum` (no upper bound when None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if maximum is None and value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more: {value}")
        if maximum is not None and not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"must be between {minimum} and {maximum}: {value}")
        return value

    return parse
