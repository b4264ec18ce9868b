"""What followed an exchange: the verification kept with it (schema v5's `verification` table), the latest
one per exchange. The detail is the verifier's JSON, already masked by the caller; one too large to keep
whole is kept as its status and summary only."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yespo_console.core.history.models import from_micros, to_micros

MAX_DETAIL_CHARS = 256 * 1024


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
