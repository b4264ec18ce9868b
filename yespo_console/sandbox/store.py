"""What the sandbox received: a small SQLite file of its own (`sandbox.sqlite3` in the data folder).

One row per request to an API endpoint (a past_events batch is one row, with per-event findings).
Headers are stored masked; the body as received, up to a cap (`MAX_STORED_BODY`: Yespo's 20 KB event
limit with room to spare; a past_events batch whole), with a note when cut. What one record may hold is
bounded: at most `MAX_DIAGNOSTICS` findings (then one saying how many more), texts cut at `MAX_TEXT`.
Texts holding a lone surrogate (a `"\ud800"` escape in the body is valid JSON) are stored with it
written as that escape; the body keeps the bytes as sent. The file keeps the newest `max_records` rows.
Safe to use from several threads (one connection behind a lock); two sandboxes may share a file.

Schema 2 adds the contact an event was matched to (`contact`, `contact_id`: "Contact found", "Contact not
found", "Contact created") and the account's tables (`accountdb`: contacts, workflow instances, deliveries),
which share this file and its lock (`locked`). A schema-1 file gains them when opened.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from yespo_console.core.paths import data_dir

SANDBOX_FILE = "sandbox.sqlite3"
SCHEMA_VERSION = 2
DEFAULT_MAX_RECORDS = 10_000
MAX_ID = 2**63 - 1  # SQLite's largest integer: a larger id or since_id matches nothing
MAX_STORED_BODY = 64 * 1024
MAX_STORED_BATCH = 1024 * 1024
MAX_DIAGNOSTICS = 200
MAX_DIAGNOSTICS_BYTES = 256 * 1024
MAX_TEXT = 64 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    remote TEXT NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    status INTEGER,
    response TEXT NOT NULL DEFAULT '',
    fault TEXT,
    auth TEXT NOT NULL DEFAULT '',
    valid INTEGER,
    event_type TEXT,
    key_value TEXT,
    key_value_source TEXT,
    event_count INTEGER NOT NULL DEFAULT 1,
    diagnostics TEXT NOT NULL DEFAULT '[]',
    notes TEXT NOT NULL DEFAULT '[]',
    duration_ms REAL,
    contact TEXT,
    contact_id INTEGER
);
"""
_ADDED_COLUMNS = {"contact": "TEXT", "contact_id": "INTEGER"}  # schema 1 → 2

_COLUMNS = (
    "id, received_at, endpoint, method, path, remote, headers, body, status, response, fault, auth, valid, "
    "event_type, key_value, key_value_source, event_count, diagnostics, notes, duration_ms, contact, contact_id"
)


@dataclass(frozen=True, slots=True)
class SandboxEvent:
    """One request the sandbox received, how it judged it and what it answered."""

    id: int
    received_at: datetime
    endpoint: str  # "v2/event", "v1/event", "v2/past_events", "v1/contact", "v1/orders", "webhook"
    method: str
    path: str
    remote: str  # "127.0.0.1:54321"
    headers: tuple[tuple[str, str], ...]  # masked
    body: bytes
    status: int | None  # None: the connection was dropped (or garbage sent) on purpose
    response: str = ""
    fault: str | None = None  # the injected fault, if one decided the answer
    auth: str = ""  # "Basic (user '')", "Bearer", or why it was refused
    valid: bool | None = None  # None when the body was not judged (e.g. refused before)
    event_type: str | None = None
    key_value: str | None = None
    key_value_source: str | None = None
    event_count: int = 1
    diagnostics: tuple[dict[str, Any], ...] = ()  # Finding.as_dict(); batch paths start "events[i]."
    notes: tuple[str, ...] = ()  # HTTP-level remarks (Content-Type, charset, ...)
    duration_ms: float | None = None
    contact: str | None = None  # "Contact found", "Contact not found", "Contact created": accepted events only
    contact_id: int | None = None

    @property
    def errors(self) -> tuple[dict[str, Any], ...]:
        return tuple(d for d in self.diagnostics if d.get("severity") == "error")

    @property
    def body_text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def as_dict(self) -> dict[str, Any]:
        """The JSON form served at GET /_sandbox/events."""
        try:
            body: str = self.body.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            body = base64.b64encode(self.body).decode("ascii")
            encoding = "base64"
        return {
            "id": self.id,
            "receivedAt": self.received_at.isoformat(),
            "endpoint": self.endpoint,
            "method": self.method,
            "path": self.path,
            "remote": self.remote,
            "headers": [list(pair) for pair in self.headers],
            "body": body,
            "bodyEncoding": encoding,
            "status": self.status,
            "response": self.response,
            "fault": self.fault,
            "auth": self.auth,
            "valid": self.valid,
            "eventTypeKey": self.event_type,
            "keyValue": self.key_value,
            "keyValueSource": self.key_value_source,
            "eventCount": self.event_count,
            "diagnostics": list(self.diagnostics),
            "notes": list(self.notes),
            "durationMs": self.duration_ms,
            "contact": self.contact,
            "contactId": self.contact_id,
        }


