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

Target: the proxy adds < 5 ms to the median latency (through the proxy minus the upstream alone), and loses
no exchange: once the proxy has stopped, its history holds one finished row per request sent through it (the
run fails otherwise). Beside the latencies: the p95 added, the proxy process's CPU time per proxied request
(from /proc on Linux; it does not depend on what else the machine runs, unlike the latencies) and the load
average before and after, since a machine busy with other work makes every latency here longer.

    .venv/bin/python benchmarks/bench_proxy.py                      # 200 clients x 10 requests x 3 rounds
    .venv/bin/python benchmarks/bench_proxy.py --requests 3 --rounds 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import h11
from bench_send import make_bodies, percentile, start_sandbox, stopped_after

from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.outcome import Outcome

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 5.0


def start_proxy(data_dir: Path, upstream: str) -> tuple[subprocess.Popen[str], str]:
    """A proxy process recording to `data_dir`, and its base URL."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    command = [sys.executable, "-m", "yespo_console", "--data-dir", str(data_dir), "proxy", "--to", upstream,
               "--port", "0", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                               env=env)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("Yespo Console proxy listening on "):
        process.kill()
        raise SystemExit(f"the proxy did not start: {line!r}")
    return process, line.split()[-1]


def cpu_seconds(pid: int) -> float | None:
    """The process's CPU time (user + system) so far; None where /proc does not say."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


@dataclass
class Mode:
    """What one mode (alone, or through the proxy) measured over its rounds."""

    url: str
    pid: int  # the process doing the work measured by cpu: the proxy's, or the upstream's when alone
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    sent: int = 0
    cpu: float | None = 0.0

    def add_cpu(self, before: float | None, after: float | None) -> None:
        self.cpu = None if self.cpu is None or before is None or after is None else self.cpu + after - before

    def cpu_ms_per_request(self) -> str:
        return f"{self.cpu / len(self.latencies) * 1000:.2f} ms" if self.cpu is not None and self.latencies else "n/a"


class Client:
    """One keep-alive HTTP/1.1 connection that POSTs events: bare h11 over asyncio streams, as an httpx client
    costs this process about five times the CPU per request. The bench's clients stand for shops' servers on
    other machines, so what they take from the cores shared with the proxy and the upstream is kept small."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self._address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._host = parts.netloc
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._http = h11.Connection(h11.CLIENT)

    async def post(self, path: str, body: bytes) -> int:
        """The answer's status, once its whole body has arrived; 0 when the connection was closed instead."""
        if self._streams is None or self._http.our_state is not h11.IDLE:
            await self.close()
            self._streams, self._http = await asyncio.open_connection(*self._address), h11.Connection(h11.CLIENT)
        reader, writer = self._streams
        head = h11.Request(method="POST", target=path, headers=[
            ("Host", self._host), ("Content-Type", "application/json; charset=UTF-8"),
            ("Authorization", "Bearer bench-key-0123456789"), ("Content-Length", str(len(body)))])
        writer.write(self._http.send(head) + self._http.send(h11.Data(data=body)) + self._http.send(h11.EndOfMessage()))
        status = 0
        while True:
            event = self._http.next_event()
            if event is h11.NEED_DATA:
                self._http.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                self._http.start_next_cycle()
                return status
            elif isinstance(event, h11.ConnectionClosed):
                return 0

    async def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def one_round(base_url: str, bodies: list[bytes], clients: int, requests: int,
                    interval: float) -> tuple[list[float], int]:
    """Latencies (ms) of clients x requests POSTs, one per client every `interval` s, and how many were not
    answered 200."""
    latencies: list[float] = []
    failures = 0

    async def one(number: int) -> None:
        nonlocal failures
        client = Client(base_url)
        await asyncio.sleep(interval * number / clients)
        last = 0.0
        try:
            for index in range(requests):
                data = bodies[(number * requests + index) % len(bodies)]
                started = time.perf_counter()
                if index:
                    await asyncio.sleep(max(0.0, interval - (started - last)))
                    started = time.perf_counter()
                last = started
                status = await asyncio.wait_for(client.post("/api/v2/event", data), 60)
                latencies.append((time.perf_counter() - started) * 1000.0)
                failures += status != 200
        finally:
            await client.close()

    await asyncio.gather(*(one(n) for n in range(clients)))
    return latencies, failures


