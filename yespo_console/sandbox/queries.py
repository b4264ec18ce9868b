"""Query parameters of the account endpoints, read without trusting them: an unknown or repeated name, a
value over 1,000 characters, a number out of range or a date that is not `YYYY-MM-DD[THH:mm]` is a
`QueryError` whose text is the 400 answer."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from starlette.datastructures import QueryParams

from yespo_console.sandbox.accountdb import now_text

MAX_VALUE = 1000
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?", re.ASCII)


class QueryError(ValueError):
    """A parameter mistake: the text says which and what is expected."""


class Query:
    def __init__(self, params: QueryParams, allowed: Iterable[str], what: str) -> None:
        self._params = params
        self._what = what
        allowed = tuple(allowed)
        for name in params:
            if name not in allowed:
                raise QueryError(f"Unknown query parameter {name[:40]!r}: {what} takes {', '.join(allowed)}.")
            if len(params.getlist(name)) > 1:
                raise QueryError(f"{name} is given more than once.")

    def text(self, name: str) -> str | None:
        value = self._params.get(name)
        if value is None or not value.strip():
            return None
        if len(value) > MAX_VALUE:
            raise QueryError(f"{name} is longer than {MAX_VALUE:,} characters.")
        return value.strip()

    def number(self, name: str, low: int, high: int, default: int) -> int:
        value = self.text(name)
        if value is None:
            return default
        if not (value.isascii() and value.isdigit() and len(value) <= len(str(high)) and low <= int(value) <= high):
            raise QueryError(f"{name} must be a whole number from {low:,} to {high:,}, not {value[:40]!r}.")
        return int(value)

    def date(self, name: str, *, end: bool = False) -> str:
        """A required date as the stored moment text: the start of the day or minute, or for `end` the first
        moment after it (so dateTo=2024-05-01 takes in the whole day)."""
        value = self.text(name)
        if value is None:
            raise QueryError(f"{name} is required: a date YYYY-MM-DD or a date and time YYYY-MM-DDTHH:mm.")
        match = _DATE.fullmatch(value)
        try:
            if match is None:
                raise ValueError
            year, month, day, hour, minute, second = (int(part) if part else None for part in match.groups())
            assert year is not None and month is not None and day is not None
            moment = datetime(year, month, day, hour or 0, minute or 0, second or 0, tzinfo=UTC)
        except ValueError:
            raise QueryError(f"{name} {value[:40]!r} is not a date YYYY-MM-DD or a date and time "
                             "YYYY-MM-DDTHH:mm.") from None
        if end:
            step = timedelta(days=1) if hour is None else timedelta(minutes=1) if second is None else timedelta(
                seconds=1)
            moment = moment + step if moment < datetime.max.replace(tzinfo=UTC) - step else moment
        return now_text(moment)

    def period(self) -> tuple[str, str]:
        date_from, date_to = self.date("dateFrom"), self.date("dateTo", end=True)
        if date_from >= date_to:
            raise QueryError("dateFrom must be before dateTo.")
        return date_from, date_to

    def one_of(self, names: Iterable[str], *, required: bool) -> tuple[str, str] | None:
        """The one locator given among `names`; QueryError when there are more (or none and one is required)."""
        names = tuple(names)
        given = [(name, value) for name in names if (value := self.text(name)) is not None]
        if len(given) > 1:
            raise QueryError(f"Give one of {', '.join(names)}, not {' and '.join(name for name, _ in given)}.")
        if not given and required:
            raise QueryError(f"{self._what} needs one of {', '.join(names)}.")
        return given[0] if given else None

    def choices(self, name: str, allowed: Iterable[str]) -> tuple[str, ...]:
        """A comma-separated list of values from `allowed` (case-insensitive); () when absent."""
        value = self.text(name)
        if value is None:
            return ()
        allowed = {item.lower(): item for item in allowed}
        chosen = []
        for part in (item.strip() for item in value.split(",") if item.strip()):
            if part.lower() not in allowed:
                raise QueryError(f"{name}: {part[:40]!r} is not one of {', '.join(sorted(set(allowed.values())))}.")
            chosen.append(allowed[part.lower()])
        return tuple(chosen)
