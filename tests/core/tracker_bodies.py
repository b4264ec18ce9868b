"""Tracker bodies shaped like each official integration's, written from their descriptions in docs/api-facts.md
("The second wire format"); the page's own examples are in tracker_page_examples.md."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

from yespo_console.core.http.environments import builtin

SC = "b5d1c7e2-6f0a-4a52-9d5e-3c1f0e6a9b11"
GUID_1 = "A1B2C3D4-0000-4000-8000-000000000001"
GUID_2 = "A1B2C3D4-0000-4000-8000-000000000002"


def general(event: str, **extra: Any) -> dict[str, Any]:
    info: dict[str, Any] = {"eventName": event, "siteId": "8A412DC", "datetime": 1767225600000,
                            "user_email": "ann@example.com", "externalCustomerId": "42", "cookies": {"sc": SC}}
    info.update(extra)
    return info


def woo_status_cart(guid: str = GUID_1, products: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """WooCommerce's back end: StatusCart with string prices and a currency per item."""
    items = products if products is not None else [
        {"productKey": "101", "price": "19.90", "quantity": 1, "price_currency_code": "UAH"}]
    return {"GeneralInfo": general("StatusCart"), "StatusCart": {"GUID": guid, "Products": items}}


def woo_purchased_items(guid: str = GUID_1) -> dict[str, Any]:
    """WooCommerce: product_id items and TrackedOrderId at the top level."""
    return {"GeneralInfo": general("PurchasedItems"), "TrackedOrderId": "5512",
            "PurchasedItems": {"OrderNumber": "5512", "GUID": guid,
                               "Products": [{"product_id": "101", "unit_price": "19.90", "quantity": 1}]}}


def shopify_purchased_items() -> dict[str, Any]:
    """The Shopify app: productKey (not product_id) in PurchasedItems, TrackedOrderId at the top level."""
    return {"GeneralInfo": general("PurchasedItems"), "TrackedOrderId": "gid-1001",
            "PurchasedItems": {"OrderNumber": "#1001", "GUID": GUID_1,
                               "Products": [{"productKey": "101", "unit_price": "19.90", "quantity": 1}]}}


def opencart_purchased_items() -> dict[str, Any]:
    """The OpenCart modules: TrackedOrderId inside PurchasedItems."""
    return {"GeneralInfo": general("PurchasedItems"),
            "PurchasedItems": {"OrderNumber": "77", "GUID": GUID_1, "TrackedOrderId": "77",
                               "Products": [{"product_id": "101", "unit_price": 19.9, "quantity": 1}]}}


def broken_woo_status_cart() -> dict[str, Any]:
    """A WooCommerce-style StatusCart with the classic mistakes: PHP time() (seconds), no GUID, an extra field
    without the tag_ prefix and a tag that is not an array."""
    body = copy.deepcopy(woo_status_cart())
    body["GeneralInfo"]["datetime"] = 1767225600
    del body["StatusCart"]["GUID"]
    body["StatusCart"]["Products"][0].update({"name": "Green mug", "tag_size": "L"})
    return body


def sandbox_url_for(base_url: str, environment: str | None) -> str:
    """Where a scenario's built-in environment points on a test sandbox: the web tracking recipe uses the
    sandbox's tracker route, the others /api/v2/event."""
    return base_url + urlsplit(builtin(environment or "sandbox").url).path
