"""The SQLite file under the history store: opening, schema migrations, transactions, errors.

The schema version lives in `PRAGMA user_version`. Each step of `MIGRATIONS` moves the file one
version up inside one transaction (SQLite DDL is transactional), so a failed or interrupted upgrade
leaves the file at its old version. A file from a newer version is refused, never touched.

Full-text search is its own step (v2) because it is built from rows that already exist: keeping it
separate makes the upgrade path of a filled database something the tests exercise, not a theory. v3
rebuilds that index on trigrams, so that any part of a word is found (v2 found whole words only). v4
adds each exchange's kind; v5 the table of verifications (what followed a send).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from yespo_console.core.errors import StoreError

T = TypeVar("T")

SCHEMA_VERSION = 5
DEFAULT_WAIT_S = 30.0
_BUSY_TIMEOUT_MS = 5_000
# Errors in our own SQL, not in the file: they must surface as the bugs they are, not as a store problem.
_BUGS = (sqlite3.ProgrammingError, sqlite3.InterfaceError)


def fts_text(value: bytes | str | None) -> str | None:
    """The text the search index holds for a body: UTF-8 (bad bytes replaced), and JSON written with
    `\\u` escapes unescaped, so that a name in Cyrillic is found however the body was encoded, and NUL
    made a space.

    It must stay deterministic: rows are removed from the index by giving it the same text again.
    A change here needs a migration that rebuilds the index."""
    if value is None:
        return None
    text = value if isinstance(value, str) else value.decode("utf-8", errors="replace")
    if "\\u" in text:
        # Any body at all must still be saved: one that does not parse is indexed as it is.
        with contextlib.suppress(Exception):
            unescaped = json.dumps(json.loads(text), ensure_ascii=False)
            unescaped.encode("utf-8")  # a lone surrogate (\ud800) has no UTF-8: such a body is indexed as it is
            text = unescaped
    # The trigram tokenizer stops at a NUL: what follows one would never be found.
    return text.replace("\x00", " ")


def _v1_exchanges(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE exchange (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, so a deleted id never comes back
            started_at INTEGER NOT NULL,            -- microseconds since 1970 UTC
            finished_at INTEGER,
            environment TEXT NOT NULL,
            method TEXT NOT NULL,
            url TEXT NOT NULL,
            request_headers TEXT NOT NULL DEFAULT '[]',  -- JSON [[name, value], ...], masked
            request_body BLOB NOT NULL,
            event_type TEXT,
            key_value TEXT,
            key_value_source TEXT,
            diagnostics TEXT NOT NULL DEFAULT '[]',
            outcome TEXT NOT NULL,
            status INTEGER,
            response_headers TEXT NOT NULL DEFAULT '[]',
            response_body BLOB NOT NULL DEFAULT x'',
            duration_ms REAL,
            error TEXT NOT NULL DEFAULT '',
            run_id TEXT,
            note TEXT NOT NULL DEFAULT '',
            starred INTEGER NOT NULL DEFAULT 0,
            writer_pid INTEGER,      -- set while pending: who will complete the row
            writer_token TEXT
        )
        """
    )
    # A single-column index also orders by rowid within one value, which is what keyset paging
    # newest-first with an equality filter needs.
    for statement in (
        "CREATE INDEX exchange_event_type ON exchange(event_type)",
        "CREATE INDEX exchange_outcome ON exchange(outcome)",
        "CREATE INDEX exchange_environment ON exchange(environment)",
        "CREATE INDEX exchange_started_at ON exchange(started_at)",
        # Row ids in order with their times: finds where a time range starts, walking small entries
        # instead of whole rows (see HistoryStore's handling of time ranges).
        "CREATE INDEX exchange_id_started ON exchange(id, started_at)",
        "CREATE INDEX exchange_run_id ON exchange(run_id) WHERE run_id IS NOT NULL",
        "CREATE INDEX exchange_starred ON exchange(starred) WHERE starred = 1",
        "CREATE INDEX exchange_pending ON exchange(writer_pid, writer_token) WHERE outcome = 'pending'",
    ):
        conn.execute(statement)


