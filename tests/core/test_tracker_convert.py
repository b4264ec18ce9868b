"""Converting between the wire formats: round trips for the six pairs, and what is listed as lost."""

from __future__ import annotations

import copy

import pytest

from tests.core import tracker_bodies as tb
from yespo_console.core.events.diagnostics import inspect_event
from yespo_console.core.events.examples import example_draft, tracker_example
from yespo_console.core.events.payload import body_object
from yespo_console.core.events.tracker_convert import (
    MAPPING_NOTE,
    PAIRS,
    ConversionError,
    to_event,
    to_tracker,
)
from yespo_console.core.events.tracker_rules import inspect_tracker

NOW = 1767225600000
# What an event→tracker→event trip cannot keep, by type: only what the tracker has no place for.
EVENT_TRIP_LOSSES = {"productImpressions": {"recomVariantId"}, "cartUpdated": {"name", "category"}}


def _params(body: dict) -> dict:  # type: ignore[type-arg]
    return {item["name"]: item["value"] for item in body["params"]}


@pytest.mark.parametrize("event", PAIRS.values())
def test_an_event_body_goes_to_the_tracker_and_back(event: str) -> None:
    original = body_object(example_draft(event), nested="object")
    there = to_tracker(original, site_id="8A412DC", now_ms=NOW)
    assert there.target == "tracker" and there.note == MAPPING_NOTE
    back = to_event(there.body, nested="object")
    assert back.event == event and back.body["keyValue"] == original["keyValue"]
    lost = EVENT_TRIP_LOSSES.get(event, set())
    want, got = _params(original), _params(back.body)
    for name in lost:
        want.pop(name, None)
    if event == "cartUpdated":
        want["products"] = [{k: v for k, v in item.items() if k not in lost} for item in want["products"]]
        assert any("products[0].name" in item for item in there.lost)
    assert got == want
    if event == "productImpressions":
        assert any("recomVariantId" in item for item in there.lost)


@pytest.mark.parametrize("name", PAIRS)
def test_a_tracker_body_goes_to_an_event_and_back(name: str) -> None:
    original = tracker_example(name)
    there = to_event(original)
    assert any("sc cookie" in item for item in there.lost) and any("siteId" in item for item in there.lost)
    report = inspect_event(there.body)
    assert report.valid or {f.code for f in report.errors} == {"field.missing"}  # productImpressions' variant
    back = to_tracker(there.body, site_id=original["GeneralInfo"]["siteId"], now_ms=NOW).body
    spec_obj = original.get(name, {})
    if isinstance(spec_obj, dict):
        spec_obj.pop("Tags", None)  # listed as lost
    for key in ("user_name", "cookies"):
        original["GeneralInfo"].pop(key)
    original["GeneralInfo"]["datetime"] = NOW
    if name == "ProductImpressions":
        for item in original[name]["Products"]:
            item.pop("container_type")  # listed as lost
    if name == "StatusCart":
        for item in back[name]["Products"]:
            item["price"] = str(item["price"])
    assert back == original


def test_the_pages_price_with_a_currency_becomes_a_number_and_a_currency_code() -> None:
    body = copy.deepcopy(tracker_example("ProductPage"))
    body["ProductPage"]["Product"]["price"] = "754 USD"
    converted = _params(to_event(body, nested="object").body)
    assert converted["product"]["price"] == 754 and converted["currencyCode"] == "USD"
    body["ProductPage"]["Product"]["price"] = "call us"
    assert any("'call us' is not a number" in item for item in to_event(body).lost)


def test_an_integration_body_converts_with_its_extras_listed() -> None:
    converted = to_event(tb.woo_status_cart())
    params = _params(to_event(tb.woo_status_cart(), nested="object").body)
    assert params["recycleStateId"] == tb.GUID_1 and params["currencyCode"] == "UAH"
    assert params["products"] == [{"productId": "101", "price": 19.9, "quantity": 1}]
    assert inspect_event(converted.body).valid


def test_a_type_without_a_counterpart_or_a_tracker_body_without_general_info_is_refused() -> None:
    with pytest.raises(ConversionError, match="PurchasedItems"):
        to_event(tb.woo_purchased_items())
    with pytest.raises(ConversionError, match="no GeneralInfo"):
        to_event({"StatusCart": {}})
    with pytest.raises(ConversionError, match="pageViewed"):
        to_tracker(body_object(example_draft("pageViewed")), site_id="x", now_ms=NOW)


def test_a_missing_site_id_and_an_unmapped_locator_are_listed_and_the_result_names_them() -> None:
    draft = example_draft("searchRequest")
    draft.locators["pushToken"] = "fcm:abc"
    converted = to_tracker(body_object(draft), site_id=None, now_ms=NOW)
    assert any("no siteId" in item for item in converted.lost) and any("pushToken" in item for item in converted.lost)
    assert "tracker.site_id.missing" in {f.code for f in inspect_tracker(converted.body).findings}
