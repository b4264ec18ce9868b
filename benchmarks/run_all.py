"""Run every benchmark in benchmarks/, then print one table: each figure beside the baseline its script measured in
the same run, the ratio, the target and whether it was met.

    .venv/bin/python benchmarks/run_all.py                  # moderate sizes: 200,000-row histories, a few minutes
    .venv/bin/python benchmarks/run_all.py --full           # the 1,000,000-row sizes
    .venv/bin/python benchmarks/run_all.py --only history --only memory
    make bench                                              # the same as the first line, offscreen

Each bench_*.py runs in its own process, as by hand; its output is shown as it comes and kept in build/bench/.
The scripts print tables for people, so this one reads those tables; a line it cannot read goes into the combined
table as it is (value "?"), so nothing is lost silently. A bench_*.py it does not know is run with its defaults and
its output lines are shown raw.

`memory` is measured here (no script measures it): resident memory (RSS) of the console's main window over a history
of --rows exchanges (made with bench_history.generate), next to a bare PySide6 window and to the console over an
empty history, each in a fresh offscreen process.

Exit status: 0 when every benchmark ran and was read, 1 otherwise (and, with --strict, when a target was missed).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LOGS = ROOT / "build" / "bench"
MODERATE_ROWS = 200_000
FULL_ROWS = 1_000_000
QT_NOISE = ("propagateSizeHints",)  # the offscreen plugin's harmless warning


# -- the combined table --------------------------------------------------------------------------------------------


@dataclass
class Row:
    bench: str
    measure: str
    value: str = ""
    baseline: str = ""
    ratio: str = ""
    target: str = ""
    met: str = ""  # "yes", "NO", or "" when there is no target
    note: str = ""


def verdict(word: str) -> str:
    word = word.strip().lower()
    if word in {"ok", "met", "meets", "yes"}:
        return "yes"
    if word in {"missed", "misses", "below target", "no", "fail", "failed"}:
        return "NO"
    return word


def number(text: str) -> float:
    return float(text.replace(",", "").replace("\u202f", ""))


def fmt(value: float, unit: str = "") -> str:
    size = abs(value)
    digits = 3 if size < 1 else 2 if size < 10 else 1 if size < 100 else 0
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".rstrip()


def ratio_text(value: float, baseline: float) -> str:
    if not baseline:
        return ""
    ratio = value / baseline
    return f"{ratio:.1f}×" if ratio >= 10 else f"{ratio:.2f}×" if ratio >= 0.1 else f"{ratio:.2g}×"


def raw(bench: str, line: str, why: str = "not read") -> Row:
    return Row(bench, line.strip(), value="?", note=why)


def table_region(lines: list[str], header: Callable[[str], bool]) -> list[str]:
    """The lines after the header line (and a rule of dashes), up to the first blank line."""
    for index, line in enumerate(lines):
        if header(line):
            body = []
            for following in lines[index + 1 :]:
                if not following.strip():
                    if body:
                        break
                    continue
                if set(following.strip()) <= {"-", "─"}:
                    continue
                body.append(following)
            return body
    return []


def attach_baseline(rows: list[Row], measure: Row, baseline: Row, values: dict[int, float], unit: str) -> None:
    if id(baseline) in values and id(measure) in values:
        measure.baseline = fmt(values[id(baseline)], unit)
        measure.ratio = ratio_text(values[id(measure)], values[id(baseline)])
        baseline.note = "attached"


# -- readers of each script's printed output -----------------------------------------------------------------------


def read_core(out: str) -> list[Row]:
    """bench_core.py: `step  µs  × baseline` rows, then `keystroke median X ms: meets|MISSES the 1 ms target`."""
    bench, rows = "core", []
    body = table_region(out.splitlines(), lambda line: line.lstrip().startswith("step"))
    pattern = re.compile(r"^(?P<name>.*?\S)\s+(?P<value>\d[\d,]*\.\d+)\s+(?P<ratio>\d[\d,]*\.\d+)\s*$")
    parsed: list[tuple[str, float, float]] = []
    for line in body:
        match = pattern.match(line)
        if match is None:
            if not line.startswith("keystroke median"):
                rows.append(raw(bench, line))
            continue
        parsed.append((match["name"], number(match["value"]), number(match["ratio"])))
    base = next((value for name, value, _ in parsed if "baseline" in name), None)
    target = re.search(r"keystroke median ([\d.]+) ms: (\w+) the ([\d.]+) ms target", out)
    for name, value, ratio in parsed:
        if "baseline" in name:
            continue
        row = Row(bench, name, fmt(value, "µs"), fmt(base, "µs") if base else "", f"{ratio:.1f}×" if base else "")
        if target and "keystroke" in name:
            row.target, row.met = f"< {target[3]} ms", verdict(target[2])
        rows.append(row)
    if parsed and target is None:
        rows.append(Row(bench, "keystroke target line", "?", note="not found in the output"))
    return rows


def read_gui(out: str) -> list[Row]:
    """bench_gui.py: `measure  value  baseline  ratio  target ≤ 1.5: met` and a preview row with a p95."""
    bench, rows = "gui", []
    body = table_region(out.splitlines(), lambda line: line.lstrip().startswith("measure"))
    compared = re.compile(r"^(?P<name>.*?\S)\s{2,}(?P<value>[\d.,]+)\s+(?P<base>[\d.,]+)\s+(?P<ratio>[\d.]+)"
                          r"(?:\s+target\s*(?P<target>[^:]+):\s*(?P<verdict>.+?))?\s*$")
    alone = re.compile(r"^(?P<name>.*?\S)\s{2,}(?P<value>[\d.,]+)\s+(?P<note>p\d+\s.*)$")
    for line in body:
        unit_match = re.search(r"\((ms|s|MB)\b", line)
        unit = unit_match[1] if unit_match else ""
        if match := compared.match(line):
            row = Row(bench, match["name"], fmt(number(match["value"]), unit), fmt(number(match["base"]), unit),
                      f"{number(match['ratio']):.2f}×")
            if match["target"]:
                row.target, row.met = match["target"].strip() + "×", verdict(match["verdict"])
            rows.append(row)
        elif match := alone.match(line):
            rows.append(Row(bench, match["name"], fmt(number(match["value"]), unit), note=match["note"].strip()))
        else:
            rows.append(raw(bench, line))
    return rows


def read_verify_gui(out: str) -> list[Row]:
    """bench_verify_gui.py: `measure  value  [baseline  [added]]  [+]< 16 ms: met|MISSED  (note)` rows; the
    event-loop rows' target is on what polling adds to the idle baseline."""
    bench, rows = "verify_gui", []
    body = table_region(out.splitlines(), lambda line: line.startswith("measure"))
    pattern = re.compile(r"^(?P<name>.*?\S)\s{2,}(?P<value>-?[\d.,]+)(?:\s+(?P<base>-?[\d.,]+))?"
                         r"(?:\s+(?P<added>-?[\d.,]+))?\s+(?P<target>\+?<\s*[\d.]+ ms):\s*(?P<verdict>met|MISSED)"
                         r"\s*(?P<note>.*)$")
    for line in body:
        match = pattern.match(line)
        if match is None:
            rows.append(raw(bench, line))
            continue
        value = number(match["value"])
        row = Row(bench, match["name"], fmt(value, "ms"), target=match["target"].replace("+<", "added <"),
                  met=verdict(match["verdict"]), note=match["note"].strip(" ()"))
        if match["base"]:
            base = number(match["base"])
            row.baseline, row.ratio = fmt(base, "ms"), ratio_text(value, base)
        if match["added"]:
            row.note = f"adds {number(match['added']):.2f} ms; {row.note}"
        rows.append(row)
    return rows


