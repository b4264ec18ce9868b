"""The history store against real SQLite files: recording, queries, search, editing, retention."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yespo_console.core.errors import StoreError
from yespo_console.core.history import (
    INTERRUPTED_ERROR,
    Exchange,
    HistoryFilter,
    HistoryStore,
    fts_match_expression,
)
from yespo_console.core.history import process as history_process
from yespo_console.core.history import queries as history_queries
from yespo_console.core.history import rows as history_rows
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.masking import MASK, mask_url
from yespo_console.core.http.outcome import Outcome

T0 = datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)


def body(event: str = "pageViewed", key: str = "a@example.com", **params: object) -> bytes:
    items = [{"name": name, "value": value} for name, value in params.items()]
    return json.dumps({"eventTypeKey": event, "keyValue": key, "params": items}).encode()


def request(event: str = "pageViewed", key: str = "a@example.com", *, at: datetime = T0,
            environment: str = "sandbox", run_id: str | None = None, raw: bytes | None = None,
            headers: tuple[tuple[str, str], ...] = (("Content-Type", "application/json"),),
            note: str = "") -> ExchangeRequest:
    return ExchangeRequest(
        url="https://yespo.io/api/v2/event", body=raw if raw is not None else body(event, key),
        environment=environment, headers=headers, event_type=event, key_value=key,
        key_value_source="keyValue", diagnostics=({"code": "W1", "severity": "warning", "path": "$.params"},),
        run_id=run_id, note=note, started_at=at,
    )


def result(status: int | None = 200, outcome: Outcome | None = None, text: bytes = b"",
           error: str = "") -> ExchangeResult:
    return ExchangeResult(
        outcome=outcome or Outcome.from_status(status or 0), status=status,
        headers=(("Content-Type", "text/plain"),) if status else (), body=text, duration_ms=42.5,
        error=error, finished_at=T0 + timedelta(milliseconds=43),
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    with HistoryStore(tmp_path / "history.sqlite3") as opened:
        yield opened


def add(store: HistoryStore, event: str = "pageViewed", key: str = "a@example.com", status: int | None = 200,
        **kwargs: object) -> int:
    outcome = kwargs.pop("outcome", None)
    return send(store, request(event, key, **kwargs), result(status, outcome))  # type: ignore[arg-type]


def send(store: HistoryStore, req: ExchangeRequest, res: ExchangeResult) -> int:
    """A finished exchange, written as a send writes it."""
    exchange_id = store.begin(req)
    store.complete(exchange_id, res)
    return exchange_id


def send_all(store: HistoryStore, requests: list[ExchangeRequest], results: list[ExchangeResult]) -> list[int]:
    """Many finished exchanges, in two transactions, as the client groups concurrent sends."""
    ids = store.write_many(begin=requests)
    store.write_many(complete=zip(ids, results, strict=True))
    return ids


def _fts_is_sound(store: HistoryStore) -> None:
    with contextlib.closing(sqlite3.connect(store.path)) as conn:
        conn.execute("INSERT INTO exchange_fts(exchange_fts) VALUES ('integrity-check')")


# -- recording ---------------------------------------------------------------------------------------


def test_begin_writes_pending_then_complete_fills_everything_in(store: HistoryStore) -> None:
    raw = b'{"eventTypeKey":"pageViewed","keyValue":"k","params":[]}  \n'
    exchange_id = store.begin(request(raw=raw, run_id="run-1"))
    pending = store.get(exchange_id)
    assert pending is not None
    assert pending.outcome is Outcome.PENDING and pending.status is None and pending.finished_at is None
    assert pending.request_body == raw  # exact bytes, trailing whitespace included

    store.complete(exchange_id, result(400, text=b'{"error":"bad"}', error="Rejected"))
    done = store.get(exchange_id)
    assert done == Exchange(
        id=exchange_id, started_at=T0, environment="sandbox", url="https://yespo.io/api/v2/event",
        method="POST", request_headers=(("Content-Type", "application/json"),), request_body=raw,
        event_type="pageViewed", key_value="a@example.com", key_value_source="keyValue",
        diagnostics=({"code": "W1", "severity": "warning", "path": "$.params"},), outcome=Outcome.REJECTED,
        status=400, response_headers=(("Content-Type", "text/plain"),), response_body=b'{"error":"bad"}',
        duration_ms=42.5, error="Rejected", finished_at=T0 + timedelta(milliseconds=43), run_id="run-1",
        note="", starred=False,
    )
    assert done.to_request().body == raw
    assert done.to_result() is not None and done.to_result().status == 400  # type: ignore[union-attr]


def test_every_outcome_class_round_trips(store: HistoryStore) -> None:
    for outcome in Outcome:
        if outcome is Outcome.PENDING:
            continue
        exchange_id = store.begin(request())
        store.complete(exchange_id, ExchangeResult(outcome=outcome, error=outcome.label))
        got = store.get(exchange_id)
        assert got is not None and got.outcome is outcome and got.error == outcome.label


def test_times_keep_microseconds_and_naive_input_is_local_time(store: HistoryStore) -> None:
    naive = datetime(2025, 1, 2, 3, 4, 5, 678901)
    exchange_id = store.begin(request(at=naive))
    got = store.get(exchange_id)
    assert got is not None
    assert got.started_at == naive.astimezone(UTC) and got.started_at.tzinfo is UTC
    assert got.started_at.microsecond == 678901


def test_complete_refuses_pending_and_ignores_a_row_deleted_meanwhile(store: HistoryStore) -> None:
    exchange_id = store.begin(request())
    with pytest.raises(ValueError):
        store.complete(exchange_id, ExchangeResult(outcome=Outcome.PENDING))
    store.delete([exchange_id])
    store.complete(exchange_id, result())  # history cleared during the send: nothing comes back
    assert store.get(exchange_id) is None
    assert store.count() == 0


def test_completing_twice_replaces_the_answer_in_the_index_too(store: HistoryStore) -> None:
    exchange_id = store.begin(request())
    store.complete(exchange_id, result(500, text=b"firstanswer"))
    store.complete(exchange_id, result(200, text=b"secondanswer"))
    assert store.count(HistoryFilter(search="firstanswer")) == 0
    assert [s.id for s in store.query(HistoryFilter(search="secondanswer"))] == [exchange_id]
    assert store.get(exchange_id).outcome is Outcome.ACCEPTED  # type: ignore[union-attr]


def _transactions(store: HistoryStore) -> list[str]:
    """Records every BEGIN the store's connection runs from now on."""
    seen: list[str] = []
    store._connection().set_trace_callback(lambda sql: seen.append(sql) if sql.startswith("BEGIN") else None)
    return seen


