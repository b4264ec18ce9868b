"""Example drafts for every event type, built from the catalog's example values, and example bodies of the
tracker format's events (core.events.tracker_catalog)."""

from __future__ import annotations

from typing import Any

from yespo_console.core.events.catalog import (
    CUSTOM,
    CUSTOM_EVENT,
    LOCATOR_SPECS,
    EventSpec,
    ParamSpec,
    Shape,
    is_locator,
)
from yespo_console.core.events.payload import Draft, ExtraParam
from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.core.events.tracker_catalog import (
    GENERAL_INFO,
    TRACKER_SPECS,
    TrackerEventSpec,
    example_general_info,
)

CUSTOM_EXAMPLE_TYPE = "passwordRecovery"


def _example_object(param: ParamSpec, number: int) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for spec in param.fields:
        example = spec.example
        if number and spec.name == "productId":
            example = f"{example}-{number + 1}"
        obj[spec.name] = example
    obj.update(dict(param.extra_example))
    return obj


def example_value(param: ParamSpec) -> Any:
    if param.shape is Shape.SCALAR:
        return param.field.example if param.field is not None else ""
    if param.shape is Shape.LIST:
        return [_example_object(param, number) for number in range(param.example_items)]
    return _example_object(param, 0)


def example_draft(event: str | EventSpec, profile: Profile = BUILTIN) -> Draft:
    """A valid, realistic draft of one of the profile's types, or of a custom event for "custom"."""
    if isinstance(event, EventSpec):
        spec = event
    elif event == CUSTOM_EVENT:
        spec = CUSTOM
    else:
        spec = profile.by_key[event]  # KeyError for an unknown type: the caller names the choices
    # A type that lists a locator among its params (AbandonedCart's externalCustomerId) gives its example value.
    own = {param.name: example_value(param) for param in spec.params if is_locator(param.name)}
    locators = {name: own.get(name, LOCATOR_SPECS[name].example) for name in (*spec.example_locators, *own)}
    key_value = locators.get("email") or locators.get("phone")
    if spec.key == CUSTOM_EVENT:
        return Draft(event_type=CUSTOM_EXAMPLE_TYPE, key_value=key_value, locators=locators,
                     extra_params=[ExtraParam(name="resetLink", value="https://example.com/reset/3f9a"),
                                   ExtraParam(name="expiresInHours", value="24")])
    return Draft(event_type=spec.key, key_value=key_value, locators=locators,
                 values={param.name: example_value(param) for param in spec.params if param.name not in own})


# -- the tracker format (core.events.tracker_catalog) ------------------------------------------------


def _tracker_item(spec: TrackerEventSpec, number: int) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for field in spec.item_fields:
        example = field.example
        if number and field.name in ("productKey", "product_id"):
            example = f"{example}{number + 1}"
        item[field.name] = example
    for name in spec.string_lists:
        item[name] = ["3"]
    if spec.name != "ProductImpressions":  # a shown block's items carry no product data
        item["tag_color"] = ["green"]
    return item


def tracker_example(event: str | TrackerEventSpec, *, site_id: str = "8A412DC") -> dict[str, Any]:
    """A valid, realistic tracker body of one of TRACKER_EVENTS (KeyError for another name)."""
    spec = event if isinstance(event, TrackerEventSpec) else TRACKER_SPECS[event]
    info = example_general_info(spec.name, site_id=site_id)
    body: dict[str, Any] = {GENERAL_INFO: info if spec.visitor else {"eventName": spec.name, "siteId": site_id}}
    if spec.object_key is None:
        return body
    items = [_tracker_item(spec, number) for number in range(spec.example_items)]
    if spec.shape is Shape.LIST:
        body[spec.object_key] = items
        return body
    obj: dict[str, Any] = {field.name: field.example for field in spec.fields}
    if spec.container is not None:
        obj[spec.container] = items if spec.container_shape is Shape.LIST else items[0]
    if spec.tags:
        obj["Tags"] = {"source": ["console example"]}
    body[spec.object_key] = obj
    return body