def first_word(name: str) -> str:
    return re.split(r"[\s:,]+", name.strip(), maxsplit=1)[0]


def read_history(out: str) -> list[Row]:
    """bench_history.py: `operation  median ms  p99 ms  max ms  target  note`; an indented `baseline:` row is the
    baseline of the rows just above it that start with the same word (the OFFSET page, LIKE, the raw insert)."""
    bench, rows = "history", []
    lines = out.splitlines()
    body = table_region(lines, lambda line: line.startswith("operation"))
    pattern = re.compile(r"^(?P<name>.*?\S)\s+(?P<median>[\d,]+\.\d+)\s+(?P<p99>[\d,]+\.\d+)\s+(?P<max>[\d,]+\.\d+)"
                         r"(?:\s+(?P<rest>.*))?$")
    target_re = re.compile(r"^<\s*(?P<target>[\d.]+)\s*ms\s+(?P<verdict>ok|MISSED)\b\s*(?P<note>.*)$")
    values: dict[int, float] = {}
    ordered: list[Row] = []
    for line in body:
        match = pattern.match(line)
        if match is None:
            ordered.append(raw(bench, line))
            continue
        name, rest = match["name"].strip(), (match["rest"] or "").strip()
        row = Row(bench, name, fmt(number(match["median"]), "ms"), note=f"p99 {match['p99']} ms")
        if target := target_re.match(rest):
            row.target, row.met = f"< {target['target']} ms", verdict(target["verdict"])
        values[id(row)] = number(match["median"])
        if name.startswith("baseline:"):
            kin = [r for r in ordered if r.value != "?"]
            index = len(kin) - 1
            key = first_word(kin[index].measure) if kin else ""
            while index >= 0 and not kin[index].measure.startswith("baseline:") and \
                    first_word(kin[index].measure) == key:
                attach_baseline(ordered, kin[index], row, values, "ms")
                index -= 1
        ordered.append(row)
    rows = [row for row in ordered if row.note != "attached"]
    fill = re.search(r"filled ([\d,]+) exchanges in ([\d.]+) s \(([\d,]+) rows/s", out)
    if fill:
        rows.insert(0, Row(bench, f"fill {fill[1]} exchanges (batches of 5,000)", f"{fill[3]} rows/s",
                           note=f"{fill[2]} s"))
    size = re.search(r"file size: ([\d,]+) MB for ([\d,]+) exchanges \(([\d,]+) bytes per exchange", out)
    if size:
        rows.append(Row(bench, f"file size, {size[2]} exchanges", f"{size[1]} MB", note=f"{size[3]} B/exchange"))
    return rows