def test_write_many_begins_and_completes_in_one_transaction(store: HistoryStore) -> None:
    first, second = store.begin(request(key="first@x.io")), store.begin(request(key="second@x.io"))
    begun = _transactions(store)
    new = store.write_many(begin=[request(key="third@x.io"), request(key="fourth@x.io")],
                           complete=[(first, result(200, text=b"answerone")), (second, result(400))])
    assert begun == ["BEGIN IMMEDIATE"]
    assert len(new) == 2 and first < second < new[0] < new[1]  # ids in the order given
    assert [store.get(i).outcome for i in (first, second, *new)] == [  # type: ignore[union-attr]
        Outcome.ACCEPTED, Outcome.REJECTED, Outcome.PENDING, Outcome.PENDING]
    # Completed ones are searchable at once (by answer, body and key); pending ones are not indexed yet.
    assert [x.id for x in store.query(HistoryFilter(search="answerone"))] == [first]
    assert store.count(HistoryFilter(search="second@x.io")) == 1
    assert store.count(HistoryFilter(search="third@x.io")) == 0
    got = store.get(second)
    assert got is not None and got.status == 400 and got.response_headers == (("Content-Type", "text/plain"),)
    assert store.write_many() == [] and begun == ["BEGIN IMMEDIATE"]  # nothing to do: no transaction
    _fts_is_sound(store)


def test_write_many_checks_everything_before_writing_anything(store: HistoryStore) -> None:
    exchange_id = store.begin(request())
    with pytest.raises(ValueError):
        store.write_many(begin=[request(key="never@x.io")],
                         complete=[(exchange_id, result()), (exchange_id + 1, ExchangeResult(Outcome.PENDING))])
    assert store.count() == 1 and store.get(exchange_id).outcome is Outcome.PENDING  # type: ignore[union-attr]


