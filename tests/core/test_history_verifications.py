"""Verifications outside the store: carried by NDJSON and HAR exports and brought back by imports (a
malformed one left out with its line named, its exchange imported all the same), the --verified filter,
and the few words a list shows for each."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from haralyzer import HarParser

from yespo_console.core.followup.answers import Activity, Channel, Contact, Message
from yespo_console.core.followup.verify import LinkedActivity, Locator, Verification
from yespo_console.core.history import HistoryFilter, HistoryStore, VerificationRecord, read_imports, write_export
from yespo_console.core.history.verifications import MAX_DETAIL_CHARS, followed_text
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome

T0 = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)
CONTACT = Contact(42, "Ann", "Lee", (Channel("email", "ann@example.com"),))


def linked_detail() -> dict[str, Any]:
    """What the verifier keeps for a send that was followed by a workflow's activity and its email."""
    activity = Activity(status="DELIVERED", time="2025-06-01T09:31:00", media_type="email",
                        source_event_type_key="cartUpdated", source_event_key="ann@example.com", workflow_id=7)
    message = Message(channel="email", time="2025-06-01T09:31:05", status="DELIVERED", subject="Your cart")
    result = Verification("linked", "Contact found: #42 Ann Lee. Followed by 1 activity.",
                          Locator("email", "ann@example.com"), CONTACT,
                          [LinkedActivity(activity, "Abandoned cart", True)], [message], polls=3, waited_s=9.5,
                          finished_at=T0 + timedelta(minutes=2))
    return result.as_dict()


def nothing_detail(status: str, waited_s: float) -> dict[str, Any]:
    contact = None if status == "contact_not_found" else CONTACT
    return Verification(status, f"{status} summary", Locator("email", "ann@example.com"), contact,  # type: ignore[arg-type]
                        polls=5, waited_s=waited_s).as_dict()


def filled(path: Path, sends: int = 6) -> HistoryStore:
    store = HistoryStore(path)
    for n in range(sends):
        body = json.dumps({"eventTypeKey": "cartUpdated", "keyValue": f"u{n}@example.com", "params": []}).encode()
        exchange_id = store.begin(ExchangeRequest(url="https://yespo.io/api/v2/event", body=body,
                                                  event_type="cartUpdated" if n % 2 else "pageViewed",
                                                  key_value=f"u{n}@example.com", key_value_source="email",
                                                  started_at=T0 + timedelta(seconds=n)))
        store.complete(exchange_id, ExchangeResult(Outcome.ACCEPTED, 200, body=b"", duration_ms=5.0))
    # As the verifier keeps them: the status and summary are its result's, the detail its whole result.
    for exchange_id, minutes, detail in ((2, 2, linked_detail()), (4, 3, nothing_detail("nothing", 120.2)),
                                         (5, 4, nothing_detail("contact_not_found", 0.3))):
        store.set_verification(VerificationRecord(exchange_id, T0 + timedelta(minutes=minutes), detail["status"],
                                                  detail["summary"], detail))
    return store


def exported(store: HistoryStore, fmt: str) -> str:
    out = io.StringIO()
    write_export(fmt, store.iter_exchanges(), out, store.verifications)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["ndjson", "har"])
def test_an_export_carries_each_verification_and_an_import_brings_it_back(tmp_path: Path, fmt: str) -> None:
    with filled(tmp_path / "a.sqlite3") as source:
        text = exported(source, fmt)
        kept = source.verifications([1, 2, 3, 4, 5, 6])
    if fmt == "ndjson":
        records = [json.loads(line) for line in text.splitlines()]
        carried = [record.get("verification") for record in records]
    else:
        HarParser(json.loads(text))  # still a HAR file a HAR tool reads
        carried = [entry.get("_yespoVerification") for entry in json.loads(text)["log"]["entries"]]
    assert [None if c is None else c["status"] for c in carried] == [
        None, "linked", None, "nothing", "contact_not_found", None]
    linked = carried[1]
    assert linked["contactFound"] is True and carried[4]["contactFound"] is False
    assert linked["verifiedAt"] == "2025-06-01T09:32:00.000000+00:00"
    assert linked["activities"][0]["workflowName"] == "Abandoned cart"
    assert {k: linked["messages"][0][k] for k in ("channel", "status", "time")} == {
        "channel": "email", "status": "DELIVERED", "time": "2025-06-01T09:31:05"}

    with HistoryStore(tmp_path / "b.sqlite3") as target:
        result = target.import_exchanges(read_imports(text.encode()))
        assert (result.imported, result.verifications) == (6, 3)
        back = target.verifications([1, 2, 3, 4, 5, 6])
        assert target.count(HistoryFilter(verified=True)) == 3
        again = target.import_exchanges(read_imports(text.encode()))
        assert (again.imported, again.skipped, again.verifications) == (0, 6, 0)
    assert sorted(back) == sorted(kept)
    for exchange_id, record in kept.items():
        assert back[exchange_id] == record  # status, summary, time and the whole detail


def _line(tmp_path: Path, verification: Any) -> bytes:
    path = tmp_path / "one.sqlite3"
    path.unlink(missing_ok=True)
    with filled(path, sends=1) as store:
        record = json.loads(exported(store, "ndjson"))
    record["verification"] = verification
    return json.dumps(record).encode() + b"\n"


def _good() -> dict[str, Any]:
    return {**linked_detail(), "status": "linked", "summary": "ok", "verifiedAt": "2025-06-01T09:32:00Z",
            "contactFound": True}


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"x": value}
    return value