HISTORY_GUI_BASELINES = (  # (measure starts with, baseline starts with), names stripped
    ("dock: construct", "baseline: bare QTableView"),
    ("memory: dock with its first page", "baseline memory"),
    ("per scroll step that fetches a page", "baseline: a scroll step over rows held"),
)


def read_history_gui(out: str) -> list[Row]:
    """bench_history_gui.py: `measure  value unit  < target ok|MISSED  note` rows."""
    bench = "history_gui"
    lines = out.splitlines()
    body = table_region(lines, lambda line: line.startswith("measure"))
    pattern = re.compile(r"^(?P<name>.*?\S)\s+(?P<value>-?[\d,]+\.\d+)\s(?P<unit>ms|MB|s)(?:\s+(?P<rest>.*))?$")
    target_re = re.compile(r"^<\s*(?P<target>[\d.]+)\s+(?P<verdict>ok|MISSED)\b\s*(?P<note>.*)$")
    ordered: list[Row] = []
    values: dict[int, float] = {}
    units: dict[int, str] = {}
    for line in body:
        match = pattern.match(line)
        if match is None:
            ordered.append(raw(bench, line))
            continue
        row = Row(bench, match["name"].strip(), fmt(number(match["value"]), match["unit"]))
        rest = (match["rest"] or "").strip()
        if target := target_re.match(rest):
            row.target, row.met = f"< {target['target']} {match['unit']}", verdict(target["verdict"])
            row.note = target["note"].strip()
        else:
            row.note = rest
        values[id(row)], units[id(row)] = number(match["value"]), match["unit"]
        ordered.append(row)
    for measure_start, baseline_start in HISTORY_GUI_BASELINES:
        measure = next((r for r in ordered if r.measure.startswith(measure_start)), None)
        baseline = next((r for r in ordered if r.measure.startswith(baseline_start)), None)
        if measure and baseline:
            attach_baseline(ordered, measure, baseline, values, units[id(baseline)])
    rows = [row for row in ordered if row.note != "attached"]
    rss = re.search(r"RSS before the dock ([\d,]+) MB, after the first page ([\d,]+) MB, "
                    r"with ([\d,]+) rows ([\d,]+) MB", out)
    if rss:
        rows.append(Row(bench, f"process RSS: before the dock / first page / {rss[3]} rows held",
                        f"{rss[1]} / {rss[2]} / {rss[4]} MB"))
    return rows