def test_a_group_handles_repeats_second_answers_and_deleted_rows(store: HistoryStore) -> None:
    again, gone, twice = store.begin(request()), store.begin(request()), store.begin(request())
    store.complete(again, result(500, text=b"oldanswer"))
    store.delete([gone])
    store.write_many(complete=[(again, result(200, text=b"newanswer")), (gone, result(200, text=b"ghost")),
                               (twice, result(500, text=b"draftanswer")), (twice, result(200, text=b"finalanswer"))])
    assert store.get(gone) is None  # deleted meanwhile: not brought back
    assert store.count(HistoryFilter(search="ghost")) == 0
    assert store.count(HistoryFilter(search="oldanswer")) == 0  # the first answer left the index
    assert [x.id for x in store.query(HistoryFilter(search="newanswer"))] == [again]
    assert store.count(HistoryFilter(search="draftanswer")) == 0  # the same id twice: the last counts
    assert [x.id for x in store.query(HistoryFilter(search="finalanswer"))] == [twice]
    assert store.write_many(begin=[]) == [] and len(store.write_many(begin=[request(), request()])) == 2
    _fts_is_sound(store)


def test_begin_writes_exactly_what_a_whole_exchange_would() -> None:
    careless = (("Authorization", "Basic dXNlcjpzM2NyM3Q="), ("Accept", "*/*"))
    for req in (request(run_id="r1", headers=careless, note="n"),
                ExchangeRequest(url="https://u:pw@h/e?token=t", body=b"")):
        writer = (123, "token")
        pending = Exchange(
            id=0, started_at=req.started_at, environment=req.environment, url=req.url, method=req.method,
            request_headers=req.headers, request_body=req.body, event_type=req.event_type,
            key_value=req.key_value, key_value_source=req.key_value_source, diagnostics=req.diagnostics,
            run_id=req.run_id, note=req.note)
        expected = history_rows.row_values(pending, writer=writer)
        assert history_rows.pending_values(req, writer) == expected
        assert history_rows.pending_values(req, writer) == expected  # the remembered headers too


def test_one_column_list_matches_the_schema_and_the_exchange(store: HistoryStore) -> None:
    with contextlib.closing(sqlite3.connect(store.path)) as conn:
        conn.row_factory = sqlite3.Row
        in_schema = [row["name"] for row in conn.execute("PRAGMA table_info(exchange)")]
    listed = [column.name for column in history_rows.COLUMNS]
    assert sorted(in_schema) == sorted(["id", *listed, *history_rows.WRITER_COLUMNS])
    assert sorted(["id", *listed]) == sorted(field.name for field in dataclasses.fields(Exchange))


def test_remembered_request_headers_never_go_stale(store: HistoryStore) -> None:
    one = (("Authorization", "Bearer aaaaaaaa"), ("Accept", "*/*"))
    two = (("Authorization", "Bearer bbbbbbbb"), ("Accept", "text/plain"))
    inner = ["Accept", "*/*"]
    mutable = (inner,)  # the same tuple both times, with a list inside that changes in between
    ids = [store.begin(request(headers=h)) for h in (one, one, two, one)]
    ids.append(store.begin(request(headers=mutable)))  # type: ignore[arg-type]
    inner[1] = "changed"
    ids.append(store.begin(request(headers=mutable)))  # type: ignore[arg-type]
    got = [store.get(i).request_headers for i in ids]  # type: ignore[union-attr]
    assert got[:4] == [(("Authorization", f"Bearer {MASK}"), ("Accept", "*/*"))] * 2 + [
        (("Authorization", f"Bearer {MASK}"), ("Accept", "text/plain")),
        (("Authorization", f"Bearer {MASK}"), ("Accept", "*/*"))]
    assert got[4:] == [(("Accept", "*/*"),), (("Accept", "changed"),)]


def test_import_writes_a_finished_exchange_in_one_step(store: HistoryStore) -> None:
    whole = Exchange(id=0, started_at=T0, environment="sandbox", url="https://yespo.io/api/v2/event",
                     request_body=body(key="recorded@example.com"), outcome=Outcome.RATE_LIMITED, status=429)
    assert store.import_exchanges([whole]).imported == 1
    (got,) = store.iter_exchanges()
    assert got.outcome is Outcome.RATE_LIMITED and got.status == 429
    assert store.count(HistoryFilter(search="recorded@example.com")) == 1
    store.import_exchanges([dataclasses.replace(whole, request_body=b"{}", outcome=Outcome.PENDING)])
    assert store.query(limit=1)[0].outcome is Outcome.INTERRUPTED  # never pending: nobody will complete it


def test_store_masks_credentials_a_careless_caller_passes(store: HistoryStore) -> None:
    headers = (("Authorization", "Basic dXNlcjpzM2NyM3Q="), ("X-Api-Key", "s3cr3t"), ("Accept", "*/*"))
    exchange_id = store.begin(request(headers=headers))
    store.complete(exchange_id, ExchangeResult(Outcome.ACCEPTED, 200, (("Set-Cookie", "session=abc"),)))
    got = store.get(exchange_id)
    assert got is not None
    assert got.request_headers == (("Authorization", f"Basic {MASK}"), ("X-Api-Key", MASK), ("Accept", "*/*"))
    assert got.response_headers == (("Set-Cookie", MASK),)


