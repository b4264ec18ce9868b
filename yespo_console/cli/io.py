"""Reading input for the commands: a file path or standard input, as bytes."""

from __future__ import annotations

import sys

from yespo_console.core.errors import InputError
from yespo_console.core.textfiles import read_file


def read_input(source: str | None) -> bytes:
    """The bytes of FILE, or of standard input for `-` or no argument."""
    if source in (None, "-"):
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("no input: give a FILE or pipe a body into standard input (use - for stdin)")
        return sys.stdin.buffer.read()
    return read_file(source)


def fail(message: str, code: int = 2) -> int:
    print(f"yespo-console: {message}", file=sys.stderr)
    return code
