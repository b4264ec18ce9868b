"""Memory on big inputs (issue 15, deliverable 11): the peak resident memory (max RSS) of `history import` of a large
NDJSON export, and of `run --dry-run` over a large contacts CSV, each in a process of its own, as a user runs them.

The NDJSON file is made of realistic exchange records (a 1-2 KB request and response each) up to --import-mb; the
CSV has --contacts rows of email, phone and name. Peak RSS is the child's, from resource.getrusage(RUSAGE_CHILDREN)
after it ends (a fresh process per measure, so one measure's peak never hides another's). Target: under 200 MB for
each, whatever the size: the import streams a line at a time and adds rows in bounded batches.

    .venv/bin/python benchmarks/bench_input_memory.py                          # 176 MB import, 200,000 contacts
    .venv/bin/python benchmarks/bench_input_memory.py --import-mb 20 --contacts 20000   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_MB = 200


def _record(index: int) -> str:
    body = json.dumps({"eventTypeKey": "cartUpdated", "keyValue": f"buyer{index}@example.com", "params": [
        {"name": "cart", "value": json.dumps({"products": [{"productKey": f"SKU-{index}-{n}", "price": 19.99 + n,
                                                             "quantity": n + 1} for n in range(8)]})},
    ]})
    return json.dumps({
        "format": "yespo-console.exchange", "version": 1, "id": index,
        "time": f"2026-11-01T10:{index // 60_000_000 % 60:02d}:{index // 1_000_000 % 60:02d}."
                f"{index % 1_000_000:06d}+00:00",
        "environment": "sandbox", "method": "POST", "url": "http://127.0.0.1:8750/api/v2/event",
        "eventTypeKey": "cartUpdated", "keyValue": f"buyer{index}@example.com", "outcome": "accepted", "status": 200,
        "duration_ms": 12.5, "diagnostics": [],
        "request": {"headers": [["Content-Type", "application/json; charset=UTF-8"]], "body": body},
        "response": {"headers": [["Content-Type", "text/plain"]], "body": "x" * 600},
    }) + "\n"


def make_ndjson(path: Path, megabytes: int) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        while out.tell() < megabytes * 1024 * 1024:
            out.write(_record(count))
            count += 1
    return count


def make_contacts(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("email,phone,name\n")
        for index in range(rows):
            out.write(f"buyer{index}@example.com,+38050{index:07d},Buyer {index}\n")


def peak_rss_mb(*args: str) -> tuple[float, float, int]:
    """(peak RSS in MB, seconds, exit code) of `python -m yespo_console ARGS` in a fresh process."""
    # RUSAGE_CHILDREN keeps the largest peak of all children reaped so far: a fresh runner per measure keeps
    # each figure its own.
    script = ("import resource, subprocess, sys, time; start = time.perf_counter(); "
              "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - start, code)")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    result = subprocess.run([sys.executable, "-c", script, sys.executable, "-m", "yespo_console", *args],
                            capture_output=True, text=True, env=env, check=True)
    kilobytes, seconds, code = result.stdout.split()
    return int(kilobytes) / 1024, float(seconds), int(code)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--import-mb", type=int, default=176, help="size of the NDJSON file to import (default 176)")
    parser.add_argument("--contacts", type=int, default=200_000, help="rows of the contacts CSV (default 200,000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        ndjson, csv, scenario = work / "export.ndjson", work / "contacts.csv", work / "s.yaml"
        exchanges = make_ndjson(ndjson, args.import_mb)
        make_contacts(csv, args.contacts)
        scenario.write_text("name: big\nsteps:\n  - event: pageViewed\n    keyValue: '{{email}}'\n"
                            "    values: {page: {location: 'https://example.com'}}\n")
        print(f"{'measure':<44} {'peak RSS':>10} {'time':>9} {'target':>9} met")
        for label, command in (
            (f"history import {args.import_mb} MB NDJSON ({exchanges:,} rows)",
             ("--data-dir", str(work / "home"), "history", "import", str(ndjson))),
            (f"run --dry-run, {args.contacts:,} contacts",
             ("--data-dir", str(work / "home"), "run", str(scenario), "--data", str(csv), "--dry-run")),
        ):
            peak, seconds, code = peak_rss_mb(*command)
            met = "yes" if peak < TARGET_MB and code in (0, 1) else "NO"
            print(f"{label:<44} {peak:>7.0f} MB {seconds:>7.1f} s {f'< {TARGET_MB} MB':>9} {met}"
                  + ("" if code in (0, 1) else f" (exit {code})"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