@pytest.mark.parametrize(("url", "expected"), [
    ("https://yespo.io/api/v2/event", "https://yespo.io/api/v2/event"),
    ("https://user:s3cr3t@yespo.io/api/v2/event", f"https://user:{MASK}@yespo.io/api/v2/event"),
    ("https://yespo.io/e?apiKey=s3cr3t&a=%20b", f"https://yespo.io/e?apiKey={MASK}&a=%20b"),
    ("https://yespo.io/e?x=1&token=t", f"https://yespo.io/e?x=1&token={MASK}"),
])
def test_urls_lose_their_credentials(url: str, expected: str) -> None:
    assert mask_url(url) == expected


# -- queries -----------------------------------------------------------------------------------------


def test_keyset_pages_walk_everything_newest_first_without_gaps(store: HistoryStore) -> None:
    ids = [add(store, key=f"k{n}") for n in range(23)]
    seen: list[int] = []
    before = None
    while True:
        page = store.query(before_id=before, limit=5)
        if not page:
            break
        seen.extend(s.id for s in page)
        before = page[-1].id
    assert seen == sorted(ids, reverse=True)
    assert store.query(limit=0) == []


def test_filters_each_narrow_and_combine(store: HistoryStore) -> None:
    a = add(store, "pageViewed", "one", 200, environment="prod", run_id="r1")
    b = add(store, "cartUpdated", "two", 400, at=T0 + timedelta(hours=1))
    c = add(store, "cartUpdated", "three", 429, at=T0 + timedelta(hours=2), run_id="r1")
    d = add(store, "searchRequest", "four", None, outcome=Outcome.TIMEOUT, at=T0 + timedelta(hours=3))
    store.set_star(b, True)

    def ids(**kwargs: object) -> list[int]:
        filters = HistoryFilter(**kwargs)  # type: ignore[arg-type]
        found = [s.id for s in store.query(filters)]
        assert store.count(filters) == len(found)
        return found

    assert ids() == [d, c, b, a]
    assert ids(event_type="cartUpdated") == [c, b]
    assert ids(outcome=Outcome.REJECTED) == [b]
    assert ids(outcome=[Outcome.RATE_LIMITED, Outcome.TIMEOUT]) == [d, c]
    assert ids(outcome="accepted") == [a]
    assert ids(status=429) == [c]
    assert ids(environment="prod") == [a]
    assert ids(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3)) == [c, b]
    assert ids(run_id="r1") == [c, a]
    assert ids(starred=True) == [b]
    assert ids(starred=False) == [d, c, a]
    assert ids(event_type="cartUpdated", run_id="r1") == [c]
    assert ids(event_type="cartUpdated", search="three") == [c]
    assert ids(event_type="pageViewed", search="three") == []


def test_list_rows_carry_what_a_table_shows(store: HistoryStore) -> None:
    exchange_id = add(store, "cartUpdated", "who@example.com", 202, note="check this")
    (row,) = store.query()
    assert (row.id, row.started_at, row.environment, row.event_type, row.key_value, row.status, row.outcome,
            row.duration_ms, row.starred, row.note) == (
        exchange_id, T0, "sandbox", "cartUpdated", "who@example.com", 202, Outcome.ACCEPTED, 42.5, False,
        "check this")


def test_distinct_values_for_filter_choices(store: HistoryStore) -> None:
    add(store, "pageViewed", environment="prod", run_id="r2")
    add(store, "cartUpdated", status=500)
    add(store, "cartUpdated", environment="prod")
    assert store.distinct_values("event_type") == ["cartUpdated", "pageViewed"]
    assert store.distinct_values("environment") == ["prod", "sandbox"]
    assert store.distinct_values("outcome") == ["accepted", "server_error"]
    assert store.distinct_values("run_id") == ["r2"]
    with pytest.raises(ValueError):
        store.distinct_values("request_body; DROP TABLE exchange")


