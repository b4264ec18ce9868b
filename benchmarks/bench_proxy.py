"""Latency the recording proxy adds: 200 concurrent clients POST events to an upstream directly and through
`yespo-console proxy`, in the same run, and the medians are compared.

The upstream is a sandbox (`yespo-console sandbox --port 0 --quiet`) and the proxy a `yespo-console proxy
--to <sandbox> --port 0 --quiet` (recording to a history in a temp folder, judging each body), each in its own
process, the clients in this one. Direct and proxied rounds take turns (--rounds of each, alternating), so
machine noise and any drift of the upstream hit both alike. Each client keeps its connection and sends
--requests events, one every --interval seconds (the clients' starts spread over one interval), as shops'
servers do: 200 clients at one a second is 200 requests/s in all. A latency is one request's, from send to
the whole answer. (Clients that send again the moment they are answered measure queueing instead: with 200 of
them every stage is saturated, and the latency is 200 / the slowest stage's throughput on this machine.)

Target: the proxy adds < 5 ms to the median latency (through the proxy minus the upstream alone).

    .venv/bin/python benchmarks/bench_proxy.py                      # 200 clients x 10 requests x 3 rounds
    .venv/bin/python benchmarks/bench_proxy.py --requests 3 --rounds 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from bench_send import make_bodies, percentile, running_sandbox

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 5.0


@contextlib.contextmanager
def running_proxy(data_dir: Path, upstream: str) -> Iterator[str]:
    """A proxy process for the duration of the block: yields its base URL; stopped (SIGINT, then kill) after."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    command = [sys.executable, "-m", "yespo_console", "--data-dir", str(data_dir), "proxy", "--to", upstream,
               "--port", "0", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                               env=env)
    assert process.stdout is not None
    line = process.stdout.readline()
    try:
        if not line.startswith("Yespo Console proxy listening on "):
            raise SystemExit(f"the proxy did not start: {line!r}")
        yield line.split()[-1]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


async def one_round(base_url: str, bodies: list[bytes], clients: int, requests: int,
                    interval: float) -> tuple[list[float], int]:
    """Latencies (ms) of clients x requests POSTs, one per client every `interval` s, and how many were not
    answered 200."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    failures = 0
    headers = {"Content-Type": "application/json; charset=UTF-8", "Authorization": "Bearer bench-key-0123456789"}
    async with httpx.AsyncClient(base_url=base_url, trust_env=False, limits=limits, timeout=60) as client:

        async def one(number: int) -> None:
            nonlocal failures
            await asyncio.sleep(interval * number / clients)
            last = 0.0
            for index in range(requests):
                data = bodies[(number * requests + index) % len(bodies)]
                started = time.perf_counter()
                if index:
                    await asyncio.sleep(max(0.0, interval - (started - last)))
                    started = time.perf_counter()
                last = started
                answer = await client.post("/api/v2/event", content=data, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000.0)
                failures += answer.status_code != 200

        await asyncio.gather(*(one(n) for n in range(clients)))
    return latencies, failures


async def measure(upstream: str, proxy: str, args: argparse.Namespace) -> dict[str, tuple[list[float], int]]:
    bodies = make_bodies(max(100, args.clients))
    results: dict[str, tuple[list[float], int]] = {"alone": ([], 0), "proxy": ([], 0)}
    await one_round(proxy, bodies, args.clients, 1, args.interval)  # warm-up: connections, imports, the history
    await one_round(upstream, bodies, args.clients, 1, args.interval)
    for number in range(args.rounds):
        order = ("alone", "proxy") if number % 2 == 0 else ("proxy", "alone")
        for mode in order:
            latencies, failures = await one_round(upstream if mode == "alone" else proxy, bodies, args.clients,
                                                  args.requests, args.interval)
            kept, failed = results[mode]
            results[mode] = (kept + latencies, failed + failures)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (default 200)")
    parser.add_argument("--requests", type=int, default=10, help="requests per client per round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each mode, alternating (default 3)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a client's requests (default 1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yespo-bench-proxy-") as temp:
        work = Path(temp)
        with running_sandbox(work / "sandbox") as event_url:
            upstream = event_url.removesuffix("/api/v2/event")
            with running_proxy(work / "proxy", upstream) as proxy:
                results = asyncio.run(measure(upstream, proxy, args))
    alone, alone_failed = results["alone"]
    through, through_failed = results["proxy"]
    rows = [
        (f"through the proxy, {args.clients} concurrent clients", through),
        (f"baseline: the upstream alone, {args.clients} concurrent clients", alone),
    ]
    added = [statistics.median(through) - statistics.median(alone), percentile(through, 0.99) -
             percentile(alone, 0.99), max(through) - max(alone)]
    print(f"\nProxy latency: {len(through):,} requests through the proxy and {len(alone):,} to the upstream alone "
          f"(a sandbox), {args.clients} concurrent clients each sending every {args.interval:g} s, {args.rounds} "
          "alternating round(s); not answered 200: "
          f"{through_failed} through the proxy, {alone_failed} alone\n")
    print(f"{'operation':<62} {'median ms':>10} {'p99 ms':>9} {'max ms':>9}  target")
    print("-" * 100)
    for name, values in rows:
        print(f"{name:<62} {statistics.median(values):>10.3f} {percentile(values, 0.99):>9.3f} {max(values):>9.3f}")
    verdict = "ok" if added[0] < TARGET_MS else "MISSED"
    print(f"{'added by the proxy (through the proxy minus alone)':<62} {added[0]:>10.3f} {added[1]:>9.3f} "
          f"{added[2]:>9.3f}  < {TARGET_MS:g} ms {verdict}")
    print()
    return 0 if not (through_failed or alone_failed) else 1


if __name__ == "__main__":
    raise SystemExit(main())