def plural_errors(count: int) -> str:
    return f" ({count} error{'' if count == 1 else 's'})" if count else ""


def read_throughput(bench: str, compared: str, target: float = 0.8) -> Callable[[str], list[Row]]:
    """bench_send.py / bench_replay.py with --json: per mode rate, latencies, errors, client CPU, each against the
    `plain httpx` mode of the same run; target: the `compared` mode at ≥ 0.8× plain httpx by throughput."""

    def read(out: str) -> list[Row]:
        start = 0 if out.startswith("{") else out.find("\n{") + 1  # the object starts a line; text may follow
        try:
            found = json.JSONDecoder().raw_decode(out[start:])[0] if start or out.startswith("{") else None
        except json.JSONDecodeError:
            found = None
        if not isinstance(found, dict) or not isinstance(found.get("plain httpx"), dict):
            return read_throughput_text(bench, compared)(out)
        results = {mode: result for mode, result in found.items() if isinstance(result, dict) and "rate" in result}
        plain = results["plain httpx"]
        rows = []
        for mode, result in results.items():
            errors = plural_errors(int(result.get("errors") or 0))
            row = Row(bench, f"throughput: {mode}{errors}", fmt(result["rate"], "req/s"), fmt(plain["rate"], "req/s"),
                      ratio_text(result["rate"], plain["rate"]),
                      note=f"p50 {result['p50_ms']:.1f} ms, p95 {result['p95_ms']:.1f} ms")
            if mode == compared:
                row.target = f"≥ {target:.2f}×"
                row.met = "yes" if plain["rate"] and result["rate"] / plain["rate"] >= target else "NO"
            rows.append(row)
        for mode, result in results.items():
            if mode != "plain httpx" and "client_cpu_ms_per_request" in result:
                cpu, base = result["client_cpu_ms_per_request"], plain["client_cpu_ms_per_request"]
                rows.append(Row(bench, f"client CPU per request: {mode}", fmt(cpu, "ms"), fmt(base, "ms"),
                                ratio_text(cpu, base)))
        return rows

    return read


def read_throughput_text(bench: str, compared: str) -> Callable[[str], list[Row]]:
    """The same scripts without --json: `mode seconds req/s p50 p95 errors CPU ms/req vs plain` rows and a
    `<mode> / plain httpx = R by throughput ... (target >= T): OK|BELOW TARGET` line."""

    def read(out: str) -> list[Row]:
        rows = []
        body = table_region(out.splitlines(), lambda line: line.startswith("mode"))
        pattern = re.compile(r"^(?P<mode>.*?\S)\s+(?P<seconds>[\d.]+)\s+(?P<rate>[\d.]+)\s+(?P<p50>[\d.]+)\s+"
                             r"(?P<p95>[\d.]+)\s+(?P<errors>\d+)\s+(?P<cpu>[\d.]+)\s+(?P<ratio>[\d.]+)$")
        parsed = [(line, pattern.match(line.strip())) for line in body]
        plain = next((m for _, m in parsed if m and m["mode"] == "plain httpx"), None)
        verdict_line = re.search(r"^(?P<mode>\S+) / plain httpx = [\d.]+ by throughput.*?\(target >= "
                                 r"(?P<target>[\d.]+)\): (?P<verdict>OK|BELOW TARGET)", out, re.M)
        for line, match in parsed:
            if match is None:
                rows.append(raw(bench, line))
                continue
            errors = plural_errors(int(match["errors"]))
            row = Row(bench, f"throughput: {match['mode']}{errors}", fmt(number(match["rate"]), "req/s"),
                      fmt(number(plain["rate"]), "req/s") if plain else "", f"{number(match['ratio']):.2f}×",
                      note=f"p50 {match['p50']} ms, p95 {match['p95']} ms")
            if verdict_line and match["mode"] == verdict_line["mode"] == compared:
                row.target = f"≥ {number(verdict_line['target']):.2f}×"
                row.met = "yes" if verdict_line["verdict"] == "OK" else "NO"
            rows.append(row)
        return rows

    return read


