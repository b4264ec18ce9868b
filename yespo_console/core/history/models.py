"""The values the history store hands out and takes in: filters, list rows, whole exchanges."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from yespo_console.core.http.exchange import ExchangeKind, ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome

Headers = tuple[tuple[str, str], ...]


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken as local time, as a person typing it means."""
    return moment.astimezone(UTC)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(moment: datetime) -> int:
    """Microseconds since 1970 UTC: how the store keeps times (exact, compact, ordered)."""
    return (as_utc(moment) - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    # Positional: a keyword argument costs timedelta a third more, on every time of every row read.
    return _EPOCH + timedelta(0, 0, value)


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """Which exchanges to list, count or export. Every field left None does not filter.

    `outcome` takes one Outcome or several (any of them matches; kept as a tuple, so a filter is
    hashable and can key a cache). `since` is inclusive, `until`
    exclusive; naive datetimes are local time. `search` is what a person typed: words (all must
    occur), "quoted phrases", and a trailing `*` for a prefix; nothing in it can break the query.
    `verified` True keeps the exchanges with a verification kept (what followed them), False those
    without."""

    event_type: str | None = None
    outcome: Outcome | Sequence[Outcome] | None = None
    status: int | None = None
    environment: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    run_id: str | None = None
    starred: bool | None = None
    search: str | None = None
    kind: ExchangeKind | None = None
    verified: bool | None = None

    def __post_init__(self) -> None:
        value: Any = self.outcome
        if value is not None and not isinstance(value, Outcome):
            if isinstance(value, str):
                value = Outcome(value)
            else:
                value = tuple(Outcome(item) for item in value)
                if len(value) == 1:
                    value = value[0]
            object.__setattr__(self, "outcome", value)

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        if self.outcome is None:
            return ()
        return (self.outcome,) if isinstance(self.outcome, Outcome) else tuple(self.outcome)


@dataclass(frozen=True, slots=True)
class ExchangeSummary:
    """One row of a history list: what a table shows without loading bodies."""

    id: int
    started_at: datetime
    environment: str
    url: str
    event_type: str | None
    key_value: str | None
    status: int | None
    outcome: Outcome
    duration_ms: float | None
    starred: bool
    note: str


@dataclass(frozen=True, slots=True)
class Exchange:
    """Everything kept about one exchange. Headers are masked; bodies are the exact bytes."""

    id: int
    started_at: datetime
    environment: str
    url: str
    method: str = "POST"
    request_headers: Headers = ()
    request_body: bytes = b""
    event_type: str | None = None
    key_value: str | None = None
    key_value_source: str | None = None
    diagnostics: tuple[dict[str, Any], ...] = ()
    outcome: Outcome = Outcome.PENDING
    status: int | None = None
    response_headers: Headers = ()
    response_body: bytes = b""
    duration_ms: float | None = None
    error: str = ""
    finished_at: datetime | None = None
    run_id: str | None = None
    note: str = ""
    starred: bool = False
    kind: ExchangeKind = "send"

    @property
    def summary(self) -> ExchangeSummary:
        return ExchangeSummary(
            id=self.id, started_at=self.started_at, environment=self.environment, url=self.url,
            event_type=self.event_type, key_value=self.key_value, status=self.status,
            outcome=self.outcome, duration_ms=self.duration_ms, starred=self.starred, note=self.note,
        )

    def to_request(self) -> ExchangeRequest:
        """The request as the client would send it again (headers stay masked: add credentials)."""
        return ExchangeRequest(
            url=self.url, body=self.request_body, environment=self.environment, method=self.method,
            headers=self.request_headers, event_type=self.event_type, key_value=self.key_value,
            key_value_source=self.key_value_source, diagnostics=self.diagnostics, run_id=self.run_id,
            note=self.note, started_at=self.started_at, kind=self.kind,
        )

    def to_result(self) -> ExchangeResult | None:
        """The result, or None while pending."""
        if self.outcome is Outcome.PENDING:
            return None
        return ExchangeResult(
            outcome=self.outcome, status=self.status, headers=self.response_headers,
            body=self.response_body, duration_ms=self.duration_ms, error=self.error,
            finished_at=self.finished_at or self.started_at,
        )


@dataclass(frozen=True, slots=True)
class HistoryStats:
    total: int
    pending: int
    by_outcome: dict[str, int] = field(default_factory=dict)
    by_event_type: dict[str, int] = field(default_factory=dict)
    oldest: datetime | None = None
    newest: datetime | None = None
    file_bytes: int = 0


# A quoted phrase (closing quote optional, as while typing), or a run of anything else but spaces.
_TERM_RE = re.compile(r'"([^"]*)"?|([^\s"]+)')
# The search index holds every run of three characters: a shorter term has nothing to look up.
MIN_SEARCH_CHARS = 3


def fts_match_expression(text: str) -> str | None:
    """A safe FTS5 MATCH expression for what a person typed, or None when it has nothing to find.

    Each word or "quoted phrase" is looked for as a substring anywhere in the bodies and keyValue
    (all must be found, in any case), so a part of a phone number, an email or an id matches. Every
    term is an FTS5 phrase, so operators, quotes, `@`, `-` or `:` in user text are literal; a trailing
    `*` (the old prefix syntax) is dropped, since every term already matches inside words. Terms of
    fewer than MIN_SEARCH_CHARS characters are left out: the trigram index cannot look them up."""
    parts: list[str] = []
    # FTS5 reads its query as a C string: a NUL would end it inside a quoted phrase. NUL only ever
    # separates tokens, so a space means the same.
    for match in _TERM_RE.finditer(text.replace("\x00", " ")):
        quoted, bare = match.group(1), match.group(2)
        term = quoted if quoted is not None else bare.rstrip("*")
        if len(term) < MIN_SEARCH_CHARS:
            continue
        parts.append('"' + term.replace('"', '""') + '"')
    return " AND ".join(parts) if parts else None