@dataclass(slots=True)
class NewEvent:
    """A record before it has an id."""

    endpoint: str
    method: str
    path: str
    remote: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int | None = None
    response: str = ""
    fault: str | None = None
    auth: str = ""
    valid: bool | None = None
    event_type: str | None = None
    key_value: str | None = None
    key_value_source: str | None = None
    event_count: int = 1
    diagnostics: tuple[dict[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    duration_ms: float | None = None
    contact: str | None = None
    contact_id: int | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


def json_text(value: Any) -> str:
    """JSON of `value`, non-ASCII as is, unless it holds a lone surrogate (not UTF-8): then ASCII-escaped."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value)
    return text


def _text(value: str, limit: int = MAX_TEXT) -> str:
    """`value` storable as UTF-8 (a lone surrogate written as its escape) and at most `limit` characters."""
    if len(value) > limit:
        value = f"{value[:limit]}… [{len(value) - limit:,} more characters not kept]"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _optional_text(value: str | None) -> str | None:
    return None if value is None else _text(value, 4096)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _text(value, 1024)
    if isinstance(value, dict):
        return {_text(str(key), 256): _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def _bounded(event: NewEvent) -> None:
    """Cut what one record keeps to its caps, in place, saying so in its notes."""
    cap = MAX_STORED_BATCH if event.endpoint.endswith("past_events") else MAX_STORED_BODY
    if len(event.body) > cap:
        event.notes += (f"The body is {len(event.body):,} bytes; the first {cap:,} are kept.",)
        event.body = event.body[:cap]
    diagnostics: list[dict[str, Any]] = []
    size = 0
    for item in event.diagnostics:
        cleaned = _clean(item)
        size += len(json_text(cleaned))
        if len(diagnostics) == MAX_DIAGNOSTICS or size > MAX_DIAGNOSTICS_BYTES:
            break
        diagnostics.append(cleaned)
    if len(diagnostics) < len(event.diagnostics):
        more = len(event.diagnostics) - len(diagnostics)
        message = f"and {more:,} more findings (not kept: a record keeps at most {MAX_DIAGNOSTICS})"
        diagnostics.append({"severity": "warning", "code": "sandbox.more_findings", "path": "$", "message": message,
                            "hint": "", "tier": "note", "source": ""})
    event.diagnostics = tuple(diagnostics)
    event.notes = tuple(_text(note, 4096) for note in event.notes[:50])
    event.response = _text(event.response)
    event.event_type = _optional_text(event.event_type)
    event.key_value = _optional_text(event.key_value)
    event.key_value_source = _optional_text(event.key_value_source)
    event.fault = _optional_text(event.fault)
    event.auth = _text(event.auth, 4096)


class SandboxStore:
    def __init__(self, path: str | os.PathLike[str], *, max_records: int = DEFAULT_MAX_RECORDS) -> None:
        self.path = Path(path)
        self.max_records = max_records
        self._lock = threading.Lock()
        self._inserts = 0
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=5.0)
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} was written by a newer Yespo Console (schema {version}); "
                    "use another --data-dir or move the file aside."
                )
            self._conn.executescript(_SCHEMA)
            present = {row[1] for row in self._conn.execute("PRAGMA table_info(events)")}
            for column, kind in _ADDED_COLUMNS.items():
                if column not in present:
                    self._conn.execute(f"ALTER TABLE events ADD COLUMN {column} {kind}")
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise RuntimeError(
                f"The sandbox record file {self.path} cannot be used ({exc}); move it aside and start again."
            ) from exc

    @classmethod
    def open(cls, data_dir_override: str | os.PathLike[str] | None = None) -> SandboxStore:
        return cls(data_dir(data_dir_override) / SANDBOX_FILE)

    def add(self, event: NewEvent, respond: Callable[[int], str] | None = None) -> SandboxEvent:
        """Insert a record (cut to the caps first). `respond(id)` may produce the response text once the id
        is known."""
        _bounded(event)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._conn.execute(
                    "INSERT INTO events (received_at, endpoint, method, path, remote, headers, body, status, "
                    "response, fault, auth, valid, event_type, key_value, key_value_source, event_count, "
                    "diagnostics, notes, duration_ms, contact, contact_id) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        event.received_at.isoformat(),
                        event.endpoint,
                        event.method,
                        event.path,
                        event.remote,
                        json.dumps(event.headers, ensure_ascii=False),
                        event.body,
                        event.status,
                        event.response,
                        event.fault,
                        event.auth,
                        None if event.valid is None else int(event.valid),
                        event.event_type,
                        event.key_value,
                        event.key_value_source,
                        event.event_count,
                        json.dumps(event.diagnostics, ensure_ascii=False),
                        json.dumps(event.notes, ensure_ascii=False),
                        event.duration_ms,
                        event.contact,
                        event.contact_id,
                    ),
                )
                row_id = int(cursor.lastrowid or 0)
                if respond is not None:
                    event.response = _text(respond(row_id))
                    self._conn.execute("UPDATE events SET response = ? WHERE id = ?", (event.response, row_id))
                self._inserts += 1
                if self._inserts % 500 == 0:
                    self._conn.execute("DELETE FROM events WHERE id <= ?", (row_id - self.max_records,))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return _from_new(row_id, event)

    def list(self, limit: int = 50, *, since_id: int | None = None) -> list[SandboxEvent]:
        """Newest first; with `since_id`, only records after it."""
        limit = max(0, min(int(limit), 10_000))
        if since_id is not None:
            since_id = max(-1, min(since_id, MAX_ID))
        with self._lock:
            if since_id is None:
                rows = self._conn.execute(
                    f"SELECT {_COLUMNS} FROM events ORDER BY id DESC LIMIT ?", (limit,)
                ).fetchall()
            else:
                rows = self._conn.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE id > ? ORDER BY id DESC LIMIT ?", (since_id, limit)
                ).fetchall()
        return [_from_row(row) for row in rows]

    def get(self, event_id: int) -> SandboxEvent | None:
        if not 0 <= event_id <= MAX_ID:
            return None
        with self._lock:
            row = self._conn.execute(f"SELECT {_COLUMNS} FROM events WHERE id = ?", (event_id,)).fetchone()
        return _from_row(row) if row else None

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def clear(self) -> int:
        with self._lock:
            cursor = self._conn.execute("DELETE FROM events")
            return cursor.rowcount

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """The file's connection, held alone for the block (autocommit: wrap writes in BEGIN/COMMIT)."""
        with self._lock:
            yield self._conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _from_new(row_id: int, event: NewEvent) -> SandboxEvent:
    return SandboxEvent(
        id=row_id,
        received_at=event.received_at,
        endpoint=event.endpoint,
        method=event.method,
        path=event.path,
        remote=event.remote,
        headers=event.headers,
        body=event.body,
        status=event.status,
        response=event.response,
        fault=event.fault,
        auth=event.auth,
        valid=event.valid,
        event_type=event.event_type,
        key_value=event.key_value,
        key_value_source=event.key_value_source,
        event_count=event.event_count,
        diagnostics=event.diagnostics,
        notes=event.notes,
        duration_ms=event.duration_ms,
        contact=event.contact,
        contact_id=event.contact_id,
    )


def _from_row(row: tuple[Any, ...]) -> SandboxEvent:
    (
        row_id,
        received_at,
        endpoint,
        method,
        path,
        remote,
        headers,
        body,
        status,
        response,
        fault,
        auth,
        valid,
        event_type,
        key_value,
        key_value_source,
        event_count,
        diagnostics,
        notes,
        duration_ms,
        contact,
        contact_id,
    ) = row
    return SandboxEvent(
        id=int(row_id),
        received_at=datetime.fromisoformat(received_at),
        endpoint=endpoint,
        method=method,
        path=path,
        remote=remote,
        headers=tuple((str(k), str(v)) for k, v in json.loads(headers)),
        body=bytes(body),
        status=status,
        response=response,
        fault=fault,
        auth=auth,
        valid=None if valid is None else bool(valid),
        event_type=event_type,
        key_value=key_value,
        key_value_source=key_value_source,
        event_count=int(event_count),
        diagnostics=tuple(json.loads(diagnostics)),
        notes=tuple(json.loads(notes)),
        duration_ms=duration_ms,
        contact=contact,
        contact_id=contact_id,
    )
