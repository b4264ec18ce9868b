"""Input and output of the commands: a file path or standard input, read as capped bytes; human output
with every control character a stranger could have put in it (an eventTypeKey, a keyValue, a server's
status text, headers or body) written as a visible escape; JSON output exact and terminal-safe."""

from __future__ import annotations

import json
import re
import sys
from typing import Any, TextIO

from yespo_console.core.errors import InputError
from yespo_console.core.terminal import printable
from yespo_console.core.textfiles import MAX_FILE_BYTES, read_file, read_stream


def read_input(source: str | None, what: str = "file", limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of FILE, or of standard input for `-` or no argument; InputError past `limit` bytes."""
    if source in (None, "-"):
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("no input: give a FILE or pipe a body into standard input (use - for stdin)")
        return read_stream(sys.stdin.buffer, "standard input", limit, what)
    return read_file(source, what, limit)


def say(text: str = "", *, file: TextIO | None = None, flush: bool = False) -> None:
    """Print a line (or several) of human output, control characters escaped (line breaks and tabs kept)."""
    print(printable(text, multiline=True), file=file or sys.stdout, flush=flush)


# Inside a JSON document these can only sit in strings, where \uXXXX means the same character: escaping
# them keeps the JSON exact while no terminal ever receives them raw (a lone surrogate cannot even be
# written as UTF-8). The encoder already escapes the C0 controls.
_UNSAFE_IN_JSON = re.compile("[\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def safe_json(text: str) -> str:
    """JSON text (as a JSON encoder writes it) with only printable characters, meaning the same."""
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def print_json(value: Any) -> None:
    """Print `value` as one line of JSON: readable non-ASCII text, and only printable characters."""
    print(safe_json(json.dumps(value, ensure_ascii=False)))


def fail(message: str, code: int = 2) -> int:
    say(f"yespo-console: {message}", file=sys.stderr)
    return code