def test_list_queries_use_indexes_not_sorts(store: HistoryStore) -> None:
    add(store)
    conn = sqlite3.connect(store.path)
    conn.row_factory = sqlite3.Row

    def plan(sql: str, *args: object) -> str:
        return " | ".join(row["detail"] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, args))

    with contextlib.closing(conn):
        for sql in (
            "SELECT id FROM exchange AS e WHERE e.id < ? ORDER BY e.id DESC LIMIT 100",
            "SELECT id FROM exchange AS e WHERE e.event_type = ? AND e.id < ? ORDER BY e.id DESC LIMIT 100",
            "SELECT id FROM exchange AS e WHERE e.outcome = ? ORDER BY e.id DESC LIMIT 100",
            "SELECT e.id FROM exchange_fts CROSS JOIN exchange AS e ON e.id = exchange_fts.rowid "
            "WHERE exchange_fts MATCH ? AND exchange_fts.rowid < ? ORDER BY exchange_fts.rowid DESC LIMIT 100",
        ):
            args = [1] * sql.count("?")
            text = plan(sql, *args)
            assert "TEMP B-TREE" not in text, text


# -- search ------------------------------------------------------------------------------------------


def test_search_covers_request_body_response_body_and_key_value(store: HistoryStore) -> None:
    in_request = store.begin(request(raw=body(orderId="ORD-98765")))
    store.complete(in_request, result(200))
    in_response = store.begin(request())
    store.complete(in_response, result(400, text=b"The event should have the following params: EmailAddress"))
    in_key = add(store, key="kv-unique-777")

    def found(text: str) -> list[int]:
        return [s.id for s in store.query(HistoryFilter(search=text))]

    assert found("ORD-98765") == [in_request]
    assert found("emailaddress") == [in_response]  # case-insensitive
    assert found("kv-unique-777") == [in_key]
    assert found('"following params"') == [in_response]
    assert found("follow*") == [in_response]  # the old prefix syntax still works
    assert found("follow") == [in_response]  # any part of a word, as it is typed
    assert found("98765") == [in_request] and found("D-987") == [in_request]
    assert found("unique-7") == [in_key]
    assert found("mailAddr") == [in_response]
    assert found("following EmailAddress") == [in_response]
    assert found("following ORD-98765") == []  # every word must match
    assert found("lowing ORD-98765") == []
    assert found("@@@ !!!") == []  # something typed, found nowhere: no match, no error
    assert found("OR ORD-98765") == [in_request]  # a word too short to look up is left out
    assert found("ab") == []  # nothing long enough to look up: no match
    assert store.count(HistoryFilter(search="   ")) == 3  # blank: no filter


def test_search_finds_text_however_the_json_escaped_it(store: HistoryStore) -> None:
    escaped = json.dumps({"eventTypeKey": "pageViewed", "params": [{"name": "city", "value": "Київ"}]})
    assert "\\u" in escaped
    exchange_id = send(store, request(raw=escaped.encode()), result(200))
    assert [s.id for s in store.query(HistoryFilter(search="Київ"))] == [exchange_id]
    assert [s.id for s in store.query(HistoryFilter(search="киев"))] == []


def test_search_survives_bodies_that_are_not_utf8_or_not_json(store: HistoryStore) -> None:
    exchange_id = send(store, request(raw=b"\xff\xfe\x00binary \\u12 zebra"), result(200, text=b"\x80\x81"))
    assert [s.id for s in store.query(HistoryFilter(search="zebra"))] == [exchange_id]
    store.delete([exchange_id])
    assert store.count(HistoryFilter(search="zebra")) == 0


def test_pending_rows_join_the_index_when_they_complete(store: HistoryStore) -> None:
    exchange_id = store.begin(request(key="late-bloomer"))
    assert store.count(HistoryFilter(search="late-bloomer")) == 0
    store.complete(exchange_id, result(200))
    assert store.count(HistoryFilter(search="late-bloomer")) == 1


def test_a_count_can_stop_past_a_limit(store: HistoryStore) -> None:
    for n in range(7):
        add(store, "cartUpdated" if n % 2 else "pageViewed", key=f"common-{n}")
    search = HistoryFilter(search="common")
    assert store.count(search) == 7
    assert store.count(search, at_most=3) == 4  # "more than 3"
    assert store.count(search, at_most=10) == 7
    both = HistoryFilter(search="common", event_type="cartUpdated")
    assert store.count(both) == 3 and store.count(both, at_most=2) == 3 and store.count(both, at_most=5) == 3
    assert store.count(HistoryFilter(), at_most=1) == 2
    assert store.count(HistoryFilter(search="nowhere-at-all"), at_most=1) == 0


def test_search_pages_by_key_like_lists(store: HistoryStore) -> None:
    ids = [add(store, key=f"common-{n}") for n in range(7)]
    filters = HistoryFilter(search="common")
    first = store.query(filters, limit=4)
    second = store.query(filters, before_id=first[-1].id, limit=4)
    assert [s.id for s in first + second] == sorted(ids, reverse=True)
    assert [e.id for e in store.iter_exchanges(filters, batch=3)] == ids


