"""The History dock over a real store in a temp folder: lazy paging, search, filters, and the actions
on selected exchanges (load, re-send, diff, export, star, delete)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from haralyzer import HarParser
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from yespo_console.core.errors import StoreError
from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome
from yespo_console.gui.history_dock import SEARCH_DELAY_MS, HistoryDock
from yespo_console.gui.history_export import export_format
from yespo_console.gui.history_model import EVENT, KEY_VALUE, OUTCOME, PAGE_SIZE, STAR, TIME, HistoryModel

URL = "http://127.0.0.1:9/api/v2/event"


def add(store: HistoryStore, *, event: str = "cartUpdated", env: str = "sandbox", key: str = "anna@example.com",
        status: int | None = 200, outcome: Outcome | None = None, body: bytes | None = None,
        response: bytes = b'{"status": "ok"}', started: datetime | None = None) -> int:
    """One exchange the way the client writes it: pending first, then completed."""
    if body is None:
        body = json.dumps({"eventTypeKey": event, "keyValue": key, "params": []}).encode()
    request = ExchangeRequest(url=URL, body=body, environment=env, event_type=event, key_value=key,
                              headers=(("Content-Type", "application/json"), ("Authorization", "Basic c2VjcmV0")),
                              started_at=started or datetime.now(UTC))
    exchange_id = store.begin(request)
    final = outcome or (Outcome.from_status(status) if status is not None else Outcome.TIMEOUT)
    store.complete(exchange_id, ExchangeResult(outcome=final, status=status, body=response, duration_ms=12.5,
                                               headers=(("content-type", "application/json"),)))
    return exchange_id


@pytest.fixture
def store(session) -> HistoryStore:
    assert session.history is not None, session.history_error
    return session.history


@pytest.fixture
def make_dock(qtbot):
    def make(store: HistoryStore | None, **kwargs) -> HistoryDock:
        dock = HistoryDock(store, **kwargs)
        qtbot.addWidget(dock)
        dock.resize(1000, 420)
        dock.show()
        qtbot.waitExposed(dock)
        return dock

    return make


def ids_shown(model: HistoryModel) -> list[int]:
    return [model.summary_at(row).id for row in range(model.rowCount())]


def select_rows(dock: HistoryDock, *rows: int) -> None:
    selection = dock.view.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(dock.model.index(row, 0),
                         QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    selection.setCurrentIndex(dock.model.index(rows[0], 0), QItemSelectionModel.SelectionFlag.NoUpdate)


def select_ids(dock: HistoryDock, *ids: int) -> None:
    select_rows(dock, *(dock.model.row_of(i) for i in ids))


# -- lazy paging -------------------------------------------------------------------------------------------


def test_model_pulls_pages_by_key_and_never_everything(store, monkeypatch, qtbot):
    made = store.import_exchanges((store_exchange(n) for n in range(1000)), skip_duplicates=False)
    assert made.imported == 1000
    calls: list[tuple[int | None, int]] = []
    real_query = store.query

    def spy(filters=None, *, before_id=None, limit=100):
        calls.append((before_id, limit))
        return real_query(filters, before_id=before_id, limit=limit)

    monkeypatch.setattr(store, "query", spy)
    model = HistoryModel(store)
    inserted: list[int] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append(last - first + 1))
    assert model.rowCount() == PAGE_SIZE and not model.total_known()  # counted after the first paint
    qtbot.waitUntil(model.total_known)
    assert model.total() == 1000
    assert model.canFetchMore(QModelIndex())
    newest = real_query(HistoryFilter(), limit=1000)
    assert ids_shown(model) == [s.id for s in newest[:PAGE_SIZE]]

    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * PAGE_SIZE
    assert ids_shown(model) == [s.id for s in newest[:2 * PAGE_SIZE]]
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert ids_shown(model) == [s.id for s in newest]
    assert inserted and max(inserted) == PAGE_SIZE  # one page at a time, never all rows at once
    # Every page asked by key: the first from the top, each next one below the last id held.
    assert calls[0] == (None, PAGE_SIZE)
    assert [before for before, _ in calls[1:]] == [newest[n * PAGE_SIZE - 1].id for n in range(1, len(calls))]
    assert all(limit == PAGE_SIZE for _, limit in calls)


def store_exchange(n: int):
    from yespo_console.core.history import Exchange

    started = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=n)
    return Exchange(id=0, started_at=started, environment="sandbox", url=URL, event_type="pageViewed",
                    key_value=f"user{n}@example.com", request_body=b'{"n": %d}' % n, outcome=Outcome.ACCEPTED,
                    status=200, response_body=b'{"status": "ok"}', duration_ms=float(n % 50))


def test_the_view_fetches_a_page_when_scrolled_to_the_end(store, make_dock, qtbot):
    store.import_exchanges((store_exchange(n) for n in range(3 * PAGE_SIZE + 10)), skip_duplicates=False)
    dock = make_dock(store)
    qtbot.wait(50)
    assert dock.model.rowCount() == PAGE_SIZE  # the viewport is full long before 200 rows
    qtbot.waitUntil(lambda: dock.count_label.text() == "610 exchanges")
    dock.apply_filters()
    assert dock.count_label.text() == "200+ exchanges, counting…"  # the page first, the count next
    qtbot.waitUntil(lambda: dock.count_label.text() == "610 exchanges")
    bar = dock.view.verticalScrollBar()
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: dock.model.rowCount() == 2 * PAGE_SIZE)
    assert dock.model.canFetchMore(QModelIndex())


def test_cells_are_ready_strings(store, make_dock):
    add(store, event="cartUpdated", key="anna@example.com", status=400)
    model = HistoryModel(store)
    index = model.index(0, OUTCOME)
    assert model.data(index) == "Rejected"
    assert model.data(model.index(0, EVENT)) == "cartUpdated"
    assert model.data(model.index(0, KEY_VALUE)) == "anna@example.com"
    assert model.data(model.index(0, TIME)).startswith(str(datetime.now().year))
    assert model.data(index, Qt.ItemDataRole.ForegroundRole).name() == "#d93025"
    assert model.data(model.index(5, 0)) is None and model.summary_at(5) is None


def test_refresh_brings_new_rows_on_top_and_keeps_the_selection(store, make_dock, qtbot):
    for n in range(5):
        add(store, key=f"k{n}@example.com")
    dock = make_dock(store)
    chosen = dock.model.summary_at(2).id
    select_rows(dock, 2)
    pending_id = store.begin(ExchangeRequest(url=URL, body=b"{}", event_type="pageViewed", key_value="p@x.io"))
    newest = add(store, key="fresh@example.com")
    dock.refresh()
    assert dock.model.rowCount() == 7 and dock.model.total() == 7
    assert ids_shown(dock.model)[:2] == [newest, pending_id]
    assert dock.model.data(dock.model.index(1, OUTCOME)) == "Pending"
    assert dock.selected_ids() == [chosen]
    assert dock.count_label.text() == "7 exchanges"
    store.complete(pending_id, ExchangeResult(outcome=Outcome.ACCEPTED, status=200))
    assert dock.model.refresh() == 0
    assert dock.model.data(dock.model.index(1, OUTCOME)) == "Accepted"


# -- search and filters ------------------------------------------------------------------------------------


def test_search_finds_a_word_in_the_response_and_a_key_value(store, make_dock, qtbot):
    add(store, key="anna@example.com")
    wanted = add(store, key="bob@example.com", status=400,
                 response=b'{"errors": ["the zanzibar parameter is unknown"]}')
    other = add(store, key="carla.unique@example.org")
    dock = make_dock(store)
    assert dock.model.rowCount() == 3
    dock.search.setText("zanzibar")
    # Debounced: nothing happens while typing; the search runs once the typing pauses.
    assert dock.model.rowCount() == 3 and dock.search_timer.isActive()
    assert dock.search_timer.interval() == SEARCH_DELAY_MS
    qtbot.waitUntil(lambda: dock.model.rowCount() == 1, timeout=SEARCH_DELAY_MS * 8)
    assert ids_shown(dock.model) == [wanted]
    assert dock.count_label.text() == "1 exchange (filtered)"
    dock.search.setText("carla.unique@example.org")
    dock.search.returnPressed.emit()  # Enter searches at once
    assert ids_shown(dock.model) == [other]
    dock.search.setText('"" *** ca')  # nothing long enough to look up: the whole list, and a hint
    dock.apply_filters()
    assert dock.model.rowCount() == 3 and dock.status_label.text() == "Type at least 3 characters to search."
    dock.search.clear()
    dock.apply_filters()
    assert dock.model.rowCount() == 3


@pytest.mark.parametrize("typed, expected", [
    ("zanz", ["wanted"]),  # a part of a word in the response
    ("0501234", ["phone"]),  # inside a phone number, without its country code
    ("380501", ["phone"]),  # its prefix
    ("b@exa", ["wanted"]),  # across the @ of an email
    ("ARLA.UNI", ["other"]),  # in any case
    ("example", ["other", "wanted"]),
    ("olena zanz", []),  # every part must be found in the same exchange
])
def test_search_finds_any_part_of_what_was_typed(store, make_dock, qtbot, typed, expected):
    made = {"phone": add(store, key="olena", body=b'{"params":[{"name":"phone","value":"380501234567"}]}'),
            "wanted": add(store, key="bob@example.com", response=b'{"errors": ["the zanzibar parameter"]}'),
            "other": add(store, key="carla.unique@example.org")}
    dock = make_dock(store)
    qtbot.keyClicks(dock.search, typed)  # typed key by key, as a person does
    qtbot.waitUntil(lambda: not dock.search_timer.isActive(), timeout=SEARCH_DELAY_MS * 8)
    assert ids_shown(dock.model) == sorted((made[name] for name in expected), reverse=True)


def test_a_search_matching_very_many_rows_is_counted_only_so_far(store, make_dock, qtbot, monkeypatch):
    from yespo_console.gui import history_model

    monkeypatch.setattr(history_model, "SEARCH_COUNT_CAP", 3)
    store.import_exchanges((store_exchange(n) for n in range(PAGE_SIZE + 10)), skip_duplicates=False)
    dock = make_dock(store)
    dock.search.setText("example.com")
    dock.apply_filters()
    qtbot.waitUntil(dock.model.total_known)
    assert dock.model.total_capped() and dock.count_label.text() == "more than 3 exchanges (filtered)"
    dock.search.setText("user7@")  # user7@, and no other
    dock.apply_filters()
    qtbot.waitUntil(dock.model.total_known)
    assert not dock.model.total_capped() and dock.count_label.text() == "1 exchange (filtered)"


def test_rows_written_by_another_process_appear_without_refresh_and_in_view(store, make_dock, qtbot):
    from yespo_console.core.history import HistoryStore as Store

    first = add(store, key="mine@example.com")
    dock = make_dock(store)
    assert ids_shown(dock.model) == [first]
    with Store(store.path) as other:  # its own connection to the file, as the CLI or a second window has
        theirs = [add(other, key=f"cli-{n}@example.com") for n in range(3)]
    qtbot.waitUntil(lambda: ids_shown(dock.model)[:1] == [theirs[-1]], timeout=3000)
    assert ids_shown(dock.model) == [*reversed(theirs), first]
    assert dock.view.verticalScrollBar().value() == 0 and dock.view.rowAt(0) == 0  # the newest is in view


def test_selecting_one_row_hands_over_that_exchange(store, make_dock, qtbot):
    older = add(store, key="older@example.com", status=400, response=b"plain words")
    newer = add(store, key="newer@example.com")
    dock = make_dock(store)
    seen = []
    dock.exchange_selected.connect(seen.append)
    dock.view.selectRow(1)
    assert [e.id for e in seen] == [older] and seen[0].response_body == b"plain words"
    dock.view.selectAll()
    assert seen[-1] is None  # two rows: nothing single to look at
    dock.view.selectRow(0)
    assert seen[-1].id == newer
    dock.search.setText("older@")
    dock.apply_filters()  # the table is read again: nothing selected any more, nothing to look at
    assert seen[-1] is None


def choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} not offered"
    combo.setCurrentIndex(index)


def test_filters_by_outcome_event_environment_date_and_star(store, make_dock):
    old = add(store, event="pageViewed", env="staging", started=datetime.now(UTC) - timedelta(days=3))
    rejected = add(store, event="cartUpdated", env="sandbox", status=400)
    timeout = add(store, event="cartUpdated", env="staging", status=None)
    accepted = add(store, event="pageViewed", env="sandbox")
    dock = make_dock(store)
    assert [dock.event_combo.itemData(i) for i in range(1, dock.event_combo.count())] == ["cartUpdated", "pageViewed"]
    assert "pending" not in [dock.outcome_combo.itemData(i) for i in range(dock.outcome_combo.count())]

    choose(dock.outcome_combo, "rejected")
    assert ids_shown(dock.model) == [rejected]
    choose(dock.outcome_combo, "__failures__")
    assert ids_shown(dock.model) == [timeout, rejected]
    choose(dock.outcome_combo, "__any__")
    choose(dock.event_combo, "pageViewed")
    assert ids_shown(dock.model) == [accepted, old]
    choose(dock.env_combo, "staging")
    assert ids_shown(dock.model) == [old]
    choose(dock.since_combo, "today")
    assert ids_shown(dock.model) == [] and dock.count_label.text() == "0 exchanges (filtered)"
    choose(dock.event_combo, "__any__")
    choose(dock.env_combo, "__any__")
    assert ids_shown(dock.model) == [accepted, timeout, rejected]
    store.set_star(timeout, True)
    dock.starred_check.setChecked(True)
    assert ids_shown(dock.model) == [timeout]


# -- actions -----------------------------------------------------------------------------------------------


def test_double_click_and_enter_load_the_whole_exchange(store, make_dock, qtbot):
    first = add(store, key="first@example.com")
    add(store, key="second@example.com")
    dock = make_dock(store)
    row = dock.model.row_of(first)
    rect = dock.view.visualRect(dock.model.index(row, EVENT))
    # A view takes a double-click only on the item the press landed on: press first, as a mouse does.
    qtbot.mouseClick(dock.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(dock.load_requested) as blocker:
        qtbot.mouseDClick(dock.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    exchange = blocker.args[0]
    assert exchange == store.get(first) and exchange.key_value == "first@example.com"
    assert exchange.request_body and exchange.response_body == b'{"status": "ok"}'

    select_rows(dock, 0)
    dock.view.setFocus()
    qtbot.waitUntil(dock.view.hasFocus)
    with qtbot.waitSignal(dock.load_requested) as blocker:
        qtbot.keyClick(dock.view, Qt.Key.Key_Return)
    assert blocker.args[0].key_value == "second@example.com"


def test_resend_emits_the_selection_oldest_first(store, make_dock, qtbot, monkeypatch):
    ids = [add(store, key=f"r{n}@example.com") for n in range(3)]
    dock = make_dock(store)
    select_ids(dock, ids[2], ids[0])
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(dock.resend_requested) as blocker:
        dock.resend_action.trigger()
    assert [e.id for e in blocker.args[0]] == [ids[0], ids[2]] and len(asked) == 1


def test_delete_asks_then_removes_rows_from_view_and_store(store, make_dock, monkeypatch):
    ids = [add(store, key=f"d{n}@example.com") for n in range(4)]
    dock = make_dock(store)
    select_ids(dock, ids[1], ids[2])
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    dock.delete_action.trigger()
    assert dock.model.rowCount() == 4 and store.count() == 4
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dock.delete_action.trigger()
    assert ids_shown(dock.model) == [ids[3], ids[0]]
    assert store.get(ids[1]) is None and store.get(ids[2]) is None and store.count() == 2
    assert dock.count_label.text() == "2 exchanges"


def test_star_toggles_in_the_store_and_the_view(store, make_dock, qtbot):
    target = add(store)
    add(store)
    dock = make_dock(store)
    select_ids(dock, target)
    assert dock.star_action.text() == "Star"
    dock.star_action.trigger()
    assert store.get(target).starred
    row = dock.model.row_of(target)
    assert dock.model.data(dock.model.index(row, STAR)) == "★"
    assert dock.star_action.text() == "Unstar"
    dock.star_action.trigger()
    assert not store.get(target).starred and dock.model.data(dock.model.index(row, STAR)) == "☆"
    # A click on the star itself toggles too.
    qtbot.mouseClick(dock.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=dock.view.visualRect(dock.model.index(row, STAR)).center())
    assert store.get(target).starred


def test_diff_shows_both_ids_and_marks_the_changed_line(store, make_dock, qtbot):
    body = {"eventTypeKey": "cartUpdated", "keyValue": "anna@example.com",
            "params": [{"name": "quantity", "value": "1"}, {"name": "currency", "value": "UAH"}]}
    a = add(store, body=json.dumps(body).encode(), response=b'{"status": "ok"}')
    body["params"][0]["value"] = "2"
    b = add(store, body=json.dumps(body, indent=4).encode(), status=400, response=b'{"status": "bad"}')
    dock = make_dock(store)
    select_ids(dock, a, b)
    assert dock.diff_action.isEnabled()
    dock.diff_action.trigger()
    dialog = dock.last_diff
    assert dialog is not None and f"#{a}" in dialog.windowTitle() and f"#{b}" in dialog.windowTitle()
    pane = dialog.request
    changed = [pane.rows[n] for n in pane.changed_rows]
    # Compact on one side, indented on the other: only the real change is marked.
    assert [(r.left.strip(), r.right.strip()) for r in changed if r.left and '"value"' in r.left] == [
        ('"value": "1"', '"value": "2"')]
    assert not any("currency" in (r.left or "") for r in changed)
    marked = {sel.cursor.block().text().strip() for sel in pane.left.extraSelections()}
    assert '"value": "1"' in marked and '"value": "UAH"' not in marked
    assert pane.left.document().blockCount() == pane.right.document().blockCount()  # rows stay aligned
    response = [dialog.response.rows[n] for n in dialog.response.changed_rows]
    assert any("HTTP 200" in (r.left or "") and "HTTP 400" in (r.right or "") for r in response)
    assert dialog.go_to_change(1) is not None
    dialog.close()
    qtbot.waitUntil(lambda: dock.last_diff is None)


def test_diff_needs_exactly_two(store, make_dock):
    ids = [add(store) for _ in range(3)]
    dock = make_dock(store)
    select_ids(dock, *ids)
    assert not dock.diff_action.isEnabled()
    assert dock.diff_selected() is None and "exactly two" in dock.status_label.text()


def test_export_selection_writes_a_har_that_parses(store, make_dock, monkeypatch, tmp_path):
    ids = [add(store, key=f"e{n}@example.com") for n in range(4)]
    dock = make_dock(store)
    select_ids(dock, ids[0], ids[2], ids[3])
    target = tmp_path / "picked.har"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "HAR 1.2 (*.har)"))
    dock.export_action.trigger()
    har = json.loads(target.read_text(encoding="utf-8"))
    entries = HarParser(har).har_data["entries"]
    assert [e["_yespo"]["keyValue"] for e in entries] == ["e0@example.com", "e2@example.com", "e3@example.com"]
    assert "c2VjcmV0" not in target.read_text(encoding="utf-8")  # the credential stayed masked
    assert not (tmp_path / "picked.har.part").exists()
    assert "Exported 3" in dock.status_label.text()


def test_export_into_a_missing_folder_says_why(store, make_dock, monkeypatch, tmp_path):
    add(store)
    dock = make_dock(store)
    select_rows(dock, 0)
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "no" / "such" / "x.ndjson"), "HAR 1.2 (*.har)"))
    assert dock.export_selected() == 0
    assert warned and "Export failed" in warned[0]


def test_export_format_follows_the_extension_typed():
    assert export_format("/x/a.ndjson", "HAR 1.2 (*.har)") == "ndjson"
    assert export_format("/x/a.sh", "HAR 1.2 (*.har)") == "curl"
    assert export_format("/x/a", "Python httpx script (*.py)") == "httpx"


def test_ctrl_f_focuses_the_search_box(store, make_dock, qtbot):
    dock = make_dock(store)
    dock.view.setFocus()
    qtbot.waitUntil(dock.view.hasFocus)
    qtbot.keyClick(dock.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert dock.search.hasFocus()


# -- failures ----------------------------------------------------------------------------------------------


def test_without_a_store_everything_is_off_and_says_why(make_dock):
    dock = make_dock(None, unavailable_reason="the disk is full")
    assert dock.objectName() == "historyDock"
    assert dock.off_label.isVisible() and "the disk is full" in dock.off_label.text()
    assert not any(action.isEnabled() for action in dock.item_actions)
    dock.refresh()
    dock.apply_filters()
    assert dock.model.rowCount() == 0 and not dock.model.canFetchMore(QModelIndex())


def test_a_closed_store_is_reported_not_raised(store, make_dock, monkeypatch):
    add(store)
    dock = make_dock(store)
    select_rows(dock, 0)
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    store.close()
    dock.load_current()
    assert len(warned) == 1 and "closed" in warned[-1]
    dock.toggle_star()  # on the row still selected
    assert len(warned) == 2 and warned[-1].startswith("Starring failed.") and "closed" in warned[-1]
    assert dock.model.data(dock.model.index(0, STAR)) == "☆"  # not shown starred when it was not
    dock.apply_filters()
    assert dock.status_label.isVisible() and "closed" in dock.status_label.text()
    assert dock.model.rowCount() == 0 and not dock.model.canFetchMore(QModelIndex())
    dock.refresh()
    assert dock.status_label.isVisible() and "closed" in dock.status_label.text()


def test_a_failing_page_stops_fetching_and_refresh_recovers(store, make_dock, monkeypatch):
    store.import_exchanges((store_exchange(n) for n in range(2 * PAGE_SIZE + 5)), skip_duplicates=False)
    dock = make_dock(store)
    real_query = store.query

    def busy(*_args, **_kwargs):
        raise StoreError("the history file is busy (another Yespo Console is writing to it)")

    monkeypatch.setattr(store, "query", busy)
    dock.model.fetchMore(QModelIndex())  # what the view calls on scrolling: must not raise into Qt
    assert dock.model.rowCount() == PAGE_SIZE and not dock.model.canFetchMore(QModelIndex())
    assert "busy" in dock.status_label.text() and dock.status_label.isVisible()
    monkeypatch.setattr(store, "query", real_query)
    dock.refresh()
    assert dock.model.rowCount() == PAGE_SIZE and dock.model.canFetchMore(QModelIndex())
    assert dock.status_label.isHidden()
