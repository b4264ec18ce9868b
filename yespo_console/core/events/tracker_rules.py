"""The inspector for the tracker format (core.events.tracker_catalog): one body, and a sequence of bodies.

`inspect_tracker_body` reads wire text as `inspect_body` does (text problems are the same findings) and judges
the parsed body: GeneralInfo (eventName matching the event object, siteId, datetime in milliseconds, who the
visitor is), the event object against the catalog (required fields, types, `tag_` extras as arrays of strings)
and the known inconsistencies between the page and Yespo's integrations, reported as warnings naming both
sources. `check_sequence` judges what only several bodies show: a cart's GUID changing with its content and the
last one carried into PurchasedItems. `detect_format` tells the two wire formats apart; `inspect_wire` judges
either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from yespo_console.core.events.catalog import FieldSpec, FieldType, Shape
from yespo_console.core.events.diagnostics import inspect_body, loads_strict
from yespo_console.core.events.findings import ROOT, ApiVersion, Finding, Report, Severity
from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.core.events.rules import type_name
from yespo_console.core.events.tracker_catalog import (
    COOKIES,
    GENERAL_INFO,
    GENERAL_SPECS,
    MIN_MILLISECONDS,
    PAGE_EXAMPLE_OBJECT_KEYS,
    PAGE_TABLE_EVENT_NAMES,
    TAGS,
    TRACKER_SPECS,
    TrackerEventSpec,
    event_object_keys,
    is_tag_name,
)
from yespo_console.core.events.tracker_identity import VisitorIdentity, resolve_visitor

WireFormat = Literal["event", "tracker"]
FORMATS: tuple[WireFormat, ...] = ("event", "tracker")
ORDER_ID = "TrackedOrderId"
_LOWER_NAMES = {name.lower(): name for name in TRACKER_SPECS}


@dataclass(frozen=True, slots=True)
class TrackerReport(Report):
    """A `Report` of a tracker body: its event type is GeneralInfo.eventName; the visitor's identifiers stand
    in for keyValue (the first usable contact identifier, else the sc cookie)."""

    identity: VisitorIdentity | None = None

    @property
    def event_type(self) -> str | None:
        info = self.body.get(GENERAL_INFO) if self.body is not None else None
        name = info.get("eventName") if isinstance(info, dict) else None
        return name if isinstance(name, str) else None

    @property
    def key_value(self) -> str | None:
        if self.identity is None:
            return None
        contact = self.identity.contact
        return contact.value if contact is not None else self.identity.cookie

    @property
    def key_value_source(self) -> str | None:
        if self.identity is None:
            return None
        contact = self.identity.contact
        return contact.name if contact is not None else ("sc" if self.identity.cookie else None)

    def as_dict(self) -> dict[str, Any]:
        # The explicit form: a slots dataclass is a new class, so the bare super() finds no __class__ cell.
        data = super(TrackerReport, self).as_dict()
        data.pop("eventTypeKey")
        return {"format": "tracker", "eventName": self.event_type, **data,
                "visitor": [{"name": c.name, "value": c.value, "state": "usable" if c.usable else str(c.state)}
                            for c in (self.identity.candidates if self.identity else ())]}


def _short(text: str, limit: int = 60) -> str:
    """A stranger's text quoted for a message, cut to `limit` characters."""
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