@pytest.mark.parametrize(("verification", "words"), [
    ("linked", "verification is not an object"),
    ({**_good(), "status": 1}, "'status' must be one of"),
    ({**_good(), "status": "fired"}, "'status' must be one of"),
    ({**_good(), "summary": ["a"]}, "'summary' must be a text"),
    ({**_good(), "summary": "s" * 5000}, "'summary' must be a text of at most"),
    ({**_good(), "verifiedAt": "yesterday"}, "'verifiedAt' must be an ISO 8601 time"),
    ({**_good(), "verifiedAt": 1717234320}, "'verifiedAt' must be an ISO 8601 time"),
    ({**_good(), "activities": {"time": "now"}}, "'activities' is not of the verifier's shape"),
    ({**_good(), "activities": [{"time": _nested(200)}]}, "'activities[0].time' is not of the verifier's shape"),
    ({**_good(), "messages": ["sent"]}, "'messages[0]' is not of the verifier's shape"),
    ({**_good(), "contact": {"id": 1, "channels": [{"type": ["email"]}]}},
     "'contact.channels[0].type' is not of the verifier's shape"),
    ({**_good(), "problems": [1]}, "'problems[0]' is not of the verifier's shape"),
    ({**_good(), "extra": _nested(3)}, "'extra' is not of the verifier's shape"),
    ({**_good(), "activities": [{"statusDescription": "x" * 1000}] * 300},
     f"larger than {MAX_DETAIL_CHARS // 1024} KB"),
])
def test_a_malformed_verification_is_left_out_with_its_line_and_the_exchange_comes_in(
        tmp_path: Path, verification: Any, words: str) -> None:
    good = _line(tmp_path, _good())
    data = good + _line(tmp_path, verification)
    items = list(read_imports(data))
    assert [item.refused is None for item in items] == [True, False]
    refused = items[1].refused
    assert refused is not None and refused.startswith("line 2: verification") and words in refused
    assert refused.endswith("the exchange is imported without it")
    with HistoryStore(tmp_path / "target.sqlite3") as store:
        result = store.import_exchanges(items, skip_duplicates=False)
        assert (result.imported, result.verifications) == (2, 1)
        assert store.count(HistoryFilter(verified=False)) == 1


def test_a_har_entry_with_a_malformed_verification_is_named_by_its_entry(tmp_path: Path) -> None:
    with filled(tmp_path / "a.sqlite3", sends=3) as store:
        document = json.loads(exported(store, "har"))
    document["log"]["entries"][1]["_yespoVerification"]["verifiedAt"] = None
    (first, second, third) = read_imports(json.dumps(document).encode())
    assert first.refused is None and third.refused is None
    assert second.verification is None and second.refused is not None
    assert second.refused.startswith("HAR entry 2: verification: 'verifiedAt'")


def test_the_verified_filter_pages_and_counts_with_the_other_filters(tmp_path: Path) -> None:
    with filled(tmp_path / "h.sqlite3") as store:
        assert [row.id for row in store.query(HistoryFilter(verified=True))] == [5, 4, 2]
        assert [row.id for row in store.query(HistoryFilter(verified=False))] == [6, 3, 1]
        assert [row.id for row in store.query(HistoryFilter(verified=True), before_id=5, limit=1)] == [4]
        assert [row.id for row in store.query(HistoryFilter(verified=True, event_type="cartUpdated"))] == [4, 2]
        assert store.count(HistoryFilter(verified=True, search="u4@example")) == 1
        assert store.count(HistoryFilter(verified=False, search="u4@example")) == 0
        assert [e.id for e in store.iter_exchanges(HistoryFilter(verified=True))] == [2, 4, 5]
        # A time range is checked row by row on the verified rows, not through the time index.
        window = HistoryFilter(verified=True, since=T0 + timedelta(seconds=2), until=T0 + timedelta(seconds=5))
        assert [row.id for row in store.query(window)] == [5, 4]
        assert store.count(window) == 2
        assert [row.id for row in store.query(HistoryFilter(verified=False, since=T0 + timedelta(seconds=2)))] == [6, 3]
        store.delete([4])  # its verification goes with it
        assert store.count(HistoryFilter(verified=True)) == 2


@pytest.mark.parametrize(("status", "detail", "words"), [
    ("linked", linked_detail(), "message email DELIVERED (+1)"),
    ("linked", {**linked_detail(), "messages": []}, "activity: Abandoned cart"),
    ("linked", {**linked_detail(), "messages": [], "activities": [{"workflow_id": 9}]}, "activity: workflow #9"),
    ("nothing", nothing_detail("nothing", 120.2), "nothing within 2m"),
    ("nothing", nothing_detail("nothing", 45), "nothing within 45s"),
    ("nothing", nothing_detail("nothing", 150), "nothing within 2m30s"),
    ("contact_not_found", nothing_detail("contact_not_found", 0.1), "contact not found"),
    ("cancelled", nothing_detail("cancelled", 30), "stopped after 30s"),
    ("error", {}, "failed: the key has no access"),
    ("nothing", {"waitedS": True}, "nothing"),  # a detail of another shape never breaks the list
])
def test_a_list_says_what_followed_in_a_few_words(status: str, detail: dict[str, Any], words: str) -> None:
    record = VerificationRecord(1, T0, status, "the key has no access", detail)
    assert followed_text(record) == words
