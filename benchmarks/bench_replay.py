"""Bulk replay throughput: the scenario runner re-sending stored exchanges, against a plain httpx script posting
the same bodies, in the same run.

The sandbox runs in a separate process (bench_send.running_sandbox). A source history file is filled with N
exchanges first (not timed); the replay reads them back from it, as `history replay` does, then sends their exact
bytes through `core.scenarios.runner.Runner` with history on (a second store, pending row before each request, completed
after) and concurrency 20. The plain httpx script sends the same bodies with the same concurrency and nothing
else. A third mode, the bare client (EventClient.send in a loop, history on, no runner), separates what the
runner costs from what the client and its history cost. The modes take turns every --chunk events (rotating who
goes first), so machine noise hits them alike.

Latencies: for plain httpx, each POST as its caller waits for it; for the runner, each exchange as the client
times it (the duration kept in the history). Target: runner / plain >= 0.8 by throughput. The runner has no rate
limit by default (--rate 0), so that the figure is its own cost; with --rate 350 it is held to 350/s instead.

    .venv/bin/python benchmarks/bench_replay.py                 # 10,000 events, concurrency 20
    .venv/bin/python benchmarks/bench_replay.py --events 3000   # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_send import KEY, Round, drive, make_bodies, percentile, plain_httpx, running_sandbox  # noqa: E402

from yespo_console.core.history import HistoryFilter, HistoryStore  # noqa: E402
from yespo_console.core.history.models import Exchange  # noqa: E402
from yespo_console.core.http.client import EventClient  # noqa: E402
from yespo_console.core.http.environments import BUILTIN_ENVIRONMENTS  # noqa: E402
from yespo_console.core.http.outcome import Outcome  # noqa: E402
from yespo_console.core.http.sending import Timeouts  # noqa: E402
from yespo_console.core.scenarios.contacts import replay_contacts  # noqa: E402
from yespo_console.core.scenarios.results import StepResult  # noqa: E402
from yespo_console.core.scenarios.runner import Runner  # noqa: E402


def seed_history(path: Path, bodies: list[bytes], url: str) -> None:
    """The exchanges a replay starts from: as if yesterday's traffic had been sent and recorded."""
    now = datetime.now(UTC)
    with HistoryStore(path) as store:
        store.import_exchanges(
            (Exchange(id=0, started_at=now, environment="sandbox", url=url, request_body=body,
                      event_type="productViewed", outcome=Outcome.ACCEPTED, status=200, finished_at=now)
             for body in bodies), skip_duplicates=False)


def read_replay(path: Path) -> list[tuple[int, str | None, bytes]]:
    """What `history replay` selects: id, event type and the exact request bytes, oldest first."""
    with HistoryStore(path) as store:
        return [(e.id, e.event_type, e.request_body) for e in store.iter_exchanges(HistoryFilter())]


async def runner_rounds(selected: list[tuple[int, str | None, bytes]], url: str, history: HistoryStore,
                        bare_history: HistoryStore, args: argparse.Namespace, plain: object,
                        chunk: int) -> dict[str, Round]:
    env = BUILTIN_ENVIRONMENTS[0].with_url(url)
    modes = ("plain httpx", "runner+history", "client+history")
    totals = {mode: Round(mode, 0, 0.0, [], 0, 0.0) for mode in modes}
    rate = args.rate or None
    async with EventClient(env, secret=KEY, recorder=history, timeouts=Timeouts(total=30), rate_limit=None) as client, \
            EventClient(env, secret=KEY, recorder=bare_history, timeouts=Timeouts(total=30), rate_limit=None) as bare:

        async def runner_round(part: list[tuple[int, str | None, bytes]]) -> Round:
            latencies: list[float] = []
            errors = 0

            def on_step(result: StepResult) -> None:
                nonlocal errors
                if result.duration_ms is not None:
                    latencies.append(result.duration_ms)
                errors += result.expectation == "failed"

            started, cpu = time.perf_counter(), time.process_time()
            runner = Runner(client, name="bench replay", concurrency=args.concurrency, rate=rate, on_step=on_step)
            report = await runner.run(replay_contacts(part))
            assert report.summary.sent == len(part)
            return Round("runner+history", len(part), time.perf_counter() - started, latencies, errors,
                         time.process_time() - cpu)

        async def plain_round(part: list[tuple[int, str | None, bytes]]) -> Round:
            return await drive([body for _, _, body in part], args.concurrency, plain)  # type: ignore[arg-type]

        async def bare_send(data: bytes) -> bool:
            return (await bare.send(data)).ok

        async def bare_round(part: list[tuple[int, str | None, bytes]]) -> Round:
            return await drive([body for _, _, body in part], args.concurrency, bare_send)

        rounds = {"plain httpx": plain_round, "runner+history": runner_round, "client+history": bare_round}
        warm = selected[: min(100, len(selected))]
        for do in rounds.values():
            await do(warm)
        chunks = [selected[i : i + chunk] for i in range(0, len(selected), chunk)]
        names = list(rounds)
        for index, part in enumerate(chunks):
            for mode in names[index % len(names) :] + names[: index % len(names)]:
                totals[mode].add(await rounds[mode](part))
            done = sum(len(c) for c in chunks[: index + 1])
            print(f"  {done}/{len(selected)} events per mode", file=sys.stderr, flush=True)
    return totals


