"""The history store: every exchange in one SQLite file, written before the request leaves.

Life of a row: `begin` writes it `pending` (with the writer's pid and process token); `complete`
fills in the answer or the error. A row whose writer died stays pending until the next open, which
marks it `interrupted`. `write_many` does several begins and completes in one transaction: a sender
with many requests in flight (the client, on a busy loop) pays one commit and one index segment for
the lot. The SQL is in `queries` (reading) and `writes` (writing); the columns in `rows`.

One instance is for one thread at a time (a lock makes concurrent calls wait their turn). Another
process may write the same file at once: every write is one short BEGIN IMMEDIATE transaction,
retried while the other holds the lock, so the user never sees "database is locked".
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from yespo_console.core.errors import StoreError
from yespo_console.core.history import db as history_db
from yespo_console.core.history import queries, rows, writes
from yespo_console.core.history import verifications as verification_table
from yespo_console.core.history.models import Exchange, ExchangeSummary, HistoryFilter, HistoryStats, to_micros
from yespo_console.core.history.process import current_token, writer_alive
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.paths import history_path

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ImportResult:
    imported: int
    skipped: int  # already in the store: same start time, method, URL and request body
    verifications: int = 0  # kept with the exchanges imported


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
        # The rows the lists and exports left out because they cannot be read back, for a caller to name.
        self.damaged: dict[Any, rows.DamagedRowError] = {}  # by exchange id
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
        values = rows.pending_values(request, (os.getpid(), current_token()))
        return self._write(lambda conn: writes.insert(conn, values))

    def complete(self, exchange_id: int, result: ExchangeResult) -> None:
        """Fill in the answer or the error. A row deleted meanwhile (history cleared during the
        send) is not brought back."""
        self.write_many(complete=((exchange_id, result),))

    def write_many(self, *, begin: Sequence[ExchangeRequest] = (),
                   complete: Iterable[tuple[int, ExchangeResult]] = ()) -> list[int]:
        """Several `complete`s and `begin`s in one transaction: all committed (the completed ones
        searchable) when this returns. Returns the new pending rows' ids, in order. Given the same
        id twice to complete, the last result counts.

        Far cheaper per exchange than one call each: one commit, and one full-text index segment
        for all the completed rows instead of one per row (writing a segment costs more than
        indexing a small exchange). The client uses it to group the writes of concurrent sends."""
        # Every value is built (and a pending outcome refused) before anything is written.
        results = {exchange_id: rows.result_values(exchange_id, result) for exchange_id, result in complete}
        writer = (os.getpid(), current_token())
        pending = [rows.pending_values(request, writer) for request in begin]
        if not results and not pending:
            return []
        return self._write(lambda conn: writes.write_group(conn, results, pending))

    def import_exchanges(self, exchanges: Iterable[Exchange | verification_table.Imported], *,
                         skip_duplicates: bool = True, batch_size: int = 1000,
                         batch_bytes: int = 16 * 1024 * 1024) -> ImportResult:
        """Add exchanges (their ids are ignored; new ones are given), each with its verification when it
        comes as `Imported` with one. One transaction per batch (of at most `batch_size` exchanges, or as
        many as hold `batch_bytes` of bodies), so a long import never holds the file for long, nor more than
        a batch in memory. A pending exchange comes in as interrupted."""
        imported = skipped = verified = 0
        batch: list[verification_table.Imported] = []
        held = 0

        def flush() -> None:
            nonlocal imported, skipped, verified
            added, dupes, kept = self._write(lambda conn: writes.import_batch(conn, batch,
                                                                              skip_duplicates=skip_duplicates))
            imported, skipped, verified = imported + added, skipped + dupes, verified + kept
            batch.clear()

        for item in exchanges:
            item = item if isinstance(item, verification_table.Imported) else verification_table.Imported(item)
            batch.append(item)
            held += len(item.exchange.request_body) + len(item.exchange.response_body)
            if len(batch) >= batch_size or held >= batch_bytes:
                flush()
                held = 0
        if batch:
            flush()
        return ImportResult(imported, skipped, verified)

    def recover_interrupted(self) -> int:
        """Mark `interrupted` the pending rows whose writing process has ended; returns how many.
        Runs on open; rows of a live writer (another window, a CLI run) are left alone."""
        gone = [(pid, token) for pid, token in self._read(writes.pending_writers) if not writer_alive(pid, token)]
        if not gone:
            return 0
        return self._write(lambda conn: writes.mark_interrupted(conn, gone))

    # -- queries ------------------------------------------------------------------------------------

    def query(self, filters: HistoryFilter | None = None, *, before_id: int | None = None,
              limit: int = 100) -> list[ExchangeSummary]:
        """One page, newest first. For the next page pass the last row's id as `before_id`."""
        where = queries.where(filters)
        if where.impossible or limit <= 0:
            return []
        return self._read(lambda conn: queries.page(conn, where, before_id, limit, self.damaged))

    def count(self, filters: HistoryFilter | None = None, *, at_most: int | None = None) -> int:
        """The matching rows; with AT_MOST, AT_MOST + 1 stands for "more than AT_MOST" (a faster answer)."""
        where = queries.where(filters)
        if where.impossible:
            return 0
        return self._read(lambda conn: queries.count(conn, where, at_most))

    def get(self, exchange_id: int) -> Exchange | None:
        return self._read(lambda conn: queries.exchange(conn, exchange_id))

    def iter_exchanges(self, filters: HistoryFilter | None = None, *, newest_first: bool = False,
                       batch: int = 200) -> Iterator[Exchange]:
        """Every matching exchange, whole, oldest first unless asked otherwise: for exports. Reads in
        keyset batches, so the file is never held between batches."""
        where = queries.where(filters)
        if where.impossible:
            return
        last: int | None = None
        while True:
            def work(conn: sqlite3.Connection, last: int | None = last) -> tuple[list[Exchange], int | None, int]:
                return queries.batch(conn, where, last, newest_first=newest_first, limit=batch, damaged=self.damaged)

            found, last, read = self._read(work)
            yield from found
            if read < batch:
                return

    def data_version(self) -> int:
        """Changes whenever another connection (another process or window) commits to the file."""
        return self._read(queries.data_version)

    def distinct_values(self, column: str) -> list[str]:
        """The values present in `column` (event_type, environment, outcome, run_id), sorted: for
        filter choices."""
        return self._read(lambda conn: queries.distinct_values(conn, column))

    def stats(self) -> HistoryStats:
        return self._read(lambda conn: queries.stats(conn, self.file_bytes()))

    def file_bytes(self) -> int:
        """The size on disk, write-ahead log included."""
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += Path(f"{self._path}{suffix}").stat().st_size
        return total

    # -- editing ------------------------------------------------------------------------------------

    def set_verification(self, record: verification_table.VerificationRecord) -> None:
        """Keep what followed an exchange (replacing an earlier verification); nothing if it is gone."""
        self._write(lambda conn: verification_table.save(conn, record))

    def verifications(self, ids: Sequence[int]) -> dict[int, verification_table.VerificationRecord]:
        """The verifications of these exchanges, by id (the unverified ones are absent)."""
        return self._read(lambda conn: verification_table.load_many(conn, ids))

    def set_star(self, exchange_id: int, starred: bool) -> bool:
        """Returns whether the exchange exists."""
        return self._write(lambda conn: conn.execute(
            "UPDATE exchange SET starred = ? WHERE id = ?", (1 if starred else 0, exchange_id)).rowcount > 0)

    def delete(self, ids: Iterable[int]) -> int:
        """Delete these exchanges; returns how many existed."""
        unique = sorted({int(i) for i in ids})
        if not unique:
            return 0
        return self._write(lambda conn: writes.delete_ids(conn, unique))

    def clear(self) -> int:
        """Delete every exchange except those a live process is still sending; returns how many."""
        self.recover_interrupted()
        return self._write(writes.clear)

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
            try:
                cutoff: int | None = to_micros(datetime.now(UTC) - max_age)
            except OverflowError:  # further back than the year 1: nothing is that old
                cutoff = None
            if cutoff is not None:
                deleted += self._delete_batches("started_at < ?", (cutoff,))
        return deleted

    def _delete_batches(self, condition: str, params: tuple[Any, ...], batch: int = 2000) -> int:
        total = 0
        while True:
            selected, deleted = self._write(
                lambda conn: writes.delete_oldest_finished(conn, condition, params, batch))
            total += deleted
            if selected < batch:
                return total
