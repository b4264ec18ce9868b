"""The history file itself: pragmas, schema versions and migrations, and every way it can fail."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

import pytest

from yespo_console.core.errors import InputError, StoreError
from yespo_console.core.history import (
    SCHEMA_VERSION,
    HistoryFilter,
    HistoryStore,
    exchange_from_record,
    exchange_record,
)
from yespo_console.core.history import db as history_db
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome


def _request(key: str) -> ExchangeRequest:
    return ExchangeRequest(url="https://yespo.io/api/v2/event", event_type="pageViewed", key_value=key,
                           body=b'{"eventTypeKey":"pageViewed","keyValue":"%s"}' % key.encode())


def _file_pragma(path: Path, name: str) -> object:
    """A setting kept in the file itself, read as any other program would."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]


def test_new_file_is_wal_with_normal_sync_a_busy_timeout_and_the_current_version(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        assert _file_pragma(store.path, "journal_mode") == "wal"
        assert _file_pragma(store.path, "user_version") == SCHEMA_VERSION == 5
        conn = store._connection()  # these two belong to the store's connection, not to the file
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_missing_folders_are_created(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "a" / "b" / "h.sqlite3") as store:
        assert store.count() == 0


def test_v1_file_with_rows_is_upgraded_and_its_rows_become_searchable(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = history_db.connect(path, target=1)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'exchange_fts'").fetchone()[0] == 0
    for n, outcome in enumerate(("accepted", "rejected", "pending")):
        conn.execute(
            "INSERT INTO exchange (started_at, environment, method, url, request_body, outcome, key_value, "
            "writer_pid, writer_token) VALUES (?, 'sandbox', 'POST', 'https://yespo.io/api/v2/event', ?, ?, ?, ?, ?)",
            (n, b'{"eventTypeKey":"legacyEvent"}', outcome, f"old-{n}",
             os.getpid() if outcome == "pending" else None, None))
    conn.close()

    with HistoryStore(path) as store:
        assert _file_pragma(path, "user_version") == SCHEMA_VERSION
        assert store.count() == 3
        assert store.count(HistoryFilter(search="legacyEvent")) == 3  # the pending one became interrupted
        assert store.count(HistoryFilter(outcome=Outcome.INTERRUPTED)) == 1
        exchange_id = store.begin(_request("after-upgrade"))
        store.complete(exchange_id, ExchangeResult(Outcome.ACCEPTED, 200))
        assert store.count(HistoryFilter(search="after-upgrade")) == 1


def test_v2_file_is_upgraded_to_substring_search_keeping_every_row(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = history_db.connect(path, target=2)
    assert "unicode61" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'exchange_fts'").fetchone()[0]
    for n in range(5):
        conn.execute(
            "INSERT INTO exchange (started_at, environment, method, url, request_body, outcome, key_value) "
            "VALUES (?, 'sandbox', 'POST', 'https://yespo.io/api/v2/event', ?, 'accepted', ?)",
            (n, b'{"eventTypeKey":"pageViewed","params":[{"name":"phone","value":"38050123456%d"}]}' % n,
             f"olena.{n}@example.com"))
    conn.execute("INSERT INTO exchange_fts(rowid, request_body, response_body, key_value) "
                 "SELECT id, yc_fts_text(request_body), yc_fts_text(response_body), key_value FROM exchange")
    assert conn.execute("SELECT count(*) FROM exchange_fts WHERE exchange_fts MATCH '\"0501\"'").fetchone()[0] == 0
    conn.close()

    with HistoryStore(path) as store:
        assert _file_pragma(path, "user_version") == SCHEMA_VERSION
        assert store.count() == 5
        assert store.count(HistoryFilter(search="0501234")) == 5  # inside the phone numbers
        assert store.count(HistoryFilter(search="5640")) == 0
        assert store.count(HistoryFilter(search="lena.3@exam")) == 1  # inside the keyValue
        assert store.count(HistoryFilter(search="pageView")) == 5
        assert store.count(HistoryFilter(kind="send")) == 5  # every row before v4 was a send


def test_an_upgrade_to_come_is_known_before_opening(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    assert not history_db.upgrade_pending(path)  # no file: nothing to rebuild
    history_db.connect(path, target=2).close()
    assert history_db.upgrade_pending(path)
    HistoryStore(path).close()
    assert not history_db.upgrade_pending(path)
    (tmp_path / "junk.sqlite3").write_bytes(b"not a database at all" * 100)
    assert not history_db.upgrade_pending(tmp_path / "junk.sqlite3")


def test_fresh_and_upgraded_files_have_the_same_schema(tmp_path: Path) -> None:
    def schema(path: Path) -> list[tuple[str, str]]:
        conn = sqlite3.connect(path)
        rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name").fetchall()
        conn.close()
        return rows

    history_db.connect(tmp_path / "step.sqlite3", target=1).close()
    HistoryStore(tmp_path / "step.sqlite3").close()
    HistoryStore(tmp_path / "fresh.sqlite3").close()
    assert schema(tmp_path / "step.sqlite3") == schema(tmp_path / "fresh.sqlite3")


def test_a_failing_migration_leaves_the_file_at_its_old_version(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "h.sqlite3"
    history_db.connect(path, target=1).close()

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        conn.execute("THIS IS NOT SQL")

    monkeypatch.setitem(history_db.MIGRATIONS, 2, broken)
    with pytest.raises(StoreError):
        HistoryStore(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0
    conn.close()
    monkeypatch.undo()
    with HistoryStore(path) as store:
        assert store.count() == 0


def test_a_file_from_a_newer_version_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match=rf"newer Yespo Console .*schema version {SCHEMA_VERSION + 1}"):
        HistoryStore(path)
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0


def test_a_file_that_is_not_a_database_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(StoreError, match="damaged or is not a Yespo Console history"):
        HistoryStore(path)


def test_a_database_of_someone_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE exchange (something_else)")  # same name, other shape, version 0
    conn.commit()
    conn.close()
    with pytest.raises(StoreError):
        HistoryStore(path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_file_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(StoreError, match=r"read-only|cannot open"), HistoryStore(path) as store:
            store.begin(_request("x"))
    finally:
        tmp_path.chmod(0o755)


def test_an_unwritable_data_folder_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StoreError):
        HistoryStore(blocker / "sub" / "h.sqlite3")
    with pytest.raises(StoreError):
        HistoryStore.open(blocker / "sub")


def test_a_full_disk_is_a_store_error_and_the_store_still_works_after(tmp_path: Path) -> None:
    def send(key: str, answer: bytes = b"") -> None:
        store.complete(store.begin(_request(key)), ExchangeResult(Outcome.ACCEPTED, 200, body=answer))

    with HistoryStore(tmp_path / "h.sqlite3") as store:
        conn = store._connection()  # the limit is the connection's: the store's own must have it
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # as if the disk had two pages left
        with pytest.raises(StoreError, match="disk is full"):
            for n in range(100):
                send(f"k{n}" * 500, b"x" * 4000)
        conn.execute("PRAGMA max_page_count = 1073741823")
        assert not conn.in_transaction
        send("after")
        assert store.count(HistoryFilter(search="after")) == 1


def test_a_writer_holding_the_file_too_long_gives_a_busy_error_not_a_hang(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with HistoryStore(path, wait_s=0.3) as store:
            assert store.count() == 0  # reads go on while another process writes (WAL)
            with pytest.raises(StoreError, match="busy"):
                store.begin(_request("blocked"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_short_lock_is_waited_out(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
    with HistoryStore(path, wait_s=5) as store:
        exchange_id = store.begin(_request("waited"))
        assert store.get(exchange_id) is not None
    holder.close()


def test_error_messages_name_the_situation() -> None:
    def error(name: str) -> sqlite3.Error:
        exc = sqlite3.OperationalError("low-level text")
        exc.sqlite_errorname = name
        return exc

    assert "busy" in str(history_db.store_error(error("SQLITE_BUSY_SNAPSHOT"), "f"))
    assert "read-only" in str(history_db.store_error(error("SQLITE_READONLY_DBMOVED"), "f"))
    assert "disk is full" in str(history_db.store_error(error("SQLITE_FULL"), "f"))
    assert "damaged" in str(history_db.store_error(error("SQLITE_CORRUPT_INDEX"), "f"))
    assert "cannot open" in str(history_db.store_error(error("SQLITE_CANTOPEN"), "f"))
    assert "low-level text" in str(history_db.store_error(error("SQLITE_IOERR_WRITE"), "f"))
    assert "permission" in str(history_db.store_error(error("SQLITE_PERM"), "f"))
    assert "low-level text" in str(history_db.store_error(error("SQLITE_ERROR"), "f"))
    assert "No space" in str(history_db.store_error(OSError(28, "No space left on device"), "f"))


def test_fts_text_is_deterministic_and_never_fails() -> None:
    assert history_db.fts_text(None) is None
    assert history_db.fts_text(b'{"a":"\\u041a"}') == '{"a": "К"}'
    assert history_db.fts_text(b"\\u not json") == "\\u not json"
    assert history_db.fts_text(b"[" * 100_000 + b"\\u0041") is not None  # too deep for json: kept as is
    assert history_db.fts_text(b"\xff") == "\ufffd"


def test_a_write_refused_as_read_only_is_a_store_error_with_advice(tmp_path: Path) -> None:
    # Root ignores file modes (see the test above); SQLite's own read-only switch gives the same error.
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store._connection().execute("PRAGMA query_only = ON")
        with pytest.raises(StoreError, match="read-only"):
            store.begin(_request("x"))
        assert store.count() == 0


def test_the_kind_of_an_exchange_is_kept_filtered_and_exported(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        for kind in ("send", "lookup", "proxied", "lookup"):
            row = store.begin(ExchangeRequest(url="http://127.0.0.1:1/api/v2/event", body=b"{}", kind=kind))
            store.complete(row, ExchangeResult(Outcome.ACCEPTED, 200))
        assert [store.count(HistoryFilter(kind=kind)) for kind in ("send", "lookup", "proxied")] == [1, 2, 1]
        assert store.get(2).kind == "lookup" and store.get(2).to_request().kind == "lookup"
        record = exchange_record(store.get(3))
        assert record["kind"] == "proxied" and exchange_from_record(record).kind == "proxied"
        assert exchange_from_record({**record, "kind": None}).kind == "send"
        with pytest.raises(InputError, match="unknown kind 'forwarded'"):
            exchange_from_record({**record, "kind": "forwarded"})