async def main_async(args: argparse.Namespace, url: str, work: Path) -> tuple[dict[str, Round], float, int]:
    bodies = make_bodies(args.events)
    source = work / "source.sqlite3"
    seed_history(source, bodies, url)
    started = time.perf_counter()
    selected = read_replay(source)
    read_seconds = time.perf_counter() - started
    assert [body for _, _, body in selected] == bodies
    history = HistoryStore(work / "replayed.sqlite3")
    bare_history = HistoryStore(work / "bare.sqlite3")
    try:
        async with plain_httpx(url) as plain:
            totals = await runner_rounds(selected, url, history, bare_history, args, plain, args.chunk)
        pending = history.count(HistoryFilter(outcome=Outcome.PENDING))
        recorded = history.count()
    finally:
        history.close()
        bare_history.close()
    expected = len(selected) + min(100, len(selected))
    if recorded != expected or pending:
        raise SystemExit(f"the replay history holds {recorded} exchanges ({pending} pending), expected {expected}")
    return totals, read_seconds, recorded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--chunk", type=int, default=500, help="events per turn when the modes alternate")
    parser.add_argument("--rate", type=float, default=0.0, help="the runner's rate limit (0: none, the default)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if args.events < 1 or args.concurrency < 1 or args.chunk < 1 or args.rate < 0:
        parser.error("--events, --concurrency and --chunk must be positive, --rate 0 or more")

    with tempfile.TemporaryDirectory(prefix="yespo-bench-replay-") as tmp:
        work = Path(tmp)
        with running_sandbox(work / "sandbox") as url:
            results, read_seconds, recorded = asyncio.run(main_async(args, url, work))

    base = results["plain httpx"].rate
    runner = results["runner+history"]
    ratio = runner.rate / base if base else 0.0
    if args.json:
        print(json.dumps({mode: {"events": r.events, "seconds": r.seconds, "rate": r.rate,
                                 "p50_ms": percentile(r.latencies_ms, 0.5), "p95_ms": percentile(r.latencies_ms, 0.95),
                                 "errors": r.errors, "client_cpu_ms_per_request": r.cpu_ms_per_request,
                                 "ratio": r.rate / base if base else None} for mode, r in results.items()}
                         | {"read_history_seconds": read_seconds, "recorded": recorded}, indent=2))
    else:
        limit = f"rate limit {args.rate:g}/s" if args.rate else "no rate limit"
        print(f"\nReplay throughput: {args.events} events, concurrency {args.concurrency}, {limit}, sandbox in its own "
              f"process, modes alternating every {args.chunk} events, cores: {os.cpu_count()}")
        print(f"reading the {args.events} exchanges back from history: {read_seconds:.2f} s (not in the rates below)")
        print(f"{'mode':<20} {'seconds':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} "
              f"{'CPU ms/req':>10} {'vs plain':>9}")
        for mode, r in results.items():
            print(f"{mode:<20} {r.seconds:8.2f} {r.rate:8.1f} {percentile(r.latencies_ms, 0.5):8.2f} "
                  f"{percentile(r.latencies_ms, 0.95):8.2f} {r.errors:7d} {r.cpu_ms_per_request:10.2f} "
                  f"{r.rate / base:9.2f}")
        bare = results["client+history"].rate
        print(f"\nrunner+history / plain httpx = {ratio:.2f} by throughput (target >= 0.80): "
              f"{'OK' if ratio >= 0.8 else 'BELOW TARGET'}; runner / bare client = {runner.rate / bare:.2f}; "
              f"{recorded} exchanges recorded, none pending")
    failed = sum(r.errors for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