@pytest.mark.parametrize(("text", "expected"), [
    ("email@example.com", '"email@example.com"'),
    ('say "hello world" now', '"say" AND "hello world" AND "now"'),
    ("pref*", '"pref"'),
    ('"unclosed phrase', '"unclosed phrase"'),
    ("* - AND OR NOT \"", '"AND" AND "NOT"'),
    ("   ", None),
    ("ab", None),
    ("abc\x00", '"abc"'),
])
def test_match_expressions_quote_everything(text: str, expected: str | None) -> None:
    assert fts_match_expression(text) == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"],
                                           max_codepoint=0x4FF), min_size=1, max_size=30))
def test_what_was_stored_is_found_by_typing_it(store: HistoryStore, text: str) -> None:
    exchange_id = add(store, key=text)
    if fts_match_expression(text) is not None:
        found = [s.id for s in store.query(HistoryFilter(search=text), limit=1_000_000)]
        assert exchange_id in found


# -- editing -----------------------------------------------------------------------------------------


def test_star_delete_and_clear(store: HistoryStore) -> None:
    a, b, c = (add(store, key=f"edit{n}", note="needs a look" if n == 1 else "") for n in range(3))
    assert store.set_star(a, True)
    assert not store.set_star(9999, True)
    assert store.get(a).starred and store.get(b).note == "needs a look"  # type: ignore[union-attr]
    assert store.count(HistoryFilter(search="edit1")) == 1  # editing does not disturb the index
    assert store.delete([b, b, 12345]) == 1
    assert store.get(b) is None and store.count(HistoryFilter(search="edit1")) == 0
    live = store.begin(request(key="in-flight"))
    assert store.clear() == 2
    assert [s.id for s in store.query()] == [live]  # a send in progress in this process survives
    assert store.count(HistoryFilter(search="edit0")) == 0
    store.complete(live, result(200))
    assert store.count(HistoryFilter(search="in-flight")) == 1
    assert max(a, b, c) < store.begin(request())  # ids are never reused


def test_clear_with_nothing_in_flight_empties_rows_and_index(store: HistoryStore) -> None:
    last = max(add(store, key=f"gone{n}") for n in range(5))
    assert store.clear() == 5
    assert store.count() == 0 and store.count(HistoryFilter(search="gone3")) == 0
    assert store.begin(request()) > last
    _fts_is_sound(store)


def test_delete_many_ids_at_once(store: HistoryStore) -> None:
    ids = send_all(store, [request(key=f"bulk{n}") for n in range(1200)], [result(200)] * 1200)
    assert store.delete(ids[:1100]) == 1100
    assert store.count() == 100 and store.count(HistoryFilter(search="bulk5")) == 0


def test_retention_by_count_and_by_age(store: HistoryStore) -> None:
    now = datetime.now(UTC)
    old = send_all(store, [request(key=f"old{n}", at=now - timedelta(days=40 + n)) for n in range(3)], [result()] * 3)
    new = send_all(store, [request(key=f"new{n}", at=now - timedelta(hours=n)) for n in range(5)], [result()] * 5)
    pending = store.begin(request(at=now - timedelta(days=400)))
    assert store.apply_retention(max_age=timedelta(days=30)) == 3
    assert all(store.get(i) is None for i in old)
    assert store.get(pending) is not None  # a live send is never pruned
    assert store.apply_retention(max_count=3) == 3
    assert [s.id for s in store.query()] == [pending, new[4], new[3]]
    assert store.count(HistoryFilter(search="new0")) == 0
    assert store.apply_retention(max_count=100) == 0
    with pytest.raises(ValueError):
        store.apply_retention(max_count=-1)


def test_retention_by_an_age_older_than_any_date_deletes_nothing(store: HistoryStore) -> None:
    add(store, "pageViewed")
    assert store.apply_retention(max_age=timedelta(days=999_999)) == 0  # now - age is before the year 1
    assert store.count() == 1


def test_stats_and_file_size(store: HistoryStore) -> None:
    add(store, "pageViewed")
    add(store, "cartUpdated", status=500)
    store.begin(request("cartUpdated"))
    stats = store.stats()
    assert stats.total == 3 and stats.pending == 1
    assert stats.by_outcome == {"accepted": 1, "server_error": 1, "pending": 1}
    assert stats.by_event_type == {"cartUpdated": 2, "pageViewed": 1}
    assert stats.oldest == T0 and stats.file_bytes > 0


