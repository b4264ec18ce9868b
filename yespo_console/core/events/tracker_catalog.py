"""The second wire format: web tracking through REST (`POST https://tracker.yespo.io/api/v2`), described once.

A tracker body is a `GeneralInfo` object (who, which site, when) plus one object named after the event:
`{"GeneralInfo": {"eventName": "StatusCart", "siteId": ..., "cookies": {"sc": ...}}, "StatusCart": {...}}`.
Yespo's own shop integrations (WooCommerce, Shopify, OpenCart) send their server-side events here, not to
/api/v2/event. The fields reuse the Generate Event catalog's `FieldSpec`/`FieldType`/`Shape`, so forms,
examples and the inspector read both formats the same way. docs/api-facts.md ("The second wire format") lists
the facts and where the page and the integrations disagree; core.events.tracker_rules judges bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yespo_console.core.events.catalog import FieldSpec, FieldType, Shape

TRACKER_URL = "https://tracker.yespo.io/api/v2"
GENERAL_INFO = "GeneralInfo"
TAGS = "Tags"
TAG_PREFIX = "tag_"
SC_COOKIE = "sc"
# Epoch milliseconds from 2001-09-09 on are at least this; an epoch in seconds stays below it until the year 33658.
MIN_MILLISECONDS = 1_000_000_000_000

_TEXT = FieldType.STRING

GENERAL_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("eventName", _TEXT, "Event name", "The event: the name of the event object beside GeneralInfo.",
              "StatusCart", required=True),
    FieldSpec("siteId", _TEXT, "Site ID", "The site's ID in Yespo (static; Yespo support gives it).", "8A412DC",
              required=True),
    FieldSpec("datetime", FieldType.NUMBER, "Time", "When it happened: epoch milliseconds (not seconds).",
              1579622183208),
    FieldSpec("externalCustomerId", _TEXT, "External customer ID", "The shopper's ID in your system.",
              "1234509876"),
    FieldSpec("user_phone", FieldType.PHONE, "Phone", "Phone number in the international format.",
              "1-541-754-3010"),
    FieldSpec("user_email", FieldType.EMAIL, "Email", "The shopper's email.", "user@mail.com"),
    FieldSpec("user_name", _TEXT, "Name", "The shopper's name and surname.", "Gregori Boczynski"),
    FieldSpec("user_es_contact_id", _TEXT, "Yespo contact ID", "The contact's ID in Yespo.", "255830499"),
)
GENERAL_SPECS: dict[str, FieldSpec] = {spec.name: spec for spec in GENERAL_FIELDS}
COOKIES = "cookies"
EXAMPLE_SC = "CDA68358-94FB-4D83-9655-3FEB3C4114A3"

# How the tracker may tie an event to a person, in the order the console lists them: the visitor's sc cookie
# (set by Yespo's script), then the contact identifiers. No source states an order of precedence.
IDENTITY_FIELDS: tuple[str, ...] = (SC_COOKIE, "user_es_contact_id", "externalCustomerId", "user_email",
                                    "user_phone")

_PRODUCT_KEY = FieldSpec("productKey", _TEXT, "Product key", "Product ID as in your product feed.", "72354",
                         required=True)
_PRICE = FieldSpec("price", _TEXT, "Price", "Price of one item; the page types it a string and shows numbers.",
                   "754", required=True, numbers_ok=True)
_IN_STOCK = FieldSpec("isInStock", FieldType.FLAG, "In stock", "1 in stock, 0 out of stock.", 1, allowed=(0, 1))
_PRODUCT_ID = FieldSpec("product_id", _TEXT, "Product ID", "Product ID as in your product feed.", "430738",
                        required=True)
_UNIT_PRICE = FieldSpec("unit_price", _TEXT, "Unit price", "Price of one item.", "201.95", required=True,
                        numbers_ok=True)
_QUANTITY = FieldSpec("quantity", FieldType.NUMBER, "Quantity", "How many of this item.", 1, required=True)
_CURRENCY = FieldSpec("price_currency_code", FieldType.CURRENCY, "Currency", "ISO 4217 code.", "USD")


@dataclass(frozen=True, slots=True)
class TrackerEventSpec:
    """One tracker event: its event object (`object_key`) holds `fields` directly and, under `container`,
    one item (Shape.OBJECT) or a list of items (Shape.LIST) described by `item_fields`. ProductUpdate's
    event object is itself the list (`container` None, `shape` LIST); CustomerData has none."""

    name: str
    title: str
    description: str
    object_key: str | None
    shape: Shape = Shape.OBJECT  # of the event object
    fields: tuple[FieldSpec, ...] = ()  # keys of the event object itself (GUID, OrderNumber, search)
    container: str | None = None  # "Product", "Products", "Category"
    container_shape: Shape = Shape.OBJECT
    item_fields: tuple[FieldSpec, ...] = ()
    string_lists: tuple[str, ...] = ()  # item keys whose value is an array of strings (category_id)
    tags: bool = True  # a `Tags` object of arrays of strings is allowed in the event object
    empty_allowed: bool = False  # an empty item list means something (an emptied cart)
    visitor: bool = True  # about a visitor (not ProductUpdate, about the catalog): who it is matters
    example_items: int = 1

    def item_field(self, key: str) -> FieldSpec | None:
        return next((spec for spec in self.item_fields if spec.name == key), None)

    def field(self, key: str) -> FieldSpec | None:
        return next((spec for spec in self.fields if spec.name == key), None)


TRACKER_EVENTS: tuple[TrackerEventSpec, ...] = (
    TrackerEventSpec(
        "ProductPage", "Product page", "The shopper views a product card (recommendations, abandoned browse).",
        "ProductPage", container="Product", item_fields=(_PRODUCT_KEY, _PRICE, _IN_STOCK),
    ),
    TrackerEventSpec(
        "StatusCart", "Cart status",
        "The cart changed: every product now in it, with a new GUID per cart state; an empty list empties it.",
        "StatusCart",
        fields=(FieldSpec("GUID", _TEXT, "Cart GUID", "Names this cart state; a new one whenever the content "
                          "changes, the last one carried into PurchasedItems.",
                          "6F9619FF-8B86-D011-B42D-00CF4FC964FF", required=True),),
        container="Products", container_shape=Shape.LIST,
        item_fields=(_PRODUCT_KEY, _PRICE,
                     FieldSpec("discount", _TEXT, "Discount", "Discount per item.", "180", numbers_ok=True),
                     _QUANTITY, _CURRENCY),
        empty_allowed=True, example_items=2,
    ),
    TrackerEventSpec(
        "AddToWishlist", "Added to wishlist", "The shopper adds a product to the wishlist.",
        "AddToWishlist", container="Product", item_fields=(_PRODUCT_KEY, _PRICE, _IN_STOCK),
    ),
    TrackerEventSpec(
        "PurchasedItems", "Purchased items", "An order was placed: what was bought (stops abandoned-cart triggers).",
        "PurchasedItems",
        fields=(FieldSpec("OrderNumber", _TEXT, "Order number", "The order's number; confirms the purchase.",
                          "123/2017", required=True),
                FieldSpec("GUID", _TEXT, "Cart GUID", "The last StatusCart's GUID (the eS.js page requires it; the "
                          "REST page's example has none).", "6F9619FF-8B86-D011-B42D-00CF4FC964FF")),
        container="Products", container_shape=Shape.LIST, item_fields=(_PRODUCT_ID, _UNIT_PRICE, _QUANTITY),
        example_items=2,
    ),
    TrackerEventSpec(
        "ProductImpressions", "Product impressions",
        "A recommendation block was shown (Yespo's script sends it already; send it only without the script).",
        "ProductImpressions", container="Products", container_shape=Shape.LIST,
        item_fields=(_PRODUCT_ID, FieldSpec("container_type", _TEXT, "Block", "The recommendation block's number.",
                                            "1253", required=True)),
        example_items=2,
    ),
    TrackerEventSpec(
        "CategoryPage", "Category page", "The shopper views a category (or the site without a product card).",
        "CategoryPage", container="Category",
        item_fields=(FieldSpec("categoryKey", _TEXT, "Category key", "Category ID as in your product feed.",
                               "509876", required=True),),
    ),
    TrackerEventSpec(
        "CustomerData", "Customer data",
        "Who the visitor is (GeneralInfo only): send the email at registration, in the account and after an order.",
        None, tags=False,
    ),
    TrackerEventSpec(
        "SearchRequest", "Search request", "A search found nothing: its text (for triggers).", "SearchRequest",
        fields=(FieldSpec("search", _TEXT, "Search text", "The value from the search line.", "green mug",
                          required=True),
                FieldSpec("isFound", FieldType.FLAG, "Found", "1 found something, 0 nothing.", 0, allowed=(0, 1))),
        tags=False,
    ),
    TrackerEventSpec(
        "ProductUpdate", "Product update", "Product data updated in real time, between feed updates.",
        "ProductUpdate", shape=Shape.LIST,
        item_fields=(_PRODUCT_ID, FieldSpec("isInStock", FieldType.FLAG, "In stock", "1 in stock, 0 out of stock.",
                                            1, required=True, allowed=(0, 1)),
                     FieldSpec("unit_price", _TEXT, "Unit price", "Price of one item.", "201.95", numbers_ok=True),
                     FieldSpec("name", _TEXT, "Name", "Product name.", "iPhone 7"),
                     FieldSpec("brand", _TEXT, "Brand", "Brand name.", "Apple"),
                     FieldSpec("category", _TEXT, "Category path", "Categories from the top, separated by >.",
                               "Phones > Apple"),
                     FieldSpec("description", _TEXT, "Description", "Product description.", "Some description"),
                     FieldSpec("imgurl", FieldType.URL, "Image URL", "The product's picture.",
                               "https://example.com/p/iphone7.png"),
                     FieldSpec("url", FieldType.URL, "URL", "The product's page.", "https://example.com/p/iphone7"),
                     _CURRENCY),
        string_lists=("category_id",), tags=False, visitor=False,
    ),
)
TRACKER_SPECS: dict[str, TrackerEventSpec] = {spec.name: spec for spec in TRACKER_EVENTS}
TRACKER_EVENT_NAMES: tuple[str, ...] = tuple(TRACKER_SPECS)

# What the page gets wrong about names, read from its own text (each pair: the wrong name, the right one).
# The parameter tables give PurchasedItems and CustomerData the eventName "StatusCart", CategoryPage "ProductPage".
PAGE_TABLE_EVENT_NAMES: dict[str, str] = {"PurchasedItems": "StatusCart", "CustomerData": "StatusCart",
                                          "CategoryPage": "ProductPage"}
# The page's ProductImpressions example names its event object "ProductImpression".
PAGE_EXAMPLE_OBJECT_KEYS: dict[str, str] = {"ProductImpression": "ProductImpressions"}


def event_object_keys() -> frozenset[str]:
    """Every key that names an event object, including the page's misspelt one."""
    keys = {spec.object_key for spec in TRACKER_EVENTS if spec.object_key}
    return frozenset(keys | set(PAGE_EXAMPLE_OBJECT_KEYS))


def is_tag_name(key: str) -> bool:
    return key.startswith(TAG_PREFIX) and len(key) > len(TAG_PREFIX)


def example_general_info(event_name: str, *, site_id: str = "8A412DC") -> dict[str, Any]:
    info: dict[str, Any] = {"eventName": event_name, "siteId": site_id}
    for spec in GENERAL_FIELDS[2:]:
        info[spec.name] = spec.example
    info[COOKIES] = {SC_COOKIE: EXAMPLE_SC}
    return info
