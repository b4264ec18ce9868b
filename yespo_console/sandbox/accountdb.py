"""What the account keeps, in the sandbox's own file (`store.SandboxStore`, under its lock): contacts, workflow
instances and deliveries (one row per message a workflow sent: it is served both as activity and as a message).

Contacts are kept as their Yespo JSON (`Contact` in the OpenAPI file, without `id`), with the values they are
found by in a table of keys: email (lower case), phone (digits only), externalCustomerId, push tokens, first
and last names (lower case). Timers do not survive a restart: a sandbox marks its waiting instances "lost"
when it stops, and one that ended without stopping leaves them waiting until the file is opened again after
they were due (another sandbox sharing the file may still be running its own, which fire before they are due).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from yespo_console.sandbox.store import SandboxStore, json_text

WAITING, CANCELLED, SENT, LOST = "waiting", "cancelled", "sent", "lost"
KEEP = 10_000  # at least this many of the newest ended instances and deliveries are kept: the file stays bounded
_PRUNE_EVERY = 500
LOST_REASON = "the sandbox stopped before the delay ended (workflow timers do not survive a restart)"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS contact_keys (
    contact_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS contact_keys_lookup ON contact_keys (kind, value);
CREATE INDEX IF NOT EXISTS contact_keys_contact ON contact_keys (contact_id);
CREATE TABLE IF NOT EXISTS workflow_instances (
    instance_id TEXT PRIMARY KEY,
    workflow_id INTEGER NOT NULL,
    workflow_name TEXT NOT NULL,
    contact_id INTEGER NOT NULL,
    event_id INTEGER,
    event_type TEXT NOT NULL,
    key_value TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX IF NOT EXISTS workflow_instances_contact ON workflow_instances (contact_id, state);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id INTEGER NOT NULL,
    at TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_contact ON deliveries (contact_id, at);
"""

_INSTANCE_COLUMNS = ("instance_id, workflow_id, workflow_name, contact_id, event_id, event_type, key_value, state, "
                     "reason, started_at, due_at, ended_at")


