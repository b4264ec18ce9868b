"""Example drafts for every event type, built from the catalog's example values."""

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
