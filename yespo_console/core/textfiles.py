"""Reading the files and texts a user hands over (scenarios, contact CSVs, past events, history imports,
bodies): plain errors that name the file and, where it helps, the line, and a size cap on every read.

The cap is counted on the bytes read, not taken from the file's size: a device (`/dev/zero`), a FIFO or
a symlink to one reports no size and would otherwise be read until memory runs out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from yespo_console.core.errors import InputError

# What any one file handed to a command may hold; callers with a smaller natural bound pass their own.
MAX_FILE_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024


class NotUtf8Error(InputError):
    """Bytes that are not UTF-8 text; `line` is the 1-based line of the first bad byte."""

    def __init__(self, source: str, line: int, hint: str = "") -> None:
        super().__init__(f"{source}:{line}: not UTF-8 text{f' ({hint})' if hint else ''}")
        self.source = source
        self.line = line


class TooLargeError(InputError):
    """More bytes than the cap allows."""

    def __init__(self, source: str, limit: int, what: str = "file") -> None:
        super().__init__(f"{source}: larger than {size_text(limit)}, the most a {what} may hold")
        self.source = source
        self.limit = limit


def size_text(count: int) -> str:
    """A byte count as a person reads it: 64 MB, 5 MB, 20 KB, 300 bytes."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= factor and count % factor == 0:
            return f"{count // factor} {unit}"
    return f"{count:,} bytes"


def read_stream(stream: BinaryIO, source: str, limit: int = MAX_FILE_BYTES, what: str = "file") -> bytes:
    """At most `limit` bytes of an open stream; TooLargeError when it holds more."""
    parts: list[bytes] = []
    total = 0
    while True:
        part = stream.read(min(_CHUNK, limit + 1 - total))
        if not part:
            return b"".join(parts)
        parts.append(part)
        total += len(part)
        if total > limit:
            raise TooLargeError(source, limit, what)


def _open_error(exc: OSError, source: str, what: str) -> InputError:
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{source}: no such file")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{source}: is a folder, not a {what}")
    return InputError(f"{source}: cannot be read ({exc.strerror or exc})")


def read_file(path: str | Path, what: str = "file", limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a file the user named, or InputError saying in plain words why not (TooLargeError
    past `limit` bytes, whatever kind of file it is)."""
    source = str(path)
    try:
        with open(path, "rb", buffering=0) as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > limit:  # a regular file too large is refused unread
                raise TooLargeError(source, limit, what)
            return read_stream(stream, source, limit, what)
    except OSError as exc:
        raise _open_error(exc, source, what) from None


def iter_lines(path: str | Path, what: str = "file", line_limit: int = MAX_FILE_BYTES) -> Iterator[bytes]:
    """The lines of a file of any size (line breaks kept), one at a time, each at most `line_limit` bytes
    (TooLargeError naming the line, past it)."""
    with open_file(path, what) as stream:
        yield from stream_lines(stream, str(path), line_limit)


def open_file(path: str | Path, what: str = "file") -> BinaryIO:
    """A file the user named, open for reading bytes, or InputError saying in plain words why not."""
    try:
        return open(path, "rb")
    except OSError as exc:
        raise _open_error(exc, str(path), what) from None


def stream_lines(stream: BinaryIO, source: str, line_limit: int = MAX_FILE_BYTES) -> Iterator[bytes]:
    """`iter_lines` over an open stream (standard input)."""
    number = 0
    while True:
        try:
            line = stream.readline(line_limit + 1)
        except OSError as exc:
            raise InputError(f"{source}: cannot be read ({exc.strerror or exc})") from None
        if not line:
            return
        number += 1
        if len(line) > line_limit and not (len(line) == line_limit + 1 and line.endswith(b"\n")):
            raise TooLargeError(f"{source}:{number}", line_limit, "line")
        yield line


def decode_text(data: bytes, source: str, hint: str = "") -> str:
    """UTF-8 text without a leading BOM (editors on Windows add one); NotUtf8Error naming the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUtf8Error(source, data[: exc.start].count(b"\n") + 1, hint) from None


def read_text(path: str | Path, what: str = "file", hint: str = "", limit: int = MAX_FILE_BYTES) -> str:
    """`read_file` then `decode_text`."""
    return decode_text(read_file(path, what, limit), str(path), hint)
