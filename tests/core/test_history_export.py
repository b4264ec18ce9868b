"""Exports and imports: NDJSON lossless, HAR checked by a real parser, cURL and httpx scripts run
against a real local server, and no credential in any of them."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from haralyzer import HarParser
from hypothesis import given, settings
from hypothesis import strategies as st

from yespo_console.cli.main import main as cli_main
from yespo_console.core.errors import InputError
from yespo_console.core.history import (
    Exchange,
    HistoryFilter,
    HistoryStore,
    curl_command,
    exchange_from_record,
    exchange_record,
    httpx_snippet,
    read_exchanges,
    write_export,
)
from yespo_console.core.history import scripts as history_scripts
from yespo_console.core.http import secrets
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.masking import MASK, secret_forms
from yespo_console.core.http.outcome import Outcome

T0 = datetime(2025, 6, 1, 9, 30, 15, 250000, tzinfo=UTC)
KEY = "yk_live_8f3a2c91d7e64b0fa1c5e9d2b7"  # a made-up key with the shape of a real one


class _Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, str, dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        type(self).received.append((self.command, self.path, dict(self.headers.items()), body))
        reply = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[tuple[str, str, dict[str, str], bytes]]]]:
    received: list[tuple[str, str, dict[str, str], bytes]] = []
    handler = type("Handler", (_Recorder,), {"received": received})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api/v2/event", received
    httpd.shutdown()
    httpd.server_close()


def sample_exchanges(url: str = "https://yespo.io/api/v2/event") -> list[tuple[ExchangeRequest, ExchangeResult | None]]:
    """Bodies and outcomes an export must carry exactly: unicode, escapes, binary, empty, pending."""
    auth = (("Authorization", "Basic " + base64.b64encode(f"user:{KEY}".encode()).decode()),
            ("Content-Type", "application/json; charset=UTF-8"), ("User-Agent", "yespo-console/0.1"))
    unicode_body = json.dumps({"eventTypeKey": "pageViewed", "keyValue": "олег@приклад.укр",
                               "params": [{"name": "page", "value": '{"location":"https://x.ua/?q=\'a\'"}'}]},
                              ensure_ascii=False).encode()
    return [
        (ExchangeRequest(url=url, body=unicode_body, headers=auth, event_type="pageViewed",
                         key_value="олег@приклад.укр", key_value_source="email",
                         diagnostics=({"code": "E100", "severity": "error", "path": "$.params[0]",
                                       "message": "nested JSON"},), run_id="run-7", note="first",
                         started_at=T0),
         ExchangeResult(Outcome.ACCEPTED, 200, (("Content-Type", "application/json"),), b'{"ok":true}', 12.25,
                        finished_at=T0 + timedelta(milliseconds=13))),
        (ExchangeRequest(url=url, body=b'{"eventTypeKey":"x"}\n\n', headers=auth, event_type="x",
                         started_at=T0 + timedelta(seconds=1)),
         ExchangeResult(Outcome.REJECTED, 400, (("Content-Type", "text/plain"),),
                        b"The event should have the following params: [EmailAddress]", 30.0, "Rejected")),
        (ExchangeRequest(url=url, body=b"\x00\xff\xfebinary\x80", headers=auth, event_type=None,
                         started_at=T0 + timedelta(seconds=2)),
         ExchangeResult(Outcome.SERVER_ERROR, 502, (), b"\x89PNG\r\n\x1a\n\x00", 5.0)),
        (ExchangeRequest(url=url, body=b"", headers=(("Authorization", "Bearer tok_" + KEY),),
                         started_at=T0 + timedelta(seconds=3)),
         ExchangeResult(Outcome.TIMEOUT, None, (), b"", None, "timed out after 10 s")),
        (ExchangeRequest(url=url, body=b"{'single': 'quotes'}", headers=(("X-Api-Key", KEY),),
                         started_at=T0 + timedelta(seconds=4)), None),
    ]


def filled_store(path: Path, url: str = "https://yespo.io/api/v2/event") -> HistoryStore:
    store = HistoryStore(path)
    for request, result in sample_exchanges(url):
        exchange_id = store.begin(request)
        if result is not None:
            store.complete(exchange_id, result)
    store.set_star(1, True)
    return store


def export(store: HistoryStore, fmt: str, filters: HistoryFilter | None = None) -> str:
    out = io.StringIO()
    write_export(fmt, store.iter_exchanges(filters), out)
    return out.getvalue()


def comparable(exchange: Exchange) -> Exchange:
    return Exchange(**{**{f: getattr(exchange, f) for f in Exchange.__dataclass_fields__}, "id": 0})


# -- NDJSON ------------------------------------------------------------------------------------------


def test_ndjson_round_trip_is_lossless(tmp_path: Path) -> None:
    with filled_store(tmp_path / "a.sqlite3") as source:
        text = export(source, "ndjson")
        originals = list(source.iter_exchanges())
    lines = text.splitlines()
    assert len(lines) == 5 and all(json.loads(line)["format"] == "yespo-console.exchange" for line in lines)
    assert json.loads(lines[2])["request"]["bodyEncoding"] == "base64"
    assert json.loads(lines[0])["request"]["body"].startswith('{"eventTypeKey": "pageViewed"')

    with HistoryStore(tmp_path / "b.sqlite3") as target:
        result = target.import_exchanges(read_exchanges(text.encode()))
        assert (result.imported, result.skipped) == (5, 0)
        copies = list(target.iter_exchanges())
        for original, copy in zip(originals[:4], copies[:4], strict=True):
            assert comparable(copy) == comparable(original)
        # The one still pending in the source has no writer here: it arrives as interrupted.
        assert copies[4].outcome is Outcome.INTERRUPTED and copies[4].request_body == originals[4].request_body
        assert target.count(HistoryFilter(search="олег")) == 1
        assert export(target, "ndjson").splitlines()[:4] == [
            line.replace(f'"id": {n + 1},', f'"id": {copies[n].id},') for n, line in enumerate(lines[:4])]
        again = target.import_exchanges(read_exchanges(text.encode()))
        assert (again.imported, again.skipped) == (0, 5)


_texts = st.text(max_size=30)
_exchanges = st.builds(
    Exchange,
    id=st.integers(0, 10**9),
    started_at=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)),
    environment=_texts, url=_texts, method=st.sampled_from(["POST", "GET"]),
    request_headers=st.lists(st.tuples(st.sampled_from(["Accept", "X-Trace"]), _texts), max_size=3).map(tuple),
    request_body=st.binary(max_size=60), response_body=st.binary(max_size=60),
    event_type=st.none() | _texts, key_value=st.none() | _texts, key_value_source=st.none() | _texts,
    diagnostics=st.lists(st.dictionaries(st.text(max_size=5), st.integers() | _texts, max_size=3),
                         max_size=2).map(tuple),
    outcome=st.sampled_from(list(Outcome)), status=st.none() | st.integers(100, 599),
    duration_ms=st.none() | st.floats(0, 1e6, allow_nan=False), error=_texts,
    finished_at=st.none() | st.datetimes(timezones=st.just(UTC)), run_id=st.none() | _texts, note=_texts,
    starred=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(exchange=_exchanges)
def test_any_exchange_survives_a_record_round_trip(exchange: Exchange) -> None:
    # URLs are not masked here (no secret-looking parts are generated): the record must be exact.
    line = json.dumps(exchange_record(exchange), ensure_ascii=False)
    assert exchange_from_record(json.loads(line)) == exchange


@pytest.mark.parametrize(("line", "message"), [
    ("not json", "line 1: not JSON"),
    ("[1, 2]", "line 1: expected a JSON object"),
    ('{"url": "x"}', "'time' is missing"),
    ('{"time": "2025-01-01T00:00:00Z"}', "'url' is missing"),
    ('{"time": "yesterday", "url": "x"}', "not an ISO 8601 time"),
    ('{"time": "2025-01-01", "url": "x", "status": "200"}', "'status' has the wrong type"),
    ('{"time": "2025-01-01", "url": "x", "status": true}', "'status' has the wrong type"),
    ('{"time": "2025-01-01", "url": "x", "outcome": "great"}', "unknown outcome"),
    ('{"time": "2025-01-01", "url": "x", "request": {"body": "!!", "bodyEncoding": "base64"}}', "not valid base64"),
    ('{"time": "2025-01-01", "url": "x", "request": {"headers": [["a"]]}}', "a header must be"),
    ('{"format": "other", "time": "2025-01-01", "url": "x"}', "not a Yespo Console exchange"),
    ('{"version": 99, "time": "2025-01-01", "url": "x"}', "newer Yespo Console"),
])
def test_bad_import_lines_are_named(line: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        list(read_exchanges(line.encode()))


def test_import_rejects_files_that_are_not_text_or_not_the_asked_format() -> None:
    with pytest.raises(InputError, match="not UTF-8"):
        list(read_exchanges(b"\xff\xfe\x00"))
    with pytest.raises(InputError, match="not a HAR file"):
        list(read_exchanges(b'{"time": "2025-01-01", "url": "x"}\n{}', "har"))
    with pytest.raises(InputError, match="only ndjson and har"):
        list(read_exchanges(b"", "curl"))
    assert list(read_exchanges(b"\n\n")) == []


def test_a_key_hidden_in_an_imported_file_is_masked_on_the_way_in(tmp_path: Path) -> None:
    line = json.dumps({"time": "2025-01-01T00:00:00Z", "url": f"https://u:{KEY}@yespo.io/e",
                       "request": {"headers": [["Authorization", f"Bearer {KEY}"]], "body": "{}"}})
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.import_exchanges(read_exchanges(line.encode()))
        (exchange,) = store.iter_exchanges()
        assert exchange.request_headers == (("Authorization", f"Bearer {MASK}"),)
        assert KEY not in exchange.url


# -- HAR ---------------------------------------------------------------------------------------------


def _check_har_1_2(document: dict[str, object]) -> None:
    """The fields HAR 1.2 requires, with their types (http://www.softwareishard.com/blog/har-12-spec/)."""
    log = document["log"]
    assert isinstance(log, dict) and log["version"] == "1.2"
    assert isinstance(log["creator"]["name"], str) and isinstance(log["creator"]["version"], str)
    for entry in log["entries"]:
        datetime.fromisoformat(entry["startedDateTime"])
        assert isinstance(entry["time"], int | float) and entry["time"] >= 0
        assert entry["cache"] == {}
        timings = entry["timings"]
        assert all(timings[k] >= 0 for k in ("send", "wait", "receive"))
        assert all(timings[k] >= -1 for k in ("blocked", "dns", "connect", "ssl"))
        request, response = entry["request"], entry["response"]
        for part in (request, response):
            assert isinstance(part["httpVersion"], str) and isinstance(part["cookies"], list)
            assert all(set(h) == {"name", "value"} for h in part["headers"])
            assert isinstance(part["headersSize"], int) and isinstance(part["bodySize"], int)
        assert isinstance(request["method"], str) and isinstance(request["url"], str)
        assert isinstance(request["queryString"], list)
        assert set(request["postData"]) >= {"mimeType", "text"}
        assert isinstance(response["status"], int) and isinstance(response["statusText"], str)
        assert isinstance(response["content"]["size"], int) and isinstance(response["content"]["mimeType"], str)
        assert isinstance(response["redirectURL"], str)


def test_har_export_is_read_by_haralyzer_and_imports_back(tmp_path: Path) -> None:
    with filled_store(tmp_path / "a.sqlite3") as source:
        text = export(source, "har")
        originals = list(source.iter_exchanges())
    document = json.loads(text)
    _check_har_1_2(document)

    parser = HarParser(document)
    assert parser.version == "1.2" and parser.creator["name"] == "Yespo Console"
    entries = parser.pages[0].entries
    assert [e.request.method for e in entries] == ["POST"] * 5
    assert [e.response.status for e in entries] == [200, 400, 502, 0, 0]
    assert json.loads(entries[0].request.text)["keyValue"] == "олег@приклад.укр"
    assert entries[1].response.text.startswith("The event should have")
    assert entries[2].response.textEncoding == "base64"
    assert base64.b64decode(entries[2].response.text) == b"\x89PNG\r\n\x1a\n\x00"
    assert entries[0].request.get_header_value("Authorization") == f"Basic {MASK}"

    with HistoryStore(tmp_path / "b.sqlite3") as target:
        assert target.import_exchanges(read_exchanges(text.encode())).imported == 5
        copies = list(target.iter_exchanges())
    for original, copy in zip(originals[:4], copies[:4], strict=True):
        assert comparable(copy) == comparable(original)
    assert copies[4].outcome is Outcome.INTERRUPTED


def test_a_foreign_har_file_is_imported_with_what_it_has(tmp_path: Path) -> None:
    foreign = {"log": {"version": "1.2", "creator": {"name": "Firefox", "version": "128"}, "entries": [
        {"startedDateTime": "2025-03-01T10:00:00.000+02:00", "time": 87,
         "request": {"method": "POST", "url": "https://yespo.io/api/v2/event", "httpVersion": "HTTP/2",
                     "headers": [{"name": "authorization", "value": f"Basic {KEY}"}],
                     "postData": {"mimeType": "application/json",
                                  "text": '{"eventTypeKey":"cartUpdated","keyValue":"42"}'}},
         "response": {"status": 429, "statusText": "Too Many Requests", "headers": [],
                      "content": {"size": 0, "mimeType": "text/plain", "text": "slow down"}}},
        {"startedDateTime": "2025-03-01T10:00:01Z", "time": -1,
         "request": {"method": "GET", "url": "https://example.com/", "headers": []},
         "response": {"status": 0, "content": {}}},
    ]}}
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.import_exchanges(read_exchanges(json.dumps(foreign).encode()))
        first, second = store.iter_exchanges()
    assert first.started_at == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    assert (first.event_type, first.key_value, first.outcome, first.status, first.environment) == (
        "cartUpdated", "42", Outcome.RATE_LIMITED, 429, "imported")
    assert first.request_headers == (("authorization", f"Basic {MASK}"),)
    assert first.response_body == b"slow down" and first.duration_ms == 87
    assert second.outcome is Outcome.CONNECTION_ERROR and second.duration_ms is None
    assert second.error == "no response in the HAR file"


def test_bad_har_entries_are_named() -> None:
    with pytest.raises(InputError, match="HAR entry 1: 'request' is missing"):
        list(read_exchanges(b'{"log": {"entries": [{"startedDateTime": "2025-01-01"}]}}'))
    with pytest.raises(InputError, match=r"no log\.entries"):
        list(read_exchanges(b'{"log": {}}'))


# -- scripts -----------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("sh") is None or shutil.which("curl") is None or shutil.which("base64") is None,
                    reason="needs sh, curl and base64")
