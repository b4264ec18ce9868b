"""Writing the history: new rows, answers filled in, imports, interrupted rows, deletions. Each function
is the work of one transaction the store opens (`HistoryStore._write`) and keeps the full-text index
in step with the rows: only final rows are in it, so each body is tokenized once, when its answer
comes, and as the index is contentless it forgets a row only when given the very text it indexed
(same columns, same function), so that text goes before a row is deleted or answered a second time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from yespo_console.core.history import rows, verifications
from yespo_console.core.history.verifications import Imported
from yespo_console.core.http.outcome import Outcome

INTERRUPTED_ERROR = (
    "The program that sent this request ended before the answer arrived (a crash or a kill); "
    "whether Yespo received it is unknown."
)
_CHUNK = 500  # ids per statement: well under SQLite's variable limit on every build
_INDEX_SQL = (
    "INSERT INTO exchange_fts(rowid, request_body, response_body, key_value) "
    "SELECT id, yc_fts_text(request_body), yc_fts_text(response_body), key_value FROM exchange "
    "WHERE outcome != 'pending' AND id IN ({})"
)
_UNINDEX_SQL = (
    "INSERT INTO exchange_fts(exchange_fts, rowid, request_body, response_body, key_value) "
    "SELECT 'delete', id, yc_fts_text(request_body), yc_fts_text(response_body), key_value FROM exchange "
    "WHERE outcome != 'pending' AND id IN ({})"
)
_DUPLICATE_COLUMNS = ("started_at", "method", "url", "request_body")  # an import already in the store
_DUPLICATE_SQL = f"SELECT 1 FROM exchange WHERE {' AND '.join(f'{name} = ?' for name in _DUPLICATE_COLUMNS)} LIMIT 1"
_DUPLICATE_KEY = tuple(rows.POSITION[name] for name in _DUPLICATE_COLUMNS)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _marks(chunk: Sequence[int]) -> str:
    return ", ".join("?" * len(chunk))


def _index(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    for chunk in _chunks(ids):
        conn.execute(_INDEX_SQL.format(_marks(chunk)), tuple(chunk))


def _unindex(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    for chunk in _chunks(ids):
        conn.execute(_UNINDEX_SQL.format(_marks(chunk)), tuple(chunk))


def insert(conn: sqlite3.Connection, values: Sequence[Any]) -> int:
    """Insert one row of `rows.row_values` or `rows.pending_values`; returns its id."""
    row_id = conn.execute(rows.INSERT_SQL, values).lastrowid
    assert row_id is not None
    return row_id


def write_group(conn: sqlite3.Connection, results: Mapping[int, Sequence[Any]],
                pending: Sequence[Sequence[Any]]) -> list[int]:
    """Fill in answers (`rows.result_values` by row id) and insert pending rows; returns their ids.
    A row deleted meanwhile stays deleted; one answered before leaves the index first."""
    if results:
        completed = list(results)
        again = [row_id for chunk in _chunks(completed) for (row_id,) in conn.execute(
            f"SELECT id FROM exchange WHERE outcome != 'pending' AND id IN ({_marks(chunk)})", tuple(chunk))]
        if again:
            _unindex(conn, again)
        conn.executemany(rows.COMPLETE_SQL, results.values())
        _index(conn, completed)
    return [insert(conn, values) for values in pending]


def import_batch(conn: sqlite3.Connection, items: Sequence[Imported], *,
                 skip_duplicates: bool) -> tuple[int, int, int]:
    """Add whole exchanges, a pending one as interrupted, each with the verification it carries; returns
    (added, skipped as duplicates, verifications added). A duplicate has the same start time, method, URL
    and request body as a row already there: it is skipped with its verification."""
    added: list[int] = []
    dupes = verified = 0
    for item in items:
        exchange = item.exchange
        if exchange.outcome is Outcome.PENDING:
            exchange = replace(exchange, outcome=Outcome.INTERRUPTED, error=exchange.error or INTERRUPTED_ERROR)
        values = rows.row_values(exchange)
        if skip_duplicates and conn.execute(_DUPLICATE_SQL, [values[i] for i in _DUPLICATE_KEY]).fetchone():
            dupes += 1
            continue
        added.append(insert(conn, values))
        if item.verification is not None:
            verifications.save(conn, replace(item.verification, exchange_id=added[-1]))
            verified += 1
    _index(conn, added)
    return len(added), dupes, verified


def pending_writers(conn: sqlite3.Connection) -> list[tuple[int | None, str | None]]:
    """The processes (pid and token) that have rows pending."""
    return [(pid, token) for pid, token in conn.execute(
        "SELECT DISTINCT writer_pid, writer_token FROM exchange WHERE outcome = 'pending'")]


def mark_interrupted(conn: sqlite3.Connection, writers: Sequence[tuple[int | None, str | None]]) -> int:
    """Mark `interrupted` (and index) the pending rows of these writers; returns how many."""
    ids: list[int] = []
    for pid, token in writers:
        ids.extend(row_id for (row_id,) in conn.execute(
            "SELECT id FROM exchange WHERE outcome = 'pending' AND writer_pid IS ? AND writer_token IS ?",
            (pid, token)))
    for chunk in _chunks(ids):
        conn.execute(
            "UPDATE exchange SET outcome = 'interrupted', error = ?, writer_pid = NULL, writer_token = NULL "
            f"WHERE outcome = 'pending' AND id IN ({_marks(chunk)})",
            (INTERRUPTED_ERROR, *chunk))
    _index(conn, ids)
    return len(ids)


def delete_ids(conn: sqlite3.Connection, ids: Sequence[int]) -> int:
    """Delete these rows; returns how many existed."""
    deleted = 0
    for chunk in _chunks(ids):
        _unindex(conn, chunk)
        deleted += conn.execute(f"DELETE FROM exchange WHERE id IN ({_marks(chunk)})", tuple(chunk)).rowcount
    return deleted


def delete_oldest_finished(conn: sqlite3.Connection, condition: str, params: Sequence[Any],
                           limit: int) -> tuple[int, int]:
    """Delete up to `limit` of the oldest final rows meeting `condition`; returns (selected, deleted)."""
    ids = [row_id for (row_id,) in conn.execute(
        f"SELECT id FROM exchange WHERE outcome != 'pending' AND {condition} ORDER BY id LIMIT ?", (*params, limit))]
    return len(ids), (delete_ids(conn, ids) if ids else 0)


def clear(conn: sqlite3.Connection) -> int:
    """Delete every final row; returns how many."""
    # Only final rows are indexed, and all of them go: dropping the whole index at once is much faster
    # than forgetting rows one by one.
    conn.execute("INSERT INTO exchange_fts(exchange_fts) VALUES ('delete-all')")
    if conn.execute("SELECT 1 FROM exchange WHERE outcome = 'pending' LIMIT 1").fetchone() is None:
        # Without a WHERE, SQLite drops whole pages instead of visiting rows: several times faster.
        return int(conn.execute("DELETE FROM exchange").rowcount)
    return int(conn.execute("DELETE FROM exchange WHERE outcome != 'pending'").rowcount)
