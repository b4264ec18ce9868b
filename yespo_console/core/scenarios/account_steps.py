"""The steps that reach past the event endpoint into the account, as pydantic models, and the bodies they send:

    - contact: {email: "{{email}}", firstName: QA}      # POST /api/v1/contact: create or update the test contact
    - order:                                            # POST /api/v1/orders: a purchase (stops abandoned-cart flows)
        externalOrderId: "{{uuid}}"
        email: "{{email}}"
        totalCost: 69.5
        currency: USD
        items: [{externalItemId: WS01, name: Green T-shirt, quantity: 1, cost: 45.5}]
    - expect: {message: {channel: email, within: 40m}}            # a message reached the scenario's contact
    - expect: {activity: {workflow: Abandoned cart, within: 40m}} # activity of that workflow for the contact
    - expect: {no_message: {within: 40m}}                         # nothing reached it during the whole window

`within` is scaled like the scenario's waits (`run --wait-scale`). The field names of contacts and orders are
Yespo's (api-facts: Contact, Order); values may be templates.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from yespo_console.core.errors import InputError
from yespo_console.core.scenarios.spans import MAX_WINDOW_S, span_text, wait_seconds
from yespo_console.core.scenarios.templating import OPEN

# Channels a message expectation may name: the channel types of Yespo's messages (`channelType`).
CHANNELS = ("email", "sms", "viber", "webpush", "mobilepush", "telegram", "appinbox", "widget", "inapp")
ORDER_STATUSES = ("INITIALIZED", "IN_PROGRESS", "DELIVERED", "CANCELLED", "ABANDONED_SHOPPING_CART")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _literal(value: str, what: str) -> str:
    if OPEN in value:
        raise ValueError(f"{what} cannot be a template: write it out")
    return value


# -- contact and order ---------------------------------------------------------------------------


class ContactFields(_Model):
    email: Any = None
    phone: Any = None
    external_customer_id: Any = Field(default=None, alias="externalCustomerId")
    first_name: Any = Field(default=None, alias="firstName")
    last_name: Any = Field(default=None, alias="lastName")
    language_code: Any = Field(default=None, alias="languageCode")
    time_zone: Any = Field(default=None, alias="timeZone")
    fields: list[dict[str, Any]] | None = None  # Yespo's additional fields: [{id: 123, value: ...}]

    @model_validator(mode="after")
    def _a_channel(self) -> ContactFields:
        if self.email is None and self.phone is None:
            raise ValueError("a contact needs an email or a phone: Yespo's contacts have at least one channel")
        return self


class ContactStep(_Model):
    contact: ContactFields
    name: str | None = None

    @property
    def title(self) -> str:
        return self.name or "save the test contact"


class OrderItem(_Model):
    external_item_id: Any = Field(alias="externalItemId")
    name: Any = None
    category: Any = None
    quantity: Any = None
    cost: Any = None
    url: Any = None
    image_url: Any = Field(default=None, alias="imageUrl")
    description: Any = None


class OrderFields(_Model):
    external_order_id: Any = Field(alias="externalOrderId")
    total_cost: Any = Field(alias="totalCost")
    currency: Any
    status: Any = "INITIALIZED"
    date: Any = None  # the time of sending when left out
    email: Any = None
    phone: Any = None
    external_customer_id: Any = Field(default=None, alias="externalCustomerId")
    first_name: Any = Field(default=None, alias="firstName")
    last_name: Any = Field(default=None, alias="lastName")
    items: list[OrderItem] = Field(default_factory=list)

    @field_validator("status")
    @classmethod
    def _status(cls, value: Any) -> Any:
        if isinstance(value, str) and OPEN not in value and value not in ORDER_STATUSES:
            raise ValueError(f"{value!r} is not an order status: {', '.join(ORDER_STATUSES)}")
        return value

    @model_validator(mode="after")
    def _a_contact(self) -> OrderFields:
        if self.email is None and self.phone is None and self.external_customer_id is None:
            raise ValueError("an order names its contact: give email, phone or externalCustomerId")
        return self


class OrderStep(_Model):
    order: OrderFields
    name: str | None = None

    @property
    def title(self) -> str:
        return self.name or "send an order"


def _text(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{what} is a text, not {type(value).__name__}")
    return str(value)


def contact_body(rendered: dict[str, Any]) -> dict[str, Any]:
    """Yespo's `Contact` JSON from a rendered contact step: email and phone become its channels.
    InputError when neither renders to a value."""
    channels = [{"type": kind, "value": value} for kind, key in (("email", "email"), ("sms", "phone"))
                if (value := _text(rendered.get(key), key)) is not None]
    if not channels:
        raise InputError("the contact's email and phone are both empty: Yespo needs at least one channel")
    body: dict[str, Any] = {"channels": channels}
    for key in ("externalCustomerId", "firstName", "lastName", "languageCode", "timeZone"):
        value = _text(rendered.get(key), key)
        if value is not None:
            body[key] = value
    if rendered.get("fields"):
        body["fields"] = rendered["fields"]
    return body


def order_body(rendered: dict[str, Any]) -> dict[str, Any]:
    """One order of `POST /api/v1/orders` from a rendered order step; `date` is now when left out."""
    body = {key: value for key, value in rendered.items() if value is not None and value != []}
    body.setdefault("date", datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"))
    return body


# -- what followed ---------------------------------------------------------------------------------


class _Window(_Model):
    within: float

    @field_validator("within", mode="before")
    @classmethod
    def _within(cls, value: Any) -> float:
        return wait_seconds(value, MAX_WINDOW_S, "`within`")


def _channel(value: str | None) -> str | None:
    if value is None:
        return None
    value = _literal(value, "the channel").lower()
    if value not in CHANNELS:
        raise ValueError(f"{value!r} is not a channel: {', '.join(CHANNELS)}")
    return value


class MessageCheck(_Window):
    channel: str | None = None

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str | None) -> str | None:
        return _channel(value)


class NoMessageCheck(MessageCheck):
    pass


class ActivityCheck(_Window):
    workflow: str | int | None = None  # its name (any case) or its id
    event: str | None = None  # the event type that started it (sourceEventTypeKey)

    @field_validator("workflow", "event")
    @classmethod
    def _literal_names(cls, value: str | int | None) -> str | int | None:
        return _literal(value, "a workflow or event name") if isinstance(value, str) else value


FollowCheck = MessageCheck | NoMessageCheck | ActivityCheck


def describe_check(check: FollowCheck) -> str:
    on = f" on {check.channel}" if isinstance(check, MessageCheck) and check.channel else ""
    within = f" within {span_text(check.within)}"
    if isinstance(check, NoMessageCheck):
        return f"no message{on}{within}"
    if isinstance(check, MessageCheck):
        return f"a message{on}{within}"
    workflow = "" if check.workflow is None else f" of workflow {check.workflow!r}"
    event = "" if check.event is None else f" from {check.event}"
    return f"activity{workflow}{event}{within}"
