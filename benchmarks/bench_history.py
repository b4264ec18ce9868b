"""History store at scale: fill a file with realistic exchanges, then time what the GUI and CLI do.

    .venv/bin/python benchmarks/bench_history.py                 # 1,000,000 exchanges (a few minutes)
    .venv/bin/python benchmarks/bench_history.py --rows 20000    # quick

Targets: first page < 50 ms, full-text and substring query < 200 ms, insert of a completed exchange < 1 ms median.
One send in VERIFIED_EVERY has a verification kept (what followed it), for the --verified/--unverified pages.
Each figure is set beside a baseline measured in the same run on the same machine (a shared, noisy
machine: compare ratios, not absolutes): raw sqlite3 inserts of the same row, OFFSET paging, LIKE.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from yespo_console.core.history import Exchange, HistoryFilter, HistoryStore
from yespo_console.core.http.exchange import utc_now
from yespo_console.core.http.outcome import Outcome

URL = "https://yespo.io/api/v2/event"
FIRST_NAMES = ["olena", "taras", "iryna", "andrii", "maria", "dmytro", "sofiia", "bohdan", "anna", "oleh"]
DOMAINS = ["gmail.com", "ukr.net", "i.ua", "example.com", "meta.ua"]
PRODUCTS = ["Кросівки бігові", "Рюкзак міський", "Чайник електричний", "Навушники бездротові", "Футболка",
            "Смартфон", "Кавоварка", "Лампа настільна"]
USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
]
RARE_EMAIL = "needle.in.haystack@example.org"
VERIFIED_EVERY = 1000  # verifying is done by hand, a send at a time: few sends in a history are verified


def _email(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)}.{rng.randrange(100_000)}@{rng.choice(DOMAINS)}"


def _product(rng: random.Random) -> dict[str, Any]:
    return {"productId": f"SKU-{rng.randrange(10**6):06d}", "price": round(rng.uniform(49, 39_999), 2),
            "isInStock": rng.choice([0, 1]), "name": [rng.choice(PRODUCTS)],
            "category": [f"cat-{rng.randrange(300)}"]}


def event_body(rng: random.Random, email: str) -> tuple[str, bytes]:
    """A Yespo event body as the console sends it: 400-800 bytes, nested values as escaped strings."""
    event = rng.choices(["pageViewed", "productViewed", "cartUpdated", "searchRequest", "productImpressions",
                         "productAddedToWishlist", "orderCreated"], weights=[30, 25, 15, 10, 10, 5, 5])[0]
    params: list[dict[str, Any]] = [{"name": "email", "value": email},
                                    {"name": "phone", "value": f"38050{rng.randrange(10**7):07d}"},
                                    {"name": "externalCustomerId", "value": f"cust-{rng.randrange(10**7)}"}]
    if rng.random() < 0.7:  # what a site adds about the visit
        params.append({"name": "sessionId", "value": f"{rng.getrandbits(128):032x}"})
        params.append({"name": "userAgent", "value": rng.choice(USER_AGENTS)})
    if event == "pageViewed":
        location = f"https://shop.example.ua/catalog/{rng.randrange(500)}?utm_source=newsletter&utm_medium=email"
        params.append({"name": "page", "value": json.dumps({"location": location})})
        params.append({"name": "referrer", "value": "https://www.google.com/search?q=" + "x" * rng.randrange(40, 140)})
    elif event in ("productViewed", "productAddedToWishlist"):
        params.append({"name": "product", "value": json.dumps(_product(rng), ensure_ascii=False)})
        params.append({"name": "currencyCode", "value": "UAH"})
    elif event == "cartUpdated":
        items = [{"productId": f"SKU-{rng.randrange(10**6):06d}", "quantity": rng.randint(1, 3),
                  "price": round(rng.uniform(49, 9999), 2)} for _ in range(rng.randint(1, 3))]
        params.append({"name": "products", "value": json.dumps(items)})
        params.append({"name": "recycleStateId", "value": f"{rng.getrandbits(64):016x}"})
    elif event == "searchRequest":
        params.append({"name": "search", "value": rng.choice(PRODUCTS) + " " + rng.choice(["чорний", "42", "xl"])})
        params.append({"name": "isFound", "value": rng.choice([0, 1])})
    elif event == "productImpressions":
        params.append({"name": "recomVariantId", "value": f"r{rng.randrange(900)}v{rng.randrange(9)}"})
        params.append({"name": "products", "value": json.dumps([{"productId": f"SKU-{rng.randrange(10**6):06d}"}
                                                                for _ in range(rng.randint(3, 8))])})
    else:
        params.append({"name": "externalOrderId", "value": f"ORD-{rng.randrange(10**8)}"})
        params.append({"name": "totalCost", "value": round(rng.uniform(100, 50_000), 2)})
        params.append({"name": "status", "value": "INITIALIZED"})
        params.append({"name": "date", "value": "2025-06-01T12:00:00"})
    body = {"eventTypeKey": event, "keyValue": email, "params": params}
    return event, json.dumps(body, ensure_ascii=False).encode()


REQUEST_HEADERS = (("Content-Type", "application/json; charset=UTF-8"), ("Authorization", "Basic ••••"),
                   ("User-Agent", "yespo-console/0.1.0 python-httpx/0.28.1"), ("Accept", "*/*"))


def _answer(rng: random.Random) -> tuple[Outcome, int | None, tuple[tuple[str, str], ...], bytes, str]:
    roll = rng.random()
    headers = (("Content-Type", "application/json"), ("Date", "Sun, 01 Jun 2025 12:00:00 GMT"),
               ("Server", "nginx"), ("X-Request-Id", f"{rng.getrandbits(128):032x}"))
    if roll < 0.85:
        return Outcome.ACCEPTED, 200, headers, b"", ""
    if roll < 0.93:
        body = b'The event should have the following params: [{"name":"EmailAddress","required":true}]'
        return Outcome.REJECTED, 400, headers, body, "Rejected: missing required params"
    if roll < 0.96:
        return Outcome.RATE_LIMITED, 429, headers, b'{"error":"Too Many Requests"}', "Rate limited"
    if roll < 0.98:
        return Outcome.SERVER_ERROR, 502, headers, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "Server"
    return Outcome.TIMEOUT, None, (), b"", "No answer within 10 s"


def generate(rows: int, seed: int = 7) -> Iterator[Exchange]:
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / max(rows, 1)
    rare_at = {rows // 3, rows // 2, rows - rows // 10}
    for n in range(rows):
        email = RARE_EMAIL if n in rare_at else _email(rng)
        event, body = event_body(rng, email)
        outcome, status, headers, answer, error = _answer(rng)
        at = start + step * n
        duration = rng.lognormvariate(4.5, 0.5) if status else 10_000.0
        yield Exchange(
            id=0, started_at=at, environment=rng.choices(["sandbox", "production", "staging"], [60, 30, 10])[0],
            url=URL, method="POST", request_headers=REQUEST_HEADERS, request_body=body, event_type=event,
            key_value=email, key_value_source="keyValue", outcome=outcome, status=status, response_headers=headers,
            response_body=answer, duration_ms=duration, error=error, finished_at=at + timedelta(milliseconds=duration),
            run_id=f"run-{n // 5000}" if rng.random() < 0.1 else None,
        )


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        action()
        times.append((time.perf_counter() - begin) * 1000)
    return times


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str, str]] = []

    def add(self, name: str, times: list[float], target_ms: float | None = None, note: str = "") -> float:
        ordered = sorted(times)
        median = statistics.median(ordered)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        verdict = "" if target_ms is None else ("ok" if median < target_ms else "MISSED")
        target = "" if target_ms is None else f"< {target_ms:g} ms {verdict}"
        self.rows.append((name, f"{median:.3f}", f"{p99:.3f}", f"{ordered[-1]:.3f}", target, note))
        return median

    def print(self) -> None:
        print(f"\n{'operation':<54} {'median ms':>10} {'p99 ms':>9} {'max ms':>9}  {'target':<16} note")
        print("-" * 124)
        for name, median, p99, worst, target, note in self.rows:
            print(f"{name:<54} {median:>10} {p99:>9} {worst:>9}  {target:<16} {note}")


def raw_baseline(folder: Path, sample: Exchange, repeat: int) -> list[float]:
    """The same row into a plain table with no index and no search index, one commit per row."""
    conn = sqlite3.connect(folder / "raw.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE t (started_at, finished_at, environment, method, url, request_headers, "
                 "request_body, event_type, key_value, outcome, status, response_headers, response_body, "
                 "duration_ms, error)")
    values = (1, 2, sample.environment, sample.method, sample.url, json.dumps(sample.request_headers),
              sample.request_body, sample.event_type, sample.key_value, sample.outcome.value, sample.status,
              json.dumps(sample.response_headers), sample.response_body, sample.duration_ms, sample.error)

    def insert() -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
        conn.execute("COMMIT")

    times = timed(insert, repeat)
    conn.close()
    return times


def add_verifications(path: Path) -> int:
    """Keep a verification with one send in VERIFIED_EVERY, in one transaction (as `verify` keeps each, in shape)."""
    detail = json.dumps({"status": "linked", "summary": "Followed by 1 message sent after it.",
                         "contact": {"id": 42, "channels": [{"type": "email", "value": "a@example.com"}]},
                         "messages": [{"channel": "email", "time": "2025-06-01T12:01:00", "status": "DELIVERED"}],
                         "activities": [], "waitedS": 4.0})
    with sqlite3.connect(path) as conn:
        return conn.execute("INSERT INTO verification (exchange_id, verified_at, status, summary, detail) "
                            "SELECT id, started_at + 60000000, 'linked', 'Followed by 1 message.', ? FROM exchange "
                            "WHERE id % ? = 0", (detail, VERIFIED_EVERY)).rowcount


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="exchanges to generate (default 1,000,000)")
    parser.add_argument("--dir", type=Path, help="folder for the files (default: a temporary folder, removed)")
    parser.add_argument("--repeat", type=int, default=30, help="runs of each query (default 30)")
    parser.add_argument("--inserts", type=int, default=2000, help="single inserts to time (default 2000)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-history-") as temp:
        folder = args.dir or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "history.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        Path(folder / "raw.sqlite3").unlink(missing_ok=True)
        return run(path, folder, args.rows, args.repeat, args.inserts)


def run(path: Path, folder: Path, rows: int, repeat: int, inserts: int) -> int:
    print(f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}; {rows:,} exchanges in {path}")
    sizes = [len(e.request_body) for e in generate(2000, seed=99)]
    print(f"request bodies: median {statistics.median(sizes):.0f} bytes, "
          f"10th-90th percentile {sorted(sizes)[200]}-{sorted(sizes)[1800]}")
    table = Table()

    begin = time.perf_counter()
    with HistoryStore(path) as store:
        result = store.import_exchanges(generate(rows), skip_duplicates=False, batch_size=5000)
    fill_s = time.perf_counter() - begin
    print(f"filled {result.imported:,} exchanges in {fill_s:.1f} s ({result.imported / fill_s:,.0f} rows/s, "
          "batches of 5,000 per transaction)")
    verified = add_verifications(path)
    print(f"verified {verified:,} of them (one in {VERIFIED_EVERY:,})")

    with HistoryStore(path) as store:
        table.add("first page, 100 rows (new connection)", timed(lambda: store.query(limit=100), 1), 50)
    with HistoryStore(path) as store:
        total = store.count()
        middle_id = total // 2
        newest = store.query(limit=1)[0].started_at
        table.add("first page, 100 rows", timed(lambda: store.query(limit=100), repeat), 50)
        table.add(f"page {total - middle_id:,} rows deep: keyset (before_id)",
                  timed(lambda: store.query(before_id=middle_id, limit=100), repeat), 50)
        conn = sqlite3.connect(path)  # the baselines' own, with the store's cache size
        conn.execute("PRAGMA cache_size = -16000")
        table.add("  baseline: the same page by OFFSET", timed(lambda: conn.execute(
            "SELECT id, started_at, environment, url, event_type, key_value, status, outcome, duration_ms, "
            "starred, note FROM exchange ORDER BY id DESC LIMIT 100 OFFSET ?", (total - middle_id,)).fetchall(), 3),
            note="what keyset paging avoids")
        filters = {
            "filtered page: event type": HistoryFilter(event_type="cartUpdated"),
            "filtered page: outcome rejected": HistoryFilter(outcome=Outcome.REJECTED),
            "filtered page: 2 outcomes (429 or 5xx)": HistoryFilter(outcome=(Outcome.RATE_LIMITED,
                                                                              Outcome.SERVER_ERROR)),
            "filtered page: event type + environment": HistoryFilter(event_type="searchRequest",
                                                                     environment="staging"),
            "filtered page: last hour (small range)": HistoryFilter(since=newest - timedelta(hours=1)),
            "filtered page: last 30 days (large range)": HistoryFilter(since=newest - timedelta(days=30)),
            "filtered page: a day, 6 months ago": HistoryFilter(
                since=newest - timedelta(days=181), until=newest - timedelta(days=180)),
            "filtered page: a month, 6 months ago": HistoryFilter(
                since=newest - timedelta(days=210), until=newest - timedelta(days=180)),
            "filtered page: older than 6 months": HistoryFilter(until=newest - timedelta(days=180)),
            "filtered page: event type + older than 6 months": HistoryFilter(
                event_type="orderCreated", until=newest - timedelta(days=180)),
            "filtered page: status 502": HistoryFilter(status=502),
            f"filtered page: verified (1 row in {VERIFIED_EVERY:,})": HistoryFilter(verified=True),
            "filtered page: unverified": HistoryFilter(verified=False),
            "filtered page: verified + event type": HistoryFilter(verified=True, event_type="orderCreated"),
            "filtered page: verified, a month 6 months ago": HistoryFilter(
                verified=True, since=newest - timedelta(days=210), until=newest - timedelta(days=180)),
        }
        for name, chosen in filters.items():
            table.add(name, timed(functools.partial(store.query, chosen, limit=100), repeat), 50)
        searches = {
            "full-text: a rare email (3 rows)": RARE_EMAIL,
            "full-text: a common word (every 4th row)": "productId",
            "full-text: two words, one rare": f"{RARE_EMAIL} pageViewed",
            "full-text: phrase": '"Bad Gateway"',
            "full-text: prefix": "needle*",
            "full-text: Cyrillic word": "Кавоварка",
            # What people type: a part of a value, as it grows key by key.
            "substring: 3 characters, in every row": "380",
            "substring: a phone prefix, in every row": "38050",
            "substring: inside a phone number (~1 row in 10,000)": "0501234",
            "substring: inside an email (3 rows)": "dle.in.hay",
            "substring: inside an id (~1 row in 1,000)": "KU-1234",
            "substring: part of a Cyrillic word": "авовар",
            "substring: found nowhere": "qqzzqq",
            "substring: two parts, together rare": "lena. 4242@",
        }
        for name, text in searches.items():
            table.add(name, timed(functools.partial(store.query, HistoryFilter(search=text), limit=100), repeat), 200)
        table.add("full-text + filter: word and outcome", timed(lambda: store.query(
            HistoryFilter(search="Кавоварка", outcome=Outcome.REJECTED), limit=100), repeat), 200)
        table.add("full-text + filter: common word, a day 6 months ago", timed(lambda: store.query(
            HistoryFilter(search="productId", since=newest - timedelta(days=181),
                          until=newest - timedelta(days=180)), limit=100), repeat), 200)
        table.add("  baseline: LIKE '%email%' over the bodies", timed(lambda: conn.execute(
            "SELECT id FROM exchange WHERE request_body LIKE ? ORDER BY id DESC LIMIT 100",
            (f"%{RARE_EMAIL}%",)).fetchall(), 1), note="what the search index avoids")
        conn.close()
        table.add("count: all", timed(store.count, 5))
        table.add("count: event type", timed(lambda: store.count(HistoryFilter(event_type="cartUpdated")), 5))
        table.add("count: full-text rare email", timed(lambda: store.count(HistoryFilter(search=RARE_EMAIL)), 5))
        table.add("count: full-text common word", timed(lambda: store.count(HistoryFilter(search="productId")), 3))
        table.add("count: substring inside a phone number", timed(lambda: store.count(
            HistoryFilter(search="0501234")), 3))
        table.add("count: substring in every row", timed(lambda: store.count(HistoryFilter(search="38050")), 3))
        table.add("count: substring in every row, up to 10,000", timed(lambda: store.count(
            HistoryFilter(search="38050"), at_most=10_000), 5), note="as the History dock counts a search")
        table.add("count: common word, up to 10,000", timed(lambda: store.count(
            HistoryFilter(search="productId"), at_most=10_000), 5), note="as the History dock counts a search")
        table.add("count: verified", timed(lambda: store.count(HistoryFilter(verified=True)), 5))
        table.add("count: last 30 days", timed(lambda: store.count(
            HistoryFilter(since=newest - timedelta(days=30))), 5))
        table.add("distinct event types (filter combo)", timed(lambda: store.distinct_values("event_type"), repeat))
        table.add("get one exchange", timed(lambda: store.get(middle_id), repeat))

        sample = next(generate(1, seed=5))
        request = sample.to_request()
        answer = sample.to_result()
        assert answer is not None

        def send_like_the_client() -> None:
            exchange_id = store.begin(replace(request, started_at=utc_now()))
            store.complete(exchange_id, answer)

        table.add("insert: begin (pending) + complete", timed(send_like_the_client, inserts), 1,
                  note="two commits, as a send does")
        table.add("insert: import one completed exchange",
                  timed(lambda: store.import_exchanges([replace(sample, started_at=utc_now())], skip_duplicates=False),
                        inserts), 1, note="one commit")
        with HistoryStore(path, background_checkpoints=True) as gui_store:
            def send_from_a_ui_thread() -> None:
                exchange_id = gui_store.begin(replace(request, started_at=utc_now()))
                gui_store.complete(exchange_id, answer)

            table.add("insert: begin + complete, background checkpoints", timed(send_from_a_ui_thread, inserts), 1,
                      note="log copied to the file by another thread")
        table.add("  baseline: raw sqlite3 insert, same row", raw_baseline(folder, sample, inserts),
                  note="no indexes, no search index")
        file_bytes = store.file_bytes()
        oldest = min(10_000, total // 10)
        keep = store.count() - oldest
        table.add(f"retention: delete the oldest {oldest:,}", timed(lambda: store.apply_retention(max_count=keep), 1),
                  note="search index updated too")

    table.print()
    print(f"\nfile size: {file_bytes / 1_048_576:,.0f} MB for {total:,} exchanges "
          f"({file_bytes / max(total, 1):,.0f} bytes per exchange, bodies, indexes and search index included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