def now_text(when: datetime | None = None) -> str:
    """The stored form of a moment (UTC, milliseconds): such texts sort as the moments do."""
    return (when or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds")


def key_of(kind: str, value: str) -> str:
    """A value as it is looked up: emails and names in lower case, phones as their digits (a lone surrogate,
    which JSON allows and UTF-8 does not, written as its escape)."""
    value = value.strip()[:1000].encode("utf-8", "backslashreplace").decode("utf-8")
    if kind == "phone":
        return re.sub(r"\D", "", value)
    if kind in ("email", "firstname", "lastname"):
        return value.lower()
    return value


def keys_of(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """The (kind, value) pairs a contact is found by."""
    keys: list[tuple[str, str]] = []
    for channel in doc.get("channels") or ():
        kind = {"email": "email", "sms": "phone", "mobilepush": "pushToken", "webpush": "pushToken"}.get(
            channel.get("type", ""))
        if kind and isinstance(channel.get("value"), str):
            keys.append((kind, key_of(kind, channel["value"])))
    for kind, name in (("externalCustomerId", "externalCustomerId"), ("firstname", "firstName"),
                       ("lastname", "lastName")):
        if isinstance(doc.get(name), str) and doc[name].strip():
            keys.append((kind, key_of(kind, doc[name])))
    return [pair for pair in dict.fromkeys(keys) if pair[1]]


@dataclass(frozen=True, slots=True)
class Instance:
    instance_id: str
    workflow_id: int
    workflow_name: str
    contact_id: int
    event_id: int | None
    event_type: str
    key_value: str
    state: str
    reason: str
    started_at: str
    due_at: str
    ended_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"workflowInstanceId": self.instance_id, "workflowId": self.workflow_id,
                "workflowName": self.workflow_name, "contactId": self.contact_id, "eventId": self.event_id,
                "sourceEventTypeKey": self.event_type, "sourceEventKey": self.key_value, "state": self.state,
                "reason": self.reason, "startedAt": self.started_at, "dueAt": self.due_at, "endedAt": self.ended_at}


class AccountDB:
    """The account's tables in a sandbox store's file. Every method is safe from any thread."""

    def __init__(self, store: SandboxStore) -> None:
        self._store = store
        self._writes = 0
        with store.locked() as conn:
            conn.executescript(_SCHEMA)
            now = now_text()
            conn.execute("UPDATE workflow_instances SET state = ?, reason = ?, ended_at = ? WHERE state = ? "
                         "AND due_at < ?", (LOST, LOST_REASON, now, WAITING, now))

    # -- contacts --------------------------------------------------------------------------------

    def find(self, kind: str, value: str) -> list[int]:
        """The ids of the contacts with this key, oldest first."""
        key = key_of(kind, value)
        if kind == "contactId":
            return [int(key)] if key.isdigit() and len(key) < 19 and self.contact(int(key)) else []
        if not key:
            return []
        with self._store.locked() as conn:
            rows = conn.execute("SELECT DISTINCT contact_id FROM contact_keys WHERE kind = ? AND value = ? "
                                "ORDER BY contact_id", (kind, key)).fetchall()
        return [int(row[0]) for row in rows]

    def contact(self, contact_id: int) -> dict[str, Any] | None:
        """The contact's JSON with its id, or None."""
        if not 0 < contact_id < 2**63:
            return None
        with self._store.locked() as conn:
            row = conn.execute("SELECT doc FROM contacts WHERE id = ?", (contact_id,)).fetchone()
        return {**json.loads(row[0]), "id": contact_id} if row else None

    def save_contact(self, doc: dict[str, Any], contact_id: int | None = None) -> int:
        """Insert a contact, or replace contact `contact_id`'s JSON; its id."""
        doc = {key: value for key, value in doc.items() if key != "id"}
        now = now_text()
        with self._store.locked() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if contact_id is None:
                    cursor = conn.execute("INSERT INTO contacts (doc, created_at, updated_at) VALUES (?,?,?)",
                                          (json_text(doc), now, now))
                    contact_id = int(cursor.lastrowid or 0)
                else:
                    conn.execute("UPDATE contacts SET doc = ?, updated_at = ? WHERE id = ?",
                                 (json_text(doc), now, contact_id))
                    conn.execute("DELETE FROM contact_keys WHERE contact_id = ?", (contact_id,))
                conn.executemany("INSERT INTO contact_keys (contact_id, kind, value) VALUES (?,?,?)",
                                 [(contact_id, kind, value) for kind, value in keys_of(doc)])
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return contact_id

    def search(self, keys: list[tuple[str, str]], start: int, rows: int) -> tuple[int, list[dict[str, Any]]]:
        """(total, the page from the `start`th, counted from 1): the contacts with every key, oldest first."""
        where, params = "", []  # type: str, list[Any]
        for kind, value in keys:
            where += " AND id IN (SELECT contact_id FROM contact_keys WHERE kind = ? AND value = ?)"
            params += [kind, key_of(kind, value)]
        with self._store.locked() as conn:
            total = int(conn.execute(f"SELECT COUNT(*) FROM contacts WHERE 1{where}", params).fetchone()[0])
            found = conn.execute(f"SELECT id, doc FROM contacts WHERE 1{where} ORDER BY id LIMIT ? OFFSET ?",
                                 [*params, rows, start - 1]).fetchall()
        return total, [{**json.loads(doc), "id": int(row_id)} for row_id, doc in found]

    def contacts(self, limit: int) -> list[dict[str, Any]]:
        """The newest contacts first, with their times."""
        with self._store.locked() as conn:
            found = conn.execute("SELECT id, doc, created_at, updated_at FROM contacts ORDER BY id DESC LIMIT ?",
                                 (limit,)).fetchall()
        return [{**json.loads(doc), "id": int(row_id), "createdAt": created, "updatedAt": updated}
                for row_id, doc, created, updated in found]

    def contact_count(self) -> int:
        with self._store.locked() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0])

    # -- workflow instances ----------------------------------------------------------------------

    def add_instance(self, instance: Instance) -> None:
        with self._store.locked() as conn:
            conn.execute(f"INSERT INTO workflow_instances ({_INSTANCE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                         (instance.instance_id, instance.workflow_id, instance.workflow_name, instance.contact_id,
                          instance.event_id, instance.event_type, instance.key_value, instance.state,
                          instance.reason, instance.started_at, instance.due_at, instance.ended_at))
            self._prune(conn)

    def _prune(self, conn: sqlite3.Connection) -> None:
        """Every few hundred writes, drop all but the newest KEEP ended instances and deliveries."""
        self._writes += 1
        if self._writes % _PRUNE_EVERY:
            return
        conn.execute("DELETE FROM workflow_instances WHERE state != ? AND rowid <= "
                     "(SELECT MAX(rowid) FROM workflow_instances) - ?", (WAITING, KEEP))
        conn.execute("DELETE FROM deliveries WHERE id <= (SELECT MAX(id) FROM deliveries) - ?", (KEEP,))

    def end_instance(self, instance_id: str, state: str, reason: str) -> bool:
        """Move a waiting instance to `state`; False when it was no longer waiting."""
        with self._store.locked() as conn:
            cursor = conn.execute("UPDATE workflow_instances SET state = ?, reason = ?, ended_at = ? "
                                  "WHERE instance_id = ? AND state = ?",
                                  (state, reason, now_text(), instance_id, WAITING))
            return cursor.rowcount == 1

    def instances(self, limit: int, *, contact_id: int | None = None, state: str | None = None) -> list[Instance]:
        """The newest first."""
        where, params = "WHERE 1", []  # type: str, list[Any]
        if contact_id is not None:
            where += " AND contact_id = ?"
            params.append(contact_id)
        if state is not None:
            where += " AND state = ?"
            params.append(state)
        with self._store.locked() as conn:
            rows = conn.execute(f"SELECT {_INSTANCE_COLUMNS} FROM workflow_instances {where} "
                                "ORDER BY started_at DESC, rowid DESC LIMIT ?", [*params, limit]).fetchall()
        return [Instance(*row) for row in rows]

    def clear(self) -> int:
        """Forget every contact, instance and delivery; how many contacts there were."""
        with self._store.locked() as conn:
            count = int(conn.execute("SELECT COUNT(*) FROM contacts").fetchone()[0])
            conn.execute("BEGIN IMMEDIATE")
            for table in ("contacts", "contact_keys", "workflow_instances", "deliveries"):
                conn.execute(f"DELETE FROM {table}")
            conn.execute("COMMIT")
        return count

    # -- deliveries: what the activity and messages endpoints serve ------------------------------

    def add_delivery(self, contact_id: int, at: str, doc: dict[str, Any]) -> int:
        with self._store.locked() as conn:
            cursor = conn.execute("INSERT INTO deliveries (contact_id, at, doc) VALUES (?,?,?)",
                                  (contact_id, at, json_text(doc)))
            self._prune(conn)
            return int(cursor.lastrowid or 0)

    def deliveries(self, contact_ids: list[int] | None, date_from: str, date_to: str,
                   after: int = 0) -> list[dict[str, Any]]:
        """Deliveries from `date_from` up to (not including) `date_to`, oldest first; all contacts' when None.
        Each has its `offset` (the activity endpoint's continuation token): `after` one gives those that follow."""
        where = "at >= ? AND at < ? AND id > ?"
        params: list[Any] = [date_from, date_to, after]
        if contact_ids is not None:
            if not contact_ids:
                return []
            where += f" AND contact_id IN ({','.join('?' * len(contact_ids))})"
            params += contact_ids
        with self._store.locked() as conn:
            rows = conn.execute(f"SELECT id, doc FROM deliveries WHERE {where} ORDER BY id", params).fetchall()
        return [{**json.loads(doc), "offset": str(row_id)} for row_id, doc in rows]

    def recent_deliveries(self, limit: int) -> list[dict[str, Any]]:
        with self._store.locked() as conn:
            rows = conn.execute("SELECT doc FROM deliveries ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [json.loads(row[0]) for row in rows]
