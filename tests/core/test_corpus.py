"""Real-world bodies (shapes from docs/api-facts.md's sources, written here): each with the tiers and the two
verdicts the inspector must give. Validate parameters off is Yespo's default; "on" is the event type's switch."""

import json

import pytest

from yespo_console.core.events.diagnostics import inspect_body, inspect_event
from yespo_console.core.profiles.folder import find_profile

CUSTOMER = "3fa85f64-5717-4562-b3fc-2c963f66afa6"

# D reference/yespo.io/events/abandonedcart-event-example.md: numbers at the top level, no keyValue.
ABANDONED_CART = {"eventTypeKey": "AbandonedCart", "params": [
    {"name": "externalCustomerId", "value": CUSTOMER}, {"name": "cartId", "value": "cart-20240611-01"},
    {"name": "totalValue", "value": 250.75}, {"name": "currency", "value": "USD"}, {"name": "itemCount", "value": 3}]}

# The mobile SDK's cartUpdated: cartId instead of recycleStateId, a numeric discount, currencyCode.
SDK_CART = {"eventTypeKey": "cartUpdated", "keyValue": CUSTOMER, "params": [
    {"name": "externalCustomerId", "value": CUSTOMER},
    {"name": "products", "value": [{"productId": "sku-1", "quantity": 2, "price": 19.99, "discount": 1.5,
                                    "name": "Mug", "category": "Kitchen"}]},
    {"name": "cartId", "value": "0f7c2a"}, {"name": "currencyCode", "value": "UAH"}]}

# A shop module's cartUpdated on v1: an escaped products string whose quantities and prices are strings.
SHOP_CART_V1 = {"eventTypeKey": "cartUpdated", "keyValue": "buyer@example.com", "params": [
    {"name": "email", "value": "buyer@example.com"},
    {"name": "products", "value": json.dumps([{"productId": "42", "quantity": "1", "price": "249.00"}])},
    {"name": "recycleStateId", "value": "6650a1f2c3d4e"}]}

# A shop plugin's custom event on v2 with a real (unescaped) JSON array in a param.
PLUGIN_CUSTOM = {"eventTypeKey": "abandoned_cart", "keyValue": "buyer@example.com", "params": [
    {"name": "email", "value": "buyer@example.com"},
    {"name": "json", "value": [{"id": "42", "name": "Mug", "price": "249.00", "quantity": "1"}]}]}

# D how-use-v1event-api-resource.md: EmailAddress, and a keyValue that is another address.
PASSWORD_RECOVERY = {"eventTypeKey": "password_recovery", "keyValue": "client@example.com", "params": [
    {"name": "EmailAddress", "value": "support-copy@example.com"}, {"name": "link", "value": "https://x.test/r/1"}]}

# D how-send-past-events.md: one past orderCreated, occurred in the documented form, items as an array.
PAST_ORDER = {"eventTypeKey": "orderCreated", "keyValue": "buyer@example.com", "occurred": "2023-03-22T14:30",
              "params": [{"name": "externalOrderId", "value": "A-1001"}, {"name": "totalCost", "value": "498.00"},
                         {"name": "items", "value": [{"externalItemId": "42", "quantity": 2, "cost": 249}]}]}


@pytest.mark.parametrize(("body", "version", "tiers", "off", "on"), [
    (ABANDONED_CART, "v2", {}, "accepted", "accepted"),
    (SDK_CART, "v2", {"field.missing": "rejected_if_validated"}, "accepted", "rejected"),
    (SHOP_CART_V1, "v1", {"field.numeric_string": "accepted_but"}, "accepted", "accepted"),
    (PLUGIN_CUSTOM, "v2", {}, "accepted", "accepted"),
    (PASSWORD_RECOVERY, "v2", {"locator.alias": "accepted_but"}, "accepted", "accepted"),
], ids=["AbandonedCart", "sdk-cartUpdated", "shop-cartUpdated-v1", "plugin-custom", "password_recovery"])
def test_real_world_bodies(body, version, tiers, off, on):
    report = inspect_body(json.dumps(body), api_version=version)
    assert {f.code: str(f.tier) for f in report.findings} == tiers
    assert report.as_dict()["verdict"] == {"validationOff": off, "validationOn": on}


def test_the_sdk_cart_names_cart_id_and_the_v2_custom_array_is_not_an_error_on_v1_only():
    [missing] = [f for f in inspect_body(json.dumps(SDK_CART)).findings if f.code == "field.missing"]
    assert "'cartId' instead" in missing.message
    on_v1 = inspect_body(json.dumps(PLUGIN_CUSTOM), api_version="v1")
    assert [(f.code, str(f.tier)) for f in on_v1.findings] == [("param.value_not_string", "rejected")]


def test_a_past_order_item_is_judged_like_an_event():
    """orderCreated is a documented order event: what this item leaves out is refused only with Validate
    parameters on (status, date), or breaks reports (items without name, url, image)."""
    report = inspect_event(PAST_ORDER)
    assert {(f.code, f.path, str(f.tier)) for f in report.findings} == {
        ("field.missing", "params", "rejected_if_validated"),
        ("field.missing", "params[2].value[0].name", "accepted_but"),
        ("field.missing", "params[2].value[0].url", "accepted_but"),
        ("field.missing", "params[2].value[0].imageUrl", "accepted_but"),
    }
    assert sorted(f.message.split("'")[1] for f in report.findings if f.path == "params") == ["date", "status"]
    assert report.as_dict()["verdict"] == {"validationOff": "accepted", "validationOn": "rejected"}


def test_the_abandoned_cart_example_against_its_profile():
    """The official AbandonedCart example, judged against the bundled profile that describes its type."""
    profile = find_profile("abandoned-cart")
    report = inspect_body(json.dumps(ABANDONED_CART), profile=profile)
    assert report.findings == () and report.key_value_source == "externalCustomerId"
    strict = profile.with_validation(["AbandonedCart"])
    without_cart = {**ABANDONED_CART, "params": [p for p in ABANDONED_CART["params"] if p["name"] != "cartId"]}
    report = inspect_body(json.dumps(without_cart), profile=strict)
    assert [(f.code, str(f.tier)) for f in report.findings] == [("field.missing", "rejected_if_validated")]
    assert report.as_dict()["verdict"] == {"validationOff": "accepted", "validationOn": "rejected"}
    text = json.dumps({**ABANDONED_CART, "params": [*ABANDONED_CART["params"][:2],
                                                   {"name": "totalValue", "value": "250,75"}]})
    assert [f.code for f in inspect_body(text, profile=profile).findings] == ["field.wrong_type"]
