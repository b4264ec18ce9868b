"""The sandbox's tracker route over real HTTP: judged by the tracker inspector, answered 200, recorded as
`tracker`, credentials recorded masked but never required; and a tracker body sent by the project's client."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.core import tracker_bodies as tb
from yespo_console.core.http.client import EventClient
from yespo_console.core.http.environments import builtin
from yespo_console.sandbox import Sandbox

JSON = {"Content-Type": "application/json"}


async def post(sb: Sandbox, body: object, *, headers: dict[str, str] | None = None,
               path: str = "/tracker/api/v2") -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with httpx.AsyncClient(base_url=sb.base_url, trust_env=False) as client:
        return await client.post(path, content=data, headers={**JSON, **(headers or {})})


@pytest.mark.asyncio
async def test_an_opencart_body_without_auth_is_accepted_judged_and_recorded_as_tracker(sandbox: Sandbox) -> None:
    response = await post(sandbox, tb.opencart_purchased_items(), headers={"User-Agent": "Mozilla/5.0 shopper"})
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "accepted" and answer["eventName"] == "PurchasedItems"
    assert answer["visitor"] == tb.SC and answer["contact"] == "42" and answer["contactSource"] == "externalCustomerId"
    assert response.headers["x-sandbox-findings"] == "0"
    [event] = sandbox.events()
    assert event.endpoint == "tracker" and event.path == "/tracker/api/v2" and event.status == 200
    assert event.event_type == "PurchasedItems" and event.valid is True
    assert {d["code"] for d in event.diagnostics} >= {"tracker.order_id.placement"}
    assert event.auth.startswith("none") and dict(event.headers)["user-agent"] == "Mozilla/5.0 shopper"


@pytest.mark.asyncio
async def test_woocommerce_basic_credentials_pass_unchecked_and_are_masked(sandbox: Sandbox) -> None:
    key = "woo-secret-key-123"
    auth = "Basic " + base64.b64encode(f":{key}".encode()).decode()
    response = await post(sandbox, tb.broken_woo_status_cart(), headers={"Authorization": auth})
    assert response.status_code == 200  # the page documents 200; the mistakes are in the findings
    assert int(response.headers["x-sandbox-findings"]) >= 3
    assert response.json()["downstreamProblems"] == int(response.headers["x-sandbox-findings"])
    [event] = sandbox.events()
    assert event.valid is False and "tracker.datetime.seconds" in {d["code"] for d in event.diagnostics}
    assert "not checked" in event.auth and key not in json.dumps(event.as_dict())


@pytest.mark.asyncio
async def test_a_body_that_is_not_json_is_recorded_with_its_finding_and_the_event_route_is_unchanged(
        sandbox: Sandbox) -> None:
    response = await post(sandbox, b'{"GeneralInfo": {"eventName": "StatusCart",}}')
    assert response.status_code == 200 and response.json()["eventName"] is None
    assert [d["code"] for d in sandbox.events()[0].diagnostics] == ["body.not_json"]
    refused = await post(sandbox, tb.woo_status_cart(), path="/api/v2/event")
    assert refused.status_code == 401  # Generate event still wants credentials


@pytest.mark.asyncio
async def test_the_bare_api_v2_path_is_the_tracker_so_only_the_base_url_changes(sandbox: Sandbox) -> None:
    response = await post(sandbox, tb.woo_status_cart(), path="/api/v2")
    assert response.status_code == 200 and response.json()["eventName"] == "StatusCart"
    [event] = sandbox.events()
    assert event.endpoint == "tracker" and event.path == "/api/v2"


@pytest.mark.asyncio
async def test_the_project_client_sends_a_tracker_body_without_a_key_to_the_sandbox_tracker(sandbox: Sandbox) -> None:
    env = builtin("sandbox-tracker").with_url(sandbox.base_url + "/tracker/api/v2")
    env = env.model_copy(update={"user_agent": "Mozilla/5.0 forwarded"})
    async with EventClient(env, secret="a-key-auth-none-must-not-send") as client:
        result = await client.send(json.dumps(tb.woo_status_cart()))
    assert result.status == 200 and result.report is not None and result.report.event_type == "StatusCart"
    assert result.request.event_type == "StatusCart" and result.request.key_value == "42"
    [event] = sandbox.events()
    headers = dict(event.headers)
    assert "authorization" not in headers and headers["user-agent"] == "Mozilla/5.0 forwarded"


@pytest.mark.asyncio
async def test_a_visitors_carts_are_judged_together_and_other_visitors_apart(sandbox: Sandbox) -> None:
    two = [{"productKey": "101", "price": "19.90", "quantity": 1}, {"productKey": "202", "price": "5", "quantity": 1}]
    first = (await post(sandbox, tb.woo_status_cart(tb.GUID_1))).json()["id"]
    stranger = tb.woo_status_cart(tb.GUID_1, two)
    stranger["GeneralInfo"]["cookies"] = {"sc": "another-visitor"}
    assert (await post(sandbox, stranger)).headers["x-sandbox-findings"] == "0"  # not this visitor's cart
    stale = await post(sandbox, tb.woo_status_cart(tb.GUID_1, two))  # the content changed, the GUID did not
    assert stale.status_code == 200 and stale.json()["downstreamProblems"] == 1
    [finding] = [d for d in sandbox.events()[0].diagnostics if d["code"].startswith("tracker.sequence.")]
    assert finding["code"] == "tracker.sequence.guid_unchanged" and finding["path"] == "StatusCart.GUID"
    assert f"#{first}" in finding["message"] and sandbox.events()[0].valid is False
    bought = await post(sandbox, tb.woo_purchased_items(tb.GUID_2))  # not the last cart's GUID
    codes = [d["code"] for d in sandbox.events()[0].diagnostics]
    assert bought.status_code == 200 and "tracker.sequence.guid_not_carried" in codes
    again = await post(sandbox, tb.woo_status_cart(tb.GUID_1))  # after the purchase: a new cart's life
    assert again.json()["downstreamProblems"] == 0


@pytest.mark.parametrize(("body", "auth", "placement"), [
    (tb.woo_purchased_items, "Basic " + base64.b64encode(b":woo-key").decode(), "TrackedOrderId"),
    (tb.shopify_purchased_items, "Basic " + base64.b64encode(b"user:shop-key").decode(), "TrackedOrderId"),
    (tb.opencart_purchased_items, None, "PurchasedItems.TrackedOrderId"),
], ids=["woocommerce", "shopify", "opencart"])
@pytest.mark.asyncio
async def test_each_integrations_purchase_is_accepted_with_its_own_findings(
        sandbox: Sandbox, body, auth, placement) -> None:  # type: ignore[no-untyped-def]
    response = await post(sandbox, body(), headers={"Authorization": auth} if auth else None)
    assert response.status_code == 200 and response.json()["eventName"] == "PurchasedItems"
    [event] = sandbox.events()
    paths = {d["path"] for d in event.diagnostics if d["code"] == "tracker.order_id.placement"}
    assert paths == {placement} and event.endpoint == "tracker"
    if body is tb.shopify_purchased_items:
        assert "tracker.purchase.product_key" in {d["code"] for d in event.diagnostics}
    kept = json.dumps(event.as_dict())
    assert "woo-key" not in kept and "shop-key" not in kept and (auth is None or auth.split()[1] not in kept)