def test_a_store_sees_what_another_connection_writes(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with HistoryStore(path) as viewer, HistoryStore(path) as writer:
        assert viewer.count() == 0
        add(writer)
        assert viewer.count() == 1


def test_background_checkpoints_move_the_log_into_the_file_off_the_callers_thread(tmp_path: Path) -> None:
    import time

    path = tmp_path / "h.sqlite3"
    with HistoryStore(path, background_checkpoints=True, checkpoint_interval_s=0.02) as store:
        assert store._connection().execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        size_before = path.stat().st_size
        for n in range(300):
            send(store, request(key=f"row{n}", raw=body(pad="x" * 3000)), result(200))
        checkpointer = store._checkpointer
        assert checkpointer is not None and checkpointer.is_alive()
        deadline = time.monotonic() + 10
        while path.stat().st_size <= size_before + 300 * 3000 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert path.stat().st_size > size_before + 300 * 3000  # the rows reached the main file
        assert checkpointer.checkpoints > 0
    assert not checkpointer.is_alive()
    with HistoryStore(path) as again:
        assert again.count() == 300


def test_closed_store_says_so(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.query()


def test_open_uses_the_override_then_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YESPO_CONSOLE_HOME", str(tmp_path / "from-env"))
    with HistoryStore.open() as store:
        assert store.path == tmp_path / "from-env" / "history.sqlite3"
    with HistoryStore.open(tmp_path / "flag") as store:
        assert store.path == tmp_path / "flag" / "history.sqlite3"


# -- interrupted rows --------------------------------------------------------------------------------


def _insert_pending(path: Path, pid: int | None, token: str | None, key: str) -> int:
    conn = sqlite3.connect(path)
    with conn:
        cursor = conn.execute(
            "INSERT INTO exchange (started_at, environment, method, url, request_body, outcome, key_value, "
            "writer_pid, writer_token) VALUES (1, 'sandbox', 'POST', 'http://x', ?, 'pending', ?, ?, ?)",
            (b"{}", key, pid, token))
    conn.close()
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_open_marks_only_rows_of_gone_writers_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    mine = _insert_pending(path, os.getpid(), history_process.current_token(), "mine")
    parent_alive, parent_token = history_process.probe(os.getppid())
    assert parent_alive
    live_other = _insert_pending(path, os.getppid(), parent_token or "unknown", "parent")
    recycled = _insert_pending(path, os.getppid(), "linux:old-boot:1", "recycled pid")
    my_old_self = _insert_pending(path, os.getpid(), "uuid:an-earlier-process", "same pid, other process")
    dead = _insert_pending(path, _dead_pid(), "whatever", "dead")
    nobody = _insert_pending(path, None, None, "no writer")

    with HistoryStore(path) as store:
        outcome = {i: store.get(i).outcome for i in (mine, live_other, recycled, my_old_self, dead, nobody)}  # type: ignore[union-attr]
        assert outcome[mine] is Outcome.PENDING
        if parent_token is not None:  # the OS names processes: a recycled pid is told apart
            assert outcome[recycled] is Outcome.INTERRUPTED
        assert outcome[live_other] is Outcome.PENDING
        assert outcome[my_old_self] is Outcome.INTERRUPTED
        assert outcome[dead] is Outcome.INTERRUPTED
        assert outcome[nobody] is Outcome.INTERRUPTED
        assert store.get(dead).error == INTERRUPTED_ERROR  # type: ignore[union-attr]
        assert store.count(HistoryFilter(search="dead")) == 1  # interrupted rows are searchable
        assert store.recover_interrupted() == 0


def test_probe_tells_running_from_gone() -> None:
    assert history_process.probe(os.getpid())[0]
    assert not history_process.probe(_dead_pid())[0]
    assert not history_process.probe(0)[0]
    assert history_process.writer_alive(os.getpid(), history_process.current_token())
    assert not history_process.writer_alive(None, None)


# -- every query strategy gives the same answer as a plain filter over all rows ---------------------


_EVENTS = ("pageViewed", "cartUpdated", "searchRequest")
_WORDS = ("alpha", "beta", "gamma", "delta")


@pytest.fixture(scope="module")
def shuffled_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HistoryStore, list[Exchange]]]:
    """Rows whose times are out of id order (as after importing old history), so that time ranges do
    not map onto id ranges."""
    import random

    rng = random.Random(3)
    with HistoryStore(tmp_path_factory.mktemp("shuffled") / "h.sqlite3") as store:
        requests, results = [], []
        for n in range(400):
            at = T0 + timedelta(minutes=n if rng.random() < 0.7 else rng.randrange(400))
            status = rng.choice([200, 200, 400, 429, 500])
            words = " ".join(rng.sample(_WORDS, 2))
            requests.append(request(rng.choice(_EVENTS), f"key{n} {words}", at=at,
                                    environment=rng.choice(["sandbox", "prod"])))
            results.append(result(status))
        send_all(store, requests, results)
        yield store, list(store.iter_exchanges())