def read_unknown(bench: str) -> Callable[[str], list[Row]]:
    def read(out: str) -> list[Row]:
        lines = [line for line in out.splitlines() if line.strip() and re.search(r"\d", line)]
        return [raw(bench, line, "no reader for this script") for line in lines[-40:]]

    return read


# -- what to run ---------------------------------------------------------------------------------------------------


@dataclass
class Benchmark:
    name: str
    script: Path | None  # None: measured by this file (memory)
    args: Callable[[argparse.Namespace], list[str]] = field(default=lambda _opts: [])
    read: Callable[[str], list[Row]] = field(default=lambda _out: [])
    about: str = ""


def rows_for(options: argparse.Namespace) -> int:
    return options.rows or (FULL_ROWS if options.full else MODERATE_ROWS)


KNOWN: dict[str, Benchmark] = {
    "core": Benchmark("core", HERE / "bench_core.py", read=read_core,
                      about="build + diagnose a 10-item cart vs json.dumps"),
    "gui": Benchmark("gui", HERE / "bench_gui.py", read=read_gui,
                     about="start to first window vs a bare window; preview per keystroke"),
    "history": Benchmark("history", HERE / "bench_history.py", lambda o: ["--rows", str(rows_for(o))], read_history,
                         about="history store queries and inserts over N rows"),
    "history_gui": Benchmark("history_gui", HERE / "bench_history_gui.py", lambda o: ["--rows", str(rows_for(o))],
                             read_history_gui, about="the History dock over N rows"),
    "send": Benchmark("send", HERE / "bench_send.py", lambda _o: ["--json"], read_throughput("send", "core+history"),
                      about="send throughput: the client core vs plain httpx"),
    "replay": Benchmark("replay", HERE / "bench_replay.py",
                        lambda o: ["--json"] if o.full else ["--json", "--events", "5000"],  # default 10,000
                        read_throughput("replay", "runner+history"),
                        about="bulk replay from history: the scenario runner vs plain httpx"),
    "verify_gui": Benchmark("verify_gui", HERE / "bench_verify_gui.py", read=read_verify_gui,
                            about="event-loop lateness and keystroke preview while the Verification dock polls"),
    "proxy": Benchmark("proxy", HERE / "bench_proxy.py",  # its table is bench_history's: operation, median, p99 …
                       read=lambda out: [Row(**{**vars(row), "bench": "proxy"}) for row in read_history(out)],
                       about="median latency the recording proxy adds, 200 concurrent clients"),
}
THROUGHPUT_COMPARED = {"send": "core+history", "replay": "runner+history"}


def discover() -> list[Benchmark]:
    found = []
    for script in sorted(HERE.glob("bench_*.py")):
        name = script.stem.removeprefix("bench_")
        known = KNOWN.get(name)
        if known is not None:
            if name in THROUGHPUT_COMPARED and '"--json"' not in script.read_text(encoding="utf-8"):
                known = Benchmark(name, script, read=read_throughput_text(name, THROUGHPUT_COMPARED[name]),
                                  about=known.about)
            found.append(known)
        else:
            found.append(Benchmark(name, script, read=read_unknown(name), about="(no reader: output shown raw)"))
    found.append(Benchmark("memory", None, about="RSS: main window over N rows vs a bare window and an empty history"))
    return found


# -- running a script ----------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    bench: str
    seconds: float
    returncode: int | None  # None: timed out
    rows: list[Row]
    log: Path | None = None
    error: str = ""


def child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.setdefault("QT_API", "pyside6")
    env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")  # never prompt a real keyring
    env["YESPO_CONSOLE_HOME"] = str(home)  # never write into the user's own history
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


_current: subprocess.Popen[str] | None = None


def stop_current() -> None:
    if _current is not None and _current.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(_current.pid, signal.SIGKILL)  # the group: bench_send's sandbox, bench_gui's windows


