"""The History dock over a large store, offscreen: first page, scrolling deep, filters, memory.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_history_gui.py               # 1,000,000 rows
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_history_gui.py --rows 200000

Rows come from bench_history.generate (the same realistic exchanges as the store benchmark). The
baseline, measured in the same run: a bare QTableView over a QStandardItemModel holding 200 rows,
which is what showing one page costs with no database at all.

Targets: first page shown < 100 ms; each further page (fetch + insert + repaint) < 16 ms, so scrolling
never drops a frame; a filter change < 200 ms; memory grows with the rows scrolled past, not with the
size of the file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_history, beside this file

from bench_history import RARE_EMAIL, generate
from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTableView

from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.outcome import Outcome
from yespo_console.gui.history_dock import HistoryDock
from yespo_console.gui.history_model import HEADERS, PAGE_SIZE

DEEP_ROW = 10_000


def quiet_offscreen(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if "propagateSizeHints" not in message:  # the offscreen plugin's harmless note, once per window
        sys.stderr.write(message + "\n")


def rss_mb() -> float:
    """Resident memory now (not the peak), from /proc; 0 where there is none."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1_048_576
    except (OSError, ValueError, IndexError):
        return 0.0


def ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def settle(app: QApplication) -> None:
    for _ in range(3):
        app.processEvents()


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, name: str, value: float, unit: str = "ms", target: float | None = None, note: str = "") -> None:
        verdict = "" if target is None else (f"< {target:g} {'ok' if value < target else 'MISSED'}")
        self.rows.append((name, f"{value:,.1f} {unit}", verdict, note))

    def print(self) -> None:
        print(f"\n{'measure':<58} {'value':>14}  {'target':<14} note")
        print("-" * 120)
        for name, value, verdict, note in self.rows:
            print(f"{name:<58} {value:>14}  {verdict:<14} {note}")


def baseline(app: QApplication, table: Table) -> float:
    """A bare table of 200 ready rows: the floor for showing one page."""
    before = rss_mb()
    start = time.perf_counter()
    model = QStandardItemModel(PAGE_SIZE, len(HEADERS))
    model.setHorizontalHeaderLabels(list(HEADERS))
    for row in range(PAGE_SIZE):
        for column in range(len(HEADERS)):
            model.setItem(row, column, QStandardItem(f"cell {row}:{column}"))
    view = QTableView()
    view.setModel(model)
    view.resize(1200, 500)
    view.show()
    settle(app)
    shown = ms_since(start)
    table.add("baseline: bare QTableView + QStandardItemModel, 200 rows", shown, note="build, show, paint")
    table.add("  baseline memory", rss_mb() - before, "MB")
    view.close()
    view.deleteLater()
    settle(app)
    return shown


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(ms_since(start))
    return times


