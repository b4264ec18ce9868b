"""What followed an exchange: the verification kept with it (schema v5's `verification` table), the latest
one per exchange. The detail is the verifier's JSON, already masked by the caller; one too large to keep
whole is kept as its status and summary only.

Also its forms outside the store: the object exports carry (`verification` in an NDJSON record and in
`history show --json`, `_yespoVerification` in a HAR entry), read back by `record_in` with every field
checked, and the few words `history list` shows for it (`followed_text`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from yespo_console.core.errors import InputError
from yespo_console.core.history.models import Exchange, as_utc, from_micros, to_micros

MAX_DETAIL_CHARS = 256 * 1024
MAX_SUMMARY_CHARS = 4000
STATUSES = ("linked", "nothing", "contact_not_found", "contact_unknown", "error", "cancelled")
# How exports look verifications up: HistoryStore.verifications.
Lookup = Callable[[Sequence[int]], Mapping[int, "VerificationRecord"]]


@dataclass(frozen=True, slots=True)
class VerificationRecord:
    exchange_id: int
    verified_at: datetime
    status: str  # linked, nothing, contact_not_found, contact_unknown, error, cancelled
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def linked(self) -> bool:
        return self.status == "linked"


def save(conn: sqlite3.Connection, record: VerificationRecord) -> None:
    detail = json.dumps(record.detail, ensure_ascii=False)
    if len(detail) > MAX_DETAIL_CHARS:
        detail = json.dumps({"status": record.status, "summary": record.summary, "truncated": True})
    conn.execute(
        "INSERT OR REPLACE INTO verification(exchange_id, verified_at, status, summary, detail) "
        "SELECT id, ?, ?, ?, ? FROM exchange WHERE id = ?",
        (to_micros(record.verified_at), record.status, record.summary, detail, record.exchange_id),
    )


def load_many(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, VerificationRecord]:
    found: dict[int, VerificationRecord] = {}
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        marks = ",".join("?" * len(chunk))
        for exchange_id, at, status, summary, detail in conn.execute(
            f"SELECT exchange_id, verified_at, status, summary, detail FROM verification "
            f"WHERE exchange_id IN ({marks})", chunk,
        ):
            found[exchange_id] = VerificationRecord(exchange_id, from_micros(at), str(status), str(summary),
                                                    _detail(detail))
    return found


def _detail(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


# -- outside the store: the export record, its checked reader, the list's words -----------------------------


def contact_found(record: VerificationRecord) -> bool | None:
    """Whether the event's contact was found; None when it was never looked up (no locator, an error)."""
    if record.status == "contact_not_found":
        return False
    return True if isinstance(record.detail.get("contact"), dict) else None


def to_record(record: VerificationRecord) -> dict[str, Any]:
    """The verification as exports carry it: the verifier's detail (contact, activities with their workflow's
    name, messages with channel, status and time), its status and summary, when it was checked, and whether
    the contact was found."""
    return {**record.detail, "status": record.status, "summary": record.summary,
            "verifiedAt": as_utc(record.verified_at).isoformat(timespec="microseconds"),
            "contactFound": contact_found(record)}


_SCALARS = (str, int, float, bool, type(None))
_DERIVED = ("verifiedAt", "contactFound")  # given by to_record, not kept in the detail


def record_in(value: Any, where: str) -> VerificationRecord:
    """A verification from `to_record` output (its exchange id 0, given on import); InputError naming WHERE
    and the field when it is not one: every field of the shape the verifier writes is checked, so deep
    nesting, oversize text and wrong types are refused."""
    where = f"{where}: verification"
    if not isinstance(value, dict):
        raise InputError(f"{where} is not an object")
    status, summary, at = value.get("status"), value.get("summary"), value.get("verifiedAt")
    if status not in STATUSES:
        raise InputError(f"{where}: 'status' must be one of {', '.join(STATUSES)}")
    if not isinstance(summary, str) or len(summary) > MAX_SUMMARY_CHARS:
        raise InputError(f"{where}: 'summary' must be a text of at most {MAX_SUMMARY_CHARS} characters")
    try:
        verified_at = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        verified_at = None
    if verified_at is None:
        raise InputError(f"{where}: 'verifiedAt' must be an ISO 8601 time")
    if verified_at.tzinfo is None:  # files carry UTC
        verified_at = verified_at.replace(tzinfo=UTC)
    detail = {key: item for key, item in value.items() if key not in _DERIVED}
    for key, item in detail.items():
        _check_field(key, item, where)
    if len(json.dumps(detail, ensure_ascii=False)) > MAX_DETAIL_CHARS:
        raise InputError(f"{where} is larger than {MAX_DETAIL_CHARS // 1024} KB")
    return VerificationRecord(0, verified_at, status, summary, detail)