def run_process(command: list[str], env: dict[str, str], timeout: float, echo: bool,
                log_stem: Path) -> tuple[int | None, str, str]:
    """Run in its own process group; show stdout as it comes; (returncode or None on timeout, stdout, stderr)."""
    global _current
    log_stem.parent.mkdir(parents=True, exist_ok=True)
    with open(log_stem.with_suffix(".err"), "w+", encoding="utf-8", errors="replace") as err_file:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err_file, text=True,
                                   encoding="utf-8", errors="replace", start_new_session=True)
        _current = process
        timed_out = threading.Event()

        def expire() -> None:
            timed_out.set()
            stop_current()

        timer = threading.Timer(timeout, expire)
        timer.start()
        lines = []
        try:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line)
                if echo:
                    sys.stdout.write("    " + line)
                    sys.stdout.flush()
            process.wait()
        finally:
            timer.cancel()
            stop_current()
            _current = None
        err_file.seek(0)
        stderr = err_file.read()
    stdout = "".join(lines)
    log_stem.with_suffix(".out").write_text(stdout, encoding="utf-8")
    return (None if timed_out.is_set() else process.returncode), stdout, stderr


def meaningful_stderr(stderr: str, limit: int = 15) -> str:
    lines = [line for line in stderr.splitlines() if line.strip() and not any(n in line for n in QT_NOISE)]
    return "\n".join(lines[-limit:])


def run_script(bench: Benchmark, options: argparse.Namespace, home: Path) -> Outcome:
    assert bench.script is not None
    command = [sys.executable, str(bench.script), *bench.args(options)]
    print(f"\n== {bench.name}: {' '.join([Path(command[1]).name, *command[2:]])}", flush=True)
    start = time.perf_counter()
    code, stdout, stderr = run_process(command, child_env(home), options.timeout, not options.quiet,
                                       LOGS / bench.name)
    seconds = time.perf_counter() - start
    outcome = Outcome(bench.name, seconds, code, [], LOGS / f"{bench.name}.out")
    if code is None:
        outcome.error = f"timed out after {options.timeout:.0f} s"
    elif code != 0:
        outcome.error = f"exit status {code}"
    try:
        outcome.rows = bench.read(stdout)
    except Exception as exc:  # a reader must never lose the other benchmarks' results
        outcome.rows = [raw(bench.name, line, f"reader failed: {exc}") for line in stdout.splitlines()[-20:]]
    if not outcome.rows and not outcome.error:
        outcome.error = "no figures found in its output"
    if outcome.error:
        tail = meaningful_stderr(stderr)
        print(f"   {bench.name}: {outcome.error}" + (f"\n{textwrap.indent(tail, '   | ')}" if tail else ""))
        outcome.rows.append(Row(bench.name, f"({outcome.error})", "?", note=f"see {LOGS / bench.name}.err"))
    print(f"   {bench.name}: {seconds:.1f} s", flush=True)
    return outcome


# -- memory: measured here -----------------------------------------------------------------------------------------

MEMORY_CHILD = r'''
import asyncio, json, os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["QT_API"] = "pyside6"

def rss_mb():
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)

from PySide6.QtCore import qInstallMessageHandler

def quiet_offscreen(kind, context, message):
    if "propagateSizeHints" not in message:
        sys.stderr.write(message + "\n")

qInstallMessageHandler(quiet_offscreen)
mode, home = sys.argv[1], sys.argv[2]

if mode == "bare":
    from PySide6.QtWidgets import QApplication, QMainWindow
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.resize(1400, 900)
    window.show()
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    rss, peak = rss_mb()
    print(json.dumps({"rss": rss, "peak": peak}))
    sys.exit(0)

import qasync
from PySide6.QtWidgets import QApplication
from yespo_console.gui import app as gui_app
from yespo_console.core.history import HistoryFilter

async def settle(seconds):
    await asyncio.sleep(seconds)  # the Qt loop runs meanwhile (never processEvents() inside a task)

async def main():
    from yespo_console.gui.main_window import MainWindow
    from yespo_console.gui.session import Session
    session = Session.open(home)  # the order of yespo_console.gui.lifecycle._run
    window = MainWindow(session, gui_app.settings_for(session.home))
    window.resize(1400, 900)
    window.show()
    await session.start_sandbox()
    window.sandbox_ready()
    await settle(1.5)
    model = window.history_dock.model
    result = {"rows_shown": model.rowCount(), "total": model.total()}
    result["rss"], _ = rss_mb()
    model.set_filter(HistoryFilter(search="productId"))  # a search over every body: SQLite's page cache fills
    model.count_now()
    await settle(0.5)
    result["rss_search"], _ = rss_mb()
    model.set_filter(HistoryFilter())
    await settle(0.3)
    result["rss_end"], result["peak"] = rss_mb()
    window.close()
    await session.aclose()
    print(json.dumps(result))

app = gui_app.make_application()
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
with loop:
    loop.run_until_complete(main())
'''