def _brute(rows: list[Exchange], f: HistoryFilter) -> list[int]:
    def keep(e: Exchange) -> bool:
        return ((f.event_type is None or e.event_type == f.event_type)
                and (not f.outcomes or e.outcome in f.outcomes)
                and (f.environment is None or e.environment == f.environment)
                and (f.since is None or e.started_at >= f.since)
                and (f.until is None or e.started_at < f.until)
                and (f.search is None or f.search in (e.key_value or "").split()))
    return sorted((e.id for e in rows if keep(e)), reverse=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    event=st.none() | st.sampled_from(_EVENTS),
    outcome=st.none() | st.sampled_from([Outcome.ACCEPTED, Outcome.REJECTED]),
    environment=st.none() | st.just("prod"),
    since=st.none() | st.integers(0, 400), span=st.none() | st.integers(1, 400),
    search=st.none() | st.sampled_from(_WORDS),
    small_range=st.sampled_from([3, 5000]), page=st.integers(1, 60),
)
def test_every_query_plan_returns_what_a_plain_filter_would(
        shuffled_store: tuple[HistoryStore, list[Exchange]], monkeypatch: pytest.MonkeyPatch, event: str | None,
        outcome: Outcome | None, environment: str | None, since: int | None, span: int | None,
        search: str | None, small_range: int, page: int) -> None:
    monkeypatch.setattr(history_queries, "_SMALL_RANGE", small_range)  # both ways of reading a time range
    store, rows = shuffled_store
    start = None if since is None else T0 + timedelta(minutes=since)
    end = None if span is None else (start or T0) + timedelta(minutes=span)
    filters = HistoryFilter(event_type=event, outcome=outcome, environment=environment, since=start, until=end,
                            search=search)
    expected = _brute(rows, filters)
    got: list[int] = []
    before = None
    while True:
        chunk = store.query(filters, before_id=before, limit=page)
        got += [s.id for s in chunk]
        if len(chunk) < page:
            break
        before = chunk[-1].id
    assert got == expected
    assert store.count(filters) == len(expected)
    assert [e.id for e in store.iter_exchanges(filters, batch=page)] == expected[::-1]


def _all_pages(store: HistoryStore, filters: HistoryFilter, page: int) -> list[int]:
    got: list[int] = []
    before = None
    while True:
        chunk = store.query(filters, before_id=before, limit=page)
        assert isinstance(chunk, list)
        got += [s.id for s in chunk]
        if len(chunk) < page:
            return got
        before = chunk[-1].id


# What a person might type: words, prefixes and phrases the rows hold, operators and punctuation, and
# any text at all, alone or mixed.
_KNOWN = st.sampled_from(["alpha", "beta", "key1*", "key12", '"gamma delta"', "pageViewed", "cart*", "keyValue",
                          "AND", "OR", "NOT", "NEAR(", "-", "*", '"', "(", ":", "@", "^", "\x00"])
_TYPED = st.one_of(st.lists(_KNOWN, min_size=1, max_size=4).map(" ".join),
                   st.lists(_KNOWN | st.text(max_size=8), max_size=4).map(" ".join),
                   st.text(max_size=40))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TYPED, event=st.none() | st.sampled_from([*_EVENTS, "x"]), page=st.integers(20, 500))
def test_no_search_text_ever_breaks_a_query(shuffled_store: tuple[HistoryStore, list[Exchange]], text: str,
                                            event: str | None, page: int) -> None:
    """Search fuzz: results are a list, and the count the store reports is the number of results."""
    store, rows = shuffled_store
    for filters in (HistoryFilter(search=text), HistoryFilter(search=text, event_type=event)):
        found = _all_pages(store, filters, page)
        assert found == sorted(set(found), reverse=True)  # newest first, each row once
        assert store.count(filters) == len(found)
        if fts_match_expression(text) is None and filters.event_type is None:
            # Nothing searchable typed: blank is no filter at all, anything else matches nothing.
            assert len(found) == (len(rows) if not text.strip() else 0)
    if event == "x":
        assert found == []
