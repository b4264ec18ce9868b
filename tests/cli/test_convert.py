"""`yespo-console convert` and the tracker side of `example` and `inspect`, as a user runs them."""

from __future__ import annotations

import json

from tests.cli.helpers import run_process as cli
from tests.core import tracker_bodies as tb
from yespo_console.core.events.tracker_catalog import TRACKER_EVENT_NAMES


def test_example_prints_every_tracker_event_and_inspect_detects_and_accepts_it() -> None:
    for name in TRACKER_EVENT_NAMES:
        code, out, err = cli("example", name, "--site-id", "S1")
        assert code == 0, err
        assert json.loads(out)["GeneralInfo"]["siteId"] == "S1"
        code, report, _ = cli("inspect", "--json", stdin=out.encode())
        data = json.loads(report)
        assert code == 0 and data["format"] == "tracker" and data["eventName"] == name and data["diagnostics"] == []


def test_inspect_names_a_woocommerce_status_carts_problems_in_text_and_json() -> None:
    body = json.dumps(tb.broken_woo_status_cart()).encode()
    code, out, _ = cli("inspect", stdin=body)
    assert code == 1
    assert "tracker.datetime.seconds" in out and "tracker.guid.missing" in out and "format: tracker" in out
    assert "visitor: sc cookie" in out
    code, out, _ = cli("inspect", "--json", "--format", "event", stdin=body)
    assert code == 1 and json.loads(out)["format"] == "event"  # as told: judged as a Generate event


def test_convert_writes_the_body_to_stdout_and_what_was_lost_to_stderr() -> None:
    code, out, err = cli("convert", "--to", "event", stdin=json.dumps(tb.woo_status_cart()).encode())
    assert code == 0
    assert json.loads(out)["eventTypeKey"] == "cartUpdated"
    assert "console's mapping by description" in err and "not carried over: the sc cookie" in err
    code, out, err = cli("convert", "--to", "tracker", "--json", stdin=out.encode())
    data = json.loads(out)
    assert code == 0 and data["format"] == "tracker" and data["event"] == "StatusCart" and err == ""
    assert any("no siteId" in item for item in data["lost"]) and data["body"]["StatusCart"]["GUID"] == tb.GUID_1


def test_convert_refuses_what_it_cannot_convert_with_a_clear_message() -> None:
    code, _, err = cli("convert", "--to", "tracker", stdin=json.dumps(tb.woo_status_cart()).encode())
    assert code == 1 and "already in the tracker format" in err
    code, _, err = cli("convert", "--to", "event", stdin=json.dumps(tb.woo_purchased_items()).encode())
    assert code == 1 and "no Generate event counterpart" in err and "Traceback" not in err
    code, _, err = cli("convert", "--to", "event", stdin=b'{"GeneralInfo": \xff}')
    assert code == 2 and "not a JSON document" in err
