"""Shared by the account tests: events for a contact, a fast workflow file, polling, the OpenAPI schemas."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from yespo_console.sandbox.workflows import Workflow, parse_workflows

OPENAPI = Path(__file__).parent / "data" / "openapi-read-schemas.json"  # excerpt of Yespo's OpenAPI file
AUTH = ("", "any-key")
JSON = {"Content-Type": "application/json"}
PERIOD = {"dateFrom": "2000-01-01", "dateTo": "2100-01-01"}
T = TypeVar("T")

# One workflow with a delay that the tests' time scale turns into a fraction of a second.
FAST_WORKFLOWS = """\
workflows:
  - id: 7
    name: Quick cart
    trigger: cartUpdated
    when: [{param: products, is: not_empty}]
    cancel:
      events: [orderCreated]
      orders: true
    delay: 5m
    message: {channel: email, subject: Come back}
"""


def fast_workflows() -> tuple[Workflow, ...]:
    return parse_workflows(FAST_WORKFLOWS, "fast.yaml")


def cart_event(email: str, products: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    products = [{"productId": "WS01", "quantity": 1, "price": 45.5}] if products is None else products
    return {"eventTypeKey": "cartUpdated", "keyValue": email,
            "params": [{"name": "email", "value": email}, {"name": "products", "value": products},
                       {"name": "currencyCode", "value": "USD"}, {"name": "recycleStateId", "value": "cart-1"}]}


def order_created(email: str) -> dict[str, Any]:
    return {"eventTypeKey": "orderCreated", "keyValue": email,
            "params": [{"name": "email", "value": email}, {"name": "orderId", "value": "A-1"},
                       {"name": "totalCost", "value": 45.5}, {"name": "currencyCode", "value": "USD"}]}


def post(base: str, path: str, payload: Any) -> httpx.Response:
    return httpx.post(base + path, content=json.dumps(payload), auth=AUTH, headers=JSON, trust_env=False)


def get(base: str, path: str, **params: Any) -> httpx.Response:
    return httpx.get(base + path, params=params, auth=AUTH, trust_env=False)


def add_contact(base: str, email: str, **extra: Any) -> int:
    answer = post(base, "/api/v1/contact", {"channels": [{"type": "email", "value": email}], **extra})
    assert answer.status_code == 200, answer.text
    return int(answer.json()["id"])


def wait_for(probe: Callable[[], T | None], timeout: float = 20.0) -> T:
    """The first truthy `probe()`, polled until a generous deadline (never a timing assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, "nothing appeared before the deadline"
        time.sleep(0.05)


def schema_properties(name: str) -> set[str]:
    return set(json.loads(OPENAPI.read_text())["schemas"][name])
