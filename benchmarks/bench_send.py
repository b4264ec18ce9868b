"""Send throughput: the client core (with history) against a plain httpx script, same bodies, same run.

The sandbox runs in a separate process (`yespo-console sandbox --port 0 --quiet`) so that client and
server do not share one event loop. Each mode sends the same N bodies with the same concurrency:

    plain httpx      one httpx.AsyncClient, POST with the same headers; nothing else
    core+history     yespo_console.core.http.client.EventClient: diagnostics, masking, explanation, and a
                     HistoryStore in a temp folder (pending row before each request, completed after)
    core, no history the same without the store (shows what the history costs)
    core+limiter     optional (--limiter): the default client-side limit of 350 requests/s

The modes take turns every --chunk events (rotating who goes first), so noise from other processes
and any drift of the server hit them alike. Target: core+history / plain >= 0.8. The client CPU time
per request (this process only) is printed too: it is what limits throughput when the client is
the bottleneck, and is less sensitive to a busy machine than wall-clock rates.

    .venv/bin/python benchmarks/bench_send.py                 # 5,000 events, concurrency 20
    .venv/bin/python benchmarks/bench_send.py --events 500    # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from yespo_console.core.history import HistoryFilter, HistoryStore  # noqa: E402
from yespo_console.core.http.client import CONTENT_TYPE, EventClient  # noqa: E402
from yespo_console.core.http.environments import BUILTIN_ENVIRONMENTS  # noqa: E402
from yespo_console.core.http.outcome import Outcome  # noqa: E402
from yespo_console.core.http.secrets import authorization_header  # noqa: E402
from yespo_console.core.http.sending import Timeouts  # noqa: E402

KEY = "bench-key-0123456789"


def make_bodies(n: int) -> list[bytes]:
    bodies = []
    for i in range(n):
        event = {
            "eventTypeKey": "productViewed",
            "keyValue": f"shopper{i}@example.com",
            "params": [
                {"name": "email", "value": f"shopper{i}@example.com"},
                {
                    "name": "product",
                    "value": json.dumps(
                        {"productId": f"SKU-{i:05d}", "price": 10 + i % 90 + 0.5, "isInStock": i % 2},
                        separators=(",", ":"),
                    ),
                },
                {"name": "currencyCode", "value": "USD"},
            ],
        }
        bodies.append(json.dumps(event, separators=(",", ":")).encode())
    return bodies


@dataclass
class Round:
    mode: str
    events: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    cpu_seconds: float = 0.0  # CPU time of this (client) process; the sandbox runs in another one

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_seconds / self.events * 1000 if self.events else 0.0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def add(self, part: Round) -> None:
        """Adds a part (one chunk of one mode) to these totals: events, time, latencies, errors, CPU time."""
        self.events += part.events
        self.seconds += part.seconds
        self.latencies_ms += part.latencies_ms
        self.errors += part.errors
        self.cpu_seconds += part.cpu_seconds


async def drive(bodies: list[bytes], concurrency: int, send_one: Callable[[bytes], Awaitable[bool]]) -> Round:
    queue = list(reversed(bodies))
    latencies: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        while queue:
            data = queue.pop()
            started = time.perf_counter()
            ok = await send_one(data)
            latencies.append((time.perf_counter() - started) * 1000)
            if not ok:
                errors += 1

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Round("", len(bodies), time.perf_counter() - started, latencies, errors, time.process_time() - cpu)


Sender = Callable[[bytes], Awaitable[bool]]


@contextlib.asynccontextmanager
async def plain_httpx(url: str) -> AsyncIterator[Sender]:
    env = BUILTIN_ENVIRONMENTS[0].with_url(url)
    headers = {"Content-Type": CONTENT_TYPE, "Authorization": authorization_header(env, KEY)}
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)
    async with httpx.AsyncClient(limits=limits, trust_env=False, timeout=30) as client:

        async def send(data: bytes) -> bool:
            response = await client.post(url, content=data, headers=headers)
            return response.status_code == 200

        yield send


@contextlib.asynccontextmanager
async def core(url: str, *, history_dir: Path | None, limiter: bool) -> AsyncIterator[Sender]:
    env = BUILTIN_ENVIRONMENTS[0].with_url(url)
    store = HistoryStore(history_dir / "history.sqlite3") if history_dir else None
    try:
        options: dict[str, Any] = {} if limiter else {"rate_limit": None}
        async with EventClient(env, secret=KEY, recorder=store, timeouts=Timeouts(total=30), **options) as client:

            async def send(data: bytes) -> bool:
                return (await client.send(data)).ok

            yield send
    finally:
        if store is not None:
            store.close()


def start_sandbox(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    process = subprocess.Popen(
        [sys.executable, "-m", "yespo_console", "--data-dir", str(data_dir), "sandbox", "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("Yespo sandbox listening on "):
        process.kill()
        raise SystemExit(f"the sandbox did not start: {line!r}")
    return process, line.split()[-1] + "/api/v2/event"


@contextlib.contextmanager
def stopped_after(process: subprocess.Popen[str], wait_s: float = 10) -> Iterator[None]:
    """Stops the process when the block ends: SIGINT (it finishes what it was writing), then kill."""
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(wait_s)
        except subprocess.TimeoutExpired:
            process.kill()


@contextlib.contextmanager
def running_sandbox(data_dir: Path) -> Iterator[str]:
    """A sandbox process for the duration of the block: yields its event URL; stopped (SIGINT, then kill) after."""
    process, url = start_sandbox(data_dir)
    with stopped_after(process):
        yield url


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def main_async(args: argparse.Namespace, url: str, work: Path) -> dict[str, Round]:
    """Every mode sends all the bodies, in chunks; the modes take turns chunk by chunk (in a rotating
    order), so machine noise and server drift hit all of them alike."""
    bodies = make_bodies(args.events)
    async with contextlib.AsyncExitStack() as stack:
        senders: dict[str, Sender] = {
            "plain httpx": await stack.enter_async_context(plain_httpx(url)),
            "core+history": await stack.enter_async_context(core(url, history_dir=_fresh(work, "h"), limiter=False)),
            "core, no history": await stack.enter_async_context(core(url, history_dir=None, limiter=False)),
        }
        if args.limiter:
            senders["core+limiter 350/s"] = await stack.enter_async_context(
                core(url, history_dir=_fresh(work, "l"), limiter=True)
            )
        warm = bodies[: min(100, len(bodies))]
        for send in senders.values():
            await drive(warm, args.concurrency, send)
        totals = {mode: Round(mode, 0, 0.0, [], 0, 0.0) for mode in senders}
        chunks = [bodies[i : i + args.chunk] for i in range(0, len(bodies), args.chunk)]
        names = list(senders)
        for index, chunk in enumerate(chunks):
            for mode in names[index % len(names) :] + names[: index % len(names)]:
                totals[mode].add(await drive(chunk, args.concurrency, senders[mode]))
            done = sum(len(c) for c in chunks[: index + 1])
            print(f"  {done}/{len(bodies)} events per mode", file=sys.stderr, flush=True)
    history = HistoryStore(work / "h" / "history.sqlite3")
    try:
        recorded = history.count()
        # Complete, with their answers: a row left pending (or turned interrupted on this open) does not count.
        answered = history.count(HistoryFilter(outcome=Outcome.ACCEPTED))
    finally:
        history.close()
    expected = len(bodies) + min(100, len(bodies))
    if recorded != expected or answered != expected:
        raise SystemExit(f"the history holds {recorded} exchanges ({answered} accepted), expected {expected}")
    return totals


def _fresh(work: Path, name: str) -> Path:
    path = work / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--chunk", type=int, default=250, help="events per turn when the modes alternate")
    parser.add_argument("--limiter", action="store_true", help="also run the client with its 350/s limiter")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if args.events < 1 or args.concurrency < 1 or args.chunk < 1:
        parser.error("--events, --concurrency and --chunk must be positive")

    with tempfile.TemporaryDirectory(prefix="yespo-bench-") as tmp:
        work = Path(tmp)
        with running_sandbox(work / "sandbox") as url:
            results = asyncio.run(main_async(args, url, work))

    base = results["plain httpx"].rate
    if args.json:
        print(
            json.dumps(
                {
                    mode: {
                        "events": r.events,
                        "seconds": r.seconds,
                        "rate": r.rate,
                        "p50_ms": percentile(r.latencies_ms, 0.5),
                        "p95_ms": percentile(r.latencies_ms, 0.95),
                        "errors": r.errors,
                        "client_cpu_ms_per_request": r.cpu_ms_per_request,
                        "ratio": r.rate / base if base else None,
                    }
                    for mode, r in results.items()
                },
                indent=2,
            )
        )
    else:
        print(
            f"\nSend throughput: {args.events} events, concurrency {args.concurrency}, sandbox in its own "
            f"process, modes alternating every {args.chunk} events, cores: {os.cpu_count()}"
        )
        print(
            f"{'mode':<20} {'seconds':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} "
            f"{'CPU ms/req':>10} {'vs plain':>9}"
        )
        for mode, r in results.items():
            print(
                f"{mode:<20} {r.seconds:8.2f} {r.rate:8.1f} {percentile(r.latencies_ms, 0.5):8.2f} "
                f"{percentile(r.latencies_ms, 0.95):8.2f} {r.errors:7d} {r.cpu_ms_per_request:10.2f} "
                f"{r.rate / base:9.2f}"
            )
        ratio = results["core+history"].rate / base
        cpu_ratio = results["plain httpx"].cpu_ms_per_request / results["core+history"].cpu_ms_per_request
        print(
            f"\ncore+history / plain httpx = {ratio:.2f} by throughput, {cpu_ratio:.2f} by client CPU per request "
            f"(target >= 0.80): {'OK' if ratio >= 0.8 else 'BELOW TARGET'}"
        )
    failed = sum(r.errors for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
