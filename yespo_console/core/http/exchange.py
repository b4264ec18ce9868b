"""One request/response exchange, as the client produces it and the history store keeps it.

This is the contract between the client (which sends) and the history store (which records):
the client calls `recorder.begin(request)` before the request leaves and `recorder.complete(id,
result)` when the answer or the error arrives. Headers here are always already masked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from yespo_console.core.http.outcome import Outcome


def new_run_id(name: str = "run") -> str:
    """`abandoned-cart-20250601T143000-1a2b`: sortable, readable in `history list --run-id`."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")[:40] or "run"
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"{slug}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(2)}"


def utc_now() -> datetime:
    return datetime.now(UTC)


# What an exchange was: an event the console sent ("send"), a read or write of the account to follow an event
# up ("lookup": contacts, activity, orders), or a foreign client's request relayed to Yespo ("proxied").
ExchangeKind = Literal["send", "lookup", "proxied"]
EXCHANGE_KINDS: tuple[ExchangeKind, ...] = ("send", "lookup", "proxied")


@dataclass(frozen=True, slots=True)
class ExchangeRequest:
    url: str
    body: bytes
    environment: str = "sandbox"
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = ()  # masked
    event_type: str | None = None
    key_value: str | None = None
    key_value_source: str | None = None  # "keyValue", a locator name, or None
    diagnostics: tuple[dict[str, Any], ...] = ()  # Finding.as_dict() at send time
    run_id: str | None = None
    note: str = ""
    started_at: datetime = field(default_factory=utc_now)
    kind: ExchangeKind = "send"


@dataclass(frozen=True, slots=True)
class ExchangeResult:
    outcome: Outcome
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    duration_ms: float | None = None
    error: str = ""  # a plain explanation for people, never a secret
    finished_at: datetime = field(default_factory=utc_now)


class ExchangeRecorder(Protocol):
    def begin(self, request: ExchangeRequest) -> int: ...

    def complete(self, exchange_id: int, result: ExchangeResult) -> None: ...
