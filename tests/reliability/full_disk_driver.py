"""A real full disk, for test_storage_faults.py: run as root inside `unshare --mount`, so that the tiny
tmpfs it mounts is private to it and vanishes with it.

    full_disk_driver.py MOUNTPOINT EVENT_URL BODY_FILE

Prints one JSON object with what happened at each step; exits 77 when it cannot mount.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any


def cli(home: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "yespo_console", "--data-dir", str(home), *args],
                          capture_output=True, text=True, timeout=60, check=False)
    return {"code": done.returncode, "out": done.stdout, "err": done.stderr}


def fill(folder: Path) -> str:
    try:
        with open(folder / "filler", "wb") as out:
            while True:
                out.write(b"\0" * 4096)
                out.flush()
    except OSError as exc:
        return exc.strerror or str(exc)


def rows(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return [tuple(row) for row in conn.execute("SELECT id, key_value, outcome, request_body FROM exchange")]
    finally:
        conn.close()


def main(argv: list[str]) -> int:
    mount, url, body = Path(argv[0]), argv[1], argv[2]
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=False).returncode:
        return 77
    report: dict[str, Any] = {}
    # The CLI: a history with rows, then the disk fills up, then a send and a list.
    home = mount / "cli"
    report["before"] = [cli(home, "send", body, "--url", url)["code"] for _ in range(2)]
    report["rows_before"] = [list(map(str, row)) for row in rows(home / "history.sqlite3")]
    report["filled"] = fill(mount)
    report["send_when_full"] = cli(home, "send", body, "--url", url)
    report["list_when_full"] = cli(home, "history", "list", "--json")
    os.remove(mount / "filler")
    report["rows_after"] = [list(map(str, row)) for row in rows(home / "history.sqlite3")]
    report["send_after"] = cli(home, "send", body, "--url", url)

    # The app's way: the store is open (its WAL and SHM exist) when the disk fills up.
    from yespo_console.core.errors import StoreError
    from yespo_console.core.history import HistoryStore
    from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
    from yespo_console.core.http.outcome import Outcome

    def request(n: int) -> ExchangeRequest:
        return ExchangeRequest(url=url, body=json.dumps({"n": n, "pad": "x" * 3000}).encode(),
                               environment="sandbox", event_type="t", key_value=f"open-{n}")

    open_home = mount / "app"
    open_home.mkdir()
    store = HistoryStore(open_home / "history.sqlite3")
    for n in range(2):
        store.complete(store.begin(request(n)), ExchangeResult(Outcome.ACCEPTED, 200, (), b"ok", 1.0))
    fill(mount)
    report["open_store_error"] = ""
    try:
        for n in range(2, 200):
            store.complete(store.begin(request(n)), ExchangeResult(Outcome.ACCEPTED, 200, (), b"ok", 1.0))
    except StoreError as exc:
        report["open_store_error"] = str(exc)
    store.close()
    os.remove(mount / "filler")
    report["open_rows_after"] = [list(map(str, row[:3])) for row in rows(open_home / "history.sqlite3")]
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