@dataclass(frozen=True, slots=True)
class Imported:
    """An exchange read from a file, with the verification it carried, or why that was left out (the
    exchange comes in either way)."""

    exchange: Exchange
    verification: VerificationRecord | None = None
    refused: str | None = None


def imported(exchange: Exchange, value: Any, where: str) -> Imported:
    """EXCHANGE with the verification VALUE a file gave it (None: none)."""
    if value is None:
        return Imported(exchange)
    try:
        return Imported(exchange, record_in(value, where))
    except InputError as exc:
        return Imported(exchange, refused=f"{exc}; the exchange is imported without it")


def _check_field(key: str, item: Any, where: str) -> None:
    """The verifier's detail is flat but for these few fields, each of a known shape (Verification.as_dict)."""
    if key in ("activities", "messages"):
        _check_list(key, item, where, _check_flat)
    elif key == "problems":
        _check_list(key, item, where, lambda name, entry, at: None if isinstance(entry, str) else _wrong(name, at))
    elif key in ("contact", "locator", "error"):
        if item is not None:
            _check_flat(key, item, where, nested="channels" if key == "contact" else None)
    elif not isinstance(item, _SCALARS):
        _wrong(key, where)


def _check_list(key: str, item: Any, where: str, check: Callable[[str, Any, str], None]) -> None:
    if not isinstance(item, list):
        _wrong(key, where)
    for index, entry in enumerate(item):
        check(f"{key}[{index}]", entry, where)


def _check_flat(name: str, item: Any, where: str, nested: str | None = None) -> None:
    if not isinstance(item, dict):
        _wrong(name, where)
    for key, value in item.items():
        if key == nested:
            _check_list(f"{name}.{key}", value, where, _check_flat)
        elif not isinstance(value, _SCALARS):
            _wrong(f"{name}.{key}", where)


def _wrong(name: str, where: str) -> None:
    raise InputError(f"{where}: {name!r} is not of the verifier's shape")


def _span(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 120 or seconds % 60:
        return f"{seconds}s" if seconds < 120 else f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 60}m"


def followed_text(record: VerificationRecord) -> str:
    """What followed the send, in a few words for a list's column: "message email sent", "activity: Abandoned
    cart", "contact not found", "nothing within 2m"."""
    detail = record.detail
    messages = [m for m in detail.get("messages") or () if isinstance(m, dict)]
    activities = [a for a in detail.get("activities") or () if isinstance(a, dict)]
    more = len(messages) + len(activities) - 1
    extra = f" (+{more})" if more > 0 else ""
    if record.status == "linked" and messages:
        words = " ".join(str(messages[0][k]) for k in ("channel", "status") if isinstance(messages[0].get(k), str))
        return f"message {words or 'sent'}{extra}"
    if record.status == "linked" and activities:
        first = activities[0]
        flow = first.get("workflowName") or (f"workflow #{first['workflow_id']}" if first.get("workflow_id")
                                             else first.get("status") or "linked")
        return f"activity: {flow}{extra}"
    waited = detail.get("waitedS")
    span = _span(waited) if isinstance(waited, int | float) and not isinstance(waited, bool) else None
    if record.status == "nothing":
        return f"nothing within {span}" if span else "nothing"
    if record.status == "cancelled":
        return f"stopped after {span}" if span else "stopped"
    return {"contact_not_found": "contact not found", "contact_unknown": "no contact to follow",
            "error": f"failed: {record.summary}"}.get(record.status, record.status)
