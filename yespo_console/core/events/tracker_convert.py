"""Translate a body between the two wire formats, for the six pairs whose descriptions match.

No Yespo source maps tracker events to Generate Event types: the pairs (ProductPage↔productViewed,
StatusCart↔cartUpdated, CategoryPage↔productCategoryViewed, AddToWishlist↔productAddedToWishlist,
ProductImpressions↔productImpressions, SearchRequest↔searchRequest) are the console's reading of their
descriptions, and every `Conversion` says so (`MAPPING_NOTE`). What the target format has no place for (the sc
cookie, siteId, Tags, a recommendation variant, ...) is listed in `Conversion.lost`, never dropped silently.
Extra fields travel as they are, the `tag_` prefix taken off or put on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from yespo_console.core.events.catalog import LOCATOR_PRIORITY
from yespo_console.core.events.payload import Draft, NestedEncoding, body_object, draft_from_object
from yespo_console.core.events.tracker_catalog import (
    COOKIES,
    GENERAL_INFO,
    GENERAL_SPECS,
    TAG_PREFIX,
    TAGS,
    is_tag_name,
)
from yespo_console.core.events.tracker_identity import resolve_visitor
from yespo_console.core.events.tracker_rules import WireFormat

MAPPING_NOTE = ("The console's mapping by description: no Yespo source maps web tracking events to Generate "
                "event types.")
PAIRS: dict[str, str] = {
    "ProductPage": "productViewed", "StatusCart": "cartUpdated", "CategoryPage": "productCategoryViewed",
    "AddToWishlist": "productAddedToWishlist", "ProductImpressions": "productImpressions",
    "SearchRequest": "searchRequest",
}
REVERSE: dict[str, str] = {event: tracker for tracker, event in PAIRS.items()}
# GeneralInfo's contact identifiers and the Generate event locators they stand for.
IDENTIFIERS: dict[str, str] = {"user_es_contact_id": "contactId", "externalCustomerId": "externalCustomerId",
                               "user_email": "email", "user_phone": "phone"}
_PRICE = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]{3})?\s*")
_PRODUCT_KEYS = {"productKey", "product_id"}


class ConversionError(ValueError):
    """The body cannot be converted (not the expected format, or a type with no counterpart)."""


@dataclass(frozen=True, slots=True)
class Conversion:
    body: dict[str, Any]
    target: WireFormat
    event: str  # the target's event name or type
    lost: tuple[str, ...]  # what could not be carried over, one plain sentence each
    note: str = MAPPING_NOTE

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.target, "event": self.event, "mapping": self.note, "lost": list(self.lost),
                "body": self.body}


def _price(value: Any) -> tuple[float | int | None, str | None]:
    """(the number, the currency) of a price: 201.95, "201.95" or the page's "754 USD"."""
    if isinstance(value, bool):
        return None, None
    if isinstance(value, int | float):
        return value, None
    match = _PRICE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None, None
    number = float(match.group(1))
    currency = match.group(2).upper() if match.group(2) else None
    return (int(number) if "." not in match.group(1) else number), currency


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> Any:
    """A number as the tracker page types prices: a string (45.5 → "45.5")."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return str(int(value)) if float(value).is_integer() else repr(value)


class _ToEvent:
    def __init__(self, body: dict[str, Any], nested: NestedEncoding) -> None:
        self.body = body
        self.nested = nested
        self.lost: list[str] = []
        self.currency: str | None = None

    def product(self, item: dict[str, Any], where: str, *, cart: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in item.items():
            if key in _PRODUCT_KEYS:
                out["productId"] = value
            elif key == "price":
                number, currency = _price(value)
                if number is None:
                    self.lost.append(f"{where}.price {str(value)[:40]!r} is not a number: left out")
                    continue
                out["price"] = number
                self.currency = currency or self.currency
            elif key == "price_currency_code" and isinstance(value, str):
                if self.currency not in (None, value):
                    self.lost.append(f"{where}: currency {value} differs from {self.currency}; one currencyCode kept")
                self.currency = self.currency or value
            elif key == "isInStock" and value in ("0", "1", 0, 1):
                out["isInStock"] = int(value)
            elif key == "quantity" and cart:
                out["quantity"] = value
            elif key == "discount" and cart:
                out["discount"] = _text(value)
            elif is_tag_name(key):
                out[key.removeprefix(TAG_PREFIX)] = value
            else:
                self.lost.append(f"{where}.{key}: no counterpart in the product")
        return out

    def convert(self) -> Conversion:
        info = self.body.get(GENERAL_INFO)
        if not isinstance(info, dict):
            raise ConversionError("not a tracker body: it has no GeneralInfo object")
        raw = info.get("eventName")
        name = raw if isinstance(raw, str) else ""
        event = PAIRS.get(name)
        if event is None:
            raise ConversionError(f"{str(raw)[:60]!r} has no Generate event counterpart; convertible: "
                                  + ", ".join(PAIRS))
        locators: dict[str, Any] = {}
        identity = resolve_visitor(self.body)
        for candidate in identity.candidates[1:]:
            if candidate.usable:
                locators[IDENTIFIERS[candidate.name]] = candidate.value
        if identity.cookie:
            self.lost.append(f"the sc cookie {identity.cookie[:60]!r}: Generate event has no visitor cookie")
        if not locators:
            self.lost.append("no contact identifier: the event has no locator, and Yespo rejects it without one")
        for key in info:
            if key in IDENTIFIERS or key in ("eventName", COOKIES):
                continue
            known = "no counterpart in Generate event" if key in GENERAL_SPECS else "not a documented field"
            self.lost.append(f"GeneralInfo.{key[:60]}: {known}, left out")
        # The page's ProductImpressions example calls its object ProductImpression.
        obj = self.body.get(name, self.body.get("ProductImpression") if name == "ProductImpressions" else None)
        obj = _dict(obj)
        values = self.values(name, obj)
        if TAGS in obj:
            self.lost.append("Tags: Generate event has no place for them")
        for key in self.body:
            if key not in (GENERAL_INFO, name, "ProductImpression"):
                self.lost.append(f"{key}: not part of the {name} event, left out")
        if self.currency and event in ("productViewed", "cartUpdated", "productAddedToWishlist"):
            values["currencyCode"] = self.currency
        # keyValue written out: the locator Yespo would pick anyway (the first in its order).
        key_value = next((str(locators[name]) for name in LOCATOR_PRIORITY if name in locators), None)
        draft = Draft(event_type=event, key_value=key_value, locators=locators, values=values)
        return Conversion(body_object(draft, nested=self.nested), "event", event, tuple(self.lost))

    def values(self, name: str, obj: dict[str, Any]) -> dict[str, Any]:
        if name in ("ProductPage", "AddToWishlist"):
            product = obj.get("Product")
            return {"product": self.product(_dict(product), f"{name}.Product",
                                            cart=False)}
        products = [item for item in _list(obj.get("Products")) if isinstance(item, dict)]
        if name == "StatusCart":
            return {"products": [self.product(item, f"StatusCart.Products[{i}]", cart=True)
                                 for i, item in enumerate(products)], "recycleStateId": obj.get("GUID")}
        if name == "ProductImpressions":
            blocks = sorted({str(item.get("container_type")) for item in products if "container_type" in item})
            if blocks:
                self.lost.append(f"container_type {', '.join(blocks)}: no counterpart; recomVariantId (required, "
                                 "r<recomId>v<variantId>) must be filled in by hand")
            return {"products": [{"productId": item.get("product_id")} for item in products]}
        if name == "CategoryPage":
            category = _dict(obj.get("Category"))
            extras = {key.removeprefix(TAG_PREFIX): value for key, value in category.items() if is_tag_name(key)}
            return {"category": {"productCategoryId": category.get("categoryKey"), **extras}}
        found = obj.get("isFound")  # SearchRequest
        values = {"search": obj.get("search")}
        if found in (0, 1, "0", "1"):
            values["isFound"] = int(found)
        return values


class _ToTracker:
    def __init__(self, body: dict[str, Any], site_id: str | None, now_ms: int) -> None:
        self.draft = draft_from_object(body)
        self.site_id = site_id
        self.now_ms = now_ms
        self.lost: list[str] = []

    def product(self, item: Any, where: str, *, cart: bool, currency: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in (item.items() if isinstance(item, dict) else ()):
            if key == "productId":
                out["productKey"] = value
            elif key in ("price", "discount"):
                out[key] = _text(value)
            elif key == "isInStock" or (cart and key == "quantity"):
                out[key] = value
            elif isinstance(value, list):
                out[TAG_PREFIX + key] = value
            else:
                self.lost.append(f"{where}.{key}: the tracker takes extra fields as tag_ arrays of strings only")
        if cart and currency:
            out["price_currency_code"] = currency
        return out

    def convert(self) -> Conversion:
        draft = self.draft
        name = REVERSE.get(draft.event_type)
        if name is None:
            raise ConversionError(f"{draft.event_type[:60]!r} has no web tracking counterpart; convertible: "
                                  + ", ".join(REVERSE))
        info: dict[str, Any] = {"eventName": name, "siteId": self.site_id or "", "datetime": self.now_ms}
        if not self.site_id:
            self.lost.append("no siteId: pass --site-id (Yespo support gives it)")
        self.lost.append("the event's time: Generate event carries none, so datetime is the time of the conversion")
        by_locator = {locator: field for field, locator in IDENTIFIERS.items()}
        for locator in LOCATOR_PRIORITY:
            if locator in draft.locators and locator in by_locator:
                info[by_locator[locator]] = draft.locators[locator]
            elif locator in draft.locators:
                self.lost.append(f"{locator}: the tracker has no such identifier")
        if draft.key_value is not None and draft.key_value not in draft.locators.values():
            self.lost.append(f"keyValue {draft.key_value[:60]!r}: the tracker has no keyValue")
        self.lost.append("no sc cookie: Generate event has none; the tracker cannot tie this to a visitor's browsing")
        for extra in draft.extra_params:
            self.lost.append(f"param {extra.name[:60]!r}: no counterpart in {name}")
        for key in draft.extra_fields:
            self.lost.append(f"{key[:60]}: not part of the event, left out")
        return Conversion({GENERAL_INFO: info, name: self.event_object(name)}, "tracker", name, tuple(self.lost))

    def event_object(self, name: str) -> dict[str, Any]:
        values = self.draft.values
        currency = values.get("currencyCode") if isinstance(values.get("currencyCode"), str) else None
        if name in ("ProductPage", "AddToWishlist"):
            product = self.product(values.get("product"), "product", cart=False, currency=None)
            if currency and "price" in product:  # the page's "754 USD": a price may carry its currency
                product["price"] = f"{product['price']} {currency}"
            elif currency:
                self.lost.append(f"currencyCode {currency}: {name} has no currency field and no price to carry it")
            return {"Product": product}
        if name == "StatusCart":
            products = _list(values.get("products"))
            return {"GUID": values.get("recycleStateId"),
                    "Products": [self.product(item, f"products[{i}]", cart=True, currency=currency)
                                 for i, item in enumerate(products)]}
        if name == "ProductImpressions":
            if "recomVariantId" in values:
                self.lost.append(f"recomVariantId {str(values['recomVariantId'])[:40]!r}: no counterpart; "
                                 "container_type (required, the block's number) must be filled in by hand")
            products = _list(values.get("products"))
            return {"Products": [{"product_id": item.get("productId") if isinstance(item, dict) else item}
                                 for item in products]}
        if name == "CategoryPage":
            category = _dict(values.get("category"))
            extras = {TAG_PREFIX + key: value for key, value in category.items()
                      if key != "productCategoryId" and isinstance(value, list)}
            return {"Category": {"categoryKey": category.get("productCategoryId"), **extras}}
        found = {"isFound": values["isFound"]} if "isFound" in values else {}
        return {"search": values.get("search"), **found}


def to_event(body: dict[str, Any], *, nested: NestedEncoding = "string") -> Conversion:
    """A tracker body as a Generate event body. ConversionError when it has no counterpart."""
    return _ToEvent(body, nested).convert()


def to_tracker(body: dict[str, Any], *, site_id: str | None, now_ms: int) -> Conversion:
    """A Generate event body as a tracker body, dated `now_ms`. ConversionError when it has no counterpart."""
    return _ToTracker(body, site_id, now_ms).convert()