def _v2_search(conn: sqlite3.Connection) -> None:
    # Contentless: the bodies are already in `exchange`; the index keeps tokens only. Only final rows
    # are indexed (see HistoryStore), so each body is tokenized once, when the exchange completes.
    conn.execute(
        "CREATE VIRTUAL TABLE exchange_fts USING fts5(request_body, response_body, key_value, "
        "content='', columnsize=0, tokenize='unicode61 remove_diacritics 2')"
    )
    _index_final_rows(conn)


def _v3_substring_search(conn: sqlite3.Connection) -> None:
    # The same contentless index, on trigrams: any run of 3+ characters is found, inside a phone number,
    # an email or an id (FTS5's trigram tokenizer, SQLite 3.34+), folded to one case. Rebuilt from the
    # rows, so every exchange of a v2 file stays searchable; the rows themselves are not touched.
    conn.execute("DROP TABLE exchange_fts")
    conn.execute(
        "CREATE VIRTUAL TABLE exchange_fts USING fts5(request_body, response_body, key_value, "
        "content='', columnsize=0, tokenize='trigram')"
    )
    _index_final_rows(conn)


def _v4_kind(conn: sqlite3.Connection) -> None:
    # What each exchange was (core.http.exchange.ExchangeKind): every row before this one was a send.
    conn.execute("ALTER TABLE exchange ADD COLUMN kind TEXT NOT NULL DEFAULT 'send'")
    conn.execute("CREATE INDEX exchange_kind ON exchange(kind, id)")


def _v5_verification(conn: sqlite3.Connection) -> None:
    # What followed an exchange (core.followup.verify): one row per verified exchange, the latest kept.
    # The trigger drops it with its exchange, whichever way that goes (delete, prune, clear).
    conn.execute(
        """
        CREATE TABLE verification (
            exchange_id INTEGER PRIMARY KEY,
            verified_at INTEGER NOT NULL,  -- microseconds since 1970 UTC
            status TEXT NOT NULL,          -- linked, nothing, contact_not_found, contact_unknown, error, cancelled
            summary TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'  -- JSON: Verification.as_dict(), masked
        )
        """
    )
    conn.execute(
        "CREATE TRIGGER exchange_verification_gone AFTER DELETE ON exchange "
        "BEGIN DELETE FROM verification WHERE exchange_id = old.id; END"
    )


def _index_final_rows(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO exchange_fts(rowid, request_body, response_body, key_value) "
        "SELECT id, yc_fts_text(request_body), yc_fts_text(response_body), key_value "
        "FROM exchange WHERE outcome != 'pending'"
    )


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _v1_exchanges, 2: _v2_search, 3: _v3_substring_search, 4: _v4_kind, 5: _v5_verification,
}


def _disk_full(path: Path | str) -> bool:
    try:
        return shutil.disk_usage(Path(path).parent).free < 64 * 1024
    except OSError:
        return False


def store_error(exc: sqlite3.Error | OSError, path: Path | str) -> StoreError:
    """A plain sentence for a person, naming the file and what to do."""
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return StoreError(f"cannot use the history folder for {path}: {reason}")
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreError(f"the history file {path} is busy (another Yespo Console is writing to it); "
                          "try again in a moment")
    if name.startswith("SQLITE_READONLY"):
        return StoreError(f"the history file {path} is read-only; check its permissions or choose another "
                          "folder with --data-dir or $YESPO_CONSOLE_HOME")
    if name in ("SQLITE_FULL", "SQLITE_IOERR_SHMSIZE") or (name.startswith("SQLITE_IOERR") and _disk_full(path)):
        # Opening needs room for the -shm file too: a full disk then fails as an I/O error, not SQLITE_FULL.
        return StoreError(f"the disk is full: cannot write to the history file {path}")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StoreError(f"the history file {path} is damaged or is not a Yespo Console history "
                          "(move it aside and a new one will be created)")
    if name.startswith("SQLITE_CANTOPEN"):
        return StoreError(f"cannot open the history file {path}; check that its folder exists and is "
                          "writable")
    if name.startswith("SQLITE_IOERR"):
        return StoreError(f"input/output error on the history file {path} ({exc})")
    if name.startswith(("SQLITE_PERM", "SQLITE_AUTH")):
        return StoreError(f"no permission to use the history file {path}")
    return StoreError(f"history store error on {path}: {exc}")


