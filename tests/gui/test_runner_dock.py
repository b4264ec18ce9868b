"""The Scenarios dock over a real session: the embedded sandbox on the qasync loop, history in a temp
folder. Runs, stops, bad files, CSV contacts, export, and a window that keeps painting."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tests.sandbox.helpers import SEARCH_SCENARIO as QUICK
from yespo_console.core.history import HistoryFilter
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.scenarios.recipes import bundled_scenarios
from yespo_console.gui.runner_dock import COLUMNS, RunnerDock


@pytest.fixture
def dock(session, qtbot):
    widget = RunnerDock(session, lambda: "sandbox")
    qtbot.addWidget(widget)
    widget.resize(900, 520)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def quick(tmp_path: Path) -> Path:
    path = tmp_path / "quick.yaml"
    path.write_text(QUICK.replace("{{query}}", "mugs"))
    return path


def run(dock: RunnerDock, qtbot, timeout: int = 15_000):
    with qtbot.waitSignal(dock.run_finished, timeout=timeout) as blocker:
        dock.run_button.click()
    return blocker.args[0]


def cells(dock: RunnerDock) -> list[list[str]]:
    model = dock.model
    return [[model.data(model.index(row, column)) for column in range(len(COLUMNS))]
            for row in range(model.rowCount())]


def test_lists_the_bundled_recipes(dock: RunnerDock) -> None:
    assert dock.objectName() == "runnerDock"
    assert dock.recipes.count() == len(bundled_scenarios()) == 7
    assert dock.loaded is not None and dock.run_button.isEnabled() and not dock.stop_button.isEnabled()
    assert "Automation → Event history" in dock.description.toPlainText()


def test_tab_goes_from_the_scenario_to_the_contact_past_the_description(dock: RunnerDock, qtbot) -> None:
    dock.show()
    qtbot.waitExposed(dock)
    dock.open_button.setFocus()
    qtbot.waitUntil(dock.open_button.hasFocus)
    qtbot.keyClick(dock.open_button, Qt.Key.Key_Tab)
    assert dock.email.hasFocus()  # the description is text to read, not a stop


def test_a_bundled_recipe_runs_green_from_the_dock(dock: RunnerDock, session, qtbot) -> None:
    dock.recipes.setCurrentIndex(dock.recipes.findText("Wishlist reminder"))
    dock.phone.setText("380671112233")
    place = dock.progress.geometry()
    assert not dock.progress.isVisible() and place.width() > 0  # no empty box that reads as a field; its place kept
    report = run(dock, qtbot)
    assert dock.progress.isVisible() and dock.progress.geometry() == place and dock.progress.text() == "5 of 5 steps"
    assert report.summary.ok and report.summary.accepted == 2
    rows = cells(dock)
    assert [row[0] for row in rows] == ["1. view the product", "2. expect outcome accepted", "3. wait 1 s",
                                        "4. add it to the wishlist", "5. expect status 2xx, outcome accepted"]
    assert {row[1] for row in rows} == {"380671112233"}
    assert [row[4] for row in rows if row[4]] == ["✓ held", "✓ held"]
    assert dock.progress.value() == dock.progress.maximum() == 5
    assert "PASSED" in dock.summary.toPlainText() and dock.export_button.isEnabled()
    assert {e.key_value for e in session.sandbox.events(limit=10)} == {"380671112233"}
    assert session.history.count(HistoryFilter(run_id=report.summary.run_id)) == 2


def test_the_abandoned_cart_recipe_waits_for_its_message_at_the_sandboxs_time_scale(dock: RunnerDock, session,
                                                                                      qtbot) -> None:
    # The window's sandbox runs workflows 100 times faster; this one 500 times: the 30-minute delay takes 3.6 s
    # and the recipe's 40-minute window, scaled alike, 4.8 s.
    session.sandbox.account = replace(session.sandbox.account, time_scale=0.002)
    dock.recipes.setCurrentIndex(dock.recipes.findText("Abandoned cart"))
    dock.email.setText("qa@example.com")
    report = run(dock, qtbot, timeout=30_000)
    assert report.summary.ok and report.summary.contacts_saved == 1, [r.detail for r in report.results]
    rows = cells(dock)
    assert rows[0][:5] == ["1. save the test contact", "qa@example.com", "", "done", "✓ held"]
    assert rows[-1][0] == "13. expect a message on email within 40 min" and rows[-1][4] == "✓ held"
    assert "email message 'You left something in your cart'" in rows[-1][5]
    lookups = session.history.count(HistoryFilter(kind="lookup"))
    assert lookups >= 2  # the contact saved, then the messages polled


def test_expectations_fail_when_the_sandbox_fails(dock: RunnerDock, session, qtbot, quick: Path) -> None:
    dock.open_file(str(quick))
    session.sandbox.set_faults(status=500)
    report = run(dock, qtbot)
    assert report.summary.exit_code() == 1
    assert cells(dock)[1][4] == "✗ failed" and "got 500" in cells(dock)[1][5]
    assert "FAILED" in dock.summary.toPlainText()
    assert dock.verdict.isVisible() and "FAILED</b>" in dock.verdict.text() and "1 failed" in dock.verdict.text()


def test_return_in_the_contact_field_runs_and_the_verdict_reads_passed(dock: RunnerDock, qtbot, quick: Path) -> None:
    dock.open_file(str(quick))
    assert not dock.verdict.isVisible()
    dock.email.setFocus()
    with qtbot.waitSignal(dock.run_finished, timeout=15_000) as blocker:
        qtbot.keyClicks(dock.email, "ann@example.com")
        qtbot.keyClick(dock.email, Qt.Key.Key_Return)
    assert blocker.args[0].summary.ok
    assert dock.verdict.isVisible() and "PASSED</b>" in dock.verdict.text()
    assert "1 expectation(s) held, 0 failed" in dock.verdict.text()


def test_a_run_s_summary_leaves_the_steps_in_sight_in_a_laptop_s_dock_area(dock: RunnerDock, qtbot,
                                                                           quick: Path) -> None:
    # The bottom dock area is about 230 px tall at 1366×768 (six history rows); a run's summary is six lines.
    dock.resize(1366, 236)
    dock.open_file(str(quick))
    report = run(dock, qtbot)
    qtbot.wait(50)
    assert report.summary.ok and "PASSED" in dock.summary.toPlainText()
    rows = dock.table.viewport().height() / dock.table.verticalHeader().defaultSectionSize()
    assert rows >= 3, rows
    assert dock.widget().verticalScrollBar().maximum() == 0  # the dock itself does not scroll
    assert dock.summary.height() >= 2 * dock.summary.fontMetrics().lineSpacing()


def test_nothing_runs_while_the_history_is_being_upgraded(dock: RunnerDock, session, qtbot, quick: Path,
                                                          monkeypatch) -> None:
    # The window upgrades an old history on a worker thread after its first paint; a run then would go unrecorded.
    dock.open_file(str(quick))
    monkeypatch.setattr(session, "history_pending", True)
    with qtbot.waitSignal(dock.run_finished, timeout=2000) as blocker:
        assert dock.run() is None
    assert blocker.args == [None] and not dock.running
    assert dock.summary.toPlainText().startswith("Not run: the history is rebuilding its search index")
    assert session.sandbox is not None and session.sandbox.store.count() == 0  # nothing reached the sandbox


def open_with_two_contacts(dock: RunnerDock, tmp_path: Path) -> None:
    """The quick scenario, with its contacts (and their {{query}}) from a two-row CSV."""
    path = tmp_path / "q.yaml"
    path.write_text(QUICK)
    data = tmp_path / "people.csv"
    data.write_text("email,query\nann@example.com,red\nbo@example.com,blue\n")
    dock.open_file(str(path))
    dock.set_csv(data)


def test_csv_rows_drive_the_contacts(dock: RunnerDock, session, qtbot, tmp_path: Path) -> None:
    open_with_two_contacts(dock, tmp_path)
    dock.concurrency.setValue(2)
    report = run(dock, qtbot)
    assert report.summary.contacts_done == 2 and report.summary.ok
    searches = {(e.key_value, json.loads(e.body)["params"][1]["value"]) for e in session.sandbox.events()}
    assert searches == {("ann@example.com", "red"), ("bo@example.com", "blue")}


def test_a_bad_file_shows_its_lines_and_cannot_run(dock: RunnerDock, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: Bad\nsteps:\n  - event: pageViewed\n    locators: {emial: x}\n  - wait: never\n")
    dock.open_file(str(path))
    text = dock.description.toPlainText()
    assert "bad.yaml has 2 problem(s)" in text and "bad.yaml:4: steps[0].locators" in text
    assert "bad.yaml:5: steps[1].wait" in text
    assert dock.loaded is None and not dock.run_button.isEnabled()


def test_a_missing_variable_is_shown_not_run(dock: RunnerDock, session, qtbot, tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(QUICK)
    dock.open_file(str(path))
    with qtbot.waitSignal(dock.run_finished) as blocker:
        assert dock.run() is None
    assert blocker.args == [None]
    assert "q.yaml:8: steps[0].values.search: unknown variable 'query'" in dock.description.toPlainText()
    assert session.sandbox.events() == []


def test_a_run_on_production_asks_first_with_its_event_count(session, qtbot, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda parent, title, text, *args: asked.append((title, text)) or QMessageBox.StandardButton.No)
    widget = RunnerDock(session, lambda: "yespo")
    qtbot.addWidget(widget)
    open_with_two_contacts(widget, tmp_path)
    with qtbot.waitSignal(widget.run_finished) as blocker:
        assert widget.run() is None
    assert blocker.args == [None] and widget.summary.toPlainText() == "Not run."
    assert asked == [("Run on production?", "This sends 2 real events to https://yespo.io/api/v2/event (Yespo). "
                                            "Triggers may fire for real contacts.\n\nRun the scenario?")]
    assert session.history.count() == 0 and widget.run_button.isEnabled()


def test_stop_mid_run_leaves_history_consistent(dock: RunnerDock, session, qtbot, quick: Path) -> None:
    session.sandbox.set_faults(latency_ms=5000)
    dock.open_file(str(quick))
    with qtbot.waitSignal(dock.run_finished, timeout=10_000) as blocker:
        task = dock.run()
        assert task is not None
        qtbot.waitUntil(lambda: session.history.count(HistoryFilter(outcome=Outcome.PENDING)) == 1)
        assert dock.stop_button.isEnabled() and not dock.run_button.isEnabled()
        dock.stop_button.click()
    report = blocker.args[0]
    assert report.summary.cancelled and "STOPPED" in dock.summary.toPlainText()
    assert session.history.count(HistoryFilter(outcome=Outcome.PENDING)) == 0
    assert session.history.count(HistoryFilter(outcome=Outcome.CANCELLED)) == 1
    assert cells(dock)[0][3] == "cancelled" and dock.run_button.isEnabled()


def test_the_window_keeps_painting_during_a_run(dock: RunnerDock, session, qtbot, quick: Path) -> None:
    session.sandbox.set_faults(latency_ms=800)
    dock.open_file(str(quick))
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    report = run(dock, qtbot)
    timer.stop()
    assert report.summary.ok and len(ticks) >= 20


def test_export_results(dock: RunnerDock, qtbot, quick: Path, tmp_path: Path) -> None:
    dock.open_file(str(quick))
    run(dock, qtbot)
    assert dock.export(str(tmp_path / "r.csv")) and dock.export(str(tmp_path / "r.json"))
    with (tmp_path / "r.csv").open(encoding="utf-8") as handle:
        assert [row["expectation"] for row in csv.DictReader(handle)] == ["", "held"]
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["ok"] is True
    assert not dock.export(str(tmp_path / "r.txt")) and "must end in .csv or .json" in dock.summary.toPlainText()


def test_open_and_export_through_the_dialogs(dock: RunnerDock, qtbot, quick: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(quick), ""))
    dock.open_button.click()
    assert dock.recipes.currentText() == "quick.yaml" and dock.loaded is not None and dock.loaded.name == "Quick"
    run(dock, qtbot)
    target = tmp_path / "out.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    dock.export_button.click()
    assert json.loads(target.read_text())["summary"]["accepted"] == 1
