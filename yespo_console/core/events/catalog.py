"""The one declarative description of Yespo's event types.

Forms, the payload builder, the diagnostics and the examples all read this module; nothing else
knows which params an event has. docs/api-facts.md lists the facts it encodes (event types and nested fields,
limits, locator order) and their public sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    STRING = "string"
    NUMBER = "number"  # a JSON number (the doc's Double/Decimal)
    FLAG = "flag"  # 0 or 1 (the doc's Int with two values)
    CURRENCY = "currency"  # ISO 4217 code
    URL = "url"
    EMAIL = "email"
    PHONE = "phone"


class Shape(StrEnum):
    """What a param's `value` holds."""

    SCALAR = "scalar"
    OBJECT = "object"  # one nested JSON object (product, page, category)
    LIST = "list"  # a JSON list of objects (products)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A scalar: a top-level param (`search`) or a key inside a nested value (`price`)."""

    name: str
    type: FieldType
    label: str
    help: str
    example: Any
    required: bool = False
    allowed: tuple[Any, ...] | None = None
    pattern: str | None = None  # a regular expression the whole (string) value must match
    pattern_hint: str = ""  # the pattern in words, for messages and placeholders
    numbers_ok: bool = False  # a string field that real senders fill with a number, which is fine


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One documented entry of `params`."""

    name: str
    shape: Shape
    label: str
    help: str
    required: bool = False
    field: FieldSpec | None = None  # the scalar for SCALAR params
    fields: tuple[FieldSpec, ...] = ()  # the keys of the object (or of each list item)
    extra_properties: bool = False  # other keys allowed: "someProductProperty" arrays of strings
    extra_example: tuple[tuple[str, Any], ...] = ()  # extra properties in the example
    example_items: int = 1  # list params: items in the example
    empty_allowed: bool = False  # list params: an empty list is meaningful (a cleared cart)
    sent_instead: str = ""  # a param a real sender puts where this one belongs (the mobile SDK's cartId)

    def nested_field(self, key: str) -> FieldSpec | None:
        for spec in self.fields:
            if spec.name == key:
                return spec
        return None


@dataclass(frozen=True, slots=True)
class EventSpec:
    key: str
    title: str
    description: str
    params: tuple[ParamSpec, ...] = ()
    example_locators: tuple[str, ...] = ("email", "phone")

    @property
    def documented(self) -> bool:
        return self.key != CUSTOM_EVENT

    def param(self, name: str) -> ParamSpec | None:
        for spec in self.params:
            if spec.name == name:
                return spec
        return None


CUSTOM_EVENT = "custom"

# keyValue is taken from the first usable one of these, in this order (the main doc).
LOCATOR_PRIORITY: tuple[str, ...] = ("contactId", "externalCustomerId", "email", "phone", "pushToken")

LOCATORS: tuple[FieldSpec, ...] = (
    FieldSpec("contactId", FieldType.STRING, "Contact ID",
              "Yespo's own contact ID. Highest priority locator.", "123456789"),
    FieldSpec("externalCustomerId", FieldType.STRING, "External customer ID",
              "Your system's customer ID (External ID in Yespo). Empty, blank or \"null\" is ignored.",
              "CUST-0001"),
    FieldSpec("email", FieldType.EMAIL, "Email", "Email address. Locator to map an event to a contact.",
              "example@email.com"),
    FieldSpec("phone", FieldType.PHONE, "Phone",
              "Phone number in the international format (digits with the country code).", "380501234567"),
    FieldSpec("pushToken", FieldType.STRING, "Push token", "Web or mobile push token. Lowest priority locator.",
              "fcm:APA91bExampleToken"),
)
LOCATOR_SPECS: dict[str, FieldSpec] = {spec.name: spec for spec in LOCATORS}

# The standard locator names, lower-cased: Yespo compares them case-insensitively, so `Email` is the email locator.
LOCATOR_NAMES_LOWER: dict[str, str] = {name.lower(): name for name in LOCATOR_PRIORITY}

# Exactly the other names event segmentation documents for the contact data, lower-cased (it compares them
# case-insensitively); they are not in the locator order that feeds keyValue.
LOCATOR_ALIASES: dict[str, str] = {
    "contact_id": "contactId",
    "emailaddress": "email", "useremail": "email", "contactemail": "email",
    "sms": "phone", "phonenumber": "phone",
}
# ContactKey/Contact_key name an additional contact field called ContactKey, which is not the contact ID.
CONTACT_KEY_NAMES: frozenset[str] = frozenset({"contactkey", "contact_key"})

# Limits of the v2 envelope (docs/api-facts.md, "The v2 body").
EVENT_TYPE_MAX = 100
KEY_VALUE_MAX = 300
PARAM_NAME_MAX = 100
BODY_MAX_BYTES = 20 * 1024
# The currencies the documentation lists as supported; any other ISO 4217 code is accepted, with a warning.
SUPPORTED_CURRENCIES: tuple[str, ...] = ("USD", "EUR", "UAH")
FORBIDDEN_KEY_CHARS = "<;'\\/|\"`^?!,>\u2019"  # the last is the right single quotation mark ’

_PRODUCT_ID = FieldSpec("productId", FieldType.STRING, "Product ID", "Product ID as in your product feed.",
                        "WS01-L-Green", required=True)
_PRICE = FieldSpec("price", FieldType.NUMBER, "Price", "Price of one item, a number (45.5, not \"45.5\").",
                   45.5, required=True)
_IN_STOCK = FieldSpec("isInStock", FieldType.FLAG, "In stock", "Availability: 1 in stock, 0 out of stock.",
                      1, allowed=(0, 1))
_CURRENCY = ParamSpec(
    "currencyCode", Shape.SCALAR, "Currency",
    "Currency code in the ISO 4217 format. If not set, the organization's default is used.",
    field=FieldSpec("currencyCode", FieldType.CURRENCY, "Currency", "ISO 4217 code such as USD, EUR, UAH.",
                    "USD", pattern=r"[A-Z]{3}", pattern_hint="three capital letters (ISO 4217)"),
)


def _product(description: str) -> ParamSpec:
    """The `product` param of productViewed and productAddedToWishlist: one product with extra properties."""
    return ParamSpec("product", Shape.OBJECT, "Product", description, required=True,
                     fields=(_PRODUCT_ID, _PRICE, _IN_STOCK), extra_properties=True,
                     extra_example=(("someProductProperty", ["green"]),))


EVENTS: tuple[EventSpec, ...] = (
    EventSpec(
        "pageViewed", "Page viewed", "A contact views any page or opens a mobile deep link.",
        params=(
            ParamSpec("page", Shape.OBJECT, "Page", "Page data: its location.", required=True,
                      fields=(FieldSpec("location", FieldType.URL, "Location", "Page URL or deep link.",
                                        "https://example.com", required=True),)),
        ),
    ),
    EventSpec(
        "productViewed", "Product viewed", "A contact views a product card; feeds recommendations.",
        params=(
            _product("Product data."),
            _CURRENCY,
        ),
    ),
    EventSpec(
        "productCategoryViewed", "Category viewed", "A contact views a list of products in a category.",
        params=(
            ParamSpec("category", Shape.OBJECT, "Category", "Category data.", required=True,
                      fields=(FieldSpec("productCategoryId", FieldType.STRING, "Category ID",
                                        "Category ID as in your product feed.", "Mugs", required=True),),
                      extra_properties=True),  # the mobile SDK adds attributes
        ),
    ),
    EventSpec(
        "cartUpdated", "Cart updated",
        "A contact changes the cart. The full list of products is sent every time; an empty list clears it.",
        params=(
            ParamSpec("products", Shape.LIST, "Cart items",
                      "Every product now in the cart. Required unless the cart is empty; [] clears the cart.",
                      required=True, empty_allowed=True,
                      fields=(
                          _PRODUCT_ID,
                          FieldSpec("quantity", FieldType.NUMBER, "Quantity", "Quantity of this item in the cart.",
                                    1, required=True),
                          _PRICE,
                          FieldSpec("name", FieldType.STRING, "Name", "Product name.", "Green T-shirt"),
                          FieldSpec("category", FieldType.STRING, "Category", "Product category.", "T-shirts"),
                          FieldSpec("discount", FieldType.STRING, "Discount", "Discount applied to a single item.",
                                    "5%", numbers_ok=True),  # the mobile SDK sends a number
                      ),
                      extra_properties=True, example_items=2),
            _CURRENCY,
            ParamSpec("recycleStateId", Shape.SCALAR, "Cart ID (recycleStateId)",
                      "A unique ID linking cart events and the purchase; random Latin letters and digits.",
                      required=True, sent_instead="cartId",
                      field=FieldSpec("recycleStateId", FieldType.STRING, "Cart ID",
                                      "A unique ID linking cart events and the purchase.",
                                      "d59c6e6d-4123-4b0e-8c32-15f0656a8c60", required=True)),
        ),
    ),
    EventSpec(
        "productImpressions", "Product impressions",
        "A recommendation block was displayed. The JS tracker sends it already; send it only to test.",
        params=(
            ParamSpec("recomVariantId", Shape.SCALAR, "Recommendation variant",
                      "The recommendation variant in the r{recomId}v{variantId} format.", required=True,
                      field=FieldSpec("recomVariantId", FieldType.STRING, "Recommendation variant",
                                      "r{recomId}v{variantId}, for example r123v1.", "r123v1", required=True,
                                      pattern=r"r\d+v\d+", pattern_hint="r<digits>v<digits>, e.g. r123v1")),
            ParamSpec("products", Shape.LIST, "Shown products", "The products shown in the block.",
                      required=True, fields=(_PRODUCT_ID,), example_items=2),
        ),
        example_locators=("phone",),
    ),
    EventSpec(
        "productAddedToWishlist", "Added to wishlist", "A contact added a product to the wishlist (favorites).",
        params=(
            _product("The product added to the wishlist."),
            _CURRENCY,
        ),
        example_locators=("phone",),
    ),
    EventSpec(
        "searchRequest", "Search request",
        "A search from the search line; send it when the search found nothing to trigger recommendations.",
        params=(
            ParamSpec("search", Shape.SCALAR, "Search text", "The value entered in the search box.",
                      required=True,
                      field=FieldSpec("search", FieldType.STRING, "Search text", "The value entered in the search box.",
                                      "green mug", required=True)),
            ParamSpec("isFound", Shape.SCALAR, "Found", "1 if the search found something, 0 if not (default 0).",
                      field=FieldSpec("isFound", FieldType.FLAG, "Found", "1 found, 0 nothing found (default).",
                                      0, allowed=(0, 1))),
        ),
        example_locators=("phone",),
    ),
)

_ORDER_DATE = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"
_ORDER_STATUSES = ("INITIALIZED", "IN_PROGRESS", "DELIVERED", "CANCELLED", "ABANDONED_SHOPPING_CART")


def _order_event(key: str, title: str, description: str, status: str) -> EventSpec:
    """The order events documented for v1 (docs/api-facts.md, "Orders"): one order with its items."""
    text = FieldType.STRING
    return EventSpec(
        key, title, description,
        params=(
            ParamSpec("externalOrderId", Shape.SCALAR, "Order ID", "The order's ID in your system.", required=True,
                      field=FieldSpec("externalOrderId", text, "Order ID", "The order's ID in your system.",
                                      "ORD-1001", required=True)),
            ParamSpec("totalCost", Shape.SCALAR, "Total cost", "The order's total, a number.", required=True,
                      field=FieldSpec("totalCost", FieldType.NUMBER, "Total cost", "The order's total, a number.",
                                      91.0, required=True)),
            ParamSpec("status", Shape.SCALAR, "Status", "The order's status.", required=True,
                      field=FieldSpec("status", text, "Status", "One of " + ", ".join(_ORDER_STATUSES) + ".",
                                      status, required=True, allowed=_ORDER_STATUSES)),
            ParamSpec("date", Shape.SCALAR, "Date", "When the order was placed: YYYY-MM-DDTHH:mm:ss.", required=True,
                      field=FieldSpec("date", text, "Date", "YYYY-MM-DDTHH:mm:ss, e.g. 2025-06-01T12:00:00.",
                                      "2025-06-01T12:00:00", required=True, pattern=_ORDER_DATE,
                                      pattern_hint="YYYY-MM-DDTHH:mm:ss")),
            ParamSpec("currency", Shape.SCALAR, "Currency", "ISO 4217 code; the account's default if not set.",
                      field=FieldSpec("currency", FieldType.CURRENCY, "Currency", "ISO 4217 code such as USD.",
                                      "USD", pattern=r"[A-Z]{3}", pattern_hint="three capital letters (ISO 4217)")),
            ParamSpec("items", Shape.LIST, "Items", "The products of the order.", required=True,
                      fields=(
                          FieldSpec("externalItemId", text, "Item ID", "Product ID as in your feed.", "WS01-L-Green",
                                    required=True),
                          FieldSpec("name", text, "Name", "Product name.", "Green T-shirt", required=True),
                          FieldSpec("category", text, "Category", "Product category.", "T-shirts"),
                          FieldSpec("quantity", FieldType.NUMBER, "Quantity", "How many were ordered.", 2,
                                    required=True),
                          FieldSpec("cost", FieldType.NUMBER, "Cost", "Price of one item, a number.", 45.5,
                                    required=True),
                          FieldSpec("url", FieldType.URL, "URL", "The product's page.",
                                    "https://example.com/p/ws01", required=True),
                          FieldSpec("imageUrl", FieldType.URL, "Image URL", "The product's picture.",
                                    "https://example.com/i/ws01.jpg", required=True),
                          FieldSpec("description", text, "Description", "A short description.", "Cotton, green"),
                      )),
        ),
    )


# Documented for v1 as generic events (D sending-orders-via-api.md; the how-use-v1event page).
ORDER_EVENTS: tuple[EventSpec, ...] = (
    _order_event("orderCreated", "Order created", "A contact placed an order.", "INITIALIZED"),
    _order_event("orderUpdated", "Order updated", "An order changed (status, items or total).", "IN_PROGRESS"),
    _order_event("orderDelivered", "Order delivered", "An order reached the contact.", "DELIVERED"),
    _order_event("orderCancelled", "Order cancelled", "An order was cancelled.", "CANCELLED"),
)

CUSTOM = EventSpec(
    CUSTOM_EVENT, "Custom event",
    "Any other event type key. An unknown key creates a new event type in Yespo. Only the envelope and the "
    "locators are checked.",
    example_locators=("email",),
)

# The event types of the built-in profile (core.events.profiles), which every profile starts from. Here rather than
# there: the command line lists these choices without loading the payload models.
BUILTIN_EVENT_KEYS: tuple[str, ...] = tuple(spec.key for spec in (*EVENTS, *ORDER_EVENTS))
EXAMPLE_KEYS: tuple[str, ...] = (*BUILTIN_EVENT_KEYS, CUSTOM_EVENT)


def is_locator(name: str) -> bool:
    return name in LOCATOR_SPECS