def test_curl_script_sends_the_same_bytes_with_the_key_from_the_environment(
        tmp_path: Path, server: tuple[str, list[tuple[str, str, dict[str, str], bytes]]]) -> None:
    url, received = server
    with filled_store(tmp_path / "h.sqlite3", url) as store:
        script = export(store, "curl")
        originals = list(store.iter_exchanges())
    assert KEY not in script and "${YESPO_API_KEY}" in script and "${YESPO_TOKEN}" in script
    path = tmp_path / "replay.sh"
    path.write_text(script)
    env = {**os.environ, "YESPO_API_KEY": KEY, "YESPO_TOKEN": "tok_" + KEY}
    run = subprocess.run(["sh", str(path)], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert [r[3] for r in received] == [e.request_body for e in originals]
    basic = "Basic " + base64.b64encode(f"user:{KEY}".encode()).decode()
    assert [r[2].get("Authorization") for r in received[:3]] == [basic] * 3
    assert received[3][2]["Authorization"] == f"Bearer tok_{KEY}"
    assert received[4][2]["X-Api-Key"] == KEY
    assert received[0][2]["Content-Type"] == "application/json; charset=UTF-8"

    missing = subprocess.run(["sh", str(path)], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True,
                             timeout=60)
    assert missing.returncode != 0 and "set YESPO_API_KEY first" in missing.stderr


def test_httpx_script_sends_the_same_bytes_with_the_key_from_the_environment(
        tmp_path: Path, server: tuple[str, list[tuple[str, str, dict[str, str], bytes]]]) -> None:
    url, received = server
    with filled_store(tmp_path / "h.sqlite3", url) as store:
        script = export(store, "httpx")
        originals = list(store.iter_exchanges())
        single = httpx_snippet(originals[0])
    assert KEY not in script
    compile(script, "replay.py", "exec")
    path = tmp_path / "replay.py"
    path.write_text(script)
    env = {**os.environ, "YESPO_API_KEY": KEY, "YESPO_TOKEN": "tok_" + KEY}
    run = subprocess.run([sys.executable, str(path)], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert [r[3] for r in received] == [e.request_body for e in originals]
    basic = "Basic " + base64.b64encode(f"user:{KEY}".encode()).decode()
    assert [r[2].get("Authorization") for r in received[:3]] == [basic] * 3
    assert received[3][2]["Authorization"] == f"Bearer tok_{KEY}"
    assert received[4][2]["X-Api-Key"] == KEY

    received.clear()
    path.write_text(single)
    assert subprocess.run([sys.executable, str(path)], env=env, timeout=60).returncode == 0
    assert [r[3] for r in received] == [originals[0].request_body]


def test_script_comments_cannot_be_broken_out_of() -> None:
    exchange = Exchange(id=1, started_at=T0, environment="x\nrm -rf ~", url="http://127.0.0.1:9/",
                        event_type="a\rb", request_headers=(("Cookie", MASK),))
    command = curl_command(exchange)
    assert "\nrm -rf" not in command and "\r" not in command
    assert "# header Cookie was masked in history" in command
    snippet = httpx_snippet(exchange)
    compile(snippet, "s.py", "exec")
    assert "\nrm -rf" not in snippet


def test_a_request_not_sent_yet_exports_like_an_exchange() -> None:
    request = ExchangeRequest(url="http://user:pw@127.0.0.1:9/api/v2/event", body=b'{"eventTypeKey":"x"}',
                              environment="sandbox\nrm -rf ~", headers=(("Authorization", "Basic " + MASK),),
                              event_type="pageViewed", started_at=T0)
    command = curl_command(request)
    assert "not sent yet" in command and "\nrm -rf" not in command
    assert "pw" not in command and '--user "' in command and "--data-binary '{\"eventTypeKey\":\"x\"}'" in command
    snippet = httpx_snippet(request)
    compile(snippet, "s.py", "exec")
    assert "content='{\"eventTypeKey\":\"x\"}'.encode()" in snippet and "not sent yet" in snippet


def test_exported_variable_names_are_the_ones_secrets_reads() -> None:
    assert history_scripts.API_KEY_ENV == secrets.API_KEY_ENV
    assert history_scripts.TOKEN_ENV == secrets.TOKEN_ENV


def test_unknown_export_format_is_an_input_error() -> None:
    with pytest.raises(InputError, match="choose one of"):
        write_export("xml", [], io.StringIO())


# -- no credential anywhere --------------------------------------------------------------------------


def test_a_real_send_with_a_known_key_leaves_no_trace_of_it(
        tmp_path: Path, server: tuple[str, list[tuple[str, str, dict[str, str], bytes]]]) -> None:
    url, received = server
    path = tmp_path / "home" / "history.sqlite3"
    forms = secret_forms(KEY, "user")
    body = json.dumps({"eventTypeKey": "pageViewed", "keyValue": "a@example.com", "params": []}).encode()
    with httpx.Client() as client:
        # Built as a client does it, so that the header recorded is the very one sent.
        sent = httpx.BasicAuth("user", KEY).sync_auth_flow(
            client.build_request("POST", url, content=body, headers={"Content-Type": "application/json"})
        ).__next__()
        assert sent.headers["Authorization"].encode().removeprefix(b"Basic ") in forms[1:]
        with HistoryStore(path) as store:
            # The headers as sent, unmasked: a client that forgot to mask must still not leak.
            exchange_id = store.begin(ExchangeRequest(url=url, body=body, headers=tuple(sent.headers.items()),
                                                      event_type="pageViewed", key_value="a@example.com"))
            response = client.send(sent)
            store.complete(exchange_id, ExchangeResult(Outcome.from_status(response.status_code),
                                                       response.status_code, tuple(response.headers.items()),
                                                       response.content, response.elapsed.total_seconds() * 1000))
            assert received[0][2]["Authorization"] == sent.headers["Authorization"]  # the key did go out
            assert Path(f"{path}-wal").stat().st_size > 0  # the rows are in the log now: look there too
            files = {name: Path(f"{path}{name}").read_bytes() for name in ("", "-wal", "-shm")}

    outputs = {}
    for fmt in ("ndjson", "har", "curl", "httpx"):
        out = tmp_path / f"export.{fmt}"
        assert cli_main(["--data-dir", str(path.parent), "history", "export", "--format", fmt, "--out", str(out)]) == 0
        outputs[fmt] = out.read_bytes()
    assert b"Basic ${YESPO_API_KEY}" not in outputs["curl"]  # Basic needs user:key: curl --user does it
    assert b'--user "user:${YESPO_API_KEY}"' in outputs["curl"]
    assert b"os.environ['YESPO_API_KEY']" in outputs["httpx"]
    assert f"Basic {MASK}".encode() in outputs["ndjson"] and f"Basic {MASK}".encode() in outputs["har"]
    files["after close"] = path.read_bytes()
    for name, data in {**files, **outputs}.items():
        for form in forms:
            assert form not in data, f"the key leaked into {name}"