@dataclass
class _Checks:
    findings: list[Finding] = field(default_factory=list)

    def add(self, severity: Severity, code: str, path: str, message: str, hint: str = "") -> None:
        self.findings.append(Finding.of(severity, code, path, message, hint))

    def error(self, code: str, path: str, message: str, hint: str = "") -> None:
        self.add(Severity.ERROR, code, path, message, hint)

    def warn(self, code: str, path: str, message: str, hint: str = "") -> None:
        self.add(Severity.WARNING, code, path, message, hint)

    # -- GeneralInfo -------------------------------------------------------------------------------

    def general_info(self, body: dict[str, Any]) -> dict[str, Any] | None:
        info = body.get(GENERAL_INFO)
        if info is None:
            self.error("tracker.general_info.missing", ROOT, "No GeneralInfo object: the tracker cannot tell the "
                       "event, the site or the visitor.", 'Add "GeneralInfo": {"eventName": ..., "siteId": ..., '
                       '"cookies": {"sc": ...}}.')
            return None
        if not isinstance(info, dict):
            self.error("tracker.general_info.not_object", GENERAL_INFO, f"GeneralInfo is {type_name(info)}; it must "
                       "be a JSON object.")
            return None
        site = info.get("siteId")
        if site is None or site == "":
            self.error("tracker.site_id.missing", f"{GENERAL_INFO}.siteId", "No siteId: the tracker cannot tell "
                       "which site the event belongs to.", "Ask Yespo support for the site ID (WooCommerce reads it "
                       "from POST /api/v1/site/domains).")
        elif not isinstance(site, str):
            self.error("tracker.site_id.not_string", f"{GENERAL_INFO}.siteId", f"siteId is {type_name(site)}; the "
                       "page types it a string.", f"Send {_short(str(site))}.")
        self._datetime(info)
        for key, value in info.items():
            spec = GENERAL_SPECS.get(key)
            if spec is not None and spec.type is not FieldType.NUMBER and value is not None \
                    and not isinstance(value, str) and key not in ("eventName", "siteId"):
                self.error("tracker.field.wrong_type", f"{GENERAL_INFO}.{key}", f"{key} is {type_name(value)}; the "
                           "page types it a string.")
            elif spec is None and key != COOKIES:
                self.warn("tracker.general_info.unknown_key", f"{GENERAL_INFO}.{key}", f"{_short(key)} is not a "
                          "GeneralInfo field the page documents.")
        return info

    def _datetime(self, info: dict[str, Any]) -> None:
        if "datetime" not in info:
            return
        value, path = info["datetime"], f"{GENERAL_INFO}.datetime"
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error("tracker.datetime.not_number", path, f"datetime is {type_name(value)}; the page sends epoch "
                       "milliseconds as a number.", "Send e.g. 1579622183208.")
        elif 0 < value < MIN_MILLISECONDS:
            self.error("tracker.datetime.seconds", path, f"datetime {value} looks like epoch seconds; the tracker "
                       "reads milliseconds, so this is a moment in January 1970 (a classic bug: PHP time(), "
                       "Python time.time()).", f"Send {int(value * 1000)} (seconds × 1000).")

    def identity(self, info: dict[str, Any]) -> VisitorIdentity:
        identity = resolve_visitor({GENERAL_INFO: info})
        cookies = info.get(COOKIES)
        if isinstance(cookies, str):
            self.warn("tracker.cookies.string", f"{GENERAL_INFO}.cookies", "cookies is a string; the page allows "
                      "that but every example sends an object.", 'Send {"sc": "<cookie>"}.')
        if not identity.known:
            self.error("tracker.identity.none", GENERAL_INFO, "Neither an sc cookie nor a contact identifier: the "
                       "tracker cannot tie this event to a visitor or a contact.",
                       "Send cookies.sc (Yespo's script sets it) and, when known, user_email or externalCustomerId.")
        elif identity.cookie is None:
            self.warn("tracker.cookies.missing", f"{GENERAL_INFO}.cookies", "No sc cookie, which the page marks "
                      "required: the event is not tied to the visitor's browsing on the site.",
                      'Read the "sc" cookie from the shopper\'s request and send {"sc": "<value>"}.')
        return identity

    def event_name(self, info: dict[str, Any], body: dict[str, Any]) -> TrackerEventSpec | None:
        name = info.get("eventName")
        path = f"{GENERAL_INFO}.eventName"
        objects = [key for key in body if key in event_object_keys()]
        if name is None or name == "":
            self.error("tracker.event_name.missing", path, "No eventName.",
                       f"Send the name of the event object{': ' + repr(objects[0]) if objects else ''}.")
            return None
        if not isinstance(name, str):
            self.error("tracker.event_name.not_string", path, f"eventName is {type_name(name)}; it must be a string.")
            return None
        spec = TRACKER_SPECS.get(name)
        if spec is None:
            right = _LOWER_NAMES.get(name.lower())
            if right is not None:
                self.error("tracker.event_name.case", path, f"eventName {name!r} differs from {right!r} in case.",
                           f"Send {right!r}.")
                return TRACKER_SPECS[right]
            self.error("tracker.event_name.unknown", path, f"{_short(name)} is not a tracker event the page documents.",
                       "One of: " + ", ".join(TRACKER_SPECS) + ".")
            return None
        real = [key for key in objects if key != name and PAGE_EXAMPLE_OBJECT_KEYS.get(key) != name]
        if spec.object_key is None or spec.object_key in body or not real:
            return spec
        actual = PAGE_EXAMPLE_OBJECT_KEYS.get(real[0], real[0])
        if PAGE_TABLE_EVENT_NAMES.get(actual) == name:
            self.error("tracker.event_name.page_table", path, f"eventName {name!r} with a {real[0]} object: the "
                       f"page's parameter table for {actual} names eventName {name!r} by mistake (its example says "
                       f"{actual!r}).", f"Send {actual!r}.")
        else:
            self.error("tracker.event_object.mismatch", path, f"eventName {name!r} but the event object is "
                       f"{real[0]!r}: they must name the same event.", f"Send eventName {actual!r} or a {name} object.")
        return TRACKER_SPECS.get(actual)

    # -- the event object ----------------------------------------------------------------------------

    def event_object(self, spec: TrackerEventSpec, body: dict[str, Any]) -> None:
        key = spec.object_key
        if key is None:
            return
        value = body.get(key)
        if value is None:
            misspelt = next((k for k, right in PAGE_EXAMPLE_OBJECT_KEYS.items() if right == key and k in body), None)
            if misspelt is not None:
                self.warn("tracker.event_object.page_example", misspelt, f"The event object is {misspelt!r}, as in "
                          f"the page's example; its table (and eventName) say {key!r}. Which one the tracker reads "
                          "is not documented.", f"Name it {key!r}, matching eventName.")
                key, value = misspelt, body[misspelt]
            else:
                self.error("tracker.event_object.missing", ROOT, f"No {key} object beside GeneralInfo.",
                           f"Add \"{key}\": the event's data.")
                return
        if spec.shape is Shape.LIST:
            self._items(spec, key, value)
            return
        if not isinstance(value, dict):
            self.error("tracker.event_object.not_object", key, f"{key} is {type_name(value)}; it must be an object.")
            return
        self._fields(spec.fields, value, key, spec, container=False)
        if spec.name == "PurchasedItems":
            self._purchase(body, value, key)
        if spec.tags and TAGS in value:
            self._tags(value[TAGS], f"{key}.{TAGS}")
        if spec.container is not None:
            inner = value.get(spec.container)
            where = f"{key}.{spec.container}"
            if inner is None:
                self.error("tracker.field.missing", where, f"No {spec.container} in {key}.")
            elif spec.container_shape is Shape.LIST:
                self._items(spec, where, inner)
            elif not isinstance(inner, dict):
                self.error("tracker.event_object.not_object", where, f"{spec.container} is {type_name(inner)}; it "
                           "must be an object.")
            else:
                self._fields(spec.item_fields, inner, where, spec, container=True)

    def _items(self, spec: TrackerEventSpec, where: str, items: Any) -> None:
        if not isinstance(items, list):
            self.error("tracker.items.not_list", where, f"{where} is {type_name(items)}; it must be a list.")
            return
        if not items and not spec.empty_allowed:
            self.error("tracker.items.empty", where, f"{where} is empty.")
        for index, item in enumerate(items):
            path = f"{where}[{index}]"
            if not isinstance(item, dict):
                self.error("tracker.item.not_object", path, f"The item is {type_name(item)}; it must be an object.")
            else:
                self._fields(spec.item_fields, item, path, spec, container=True)

    def _fields(self, specs: Iterable[FieldSpec], obj: dict[str, Any], where: str, spec: TrackerEventSpec, *,
                container: bool) -> None:
        known = {s.name: s for s in specs}
        for required in known.values():
            if not required.required or obj.get(required.name) not in (None, ""):
                continue
            if required.name == "GUID":
                self.error("tracker.guid.missing", f"{where}.GUID", f"GUID is required: {required.help}",
                           "Send a new random GUID whenever the cart's content changes.")
            else:
                self.error("tracker.field.missing", f"{where}.{required.name}",
                           f"{required.name} is required: {required.help}")
        for key, value in obj.items():
            path = f"{where}.{key}"
            field_spec = known.get(key)
            if field_spec is not None:
                self._value(field_spec, value, path)
            elif is_tag_name(key) or key in spec.string_lists:
                self._tag_values(value, path)
            elif container:
                if spec.name == "PurchasedItems" and key == "productKey":
                    continue  # named by _purchase
                self.warn("tracker.tag.prefix", path, f"{_short(key)} is not a field of {spec.name}; the page requires "
                          f"the tag_ prefix for extra fields.", f"Send it as \"tag_{key[:60]}\": [\"...\"].")

    def _value(self, spec: FieldSpec, value: Any, path: str) -> None:
        if spec.type is FieldType.FLAG:
            if isinstance(value, str) and value in ("0", "1"):
                self.warn("tracker.in_stock.string", path, f"{spec.name} is the string {value!r}; the page types it "
                          f"an int and shows \"1\" in its examples. Both are sent by real shops.")
            elif value not in spec.allowed or isinstance(value, bool):  # type: ignore[operator]
                self.error("tracker.field.out_of_range", path, f"{spec.name} is {json.dumps(value)[:40]}; it is 0 "
                           "or 1.")
        elif spec.type is FieldType.NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.error("tracker.field.wrong_type", path, f"{spec.name} is {type_name(value)}; send a number.")
        elif spec.numbers_ok and isinstance(value, int | float) and not isinstance(value, bool):
            self.warn("tracker.price.number", path, f"{spec.name} is a number; the page types it a string but "
                      "shows numbers in its examples, and integrations send both.")
        elif not isinstance(value, str):
            self.error("tracker.field.wrong_type", path, f"{spec.name} is {type_name(value)}; send a string.")

    def _tag_values(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.error("tracker.tag.not_list", path, f"{path.rsplit('.', 1)[-1]} is {type_name(value)}; extra fields "
                       "are arrays of strings.", f"Send [{json.dumps(str(value))[:40]}].")
            return
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self.error("tracker.tag.item_not_string", f"{path}[{index}]", f"The item is {type_name(item)}; "
                           "extra fields are arrays of strings.")

    def _tags(self, tags: Any, path: str) -> None:
        if not isinstance(tags, dict):
            self.error("tracker.tags.not_object", path, f"Tags is {type_name(tags)}; it is an object of arrays of "
                       "strings.")
            return
        for key, value in tags.items():
            self._tag_values(value, f"{path}.{key}")

    def _purchase(self, body: dict[str, Any], value: dict[str, Any], key: str) -> None:
        products = value.get("Products")
        for index, item in enumerate(products if isinstance(products, list) else ()):
            if isinstance(item, dict) and "productKey" in item and "product_id" not in item:
                self.warn("tracker.purchase.product_key", f"{key}.Products[{index}].productKey", "productKey in "
                          "PurchasedItems, as the Shopify app sends it; the page, WooCommerce and OpenCart send "
                          "product_id. Which one the tracker matches with StatusCart's productKey is not documented.",
                          "Send product_id (and keep productKey if Shopify's behaviour is wanted).")
        if "GUID" not in value:
            self.warn("tracker.purchase.guid_missing", f"{key}.GUID", "No GUID: the eS.js page requires the last "
                      "StatusCart GUID here to link the cart with the order; the REST page's example has none.",
                      "Send the GUID of the last StatusCart.")
        inside, top = ORDER_ID in value, ORDER_ID in body
        if inside or top:
            where = f"{key}.{ORDER_ID}" if inside else ORDER_ID
            self.warn("tracker.order_id.placement", where, f"{ORDER_ID} (not on the page) sits "
                      f"{'inside PurchasedItems, as OpenCart sends it' if inside else 'at the top level, as WooCommerce and Shopify send it'}"  # noqa: E501
                      f"; the {'WooCommerce and Shopify integrations put it at the top level' if inside else 'OpenCart modules put it inside PurchasedItems'}.")  # noqa: E501


def _judge(body: Any, size: int) -> TrackerReport:
    checks = _Checks()
    if not isinstance(body, dict):
        checks.error("body.not_object", ROOT, f"The body is {type_name(body)}; it must be a JSON object.",
                     'Send {"GeneralInfo": {...}, "<eventName>": {...}}.')
        return TrackerReport(tuple(checks.findings), size=size)
    info = checks.general_info(body)
    if info is None:
        return TrackerReport(tuple(checks.findings), body, size=size)
    spec = checks.event_name(info, body)
    identity = checks.identity(info) if spec is None or spec.visitor else resolve_visitor(body)
    if spec is not None:
        checks.event_object(spec, body)
    return TrackerReport(tuple(checks.findings), body, size=size, identity=identity)


def inspect_tracker(obj: object, *, size: int | None = None) -> TrackerReport:
    """Judge an already parsed tracker body."""
    if size is None:
        size = len(json.dumps(obj, ensure_ascii=False, default=str).encode("utf-8", "surrogatepass"))
    return _judge(obj, size)


def _parsed(data: str | bytes) -> tuple[Any, int, bool] | None:
    """(the body, its size, whether it started with a BOM), or None when the text is not a JSON document."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        return None
    size = len(data) if isinstance(data, bytes) else len(text.encode("utf-8", "surrogatepass"))
    bom = text.startswith("\ufeff")
    try:
        return loads_strict(text.removeprefix("\ufeff")), size, bom
    except (ValueError, RecursionError):
        return None


def inspect_tracker_body(data: str | bytes) -> Report:
    """Judge tracker wire text. Text that is not a JSON document gets the same findings as `inspect_body`."""
    parsed = _parsed(data)
    if parsed is None:  # unreadable text: its findings do not depend on the format
        unread = inspect_body(data)
        return TrackerReport(unread.findings, size=unread.size)
    body, size, bom = parsed
    report = _judge(body, size)
    if not bom:
        return report
    leading = Finding.of(Severity.WARNING, "body.bom", ROOT, "The body starts with a byte order mark.",
                         "Save it as UTF-8 without BOM: some parsers refuse it.")
    return TrackerReport((leading, *report.findings), report.body, size=size, identity=report.identity)


_TRACKER_TEXT = re.compile(rb'"GeneralInfo"\s*:')


def detect_format(data: str | bytes | dict[str, Any]) -> WireFormat:
    """"tracker" for a body with a GeneralInfo object (or, unreadable, with that key in its text) and no
    eventTypeKey; "event" otherwise."""
    if isinstance(data, dict):
        body: Any = data
    else:
        parsed = _parsed(data)
        if parsed is None:
            raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
            return "tracker" if _TRACKER_TEXT.search(raw[:65536]) and b'"eventTypeKey"' not in raw else "event"
        body = parsed[0]
    if isinstance(body, dict) and "eventTypeKey" not in body and (
            GENERAL_INFO in body or any(key in event_object_keys() for key in body)):
        return "tracker"
    return "event"


def inspect_wire(data: str | bytes, *, wire_format: WireFormat | None = None, api_version: ApiVersion = "v2",
                 profile: Profile = BUILTIN) -> Report:
    """Judge a body in either format: `wire_format`, else the one `detect_format` finds."""
    if (wire_format or detect_format(data)) == "tracker":
        return inspect_tracker_body(data)
    return inspect_body(data, api_version=api_version, profile=profile)


def report_format(report: Report) -> WireFormat:
    return "tracker" if isinstance(report, TrackerReport) else "event"


# -- several bodies: a cart's life ---------------------------------------------------------------------


def _cart(obj: dict[str, Any], id_key: str) -> tuple[Any, list[tuple[str, Any]]]:
    """(the GUID, the (product, quantity) pairs) of a StatusCart or PurchasedItems object."""
    products = obj.get("Products")
    items = [(str(item.get(id_key, item.get("productKey"))), item.get("quantity"))
             for item in (products if isinstance(products, list) else ()) if isinstance(item, dict)]
    return obj.get("GUID"), sorted(items, key=repr)


def check_sequence(bodies: Sequence[Any], labels: Sequence[str] | None = None) -> tuple[Finding, ...]:
    """Findings over parsed tracker bodies in the order they were sent: a cart whose content changed but not
    its GUID, a purchase without the last cart's GUID or with products that were never in it, and a cart left
    with products and no purchase (which is what starts an abandoned-cart trigger). Paths and messages name a
    body by its label (`labels`, default `#1`, `#2`, ...): `#3.StatusCart.GUID`; an empty label leaves the path
    as it is in the body."""
    checks = _Checks()
    names = list(labels) if labels is not None else [f"#{n}" for n in range(1, len(bodies) + 1)]

    def at(index: int, path: str) -> str:
        return f"{names[index - 1]}.{path}" if names[index - 1] else path

    last: tuple[int, Any, list[tuple[str, Any]]] | None = None
    for index, body in enumerate(bodies, 1):
        if not isinstance(body, dict):
            continue
        cart, purchase = body.get("StatusCart"), body.get("PurchasedItems")
        if isinstance(cart, dict):
            guid, items = _cart(cart, "productKey")
            if last is not None and guid == last[1] and guid and items != last[2]:
                checks.error("tracker.sequence.guid_unchanged", at(index, "StatusCart.GUID"), f"The cart's content "
                             f"changed since body {names[last[0] - 1]} but its GUID {str(guid)[:60]!r} did not.",
                             "Send a new GUID with every change of the cart.")
            last = (index, guid, items)
        elif isinstance(purchase, dict):
            guid, bought = _cart(purchase, "product_id")
            if last is None:
                continue
            if last[1] and guid != last[1]:
                found = f"GUID {str(guid)[:60]!r}" if guid else "no GUID"
                checks.warn("tracker.sequence.guid_not_carried", at(index, "PurchasedItems.GUID"), f"The purchase "
                            f"has {found}; the last cart (body {names[last[0] - 1]}) had {str(last[1])[:60]!r}.",
                            "Carry the last StatusCart GUID into PurchasedItems.")
            in_cart = {product for product, _ in last[2]}
            for product, _ in bought:
                if product not in in_cart:
                    checks.warn("tracker.sequence.product_not_in_cart", at(index, "PurchasedItems.Products"),
                                f"Product {product[:60]!r} was bought but is not in the last cart (body "
                                f"{names[last[0] - 1]}): product_id should match StatusCart's productKey.")
            last = None
    if last is not None and last[2]:
        checks.warn("tracker.sequence.abandoned", at(last[0], "StatusCart"), "The last cart holds products and no "
                    "PurchasedItems follows: an abandoned-cart trigger would start for this visitor.")
    return tuple(checks.findings)
