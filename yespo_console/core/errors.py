"""One exception hierarchy for the core; library errors are mapped to these at the boundary."""

from __future__ import annotations

from pathlib import Path


class YespoConsoleError(Exception):
    """Base of every error the core raises on purpose. The message is meant for a person."""


class InputError(YespoConsoleError):
    """Input that cannot be used: an unreadable file, a malformed scenario, a bad argument."""


class StoreError(YespoConsoleError):
    """The history store cannot do what was asked (locked, corrupt, newer schema, full disk)."""


class SecretStoreError(YespoConsoleError):
    """No usable keyring and no environment fallback for a secret."""


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