FILL_CHILD = r'''
import sys, time
sys.path.insert(0, sys.argv[3])
from bench_history import generate
from yespo_console.core.history import HistoryStore
from yespo_console.core.paths import history_path
start = time.perf_counter()
with HistoryStore(history_path(sys.argv[1])) as store:
    result = store.import_exchanges(generate(int(sys.argv[2])), skip_duplicates=False, batch_size=5000)
print(f"filled {result.imported:,} exchanges in {time.perf_counter() - start:.1f} s")
'''

MEMORY_BUDGET_MB = 32.0  # this file's own target: a large history may add at most this much over an empty one


def run_memory(options: argparse.Namespace, home: Path) -> Outcome:
    rows = rows_for(options)
    print(f"\n== memory: RSS of the main window over {rows:,} exchanges vs a bare window and an empty history",
          flush=True)
    start = time.perf_counter()
    bench, results, failures = "memory", {}, []
    big, empty = home / "memory-large", home / "memory-empty"
    big.mkdir(parents=True, exist_ok=True)
    empty.mkdir(parents=True, exist_ok=True)
    steps = [
        ("fill", [FILL_CHILD, str(big), str(rows), str(HERE)], big),
        ("bare", [MEMORY_CHILD, "bare", str(empty)], empty),
        ("empty", [MEMORY_CHILD, "console", str(empty)], empty),
        ("large", [MEMORY_CHILD, "console", str(big)], big),
    ]
    for step, args, step_home in steps:
        limit = options.timeout if step == "fill" else min(options.timeout, 300.0)  # a window never needs more
        code, stdout, stderr = run_process([sys.executable, "-c", *args], child_env(step_home), limit,
                                           not options.quiet, LOGS / f"memory-{step}")
        if code != 0:
            tail = meaningful_stderr(stderr)
            failures.append(f"{step}: {'timed out' if code is None else f'exit status {code}'}")
            print(f"   memory {step}: failed" + (f"\n{textwrap.indent(tail, '   | ')}" if tail else ""))
            break
        if step != "fill":
            try:
                results[step] = json.loads(stdout.strip().splitlines()[-1])
            except (json.JSONDecodeError, IndexError):
                failures.append(f"{step}: no result line")
                break
    seconds = time.perf_counter() - start
    out = []
    if {"bare", "empty", "large"} <= results.keys():
        bare, empty_r, large = results["bare"]["rss"], results["empty"]["rss"], results["large"]
        out.append(Row(bench, f"RSS, main window + history of {large['total']:,} (first page shown)",
                       fmt(large["rss"], "MB"), fmt(bare, "MB"), ratio_text(large["rss"], bare),
                       note="baseline: a bare PySide6 QMainWindow, 1400x900"))
        out.append(Row(bench, "RSS, main window + empty history", fmt(empty_r, "MB"), fmt(bare, "MB"),
                       ratio_text(empty_r, bare)))
        added = large["rss"] - empty_r
        out.append(Row(bench, f"RSS the {large['total']:,}-row history adds (vs empty history)", fmt(added, "MB"),
                       fmt(empty_r, "MB"), ratio_text(large["rss"], empty_r), f"< {MEMORY_BUDGET_MB:g} MB",
                       "yes" if added < MEMORY_BUDGET_MB else "NO",
                       note="run_all's own target: memory must not grow with the file"))
        out.append(Row(bench, "RSS after a full-text search + count over every row", fmt(large["rss_search"], "MB"),
                       fmt(bare, "MB"), ratio_text(large["rss_search"], bare),
                       note=f"peak {large['peak']:.0f} MB"))
    for failure in failures:
        out.append(Row(bench, f"({failure})", "?", note=f"see {LOGS}/memory-*.err"))
    print(f"   memory: {seconds:.1f} s", flush=True)
    return Outcome(bench, seconds, 0 if not failures else 1, out, error="; ".join(failures))


# -- the end -------------------------------------------------------------------------------------------------------