async def measure(modes: dict[str, Mode], args: argparse.Namespace) -> None:
    """Runs the rounds: a warm-up of each mode, then the modes alternating."""
    bodies = make_bodies(max(100, args.clients))
    for mode in modes.values():  # warm-up: connections, imports, the history
        latencies, _ = await one_round(mode.url, bodies, args.clients, 1, args.interval)
        mode.sent += len(latencies)
    for number in range(args.rounds):
        for name in ("alone", "proxy") if number % 2 == 0 else ("proxy", "alone"):
            mode = modes[name]
            before = cpu_seconds(mode.pid)
            latencies, failures = await one_round(mode.url, bodies, args.clients, args.requests, args.interval)
            mode.add_cpu(before, cpu_seconds(mode.pid))
            mode.latencies += latencies
            mode.failures += failures
            mode.sent += len(latencies)


def recorded(data_dir: Path) -> tuple[int, int]:
    """(finished proxied rows, pending ones) in the proxy's history, read after it stopped."""
    with HistoryStore.open(data_dir) as store:
        pending = store.count(HistoryFilter(kind="proxied", outcome=Outcome.PENDING))
        return store.count(HistoryFilter(kind="proxied")) - pending, pending


def load() -> str:
    with contextlib.suppress(OSError, AttributeError):
        return "/".join(f"{value:.2f}" for value in os.getloadavg())
    return "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (default 200)")
    parser.add_argument("--requests", type=int, default=10, help="requests per client per round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each mode, alternating (default 3)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a client's requests (default 1)")
    args = parser.parse_args()
    load_before = load()
    with tempfile.TemporaryDirectory(prefix="yespo-bench-proxy-") as temp:
        work = Path(temp)
        sandbox, event_url = start_sandbox(work / "sandbox")
        with stopped_after(sandbox):
            upstream = event_url.removesuffix("/api/v2/event")
            proxy, proxy_url = start_proxy(work / "proxy", upstream)
            with stopped_after(proxy, 30):
                modes = {"alone": Mode(upstream, sandbox.pid), "proxy": Mode(proxy_url, proxy.pid)}
                asyncio.run(measure(modes, args))
            kept, pending = recorded(work / "proxy")
    alone, through = modes["alone"], modes["proxy"]
    rows = [
        (f"through the proxy, {args.clients} concurrent clients", through.latencies),
        (f"baseline: the upstream alone, {args.clients} concurrent clients", alone.latencies),
    ]
    added = [statistics.median(through.latencies) - statistics.median(alone.latencies),
             percentile(through.latencies, 0.99) - percentile(alone.latencies, 0.99),
             max(through.latencies) - max(alone.latencies)]
    added_p95 = percentile(through.latencies, 0.95) - percentile(alone.latencies, 0.95)
    print(f"\nProxy latency: {len(through.latencies):,} requests through the proxy and {len(alone.latencies):,} to the "
          f"upstream alone (a sandbox), {args.clients} concurrent clients each sending every {args.interval:g} s, "
          f"{args.rounds} alternating round(s); not answered 200: {through.failures} through the proxy, "
          f"{alone.failures} alone; load average {load_before} before, {load()} after, {os.cpu_count()} cores\n")
    print(f"{'operation':<62} {'median ms':>10} {'p99 ms':>9} {'max ms':>9}  target")
    print("-" * 100)
    for name, values in rows:
        print(f"{name:<62} {statistics.median(values):>10.3f} {percentile(values, 0.99):>9.3f} {max(values):>9.3f}")
    verdict = "ok" if added[0] < TARGET_MS else "MISSED"
    print(f"{'added by the proxy (through the proxy minus alone)':<62} {added[0]:>10.3f} {added[1]:>9.3f} "
          f"{added[2]:>9.3f}  < {TARGET_MS:g} ms {verdict}")
    print(f"\nadded at the 95th percentile: {added_p95:.3f} ms")
    print(f"CPU time per request: the proxy process {through.cpu_ms_per_request()} per proxied request; "
          f"the upstream alone {alone.cpu_ms_per_request()} per request")
    lost = through.sent - kept
    print(f"recorded: {kept:,} finished exchanges in the proxy's history for {through.sent:,} requests sent through "
          f"it (warm-up included), {pending} pending: " + ("no loss" if not lost and not pending else "LOST some"))
    print()
    return 0 if not (through.failures or alone.failures or lost or pending) else 1


if __name__ == "__main__":
    raise SystemExit(main())
