"""The tracker format's inspector: the page's examples, bodies shaped like each integration's, format detection,
the checks over a cart's sequence of bodies, and the example bodies."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.core import tracker_bodies as tb
from yespo_console.core.events.diagnostics import inspect_body
from yespo_console.core.events.examples import tracker_example
from yespo_console.core.events.findings import Finding, Report, Severity
from yespo_console.core.events.tiers import Tier
from yespo_console.core.events.tracker_catalog import TRACKER_EVENT_NAMES
from yespo_console.core.events.tracker_convert import ConversionError, to_event, to_tracker
from yespo_console.core.events.tracker_rules import (
    TrackerReport,
    check_sequence,
    detect_format,
    inspect_tracker,
    inspect_tracker_body,
    inspect_wire,
)

PAGE = Path(__file__).with_name("tracker_page_examples.md")


def page_examples() -> dict[str, str]:
    text = PAGE.read_text("utf-8")
    return dict(re.findall(r"## (\w+)\n\n```json\n(.*?)```", text, re.S))


def codes(found: Report | tuple[Finding, ...]) -> set[str]:
    return {f.code for f in (found.findings if isinstance(found, Report) else found)}


def test_the_page_has_nine_examples_and_six_are_not_json_as_printed() -> None:
    examples = page_examples()
    assert list(examples) == list(TRACKER_EVENT_NAMES)
    broken = [name for name, text in examples.items() if inspect_tracker_body(text).body is None]
    assert broken == ["ProductPage", "StatusCart", "PurchasedItems", "ProductImpressions", "CategoryPage",
                      "CustomerData"]
    for name in broken:  # the non-breaking spaces that indent one line
        report = inspect_tracker_body(examples[name])
        assert codes(report) == {"body.not_json"} and "\u00a0" in examples[name]
        assert isinstance(report, TrackerReport)  # still known as a tracker body: inspect --json says so


# What each page example, with its non-breaking spaces made spaces, still shows: the page's own inconsistencies.
PAGE_FINDINGS = {
    "ProductPage": {"tracker.in_stock.string"},
    "StatusCart": {"tracker.price.number"},
    "AddToWishlist": {"tracker.in_stock.string"},
    "PurchasedItems": {"tracker.purchase.guid_missing"},
    "ProductImpressions": {"tracker.event_object.page_example"},
    "CategoryPage": set(),
    "CustomerData": set(),
    "SearchRequest": set(),
    "ProductUpdate": {"tracker.in_stock.string"},
}


@pytest.mark.parametrize("name", TRACKER_EVENT_NAMES)
def test_each_page_example_fixed_is_valid_and_warned_only_about_the_pages_inconsistencies(name: str) -> None:
    report = inspect_tracker_body(page_examples()[name].replace("\u00a0", " "))
    assert isinstance(report, TrackerReport) and report.event_type == name
    assert report.valid, [f.line() for f in report.errors]
    assert codes(report) == PAGE_FINDINGS[name]
    assert all(f.severity is Severity.WARNING and f.tier in (Tier.NOTE, Tier.ACCEPTED_BUT) for f in report.findings)


def test_a_disagreement_names_both_sources_and_is_never_a_rejection() -> None:
    report = inspect_tracker(tb.shopify_purchased_items())
    finding = next(f for f in report.findings if f.code == "tracker.purchase.product_key")
    assert finding.severity is Severity.WARNING and finding.tier is not Tier.REJECTED
    assert "Shopify" in finding.source and "how-transfer-website-behavior-data" in finding.source
    assert report.as_dict()["verdict"] == {"validationOff": "accepted", "validationOn": "accepted"}


def test_integration_bodies_pass_with_their_own_placements_named() -> None:
    woo = inspect_tracker(tb.woo_purchased_items())
    opencart = inspect_tracker(tb.opencart_purchased_items())
    assert woo.valid and opencart.valid and inspect_tracker(tb.woo_status_cart()).findings == ()
    [woo_place] = [f for f in woo.findings if f.code == "tracker.order_id.placement"]
    [oc_place] = [f for f in opencart.findings if f.code == "tracker.order_id.placement"]
    assert woo_place.path == "TrackedOrderId" and "OpenCart" in woo_place.message
    assert oc_place.path == "PurchasedItems.TrackedOrderId" and "WooCommerce" in oc_place.message
    assert "tracker.price.number" in codes(opencart)  # OpenCart's unit_price as a number


def test_a_woocommerce_style_status_cart_with_the_classic_mistakes_is_named_finding_by_finding() -> None:
    report = inspect_tracker(tb.broken_woo_status_cart())
    assert not report.valid
    by_code = {f.code: f for f in report.findings}
    assert set(by_code) == {"tracker.datetime.seconds", "tracker.guid.missing", "tracker.tag.prefix",
                            "tracker.tag.not_list"}
    assert "seconds" in by_code["tracker.datetime.seconds"].message
    assert "1767225600000" in by_code["tracker.datetime.seconds"].hint
    assert by_code["tracker.tag.prefix"].path == "StatusCart.Products[0].name"
    assert by_code["tracker.tag.not_list"].path == "StatusCart.Products[0].tag_size"


@pytest.mark.parametrize(("change", "code"), [
    (lambda b: b["GeneralInfo"].pop("siteId"), "tracker.site_id.missing"),
    (lambda b: b["GeneralInfo"].update(eventName="ProductPage"), "tracker.event_object.mismatch"),
    (lambda b: b["GeneralInfo"].update(eventName="statuscart"), "tracker.event_name.case"),
    (lambda b: b["GeneralInfo"].update(eventName="Cart"), "tracker.event_name.unknown"),
    (lambda b: b.pop("GeneralInfo"), "tracker.general_info.missing"),
    (lambda b: b["StatusCart"]["Products"][0].pop("quantity"), "tracker.field.missing"),
    (lambda b: b["StatusCart"]["Products"][0].update(quantity="1"), "tracker.field.wrong_type"),
    (lambda b: b["StatusCart"].update(Products={}), "tracker.items.not_list"),
    (lambda b: b["StatusCart"].update(Tags=["x"]), "tracker.tags.not_object"),
    (lambda b: b["StatusCart"]["Products"][0].update(tag_size=["L", 2]), "tracker.tag.item_not_string"),
    (lambda b: b["GeneralInfo"].update(datetime="2026-01-01"), "tracker.datetime.not_number"),
])
def test_each_rule_fires_on_its_own_mistake(change, code) -> None:  # type: ignore[no-untyped-def]
    body = tb.woo_status_cart()
    change(body)
    assert code in codes(inspect_tracker(body))


def test_the_pages_wrong_table_event_name_is_named_as_the_pages_mistake() -> None:
    body = tracker_example("CategoryPage")
    body["GeneralInfo"]["eventName"] = "ProductPage"  # as the page's CategoryPage table says
    [finding] = inspect_tracker(body).errors
    assert finding.code == "tracker.event_name.page_table" and "by mistake" in finding.message


def test_the_visitor_is_listed_not_ranked_and_a_body_with_no_identifier_is_an_error() -> None:
    body = tb.woo_status_cart()
    report = inspect_tracker(body)
    assert report.key_value == "42" and report.key_value_source == "externalCustomerId"
    assert report.identity is not None and report.identity.cookie == tb.SC
    for name in ("user_email", "externalCustomerId"):
        del body["GeneralInfo"][name]
    assert inspect_tracker(body).key_value_source == "sc"
    body["GeneralInfo"]["cookies"] = {"sc": " "}
    assert "tracker.identity.none" in codes(inspect_tracker(body))
    body["GeneralInfo"]["user_email"] = "ann@example.com"
    assert codes(inspect_tracker(body)) == {"tracker.cookies.missing"}


@pytest.mark.parametrize("name", TRACKER_EVENT_NAMES)
def test_every_example_body_is_valid_without_a_finding(name: str) -> None:
    body = tracker_example(name)
    assert inspect_tracker(body).findings == ()
    assert detect_format(json.dumps(body)) == "tracker"


def test_detect_format_and_inspect_wire_route_each_body_to_its_inspector() -> None:
    event = b'{"eventTypeKey": "pageViewed", "keyValue": "a@b.c", "params": []}'
    assert detect_format(event) == "event" and detect_format(b"{oops") == "event"
    assert detect_format(b'{"GeneralInfo": {"eventName": "StatusCart",}') == "tracker"  # broken, still tracker
    assert detect_format({"StatusCart": {}}) == "tracker"
    assert not isinstance(inspect_wire(event), TrackerReport)
    assert inspect_wire(event).as_dict() == inspect_body(event).as_dict()  # the event path is unchanged
    tracker = json.dumps(tb.woo_status_cart()).encode()
    assert isinstance(inspect_wire(tracker), TrackerReport)
    assert not isinstance(inspect_wire(tracker, wire_format="event"), TrackerReport)
    bom = inspect_tracker_body(b"\xef\xbb\xbf" + tracker)
    assert codes(bom) == {"body.bom"} and isinstance(bom, TrackerReport)


def test_a_cart_sequence_changing_its_guid_and_carried_into_the_purchase_is_clean() -> None:
    two = [{"productKey": "101", "price": "19.90", "quantity": 1}, {"productKey": "202", "price": "5", "quantity": 2}]
    bodies = [tb.woo_status_cart(tb.GUID_1), tb.woo_status_cart(tb.GUID_2, two), tb.woo_purchased_items(tb.GUID_2)]
    assert check_sequence(bodies) == ()


def test_a_cart_sequence_names_a_stale_guid_a_lost_guid_and_an_abandoned_cart() -> None:
    two = [{"productKey": "101", "price": "19.90", "quantity": 1}, {"productKey": "202", "price": "5", "quantity": 2}]
    stale = check_sequence([tb.woo_status_cart(tb.GUID_1), tb.woo_status_cart(tb.GUID_1, two)])
    assert [(f.code, f.path) for f in stale] == [("tracker.sequence.guid_unchanged", "#2.StatusCart.GUID"),
                                                ("tracker.sequence.abandoned", "#2.StatusCart")]
    lost = check_sequence([tb.woo_status_cart(tb.GUID_2), tb.shopify_purchased_items()])
    assert codes(lost) == {"tracker.sequence.guid_not_carried"}
    other = tb.woo_purchased_items()
    other["PurchasedItems"]["Products"][0]["product_id"] = "999"
    assert codes(check_sequence([tb.woo_status_cart(), other])) == {"tracker.sequence.product_not_in_cart"}
    assert check_sequence([tb.woo_status_cart(tb.GUID_1, [])]) == ()  # an emptied cart is not abandoned


_KEYS = st.sampled_from(["GeneralInfo", "eventName", "siteId", "datetime", "cookies", "sc", "user_email", "GUID",
                         "Products", "Product", "Category", "productKey", "product_id", "price", "quantity",
                         "isInStock", "tag_x", "Tags", "TrackedOrderId", "OrderNumber", "search", *TRACKER_EVENT_NAMES,
                         "ProductImpression"]) | st.text(max_size=8)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
    | st.sampled_from(TRACKER_EVENT_NAMES),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_KEYS, children, max_size=5), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(_KEYS, _VALUES, max_size=4), min_size=1, max_size=3))
def test_any_shape_is_judged_and_converted_without_a_crash(bodies: list[dict]) -> None:  # type: ignore[type-arg]
    for body in bodies:
        report = inspect_tracker(body)
        assert isinstance(report.as_dict(), dict) and all(f.source for f in report.findings)
        for convert in (to_event, lambda b: to_tracker(b, site_id="s", now_ms=1)):
            with contextlib.suppress(ConversionError):
                convert(body)
    check_sequence(bodies)


def test_a_strangers_long_name_is_cut_in_messages() -> None:
    body = tb.woo_status_cart()
    body["GeneralInfo"]["eventName"] = "x" * 100_000
    [finding] = inspect_tracker(body).errors
    assert len(finding.message) < 200