def is_busy(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def newer_schema_error(path: Path | str, version: int) -> StoreError:
    return StoreError(
        f"the history file {path} was written by a newer Yespo Console (schema version {version}; this "
        f"version knows up to {SCHEMA_VERSION}). Upgrade Yespo Console, or choose another folder with "
        "--data-dir or $YESPO_CONSOLE_HOME."
    )


def _user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _retrying(attempt: Callable[[], T], *, path: Path | str, wait_s: float) -> T:
    """Run `attempt` again while the file is busy (another process writes, recovers or checkpoints),
    with a growing pause, until `wait_s`; any other failure becomes a StoreError in plain words."""
    deadline = time.monotonic() + wait_s
    delay = 0.005
    while True:
        try:
            return attempt()
        except sqlite3.Error as exc:
            if isinstance(exc, _BUGS):
                raise
            if is_busy(exc) and time.monotonic() < deadline:
                time.sleep(delay)
                delay = min(delay * 2, 0.25)
                continue
            raise store_error(exc, path) from exc


def transaction(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], *,
                path: Path | str, wait_s: float = DEFAULT_WAIT_S) -> T:
    """Run `work` in one write transaction taken up front (BEGIN IMMEDIATE), so that it never has to
    upgrade a read lock midway, which is the case SQLite cannot wait out. While another process
    writes, SQLite's busy timeout waits; past it, the whole transaction is retried until `wait_s`."""

    def attempt() -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = work(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    return _retrying(attempt, path=path, wait_s=wait_s)


def read(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], T], *,
         path: Path | str, wait_s: float = DEFAULT_WAIT_S) -> T:
    """Run a read. In WAL mode reads do not wait for writers, except while another process
    recovers or checkpoints the log: then retry like a write."""
    return _retrying(lambda: work(conn), path=path, wait_s=wait_s)


def migrate(conn: sqlite3.Connection, *, path: Path | str, target: int = SCHEMA_VERSION,
            wait_s: float = DEFAULT_WAIT_S) -> int:
    """Bring the file to `target`; returns the version it had. Two processes opening a new file at
    once are safe: the version is read again inside the write transaction."""
    found = read(conn, _user_version, path=path, wait_s=wait_s)
    if found > SCHEMA_VERSION:
        raise newer_schema_error(path, found)
    if found >= target:
        return found

    def upgrade(conn: sqlite3.Connection) -> int:
        version = _user_version(conn)
        if version > SCHEMA_VERSION:
            raise newer_schema_error(path, version)
        for step in range(version + 1, target + 1):
            MIGRATIONS[step](conn)
        if version < target:
            conn.execute(f"PRAGMA user_version = {int(target)}")
        return version

    return transaction(conn, upgrade, path=path, wait_s=wait_s)


def upgrade_pending(path: Path) -> bool:
    """Whether opening PATH will migrate it: a search index rebuild, which takes minutes on a large history
    (so a window can say so first). Read without taking any lock; a file that cannot be read is no."""
    if not path.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as conn:
            version = _user_version(conn)
    except sqlite3.Error:
        return False
    return 0 < version < SCHEMA_VERSION


def connect(path: Path, *, target: int = SCHEMA_VERSION,
            wait_s: float = DEFAULT_WAIT_S) -> sqlite3.Connection:
    """An open, migrated connection in WAL mode, or StoreError with the reason."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise store_error(exc, path) from exc
    busy_ms = max(1, min(_BUSY_TIMEOUT_MS, int(wait_s * 1000)))
    try:
        conn = sqlite3.connect(path, timeout=busy_ms / 1000, isolation_level=None,
                               check_same_thread=False, cached_statements=256)
    except sqlite3.Error as exc:
        raise store_error(exc, path) from exc
    try:
        conn.create_function("yc_fts_text", 1, fts_text, deterministic=True)
        conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
        # Checked before anything writes: a newer version's file must stay exactly as it is.
        version = read(conn, _user_version, path=path, wait_s=wait_s)
        if version > SCHEMA_VERSION:
            raise newer_schema_error(path, version)
        read(conn, lambda c: c.execute("PRAGMA journal_mode = WAL").fetchone(), path=path, wait_s=wait_s)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -16000")  # 16 MB: the indexes of a large history stay warm
        conn.execute("PRAGMA temp_store = MEMORY")
        migrate(conn, path=path, target=target, wait_s=wait_s)
    except BaseException as exc:
        conn.close()
        if isinstance(exc, sqlite3.Error):
            raise store_error(exc, path) from exc
        raise
    return conn
