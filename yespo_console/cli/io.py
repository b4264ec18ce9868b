"""Reading input for the commands: a file path or standard input, as bytes."""

from __future__ import annotations

import sys
from pathlib import Path

from yespo_console.core.errors import InputError


def read_input(source: str | None) -> bytes:
    """The bytes of FILE, or of standard input for `-` or no argument."""
    if source in (None, "-"):
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("no input: give a FILE or pipe a body into standard input (use - for stdin)")
        return sys.stdin.buffer.read()
    path = Path(source)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{source}: is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot be read ({exc.strerror or exc})") from None


def fail(message: str, code: int = 2) -> int:
    print(f"yespo-console: {message}", file=sys.stderr)
    return code