COLUMNS = ("benchmark", "measure", "value", "baseline", "ratio", "target", "met?")


def render(rows: Iterable[Row], measure_width: int = 64) -> str:
    cells = []
    for row in rows:
        measure = row.measure if len(row.measure) <= measure_width else row.measure[: measure_width - 1] + "…"
        cells.append((row.bench, measure, row.value, row.baseline, row.ratio, row.target, row.met))
    widths = [max([len(header), *(len(cell[i]) for cell in cells)]) for i, header in enumerate(COLUMNS)]
    right = {2, 3, 4}

    def line(values: tuple[str, ...]) -> str:
        parts = [value.rjust(widths[i]) if i in right else value.ljust(widths[i]) for i, value in enumerate(values)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(COLUMNS), rule, *(line(cell) for cell in cells)])


def parse_args(argv: list[str] | None, names: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help=f"the {FULL_ROWS:,}-row sizes (default {MODERATE_ROWS:,})")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only these (repeat or comma-separate): {', '.join(names)}")
    parser.add_argument("--rows", type=int, help="history rows for history, history_gui and memory (overrides --full)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds allowed to each benchmark (default 900, 3600 with --full)")
    parser.add_argument("--quiet", "-q", action="store_true", help="do not show each script's output as it runs")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the combined rows as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed too")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    options = parser.parse_args(argv)
    if options.rows is not None and options.rows < 10_200:
        parser.error("--rows must be at least 10,200 (bench_history_gui scrolls to row 10,000)")
    if options.timeout is None:
        options.timeout = 3600.0 if options.full else 900.0
    chosen: list[str] = []
    for value in options.only or []:
        chosen += [part.strip().removeprefix("bench_").removesuffix(".py") for part in value.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(names)}")
    options.chosen = chosen
    return options


def main(argv: list[str] | None = None) -> int:
    benchmarks = discover()
    names = [bench.name for bench in benchmarks]
    options = parse_args(argv, names)
    if options.list:
        for bench in benchmarks:
            print(f"{bench.name:<12} {bench.script.name if bench.script else '(run_all.py)':<22} {bench.about}")
        return 0
    selected = [bench for bench in benchmarks if not options.chosen or bench.name in options.chosen]
    sizes = f"{rows_for(options):,}-row histories"
    print(f"Benchmarks: {', '.join(bench.name for bench in selected)}; {sizes}; Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores; output kept in {LOGS.relative_to(ROOT)}/", flush=True)
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    interrupted = False
    with tempfile.TemporaryDirectory(prefix="yespo-bench-all-") as temp:
        try:
            for bench in selected:
                home = Path(temp) / bench.name
                home.mkdir()
                outcomes.append(run_memory(options, home) if bench.script is None
                                else run_script(bench, options, home))
        except KeyboardInterrupt:
            stop_current()
            interrupted = True
            print("\ninterrupted: the table holds what finished", flush=True)
    total = time.perf_counter() - started
    rows = [row for outcome in outcomes for row in outcome.rows]
    print(f"\nCombined results ({sizes}; each ratio is against a baseline measured in the same run; "
          f"total {total / 60:.1f} min)\n")
    print(render(rows))
    met = sum(row.met == "yes" for row in rows)
    missed = [row for row in rows if row.met == "NO"]
    unread = sum(row.value == "?" for row in rows)
    failed = [outcome for outcome in outcomes if outcome.error]
    summary = f"\ntargets: {met} met, {len(missed)} missed"
    if missed:
        summary += " (" + "; ".join(f"{row.bench}: {row.measure}" for row in missed) + ")"
    summary += f"; lines not read: {unread}; benchmarks that failed: {len(failed)}"
    if failed:
        summary += " (" + ", ".join(f"{outcome.bench}: {outcome.error}" for outcome in failed) + ")"
    print(summary)
    print("times: " + ", ".join(f"{o.bench} {o.seconds:.0f} s" for o in outcomes))
    if options.json:
        options.json.write_text(json.dumps({"rows": [asdict(row) for row in rows], "seconds": total,
                                            "sizes": sizes}, ensure_ascii=False, indent=2), encoding="utf-8")
    if interrupted:
        return 130
    return 1 if failed or (options.strict and missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
