"""The Scenarios dock: pick a bundled recipe or a file, give a test contact (or a CSV of them), run it
against the current environment, and watch each step land, with its expectation.

The run is `core.scenarios.runner.Runner` on the window's qasync loop: the window keeps repainting while it
sends, Stop cancels it (sends in flight are kept in the history as cancelled), and the results table
exports as CSV or JSON. Every exchange is in the History dock under the run's id.

A scenario that saves a contact, sends an order or expects what followed in the account gets an account client
on the same environment and key (its calls are lookups in the History dock); on the embedded sandbox it runs at
the sandbox's time scale, so that an expectation's window shrinks with the workflow delays it waits for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from yespo_console.core.errors import InputError
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.exchange import new_run_id
from yespo_console.core.scenarios.contacts import Contact, load_contacts, preflight, scenario_contacts
from yespo_console.core.scenarios.follow import AccountLink
from yespo_console.core.scenarios.loader import LoadedScenario, load_scenario
from yespo_console.core.scenarios.problems import ScenarioError
from yespo_console.core.scenarios.recipes import bundled_scenarios
from yespo_console.core.scenarios.results import ContactDone, RunReport, StepResult, save_results
from yespo_console.core.scenarios.runner import DEFAULT_RATE, MAX_CONCURRENCY, Runner
from yespo_console.gui import theme
from yespo_console.gui.dialogs import confirm_production
from yespo_console.gui.markup import html_text
from yespo_console.gui.session import Session
from yespo_console.gui.table_model import Index, RowsModel

COLUMNS = ("Step", "Contact", "Status", "Outcome", "Expectation", "Detail")


class StepModel(RowsModel[StepResult]):
    """The results table: one row per step and contact, appended as the run goes."""

    COLUMNS = COLUMNS

    @property
    def results(self) -> list[StepResult]:
        return self.rows

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        result = self.results[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(result, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return result.detail
        if role == Qt.ItemDataRole.ForegroundRole and column in (3, 4):
            if result.expectation == "failed" or result.outcome in ("not_sent", "cancelled"):
                return theme.qcolor("error")
            if result.expectation == "held":
                return theme.qcolor("ok")
            return theme.qcolor("dim") if result.kind == "wait" else None
        return None

    @staticmethod
    def _cell(result: StepResult, column: int) -> str:
        if column == 0:
            return f"{result.step_number}. {result.step}"
        if column == 1:
            return result.contact
        if column == 2:
            return "" if result.status is None else str(result.status)
        if column == 3:
            return result.outcome.replace("_", " ")
        if column == 4:
            return {"held": "✓ held", "failed": "✗ failed"}.get(result.expectation, "")
        return result.detail

    def add(self, result: StepResult) -> None:
        row = len(self.results)
        self.beginInsertRows(QModelIndex(), row, row)
        self.results.append(result)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.rows = []
        self.endResetModel()


def _reading_box(parent: QWidget, *, lines: int) -> QTextBrowser:
    """Text to read that scrolls by itself, LINES high at least, and takes only the height that is left: counted at
    its preferred height (the dock's form is sized for its width, as its labels wrap), it made the whole dock
    taller than its tab at 1366×768, and the dock scrolled. It reads as text, not as a field (gui.theme)."""
    box = QTextBrowser(parent)
    box.setProperty("reading", True)
    box.setOpenLinks(False)
    box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # not a stop for Tab; a click selects, for copying
    box.setMinimumHeight(lines * box.fontMetrics().lineSpacing() + 8)
    box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
    return box


class RunnerDock(QDockWidget):
    run_finished = Signal(object)  # the RunReport, or None when the run could not start

    def __init__(self, session: Session, environment_name: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__("Scenarios", parent)
        self.setObjectName("runnerDock")
        self.session = session
        self.environment_name = environment_name
        self.loaded: LoadedScenario | None = None
        self.csv_path: Path | None = None
        self.report: RunReport | None = None
        self.runner: Runner | None = None
        self._task: asyncio.Task[Any] | None = None
        self._planned_steps = 0
        self._build()
        self._list_recipes()

    # -- layout ---------------------------------------------------------------------------------

    def _build(self) -> None:
        # Set-up on the left, results on the right: the dock is as wide as the window and a few rows tall,
        # so one column would put the results table below the fold.
        body = QWidget(self)
        columns = QHBoxLayout(body)
        columns.setContentsMargins(6, 6, 6, 6)
        columns.setSpacing(12)
        layout = QVBoxLayout()
        results = QVBoxLayout()
        columns.addLayout(layout, 2)
        columns.addLayout(results, 3)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        picker = QHBoxLayout()
        self.recipes = QComboBox(body)
        self.recipes.setAccessibleName("Scenario")
        self.recipes.setToolTip("A bundled recipe, or a scenario file you opened")
        self.recipes.currentIndexChanged.connect(self._recipe_chosen)
        self.open_button = QPushButton("Open…", body)
        self.open_button.setToolTip("Open a scenario file (YAML or JSON)")
        self.open_button.clicked.connect(lambda: self.open_file())
        picker.addWidget(self.recipes, 1)
        picker.addWidget(self.open_button)
        form.addRow("Scenario:", picker)

        # In a box that scrolls by itself: as a label, a recipe's whole description was the form's minimum height,
        # and at 1366×768 the dock scrolled to show it.
        self.description = _reading_box(body, lines=1)

        contact = QHBoxLayout()
        self.email = QLineEdit(body)
        self.email.setPlaceholderText("the scenario's default")
        self.email.setAccessibleName("Test contact email")
        self.email.setToolTip("The test contact's email: the {{email}} variable")
        self.phone = QLineEdit(body)
        self.phone.setPlaceholderText("the scenario's default")
        self.phone.setAccessibleName("Test contact phone")
        self.phone.setToolTip("The test contact's phone, digits with the country code: the {{phone}} variable")
        for field in (self.email, self.phone):
            field.returnPressed.connect(self.run)  # Return runs, as in a dialog
        contact.addWidget(self.email, 3)
        contact.addWidget(QLabel("Phone:", body))
        contact.addWidget(self.phone, 2)
        form.addRow("Email:", contact)

        data = QHBoxLayout()
        self.csv_label = QLineEdit(body)
        self.csv_label.setReadOnly(True)
        self.csv_label.setPlaceholderText("none: one contact, from the fields above")
        self.csv_label.setToolTip("A CSV with one contact a row; its columns become variables (email, phone, …)")
        self.csv_button = QPushButton("CSV…", body)
        self.csv_button.clicked.connect(self.choose_csv)
        self.csv_clear = QPushButton("Clear", body)
        self.csv_clear.clicked.connect(lambda: self.set_csv(None))
        data.addWidget(self.csv_label, 1)
        data.addWidget(self.csv_button)
        data.addWidget(self.csv_clear)
        form.addRow("Contacts:", data)

        pacing = QHBoxLayout()
        self.concurrency = QSpinBox(body)
        self.concurrency.setRange(1, MAX_CONCURRENCY)
        self.concurrency.setToolTip("Contacts in parallel; each contact's steps always run in order")
        self.rate = QDoubleSpinBox(body)
        self.rate.setRange(0, 100_000)
        self.rate.setDecimals(0)
        self.rate.setValue(DEFAULT_RATE)
        self.rate.setSuffix(" /s")
        self.rate.setSpecialValueText("no limit")
        self.rate.setToolTip("At most this many requests per second for the whole run (Yespo allows 350)")
        pacing.addWidget(self.concurrency)
        pacing.addWidget(QLabel("Rate:", body))
        pacing.addWidget(self.rate)
        pacing.addStretch(1)
        form.addRow("Concurrency:", pacing)
        layout.addLayout(form)

        buttons = QHBoxLayout()
        self.run_button = QPushButton("Run", body)
        self.run_button.setToolTip("Run the scenario against the current environment (Return in a field)")
        self.run_button.clicked.connect(self.run)
        self.stop_button = QPushButton("Stop", body)
        self.stop_button.setEnabled(False)
        self.stop_button.setToolTip("Stop the run; requests in flight are kept in history as cancelled")
        self.stop_button.clicked.connect(self.stop)
        self.export_button = QPushButton("Export results…", body)
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(lambda: self.export())
        self.progress = QProgressBar(body)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("")
        # Hidden until the first run, keeping its place: an empty bar reads as a field to type into.
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.progress.setSizePolicy(policy)
        self.progress.hide()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.export_button)
        layout.addLayout(buttons)
        layout.addWidget(self.description, 1)
        # The verdict beside the buttons, in large type: what the run came to, without reading the table.
        self.verdict = QLabel(body)
        self.verdict.setAccessibleName("Run verdict")
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.verdict.hide()
        results.addWidget(self.verdict)

        self.model = StepModel(self)
        self.table = QTableView(body)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((230, 150, 55, 95, 90)):
            self.table.setColumnWidth(column, width)
        # Three rows at least: a run's long summary below must not squeeze the steps out of sight.
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height()
                                    + 3 * self.table.verticalHeader().defaultSectionSize() + 4)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        results.addWidget(self.table, 3)

        # A run's summary is several lines: it scrolls by itself too, under the verdict that sums it up.
        self.summary = _reading_box(body, lines=2)
        self.summary.setText("Pick a scenario, give a test contact, and press Run.")
        results.addWidget(self.summary, 2)
        # Scrolled: a tab's minimum height is the whole bottom dock area's, and this form's would take the
        # preview's room away even while the History tab is the one shown.
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        self.setWidget(scroll)

    def _list_recipes(self) -> None:
        self.recipes.blockSignals(True)
        for path in bundled_scenarios():
            self.recipes.addItem(path.stem.replace("-", " ").capitalize(), str(path))
        self.recipes.blockSignals(False)
        if self.recipes.count():
            self._recipe_chosen()
        else:
            self.description.setText("No bundled recipes were found; open a scenario file.")

    # -- choosing -------------------------------------------------------------------------------

    def _recipe_chosen(self) -> None:
        path = self.recipes.currentData()
        if path:
            self.load_scenario(Path(path))

    def load_scenario(self, path: Path) -> bool:
        """Load a scenario; its problems (with their lines) are shown instead when it has some."""
        try:
            loaded = load_scenario(path)
        except ScenarioError as exc:
            self.loaded = None
            self._problem(f"{path.name} has {len(exc.problems)} problem(s)",
                          "\n".join(problem.text(path.name) for problem in exc.problems))
            self.run_button.setEnabled(False)
            return False
        except InputError as exc:
            self.loaded = None
            self._problem(f"{path.name} cannot be used", str(exc))
            self.run_button.setEnabled(False)
            return False
        self.loaded = loaded
        self.run_button.setEnabled(self._task is None)
        events = loaded.event_steps
        paragraphs = [" ".join(part.split()) for part in loaded.description.strip().split("\n\n") if part.strip()]
        self.description.setText(f"<b>{html_text(loaded.name)}</b> — {events} event(s) per contact"
                                 + "".join(f"<br>{html_text(text)}" for text in paragraphs))
        self.summary.setText("Ready. The run uses the environment chosen in the toolbar.")
        return True

    def open_file(self, path: str | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open a scenario", "", "Scenarios (*.yaml *.yml *.json)")
            if not path:
                return
        index = self.recipes.findData(path)
        if index < 0:
            self.recipes.addItem(Path(path).name, path)
            index = self.recipes.count() - 1
        if index == self.recipes.currentIndex():
            self._recipe_chosen()
        else:
            self.recipes.setCurrentIndex(index)

    def choose_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Contacts (CSV)", "", "CSV files (*.csv *.txt)")
        if path:
            self.set_csv(Path(path))

    def set_csv(self, path: Path | None) -> None:
        self.csv_path = path
        self.csv_label.setText("" if path is None else str(path))

    def _problem(self, title: str, text: str) -> None:
        self.description.setText(f"<span style='color:{theme.css('error')}'><b>{html_text(title)}</b></span>"
                                 f"<p style='white-space:pre-wrap; font-family:monospace'>{html_text(text)}</p>")
        self.summary.setText(f"<span style='color:{theme.css('error')}'>{html_text(title)}</span>")

    # -- running --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _variables(self) -> dict[str, str]:
        given = {}
        if self.email.text().strip():
            given["email"] = self.email.text().strip()
        if self.phone.text().strip():
            given["phone"] = self.phone.text().strip()
        return given

    def _plan(self, env: Environment, run_id: str) -> Sequence[Contact] | None:
        assert self.loaded is not None
        try:
            rows = load_contacts(self.csv_path) if self.csv_path is not None else ()
            contacts = scenario_contacts(self.loaded, rows, self._variables(), run_id=run_id, nested=env.nested)
        except ScenarioError as exc:
            self._problem("The scenario cannot run with these contacts", str(exc))
            return None
        except InputError as exc:
            self._problem("The contacts cannot be used", str(exc))
            return None
        problems = preflight(contacts)
        if problems:
            self._problem("Some events cannot be rendered", "\n".join(problems[:20]))
            return None
        return contacts

    # Checks and dialogs run in this plain slot, before the coroutine starts: a modal dialog's nested
    # event loop inside a running task would make qasync re-enter other tasks.
    def run(self) -> asyncio.Task[Any] | None:
        """Start a run; returns its task (None when it could not start: the reason is shown)."""
        if self.running or self.loaded is None:
            return None
        if self.session.history_wait:  # what it sent now would not be recorded
            self.summary.setText(f"Not run: {html_text(self.session.history_wait)}.")
            self.run_finished.emit(None)
            return None
        env = self.session.environment(self.environment_name())
        run_id = new_run_id(self.loaded.name)
        contacts = self._plan(env, run_id)
        if contacts is None:
            self.run_finished.emit(None)
            return None
        events = sum(1 for c in contacts for s in c.steps if s.kind == "event")
        if env.needs_confirmation and not confirm_production(self, env, events, title="Run on production?",
                                                             question="Run the scenario?"):
            self.summary.setText("Not run.")
            self.run_finished.emit(None)
            return None
        try:
            client = self.session.client(env)
            account = self._account(env) if self.loaded.follows_up else None
            runner = Runner(client, name=self.loaded.name, run_id=run_id, concurrency=self.concurrency.value(),
                            rate=self.rate.value() or None, on_step=self._step_done, on_contact=self._contact_done,
                            wait_scale=self._wait_scale(env) if account is not None else 1.0, account=account)
        except InputError as exc:
            self._problem("Not run", str(exc))
            self.run_finished.emit(None)
            return None
        self.runner = runner
        self.report = None
        self.model.clear()
        self.verdict.hide()
        self._planned_steps = sum(len(c.steps) for c in contacts)
        self.progress.setRange(0, max(1, self._planned_steps))
        self.progress.setValue(0)
        self.progress.setFormat("%v of %m steps")
        self.progress.show()
        self._set_running(True)
        self.summary.setText(f"Running on {html_text(env.label or env.name)} ({html_text(env.url)}), run "
                             f"<code>{run_id}</code>: {len(contacts)} contact(s)…")
        self._task = self._execute(runner, contacts)
        return self._task

    def _account(self, env: Environment) -> AccountLink:
        """The account the run's contact, order and expectation steps use; production was confirmed for the run."""
        from yespo_console.core.followup.client import AccountClient, FollowupError  # httpx: when first used

        client = AccountClient(env, secret=self.session.secret(env), recorder=self.session.history,
                               missing_key=self.session.secrets.missing_message(env), confirm=lambda _env, _what: True)
        return AccountLink(client, FollowupError)

    def _wait_scale(self, env: Environment) -> float:
        sandbox = self.session.sandbox
        if env.is_sandbox and sandbox is not None and sandbox.running:
            return min(10.0, sandbox.account.time_scale)
        return 1.0

    @asyncSlot(object, object)  # type: ignore[untyped-decorator]
    async def _execute(self, runner: Runner, contacts: Sequence[Contact]) -> None:
        try:
            report = await runner.run(contacts)
        finally:
            if runner.account is not None:
                await runner.account.client.aclose()
            self._set_running(False)
            self._task = None
        self.report = report
        self._show_summary(report)
        self.export_button.setEnabled(bool(report.results))
        self.run_finished.emit(report)

    def stop(self) -> None:
        if self.runner is not None and self.running:
            self.runner.cancel()
            self.summary.setText("Stopping…")

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running and self.loaded is not None)
        self.stop_button.setEnabled(running)
        for widget in (self.recipes, self.open_button, self.csv_button, self.csv_clear, self.concurrency, self.rate,
                       self.email, self.phone):
            widget.setEnabled(not running)
        if running:
            self.export_button.setEnabled(False)

    def _step_done(self, result: StepResult) -> None:
        self.model.add(result)
        self.progress.setValue(min(self.progress.maximum(), self.progress.value() + 1))
        if self.table.currentIndex().row() < 0 or not self.table.underMouse():
            self.table.scrollToBottom()

    def _contact_done(self, done: ContactDone) -> None:
        if done.total > 1:
            self.summary.setText(f"{done.done} of {done.total} contacts done…")

    def _show_summary(self, report: RunReport) -> None:
        summary = report.summary
        lines = summary.lines()
        color = theme.css("dim" if summary.cancelled else "ok" if summary.ok else "error")
        head, *rest = lines
        self.summary.setText(f"<span style='color:{color}'><b>{html_text(head)}</b></span><br>"
                             + "<br>".join(html_text(line.strip()) for line in rest))
        word = "STOPPED" if summary.cancelled else "PASSED" if summary.ok else "FAILED"
        self.verdict.setText(
            f"<span style='font-size:16pt; color:{color}'><b>{word}</b></span> — {summary.expectations_held} "
            f"expectation(s) held, {summary.expectations_failed} failed · {summary.accepted} of {summary.sent} "
            "event(s) accepted")
        self.verdict.show()
        if summary.cancelled:
            self.progress.setValue(self.progress.value())

    # -- export ---------------------------------------------------------------------------------

    def export(self, path: str | None = None) -> bool:
        """Write the results table; CSV or JSON by the file's suffix."""
        if self.report is None:
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export results", f"{self.report.summary.run_id}.csv",
                                                  "CSV (*.csv);;JSON (*.json)")
            if not path:
                return False
        try:
            save_results(self.report, path)
        except InputError as exc:
            self.summary.setText(f"<span style='color:{theme.css('error')}'>{html_text(str(exc))}</span>")
            return False
        self.summary.append(f"Results written to {html_text(path)}.")
        return True
