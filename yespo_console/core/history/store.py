"""The history store: every exchange in one SQLite file, written before the request leaves.

Life of a row: `begin` writes it `pending` (with the writer's pid and process token); `complete`
fills in the answer or the error. A row whose writer died stays pending until the next open, which
marks it `interrupted`. Only final rows are in the full-text index, so each body is tokenized once.
`write_many` does several begins and completes in one transaction: a sender with many requests in
flight (the client, on a busy loop) pays one commit and one index segment for the lot.

One instance is for one thread at a time (a lock makes concurrent calls wait their turn). Another
process may write the same file at once: every write is one short BEGIN IMMEDIATE transaction,
retried while the other holds the lock, so the user never sees "database is locked".
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from yespo_console.core.errors import StoreError
from yespo_console.core.history import db as history_db
from yespo_console.core.history.models import (
    Exchange,
    ExchangeSummary,
    Headers,
    HistoryFilter,
    HistoryStats,
    from_micros,
    fts_match_expression,
    to_micros,
)
from yespo_console.core.history.process import current_token, writer_alive
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.masking import mask_headers, mask_url
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.paths import history_path

T = TypeVar("T")

INTERRUPTED_ERROR = (
    "The program that sent this request ended before the answer arrived (a crash or a kill); "
    "whether Yespo received it is unknown."
)
DISTINCT_COLUMNS = frozenset({"event_type", "environment", "outcome", "run_id"})
_CHUNK = 500  # ids per statement: well under SQLite's variable limit on every build
_SUMMARY_COLUMNS = ("e.id, e.started_at, e.environment, e.url, e.event_type, e.key_value, e.status, "
                    "e.outcome, e.duration_ms, e.starred, e.note")
_ALL_COLUMNS = (
    "e.id, e.started_at, e.environment, e.url, e.method, e.request_headers, e.request_body, e.event_type, "
    "e.key_value, e.key_value_source, e.diagnostics, e.outcome, e.status, e.response_headers, "
    "e.response_body, e.duration_ms, e.error, e.finished_at, e.run_id, e.note, e.starred"
)
_INSERT_COLUMNS = (
    "started_at, finished_at, environment, method, url, request_headers, request_body, event_type, "
    "key_value, key_value_source, diagnostics, outcome, status, response_headers, response_body, "
    "duration_ms, error, run_id, note, starred, writer_pid, writer_token"
)
_INSERT_SQL = f"INSERT INTO exchange ({_INSERT_COLUMNS}) VALUES ({', '.join('?' * 22)})"
_COMPLETE_SQL = (
    "UPDATE exchange SET status = ?, response_headers = ?, response_body = ?, duration_ms = ?, outcome = ?, "
    "error = ?, finished_at = ?, writer_pid = NULL, writer_token = NULL WHERE id = ?"
)
_PENDING = Outcome.PENDING.value
_INDEX_SQL = (
    "INSERT INTO exchange_fts(rowid, request_body, response_body, key_value) "
    "SELECT id, yc_fts_text(request_body), yc_fts_text(response_body), key_value FROM exchange "
    "WHERE outcome != 'pending' AND id IN ({})"
)
# A contentless index forgets a row only when given the very text it indexed: same columns, same function.
_UNINDEX_SQL = (
    "INSERT INTO exchange_fts(exchange_fts, rowid, request_body, response_body, key_value) "
    "SELECT 'delete', id, yc_fts_text(request_body), yc_fts_text(response_body), key_value FROM exchange "
    "WHERE outcome != 'pending' AND id IN ({})"
)


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported: int
    skipped: int  # already in the store: same start time, method, URL and request body


def _masked(headers: Iterable[tuple[str, str]]) -> Headers:
    # The client masks already; the store masks again so that no caller can ever leak a key into it.
    return tuple(mask_headers(headers))


def _headers_json(headers: Iterable[tuple[str, str]]) -> str:
    return json.dumps([[name, value] for name, value in _masked(headers)], ensure_ascii=False)


def _request_headers_json(headers: Iterable[tuple[str, str]]) -> str:
    """`_headers_json` for request headers: a client hands over the same (immutable) tuple with
    every request, so the last one is remembered, by identity. (Answers differ, by their Date if
    nothing else.)"""
    global _last_request_headers
    last = _last_request_headers
    if headers is last[0]:
        return last[1]
    text = _headers_json(headers)
    if type(headers) is tuple and all(type(pair) is tuple for pair in headers):
        _last_request_headers = (headers, text)
    return text


_last_request_headers: tuple[object, str] = (None, "")


def _diagnostics_json(diagnostics: Sequence[Any]) -> str:
    if not diagnostics:
        return "[]"
    return json.dumps(list(diagnostics), ensure_ascii=False, default=str)


def _headers_from_json(text: str) -> Headers:
    return tuple((str(name), str(value)) for name, value in json.loads(text))


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _index(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    for chunk in _chunks(ids):
        conn.execute(_INDEX_SQL.format(", ".join("?" * len(chunk))), tuple(chunk))


def _unindex(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    for chunk in _chunks(ids):
        conn.execute(_UNINDEX_SQL.format(", ".join("?" * len(chunk))), tuple(chunk))


def _delete_ids(conn: sqlite3.Connection, ids: Sequence[int]) -> int:
    deleted = 0
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        conn.execute(_UNINDEX_SQL.format(marks), tuple(chunk))
        deleted += conn.execute(f"DELETE FROM exchange WHERE id IN ({marks})", tuple(chunk)).rowcount
    return deleted


@dataclass(frozen=True, slots=True)
class _Where:
    clauses: list[str]
    params: list[Any]
    time_clauses: list[str]  # on `started_at`, kept apart: see _select
    time_params: list[Any]
    match: str | None  # an FTS5 expression, when searching
    impossible: bool  # a search with nothing searchable in it: no row can match


def _where(filters: HistoryFilter | None) -> _Where:
    clauses: list[str] = []
    params: list[Any] = []
    time_clauses: list[str] = []
    time_params: list[Any] = []
    if filters is None:
        return _Where(clauses, params, time_clauses, time_params, None, False)
    if filters.event_type is not None:
        clauses.append("e.event_type = ?")
        params.append(filters.event_type)
    outcomes = filters.outcomes
    if len(outcomes) == 1:
        clauses.append("e.outcome = ?")
        params.append(outcomes[0].value)
    elif outcomes:
        clauses.append(f"e.outcome IN ({', '.join('?' * len(outcomes))})")
        params.extend(outcome.value for outcome in outcomes)
    if filters.status is not None:
        clauses.append("e.status = ?")
        params.append(filters.status)
    if filters.environment is not None:
        clauses.append("e.environment = ?")
        params.append(filters.environment)
    if filters.since is not None:
        time_clauses.append("started_at >= ?")
        time_params.append(to_micros(filters.since))
    if filters.until is not None:
        time_clauses.append("started_at < ?")
        time_params.append(to_micros(filters.until))
    if filters.run_id is not None:
        clauses.append("e.run_id = ?")
        params.append(filters.run_id)
    if filters.starred is not None:
        clauses.append("e.starred = ?")
        params.append(1 if filters.starred else 0)
    match = None
    impossible = False
    if filters.search is not None and filters.search.strip():
        match = fts_match_expression(filters.search)
        impossible = match is None
    return _Where(clauses, params, time_clauses, time_params, match, impossible)


# Up to this many rows in a time range, the rows are gathered through the started_at index and sorted;
# beyond it, walking the rows newest first finds a page sooner.
_SMALL_RANGE = 5000


def _select(conn: sqlite3.Connection, where: _Where, columns: str, *, key: tuple[str, int] | None = None,
            order: str | None = None, limit: int | None = None) -> tuple[str, tuple[Any, ...]] | None:
    """The SQL for a filtered read, or None when no row can match.

    Pages are in row id order, and the usual filters have indexes that keep that order, but a time
    range does not: its index is in time order. So a small range (up to _SMALL_RANGE rows) is read
    through its index and sorted; a larger one is walked in id order, starting from the first row id
    in range, found on the compact (id, started_at) index. When searching, the bounds go to the
    search index, which seeks by row id."""
    clauses, params = list(where.clauses), list(where.params)
    key_column = "e.id" if where.match is None else "exchange_fts.rowid"
    source = "exchange AS e"
    if key is not None:
        clauses.append(f"{key_column} {key[0]} ?")
        params.append(key[1])
    if where.time_clauses:
        in_range = " AND ".join(where.time_clauses)
        found = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM exchange INDEXED BY exchange_started_at "
                             f"WHERE {in_range} LIMIT {_SMALL_RANGE})", where.time_params).fetchone()[0]
        if found == 0:
            return None
        if found < _SMALL_RANGE:
            if where.match is None:
                source = "exchange AS e INDEXED BY exchange_started_at"
            else:
                low, high = conn.execute(f"SELECT min(id), max(id) FROM exchange INDEXED BY exchange_started_at "
                                         f"WHERE {in_range}", where.time_params).fetchone()
                clauses.append(f"{key_column} BETWEEN ? AND ?")
                params += [low, high]
            clauses += ["e." + clause for clause in where.time_clauses]
            params += where.time_params
        else:
            if order is not None:
                descending = order == "DESC"
                edge_sql = (f"SELECT {'max' if descending else 'min'}(id) FROM exchange "
                            f"INDEXED BY exchange_id_started WHERE {in_range}")
                edge_params = list(where.time_params)
                if key is not None:
                    edge_sql += f" AND id {key[0]} ?"
                    edge_params.append(key[1])
                edge = conn.execute(edge_sql, edge_params).fetchone()[0]
                if edge is None:
                    return None
                clauses.append(f"{key_column} {'<=' if descending else '>='} ?")
                params.append(edge)
            # "+" keeps the planner off the started_at index, which would gather and sort the whole range.
            clauses += [("+e." if order is not None else "e.") + clause for clause in where.time_clauses]
            params += where.time_params
    if where.match is None:
        sql = f"SELECT {columns} FROM {source}{' WHERE ' + ' AND '.join(clauses) if clauses else ''}"
    else:
        # The search index drives: it walks its matches in row id order and stops at the limit.
        sql = (f"SELECT {columns} FROM exchange_fts CROSS JOIN exchange AS e ON e.id = exchange_fts.rowid "
               f"WHERE exchange_fts MATCH ?{''.join(' AND ' + c for c in clauses)}")
        params.insert(0, where.match)
    if order is not None:
        sql += f" ORDER BY {key_column} {order}"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return sql, tuple(params)


def _summary(row: Sequence[Any]) -> ExchangeSummary:
    return ExchangeSummary(
        id=row[0], started_at=from_micros(row[1]), environment=row[2], url=row[3], event_type=row[4],
        key_value=row[5], status=row[6], outcome=Outcome(row[7]), duration_ms=row[8],
        starred=bool(row[9]), note=row[10],
    )


def _exchange(row: Sequence[Any]) -> Exchange:
    return Exchange(
        id=row[0], started_at=from_micros(row[1]), environment=row[2], url=row[3], method=row[4],
        request_headers=_headers_from_json(row[5]), request_body=bytes(row[6]), event_type=row[7],
        key_value=row[8], key_value_source=row[9], diagnostics=tuple(json.loads(row[10])),
        outcome=Outcome(row[11]), status=row[12], response_headers=_headers_from_json(row[13]),
        response_body=bytes(row[14]), duration_ms=row[15], error=row[16],
        finished_at=None if row[17] is None else from_micros(row[17]), run_id=row[18], note=row[19],
        starred=bool(row[20]),
    )


def _row_values(exchange: Exchange, *, writer: tuple[int, str] | None = None) -> tuple[Any, ...]:
    return (
        to_micros(exchange.started_at),
        None if exchange.finished_at is None else to_micros(exchange.finished_at),
        exchange.environment,
        exchange.method,
        mask_url(exchange.url),
        _request_headers_json(exchange.request_headers),
        bytes(exchange.request_body),
        exchange.event_type,
        exchange.key_value,
        exchange.key_value_source,
        _diagnostics_json(exchange.diagnostics),
        exchange.outcome.value,
        exchange.status,
        _headers_json(exchange.response_headers),
        bytes(exchange.response_body),
        exchange.duration_ms,
        exchange.error,
        exchange.run_id,
        exchange.note,
        1 if exchange.starred else 0,
        None if writer is None else writer[0],
        None if writer is None else writer[1],
    )


def _pending_values(request: ExchangeRequest, writer: tuple[int, str]) -> tuple[Any, ...]:
    """What `begin` inserts: `_row_values(_from_request(request), writer=writer)`, built directly
    (this runs once per send, just before the request leaves)."""
    return (
        to_micros(request.started_at), None, request.environment, request.method, mask_url(request.url),
        _request_headers_json(request.headers), bytes(request.body), request.event_type, request.key_value,
        request.key_value_source, _diagnostics_json(request.diagnostics), _PENDING, None, "[]", b"", None, "",
        request.run_id, request.note, 0, writer[0], writer[1],
    )


def _result_values(exchange_id: int, result: ExchangeResult) -> tuple[Any, ...]:
    if result.outcome is Outcome.PENDING:
        raise ValueError("complete() needs a final outcome, not pending")
    return (
        result.status, _headers_json(result.headers), bytes(result.body), result.duration_ms,
        result.outcome.value, result.error, to_micros(result.finished_at), exchange_id,
    )


def _from_request(request: ExchangeRequest, result: ExchangeResult | None = None) -> Exchange:
    return Exchange(
        id=0, started_at=request.started_at, environment=request.environment, url=request.url,
        method=request.method, request_headers=request.headers, request_body=request.body,
        event_type=request.event_type, key_value=request.key_value,
        key_value_source=request.key_value_source, diagnostics=request.diagnostics,
        run_id=request.run_id, note=request.note,
        outcome=Outcome.PENDING if result is None else result.outcome,
        status=None if result is None else result.status,
        response_headers=() if result is None else result.headers,
        response_body=b"" if result is None else result.body,
        duration_ms=None if result is None else result.duration_ms,
        error="" if result is None else result.error,
        finished_at=None if result is None else result.finished_at,
    )


class _Checkpointer(threading.Thread):
    """Copies the write-ahead log into the database file now and then, off the caller's thread.
    A PASSIVE checkpoint never waits for, nor blocks, readers and writers of other connections."""

    def __init__(self, path: Path, interval_s: float) -> None:
        super().__init__(name=f"history-checkpoint-{path.name}", daemon=True)
        self._path = path
        self._interval_s = interval_s
        self._stopping = threading.Event()
        self.checkpoints = 0

    def run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, timeout=0.1)
        except sqlite3.Error:
            return  # the store itself reports what is wrong with the file
        try:
            while not self._stopping.wait(self._interval_s):
                with contextlib.suppress(sqlite3.Error):  # busy or locked now: next time
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
        finally:
            conn.close()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=10)


class HistoryStore:
    """The history of exchanges in one SQLite file. Implements `ExchangeRecorder`.

    Raises StoreError (with a sentence for people) when the file is locked for too long, damaged,
    read-only, on a full disk, or from a newer version of Yespo Console."""

    def __init__(self, path: Path | str, *, wait_s: float = history_db.DEFAULT_WAIT_S,
                 background_checkpoints: bool = False, checkpoint_interval_s: float = 1.0) -> None:
        """Open or create the history file at `path`.

        `background_checkpoints` is for a caller on a UI thread: SQLite otherwise copies its
        write-ahead log into the file (with an fsync) inside whichever commit crosses 1,000 pages,
        making about one write in a hundred wait for that copy. With it, a thread with its own
        connection does that copying every `checkpoint_interval_s`, and no write waits for it."""
        self._path = Path(path)
        self._wait_s = wait_s
        self._lock = threading.RLock()
        self._checkpointer: _Checkpointer | None = None
        self._conn: sqlite3.Connection | None = history_db.connect(self._path, wait_s=wait_s)
        try:
            self.recover_interrupted()
            if background_checkpoints:
                self._conn.execute("PRAGMA wal_autocheckpoint = 0")
                self._checkpointer = _Checkpointer(self._path, checkpoint_interval_s)
                self._checkpointer.start()
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, data_dir_override: str | os.PathLike[str] | None = None, *,
             background_checkpoints: bool = False) -> HistoryStore:
        """The store in the data folder: `data_dir_override` (--data-dir), else $YESPO_CONSOLE_HOME,
        else the platform's user data folder."""
        try:
            path = history_path(data_dir_override)
        except OSError as exc:
            raise history_db.store_error(exc, os.fspath(data_dir_override or "the data folder")) from exc
        return cls(path, background_checkpoints=background_checkpoints)

    @property
    def path(self) -> Path:
        return self._path

    # -- plumbing ---------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"the history store {self._path} is closed")
        return self._conn

    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            return history_db.transaction(self._connection(), work, path=self._path, wait_s=self._wait_s)

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            return history_db.read(self._connection(), work, path=self._path, wait_s=self._wait_s)

    def close(self) -> None:
        with self._lock:
            if self._checkpointer is not None:
                self._checkpointer.stop()
                self._checkpointer = None
            if self._conn is None:
                return
            # Keeps the planner's statistics fresh at almost no cost (SQLite's advice for closing).
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA optimize")
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- recording ----------------------------------------------------------------------------------

    def begin(self, request: ExchangeRequest) -> int:
        """Write the exchange as pending, before its request leaves; returns its id."""
        values = _pending_values(request, (os.getpid(), current_token()))

        def work(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(_INSERT_SQL, values)
            assert cursor.lastrowid is not None
            return cursor.lastrowid

        return self._write(work)

    def begin_many(self, requests: Sequence[ExchangeRequest]) -> list[int]:
        """`begin` for several requests in one transaction (committed when this returns); their ids,
        in order."""
        return self.write_many(begin=requests)

    def complete(self, exchange_id: int, result: ExchangeResult) -> None:
        """Fill in the answer or the error. A row deleted meanwhile (history cleared during the
        send) is not brought back."""
        self.write_many(complete=((exchange_id, result),))

    def complete_many(self, items: Iterable[tuple[int, ExchangeResult]]) -> None:
        """`complete` for several exchanges in one transaction."""
        self.write_many(complete=items)

    def write_many(self, *, begin: Sequence[ExchangeRequest] = (),
                   complete: Iterable[tuple[int, ExchangeResult]] = ()) -> list[int]:
        """Several `complete`s and `begin`s in one transaction: all committed (the completed ones
        searchable) when this returns. Returns the new pending rows' ids, in order. Given the same
        id twice to complete, the last result counts.

        Far cheaper per exchange than one call each: one commit, and one full-text index segment
        for all the completed rows instead of one per row (writing a segment costs more than
        indexing a small exchange). The client uses it to group the writes of concurrent sends."""
        # Every value is built (and a pending outcome refused) before anything is written.
        results = {exchange_id: _result_values(exchange_id, result) for exchange_id, result in complete}
        writer = (os.getpid(), current_token())
        pending = [_pending_values(request, writer) for request in begin]
        if not results and not pending:
            return []
        completed = list(results)

        def work(conn: sqlite3.Connection) -> list[int]:
            if completed:
                # Completed before (a second answer for the same row): its indexed text goes first.
                again = [row[0] for chunk in _chunks(completed) for row in conn.execute(
                    f"SELECT id FROM exchange WHERE outcome != 'pending' AND id IN ({', '.join('?' * len(chunk))})",
                    tuple(chunk))]
                if again:
                    _unindex(conn, again)
                conn.executemany(_COMPLETE_SQL, results.values())  # a deleted row stays deleted
                _index(conn, completed)
            ids: list[int] = []
            for values in pending:
                row_id = conn.execute(_INSERT_SQL, values).lastrowid
                assert row_id is not None
                ids.append(row_id)
            return ids

        return self._write(work)

    def record(self, request: ExchangeRequest, result: ExchangeResult) -> int:
        """Write a finished exchange in one go (no pending step); returns its id."""
        if result.outcome is Outcome.PENDING:
            raise ValueError("record() needs a final outcome; use begin() for a pending exchange")
        values = _row_values(_from_request(request, result))

        def work(conn: sqlite3.Connection) -> int:
            row_id = conn.execute(_INSERT_SQL, values).lastrowid
            assert row_id is not None
            _index(conn, (row_id,))
            return row_id

        return self._write(work)

    def import_exchanges(self, exchanges: Iterable[Exchange], *, skip_duplicates: bool = True,
                         batch_size: int = 1000) -> ImportResult:
        """Add exchanges (their ids are ignored; new ones are given). One transaction per batch, so a
        long import never holds the file for long. A pending exchange comes in as interrupted."""
        imported = skipped = 0
        batch: list[Exchange] = []

        def flush(conn: sqlite3.Connection) -> tuple[int, int]:
            added: list[int] = []
            dupes = 0
            for exchange in batch:
                if exchange.outcome is Outcome.PENDING:
                    exchange = replace(exchange, outcome=Outcome.INTERRUPTED,
                                       error=exchange.error or INTERRUPTED_ERROR)
                values = _row_values(exchange)
                if skip_duplicates and conn.execute(
                    "SELECT 1 FROM exchange WHERE started_at = ? AND method = ? AND url = ? "
                    "AND request_body = ? LIMIT 1", (values[0], values[3], values[4], values[6])
                ).fetchone():
                    dupes += 1
                    continue
                row_id = conn.execute(_INSERT_SQL, values).lastrowid
                assert row_id is not None
                added.append(row_id)
            _index(conn, added)
            return len(added), dupes

        for exchange in exchanges:
            batch.append(exchange)
            if len(batch) >= batch_size:
                added, dupes = self._write(flush)
                imported, skipped, batch = imported + added, skipped + dupes, []
        if batch:
            added, dupes = self._write(flush)
            imported, skipped = imported + added, skipped + dupes
        return ImportResult(imported, skipped)

    def recover_interrupted(self) -> int:
        """Mark `interrupted` the pending rows whose writing process has ended; returns how many.
        Runs on open; rows of a live writer (another window, a CLI run) are left alone."""
        writers = self._read(lambda conn: conn.execute(
            "SELECT DISTINCT writer_pid, writer_token FROM exchange WHERE outcome = 'pending'").fetchall())
        gone = [(pid, token) for pid, token in writers if not writer_alive(pid, token)]
        if not gone:
            return 0

        def work(conn: sqlite3.Connection) -> int:
            ids: list[int] = []
            for pid, token in gone:
                ids.extend(row[0] for row in conn.execute(
                    "SELECT id FROM exchange WHERE outcome = 'pending' AND writer_pid IS ? "
                    "AND writer_token IS ?",
                    (pid, token)))
            for chunk in _chunks(ids):
                conn.execute(
                    "UPDATE exchange SET outcome = 'interrupted', error = ?, writer_pid = NULL, "
                    "writer_token = NULL WHERE outcome = 'pending' "
                    f"AND id IN ({', '.join('?' * len(chunk))})",
                    (INTERRUPTED_ERROR, *chunk))
            _index(conn, ids)
            return len(ids)

        return self._write(work)

    # -- queries ------------------------------------------------------------------------------------

    def query(self, filters: HistoryFilter | None = None, *, before_id: int | None = None,
              limit: int = 100) -> list[ExchangeSummary]:
        """One page, newest first. For the next page pass the last row's id as `before_id`."""
        where = _where(filters)
        if where.impossible or limit <= 0:
            return []

        def work(conn: sqlite3.Connection) -> list[Any]:
            statement = _select(conn, where, _SUMMARY_COLUMNS, order="DESC", limit=limit,
                                key=None if before_id is None else ("<", before_id))
            return [] if statement is None else conn.execute(*statement).fetchall()

        return [_summary(row) for row in self._read(work)]

    def count(self, filters: HistoryFilter | None = None) -> int:
        where = _where(filters)
        if where.impossible:
            return 0

        def work(conn: sqlite3.Connection) -> int:
            if where.match is not None and not where.clauses and not where.time_clauses:
                return int(conn.execute("SELECT count(*) FROM exchange_fts WHERE exchange_fts MATCH ?",
                                        (where.match,)).fetchone()[0])
            statement = _select(conn, where, "count(*)")
            return 0 if statement is None else int(conn.execute(*statement).fetchone()[0])

        return self._read(work)

    def get(self, exchange_id: int) -> Exchange | None:
        row = self._read(lambda conn: conn.execute(
            f"SELECT {_ALL_COLUMNS} FROM exchange AS e WHERE e.id = ?", (exchange_id,)).fetchone())
        return None if row is None else _exchange(row)

    def iter_exchanges(self, filters: HistoryFilter | None = None, *, newest_first: bool = False,
                       batch: int = 200) -> Iterator[Exchange]:
        """Every matching exchange, whole, oldest first unless asked otherwise: for exports. Reads in
        keyset batches, so the file is never held between batches."""
        where = _where(filters)
        if where.impossible:
            return
        op, order = ("<", "DESC") if newest_first else (">", "ASC")
        last: int | None = None
        while True:
            def work(conn: sqlite3.Connection, last: int | None = last) -> list[Any]:
                statement = _select(conn, where, _ALL_COLUMNS, order=order, limit=batch,
                                    key=None if last is None else (op, last))
                return [] if statement is None else conn.execute(*statement).fetchall()

            rows = self._read(work)
            for row in rows:
                yield _exchange(row)
            if len(rows) < batch:
                return
            last = rows[-1][0]

    def distinct_values(self, column: str) -> list[str]:
        """The values present in `column` (event_type, environment, outcome, run_id), sorted: for
        filter choices. Each value costs one index lookup, however many rows there are."""
        if column not in DISTINCT_COLUMNS:
            raise ValueError(f"distinct_values: column must be one of {sorted(DISTINCT_COLUMNS)}")
        sql = (
            f"WITH RECURSIVE d(v) AS (SELECT min({column}) FROM exchange "
            f"UNION ALL SELECT (SELECT min({column}) FROM exchange WHERE {column} > d.v) FROM d "
            f"WHERE d.v IS NOT NULL) SELECT v FROM d WHERE v IS NOT NULL"
        )
        return [str(row[0]) for row in self._read(lambda conn: conn.execute(sql).fetchall())]

    def stats(self) -> HistoryStats:
        def work(conn: sqlite3.Connection) -> HistoryStats:
            by_outcome = dict(conn.execute(
                "SELECT outcome, count(*) FROM exchange GROUP BY outcome").fetchall())
            by_event = {
                str(k): v for k, v in conn.execute(
                    "SELECT coalesce(event_type, '(none)'), count(*) FROM exchange GROUP BY event_type "
                    "ORDER BY 2 DESC").fetchall()
            }
            oldest, newest = conn.execute("SELECT min(started_at), max(started_at) FROM exchange").fetchone()
            return HistoryStats(
                total=sum(by_outcome.values()), pending=by_outcome.get(Outcome.PENDING.value, 0),
                by_outcome=by_outcome, by_event_type=by_event,
                oldest=None if oldest is None else from_micros(oldest),
                newest=None if newest is None else from_micros(newest),
                file_bytes=self.file_bytes(),
            )

        return self._read(work)

    def file_bytes(self) -> int:
        """The size on disk, write-ahead log included."""
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += Path(f"{self._path}{suffix}").stat().st_size
        return total

    def data_version(self) -> int:
        """Changes whenever another connection (another process) commits: cheap to poll for a view
        that should show rows another program adds."""
        return int(self._read(lambda conn: conn.execute("PRAGMA data_version").fetchone()[0]))

    # -- editing ------------------------------------------------------------------------------------

    def set_star(self, exchange_id: int, starred: bool) -> bool:
        """Returns whether the exchange exists."""
        return self._write(lambda conn: conn.execute(
            "UPDATE exchange SET starred = ? WHERE id = ?", (1 if starred else 0, exchange_id)).rowcount > 0)

    def set_note(self, exchange_id: int, note: str) -> bool:
        """Returns whether the exchange exists."""
        return self._write(lambda conn: conn.execute(
            "UPDATE exchange SET note = ? WHERE id = ?", (note, exchange_id)).rowcount > 0)

    def delete(self, ids: Iterable[int]) -> int:
        """Delete these exchanges; returns how many existed."""
        unique = sorted({int(i) for i in ids})
        if not unique:
            return 0
        return self._write(lambda conn: _delete_ids(conn, unique))

    def clear(self) -> int:
        """Delete every exchange except those a live process is still sending; returns how many."""
        self.recover_interrupted()

        def work(conn: sqlite3.Connection) -> int:
            # Only final rows are indexed, and all of them go: dropping the whole index at once is
            # much faster than forgetting rows one by one.
            conn.execute("INSERT INTO exchange_fts(exchange_fts) VALUES ('delete-all')")
            if conn.execute("SELECT 1 FROM exchange WHERE outcome = 'pending' LIMIT 1").fetchone() is None:
                # Without a WHERE, SQLite drops whole pages instead of visiting rows: several times faster.
                return int(conn.execute("DELETE FROM exchange").rowcount)
            return int(conn.execute("DELETE FROM exchange WHERE outcome != 'pending'").rowcount)

        return self._write(work)

    def compact(self) -> None:
        """Give the space of deleted rows back to the disk (VACUUM). Slow on a large file."""
        def work(conn: sqlite3.Connection) -> None:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        self._read(work)

    def apply_retention(self, max_count: int | None = None, max_age: timedelta | None = None) -> int:
        """Delete the oldest finished exchanges beyond `max_count`, and those started longer than
        `max_age` ago; returns how many. Works in batches so another writer is never held up long."""
        if max_count is not None and max_count < 0:
            raise ValueError("max_count must be 0 or more")
        deleted = 0
        if max_count is not None:
            row = self._read(lambda conn: conn.execute(
                "SELECT id FROM exchange ORDER BY id DESC LIMIT 1 OFFSET ?", (max_count,)).fetchone())
            if row is not None:
                deleted += self._delete_batches("id <= ?", (row[0],))
        if max_age is not None:
            cutoff = to_micros(datetime.now(UTC) - max_age)
            deleted += self._delete_batches("started_at < ?", (cutoff,))
        return deleted

    def _delete_batches(self, condition: str, params: tuple[Any, ...], batch: int = 2000) -> int:
        def work(conn: sqlite3.Connection) -> tuple[int, int]:
            ids = [row[0] for row in conn.execute(
                f"SELECT id FROM exchange WHERE outcome != 'pending' AND {condition} ORDER BY id LIMIT ?",
                (*params, batch))]
            return len(ids), (_delete_ids(conn, ids) if ids else 0)

        total = 0
        while True:
            selected, deleted = self._write(work)
            total += deleted
            if selected < batch:
                return total
