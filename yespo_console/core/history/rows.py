"""The exchange table's columns in one list, `COLUMNS`: what each holds, how a value is written to it
and read back, and which field of a request or a result fills it when a send begins or ends. Every
statement that writes or reads whole rows is built from that list: the insert of a row
(`row_values`, and `pending_values` when a send begins), the update when its answer comes
(`result_values`), and the selects that give back an `Exchange` or an `ExchangeSummary`, whose
fields are the columns of the same names, read by name. Adding a column is one entry here, a field
of `Exchange` and a migration in `db`. The conversions run once per value on the hot paths (each send,
each page of the history list), so each path's list is worked out once, when the module loads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from operator import attrgetter
from typing import Any, TypeVar

from yespo_console.core.errors import StoreError
from yespo_console.core.history.models import Exchange, ExchangeSummary, Headers, from_micros, to_micros
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.masking import mask_headers, mask_url
from yespo_console.core.http.outcome import Outcome

T = TypeVar("T")
Convert = Callable[[Any], Any]


def storable(text: str | None) -> str | None:
    """Text SQLite can hold: a lone surrogate (a JSON body may carry one, as `\\ud800`, into a keyValue or
    a diagnostic) cannot be written as UTF-8, so it is kept as that escape, in text; the body keeps the
    exact bytes."""
    if text is None or text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _masked(headers: Iterable[tuple[str, str]]) -> Headers:
    # The client masks already; the store masks again so that no caller can ever leak a key into it.
    return tuple(mask_headers(headers))


def headers_json(headers: Iterable[tuple[str, str]]) -> str:
    return storable(json.dumps([[name, value] for name, value in _masked(headers)], ensure_ascii=False)) or "[]"


def request_headers_json(headers: Iterable[tuple[str, str]]) -> str:
    """`headers_json` for request headers: a client hands over the same (immutable) tuple with
    every request, so the last one is remembered, by identity. (Answers differ, by their Date if
    nothing else.)"""
    global _last_request_headers
    last = _last_request_headers
    if headers is last[0]:
        return last[1]
    text = headers_json(headers)
    if type(headers) is tuple and all(type(pair) is tuple for pair in headers):
        _last_request_headers = (headers, text)
    return text


_last_request_headers: tuple[object, str] = (None, "")


def _headers_from_json(text: str) -> Headers:
    return tuple((str(name), str(value)) for name, value in json.loads(text))


def _diagnostics_json(diagnostics: Sequence[Any]) -> str:
    if not diagnostics:
        return "[]"
    return storable(json.dumps(list(diagnostics), ensure_ascii=False, default=str)) or "[]"


def _diagnostics_from_json(text: str) -> tuple[dict[str, Any], ...]:
    findings = json.loads(text)
    if not isinstance(findings, list) or not all(isinstance(finding, dict) for finding in findings):
        raise ValueError("not a list of findings")
    return tuple(findings)


def _optional_micros(moment: datetime | None) -> int | None:
    return None if moment is None else to_micros(moment)


def _optional_time(value: int | None) -> datetime | None:
    return None if value is None else from_micros(value)


def _outcome_value(outcome: Outcome) -> str:
    return outcome.value


_OUTCOMES = {outcome.value: outcome for outcome in Outcome}


def _outcome(value: str) -> Outcome:
    # A dictionary look-up, several times cheaper than Outcome(value), which stays to refuse a stranger.
    found = _OUTCOMES.get(value)
    return Outcome(value) if found is None else found


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # the column, and the field of `Exchange` (and of `ExchangeSummary`) that holds its value
    to_sql: Convert | None = None  # field value -> stored value; None: stored as it is
    from_sql: Convert | None = None  # stored value -> field value; None: read as it is
    request: str | None = None  # the `ExchangeRequest` field a pending row takes it from
    result: str | None = None  # the `ExchangeResult` field that fills it in when the answer comes

    def stored(self, value: Any) -> Any:
        return value if self.to_sql is None else self.to_sql(value)


COLUMNS = (
    Column("started_at", to_micros, from_micros, request="started_at"),
    Column("finished_at", _optional_micros, _optional_time, result="finished_at"),
    Column("environment", storable, request="environment"),
    Column("method", request="method"),
    Column("url", mask_url, request="url"),
    Column("request_headers", request_headers_json, _headers_from_json, request="headers"),
    Column("request_body", bytes, bytes, request="body"),
    Column("event_type", storable, request="event_type"),
    Column("key_value", storable, request="key_value"),
    Column("key_value_source", storable, request="key_value_source"),
    Column("diagnostics", _diagnostics_json, _diagnostics_from_json, request="diagnostics"),
    Column("outcome", _outcome_value, _outcome, result="outcome"),
    Column("status", result="status"),
    Column("response_headers", headers_json, _headers_from_json, result="headers"),
    Column("response_body", bytes, bytes, result="body"),
    Column("duration_ms", result="duration_ms"),
    Column("error", storable, result="error"),
    Column("run_id", storable, request="run_id"),
    Column("note", storable, request="note"),
    Column("starred", int, bool),
    Column("kind", request="kind"),
)
ID = Column("id")  # given by SQLite on insert, never written
WRITER_COLUMNS = ("writer_pid", "writer_token")  # who will complete a pending row (see HistoryStore)

_BY_NAME = {column.name: column for column in (ID, *COLUMNS)}
# Where each column's value sits in what `row_values` and `pending_values` return.
POSITION = {column.name: index for index, column in enumerate(COLUMNS)}

INSERT_SQL = (f"INSERT INTO exchange ({', '.join([*POSITION, *WRITER_COLUMNS])}) "
              f"VALUES ({', '.join('?' * (len(COLUMNS) + len(WRITER_COLUMNS)))})")


_Conversions = tuple[tuple[int, Convert], ...]


def _conversions(converters: Iterable[Convert | None]) -> _Conversions:
    """The positions whose value is converted, with the function: most are stored as they are."""
    return tuple((position, convert) for position, convert in enumerate(converters) if convert is not None)


def _converted(conversions: _Conversions, values: Iterable[Any]) -> list[Any]:
    # A copy with the few converted values replaced: cheaper than a test on every value.
    converted = list(values)
    for position, convert in conversions:
        converted[position] = convert(converted[position])
    return converted


_EXCHANGE_VALUES = attrgetter(*POSITION)
_TO_SQL = _conversions(column.to_sql for column in COLUMNS)


def row_values(exchange: Exchange, *, writer: tuple[int, str] | None = None) -> tuple[Any, ...]:
    """The values `INSERT_SQL` takes for a whole exchange (its id aside)."""
    return (*_converted(_TO_SQL, _EXCHANGE_VALUES(exchange)), *(writer or (None, None)))


_DEFAULTS = {field.name: field.default for field in fields(Exchange)}
# A pending row holds, until the answer comes, an Exchange's defaults, stored once and for all, and
# the request's fields.
_PENDING_ROW = tuple(None if column.request else column.stored(_DEFAULTS[column.name]) for column in COLUMNS)
_FROM_REQUEST = tuple((POSITION[column.name], column.request, column.to_sql) for column in COLUMNS if column.request)


def pending_values(request: ExchangeRequest, writer: tuple[int, str]) -> tuple[Any, ...]:
    """What `begin` inserts: `row_values` of the pending exchange `request` starts, without building
    that Exchange (this runs once per send, just before the request leaves)."""
    values = list(_PENDING_ROW)
    for position, field, to_sql in _FROM_REQUEST:
        value = getattr(request, field)
        values[position] = value if to_sql is None else to_sql(value)
    return (*values, *writer)


_FROM_RESULT = tuple(column for column in COLUMNS if column.result)
_RESULT_VALUES = attrgetter(*(column.result for column in COLUMNS if column.result))
_RESULT_TO_SQL = _conversions(column.to_sql for column in _FROM_RESULT)
COMPLETE_SQL = (f"UPDATE exchange SET {', '.join(f'{column.name} = ?' for column in _FROM_RESULT)}, "
                f"{', '.join(f'{name} = NULL' for name in WRITER_COLUMNS)} WHERE id = ?")


def result_values(exchange_id: int, result: ExchangeResult) -> tuple[Any, ...]:
    """The values `COMPLETE_SQL` takes to fill in the answer of row `exchange_id`."""
    if result.outcome is Outcome.PENDING:
        raise ValueError("complete() needs a final outcome, not pending")
    return (*_converted(_RESULT_TO_SQL, _RESULT_VALUES(result)), exchange_id)


class DamagedRowError(StoreError):
    """A row whose stored value cannot be read back (edited by hand, written by a broken tool)."""

    def __init__(self, exchange_id: Any, column: str, reason: str) -> None:
        super().__init__(f"exchange #{exchange_id} in the history is damaged: its {column} {reason}")
        self.exchange_id = exchange_id


# What a converter raises on a stored value of the wrong kind: bad JSON, text where a number belongs, a
# value no Outcome has, a number out of range.
_BAD_VALUE = (ValueError, TypeError, OverflowError, AttributeError)


def _reader(kind: Callable[..., T], names: Sequence[str]) -> tuple[str, Callable[[Sequence[Any]], T]]:
    """The select list of the columns `names`, which are `kind`'s fields in their order (the id first), and
    the function making a `kind` of a row read with it: each value goes to the field of its column's name.
    A value that cannot be converted raises DamagedRowError naming the row and the column."""
    from_sql = _conversions(_BY_NAME[name].from_sql for name in names)

    def read(row: Sequence[Any]) -> T:
        try:
            return kind(*_converted(from_sql, row))
        except _BAD_VALUE:
            for position, convert in from_sql:
                try:
                    convert(row[position])
                except _BAD_VALUE as exc:
                    raise DamagedRowError(row[0], names[position], f"cannot be read ({exc})") from None
            raise

    return ", ".join(f"e.{name}" for name in names), read


def read_rows(read: Callable[[Sequence[Any]], T], fetched: Iterable[Sequence[Any]],
              damaged: dict[Any, DamagedRowError]) -> list[T]:
    """The values of the rows that can be read; each damaged one is left out and noted in `damaged`, by id, so
    that one bad row never hides the others."""
    values = []
    for row in fetched:
        try:
            values.append(read(row))
        except DamagedRowError as exc:
            damaged[exc.exchange_id] = exc
    return values


SUMMARY_SELECT, summary_from_row = _reader(ExchangeSummary, [field.name for field in fields(ExchangeSummary)])
EXCHANGE_SELECT, exchange_from_row = _reader(Exchange, [field.name for field in fields(Exchange)])