def run(path: Path, rows: int, repeat: int) -> int:
    qInstallMessageHandler(quiet_offscreen)
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    table = Table()
    start = time.perf_counter()
    with HistoryStore(path) as store:
        result = store.import_exchanges(generate(rows), skip_duplicates=False, batch_size=5000)
    print(f"filled {result.imported:,} exchanges in {ms_since(start) / 1000:.1f} s ({path})")

    floor = baseline(app, table)
    store = HistoryStore(path)
    try:
        before = rss_mb()
        start = time.perf_counter()
        dock = HistoryDock(store)
        dock.resize(1200, 500)
        dock.show()
        settle(app)
        first = ms_since(start)
        assert dock.model.rowCount() == PAGE_SIZE, dock.model.rowCount()
        table.add("dock: construct, first page, show, paint, count", first, target=100,
                  note=f"{first / floor:.1f}× baseline; {dock.count_label.text()}")
        after_first = rss_mb()
        table.add("  memory: dock with its first page", after_first - before, "MB")

        # Scroll as a user dragging to the bottom again and again: the view asks for each page.
        bar = dock.view.verticalScrollBar()
        page_times: list[float] = []
        start = time.perf_counter()
        while dock.model.rowCount() < DEEP_ROW and dock.model.canFetchMore(dock.view.rootIndex()):
            held = dock.model.rowCount()
            page_start = time.perf_counter()
            bar.setValue(bar.maximum())
            settle(app)
            page_times.append(ms_since(page_start))
            if dock.model.rowCount() == held:
                raise SystemExit("the view stopped fetching before row 10,000")
        dock.view.scrollTo(dock.model.index(DEEP_ROW - 1, 0))
        settle(app)
        deep = ms_since(start)
        table.add(f"scroll to row {DEEP_ROW:,} (view-driven fetchMore)", deep,
                  note=f"{len(page_times)} pages; {dock.model.rowCount():,} rows held")
        # The same scroll step over rows already held: the repaint a scroll costs anyway, with no fetch.
        repaint_times = []
        for step in range(len(page_times)):
            bar.setValue(bar.value() + (bar.pageStep() if step % 2 else -bar.pageStep()))
            repaint_times.append(timed(lambda: settle(app), 1)[0])
        repaint = statistics.median(repaint_times)
        fetching = statistics.median(page_times)
        table.add("  per scroll step that fetches a page, median", fetching,
                  note=f"fetch + insert + repaint; worst {max(page_times):,.1f} ms")
        table.add("  baseline: a scroll step over rows held, median", repaint, note="repaint only, no fetch")
        table.add("  cost of a page over an ordinary scroll step", fetching - repaint, target=16,
                  note="what fetching adds to one frame")
        deep_rss = rss_mb()
        table.add(f"  memory: dock holding {dock.model.rowCount():,} rows", deep_rss - before, "MB",
                  note=f"{(deep_rss - after_first) * 1_048_576 / max(dock.model.rowCount() - PAGE_SIZE, 1):,.0f}"
                       " bytes per extra row")

        model = dock.model
        fetch_only = []
        while len(fetch_only) < 20 and model.canFetchMore(dock.view.rootIndex()):
            fetch_only.append(timed(lambda: model.fetchMore(dock.view.rootIndex()), 1)[0])
        table.add("model.fetchMore alone (deep, no repaint), median", statistics.median(fetch_only))

        def first_page(filters: HistoryFilter) -> Callable[[], None]:
            def go() -> None:
                model.set_filter(filters)
                dock.view.viewport().repaint()  # painted now; the deferred count has not run yet
            return go

        now = datetime.now(UTC)
        cases = {
            "filter: outcome rejected": HistoryFilter(outcome=Outcome.REJECTED),
            "filter: any failure (4 outcomes)": HistoryFilter(outcome=(Outcome.REJECTED, Outcome.RATE_LIMITED,
                                                                       Outcome.SERVER_ERROR, Outcome.TIMEOUT)),
            "filter: event type + environment": HistoryFilter(event_type="searchRequest", environment="staging"),
            "filter: last 7 days": HistoryFilter(since=now - timedelta(days=7)),
            "filter: last 30 days": HistoryFilter(since=now - timedelta(days=30)),
            "search: a rare email": HistoryFilter(search=RARE_EMAIL),
            "search: a common word": HistoryFilter(search="productId"),
            "search: Cyrillic word + outcome": HistoryFilter(search="Кавоварка", outcome=Outcome.REJECTED),
            "no filter again": HistoryFilter(),
        }
        for name, filters in cases.items():
            shown, counted = [], []
            for _ in range(repeat):
                shown.append(timed(first_page(filters), 1)[0])
                counted.append(timed(model.count_now, 1)[0])
            page_ms, count_ms = statistics.median(shown), statistics.median(counted)
            count_note = ("no count query: every match fits in the first page" if model.exhausted()
                          else f"then the count: {count_ms:,.1f} ms")
            table.add(f"{name}: first page shown", page_ms, target=100,
                      note=f"{count_note} ({model.total():,} rows)")

        sample = next(generate(1, seed=11))
        result_of = sample.to_result()
        assert result_of is not None

        def send_then_refresh() -> None:
            store.complete(store.begin(sample.to_request()), result_of)
            dock.refresh()
            settle(app)

        table.add("refresh after one send (begin + complete + refresh + paint)", statistics.median(
            timed(send_then_refresh, repeat)), target=50)
        dock.close()
    finally:
        store.close()

    table.print()
    print(f"\nrows: {rows:,}; page size {PAGE_SIZE}; RSS before the dock {before:,.0f} MB, "
          f"after the first page {after_first:,.0f} MB, with {DEEP_ROW:,} rows {deep_rss:,.0f} MB")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="exchanges to generate (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each filter (default 5)")
    parser.add_argument("--dir", type=Path, help="folder for the file (default: a temporary folder, removed)")
    args = parser.parse_args(argv)
    if args.rows < DEEP_ROW + PAGE_SIZE:
        parser.error(f"--rows must be at least {DEEP_ROW + PAGE_SIZE:,} to scroll to row {DEEP_ROW:,}")
    with tempfile.TemporaryDirectory(prefix="bench-history-gui-") as temp:
        folder = args.dir or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "history.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return run(path, args.rows, args.repeat)


if __name__ == "__main__":
    raise SystemExit(main())
