"""One exception hierarchy for the core; library errors are mapped to these at the boundary."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pydantic is loaded by the modules that validate, not by everything that raises
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails


class YespoConsoleError(Exception):
    """Base of every error the core raises on purpose. The message is meant for a person."""


class InputError(YespoConsoleError):
    """Input that cannot be used: an unreadable file, a malformed scenario, a bad argument."""


class StoreError(YespoConsoleError):
    """The history store cannot do what was asked (locked, corrupt, newer schema, full disk)."""


class SecretStoreError(YespoConsoleError):
    """No usable keyring and no environment fallback for a secret."""


def validation_error_text(error: ErrorDetails) -> str:
    """One pydantic error's message as a person should read it (without pydantic's "Value error, " prefix)."""
    return str(error.get("msg", "")).removeprefix("Value error, ")


def validation_message(exc: ValidationError) -> str:
    """A pydantic ValidationError in one line: `where: what; where: what`."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        message = validation_error_text(error)
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)
