"""Build + diagnose a 10-item cartUpdated draft, against json.dumps of the same body (the baseline).

Target: under 1 ms median, so the live preview can follow every keystroke.
Run: .venv/bin/python benchmarks/bench_core.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from yespo_console.core.events.diagnostics import inspect_body
from yespo_console.core.events.examples import example_draft
from yespo_console.core.events.locators import resolve_body
from yespo_console.core.events.payload import body_object, build_body


def cart_draft(items: int = 10):
    draft = example_draft("cartUpdated")
    template = draft.values["products"][0]
    draft.values["products"] = [{**template, "productId": f"SKU-{n:04d}", "quantity": n % 3 + 1}
                                for n in range(items)]
    return draft


def median_us(func: Callable[[], object], runs: int) -> float:
    for _ in range(min(200, runs)):
        func()
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        func()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5000)
    args = parser.parse_args()
    draft = cart_draft()
    body = body_object(draft)

    def preview() -> None:
        raw = build_body(draft, pretty=True)
        report = inspect_body(raw)
        resolve_body(report.body or {})

    rows = [
        ("json.dumps of the body (baseline)", median_us(lambda: json.dumps(body, ensure_ascii=False), args.runs)),
        ("build_body (compact)", median_us(lambda: build_body(draft), args.runs)),
        ("build_body (pretty)", median_us(lambda: build_body(draft, pretty=True), args.runs)),
        ("inspect_body", median_us(lambda: inspect_body(build_body(draft)), args.runs)),
        ("build + diagnose + ladder (a keystroke)", median_us(preview, args.runs)),
    ]
    baseline = rows[0][1]
    print(f"10-item cartUpdated, {args.runs} runs, median")
    print(f"{'step':<42}{'µs':>10}{'× baseline':>12}")
    for name, value in rows:
        print(f"{name:<42}{value:>10.1f}{value / baseline:>12.1f}")
    verdict = "meets" if rows[-1][1] < 1000 else "MISSES"
    print(f"keystroke median {rows[-1][1] / 1000:.3f} ms: {verdict} the 1 ms target")


if __name__ == "__main__":
    main()
