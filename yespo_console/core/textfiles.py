"""Reading the files and texts a user hands over (scenarios, contact CSVs, past events, history imports,
bodies): plain errors that name the file and, where it helps, the line."""

from __future__ import annotations

from pathlib import Path

from yespo_console.core.errors import InputError


class NotUtf8Error(InputError):
    """Bytes that are not UTF-8 text; `line` is the 1-based line of the first bad byte."""

    def __init__(self, source: str, line: int, hint: str = "") -> None:
        super().__init__(f"{source}:{line}: not UTF-8 text{f' ({hint})' if hint else ''}")
        self.source = source
        self.line = line


def read_file(path: str | Path, what: str = "file") -> bytes:
    """The bytes of a file the user named, or InputError saying in plain words why not."""
    source = str(path)
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{source}: is a folder, not a {what}") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot be read ({exc.strerror or exc})") from None


def decode_text(data: bytes, source: str, hint: str = "") -> str:
    """UTF-8 text without a leading BOM (editors on Windows add one); NotUtf8Error naming the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUtf8Error(source, data[: exc.start].count(b"\n") + 1, hint) from None


def read_text(path: str | Path, what: str = "file", hint: str = "") -> str:
    """`read_file` then `decode_text`."""
    return decode_text(read_file(path, what), str(path), hint)
