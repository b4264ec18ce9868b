"""`contact:`, `order:` and `expect: {message|activity|no_message}` steps: their schema, their plan, their bodies,
and the polling behind the expectations, against the console's sandbox (the account double) over real HTTP."""

from __future__ import annotations

import asyncio
import json
import random
import threading
from pathlib import Path

import pytest

from tests.core.test_scenarios import problems, scenario
from tests.sandbox.account_helpers import add_contact, cart_event, fast_workflows, post
from tests.sandbox.helpers import SandboxThread
from yespo_console.core.errors import InputError
from yespo_console.core.followup.client import AccountClient, FollowupError
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.secrets import Secret, SecretSource
from yespo_console.core.scenarios.account_steps import ActivityCheck, MessageCheck, NoMessageCheck
from yespo_console.core.scenarios.follow import AccountLink, Trail, Who, follow, pause_after, who_of
from yespo_console.core.scenarios.templating import RenderContext
from yespo_console.sandbox.settings import AccountSettings

LOOP = """\
name: Loop
steps:
  - contact: {email: "{{email}}", firstName: QA, phone: "+380501234567"}
  - event: cartUpdated
    locators: {email: "{{email}}"}
  - order:
      externalOrderId: A-1
      email: "{{email}}"
      totalCost: "{{total}}"
      currency: USD
      items: [{externalItemId: WS01, quantity: 1, cost: 45.5}]
  - expect: {message: {channel: email, within: 2m}}
  - expect: {activity: {workflow: Abandoned cart, within: 90s}}
  - expect: {no_message: {within: 1.5m}}
"""


def test_the_steps_plan_render_and_describe_themselves() -> None:
    loaded = scenario(LOOP)
    assert [(s.kind, s.title, s.line, s.implicit_accept) for s in loaded.steps] == [
        ("contact", "save the test contact", 3, False), ("event", "cartUpdated", 4, True),
        ("order", "send an order", 6, False), ("expect", "expect a message on email within 2 min", 12, False),
        ("expect", "expect activity of workflow 'Abandoned cart' within 90 s", 13, False),
        ("expect", "expect no message within 90 s", 14, False)]
    assert loaded.follows_up and loaded.needs.keys() == {"email", "total"}
    ctx = RenderContext({"email": "qa@example.com", "total": "{{x}}"}, random.Random(1))
    contact = json.loads(loaded.render_event(loaded.steps[0], ctx))
    assert contact == {"channels": [{"type": "email", "value": "qa@example.com"},
                                    {"type": "sms", "value": "+380501234567"}], "firstName": "QA"}
    order = json.loads(loaded.render_event(loaded.steps[2], ctx))
    assert order["totalCost"] == "{{x}}" and order["status"] == "INITIALIZED" and order["date"].endswith("Z")
    assert order["items"] == [{"externalItemId": "WS01", "quantity": 1, "cost": 45.5}]
    assert who_of("contact", json.dumps(contact).encode()) == Who("qa@example.com", "+380501234567")
    assert who_of("order", json.dumps(order).encode()) == Who("qa@example.com")


def test_a_contact_whose_channels_render_empty_is_not_sent() -> None:
    loaded = scenario(LOOP.replace(', phone: "+380501234567"', ""))
    with pytest.raises(InputError, match=r"s.yaml:3: step 1. save the test contact: .* at least one channel"):
        loaded.render_event(loaded.steps[0], RenderContext({"email": ""}, random.Random(1)))


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("firstName: QA,", "firstname: QA,", (3, "steps[0].contact.firstname", "did you mean 'firstName'")),
    ('{email: "{{email}}", firstName: QA, phone: "+380501234567"}', "{firstName: QA}",
     (3, "steps[0].contact", "needs an email or a phone")),
    ("channel: email", "channel: pigeon", (12, "steps[3].expect.message.channel", "'pigeon' is not a channel")),
    ("within: 2m}", "within: soon}", (12, "steps[3].expect.message.within", "'soon' is not a duration")),
    ("within: 90s}", "within: 9w}", (13, "steps[4].expect.activity.within", "between 0 and 7 d")),
    ("within: 90s}", "within: 90s, status: sent}", (13, "steps[4].expect.activity.status", "unknown key")),
    ("currency: USD", "currency: USD\n      status: PAID", (11, "steps[2].order.status", "'PAID' is not an order")),
    ("email: \"{{email}}\"\n      totalCost", "totalCost", (6, "steps[2].order", "names its contact")),
    ("[{externalItemId: WS01,", "[{sku: WS01,", (11, "steps[2].order.items[0].sku", "one of: externalItemId, name")),
    ("{no_message: {within: 1.5m}}", "{no_message: {within: 1m}, status: 200}",
     (14, "steps[5].expect", "make each a step of its own")),
])
def test_mistakes_are_named_with_their_line(old: str, new: str, expected: tuple[int, str, str]) -> None:
    assert old in LOOP
    found = problems(LOOP.replace(old, new))
    assert any(line == expected[0] and path == expected[1] and expected[2] in message
               for line, path, message in found), found


def test_an_expectation_on_the_account_needs_a_step_that_names_the_contact_first() -> None:
    text = "name: X\nsteps:\n  - expect: {message: {within: 1m}}\n  - event: pageViewed\n    keyValue: a@b.co\n"
    assert problems(text) == [(3, "steps[0]", "an expectation on messages or activity follows the scenario's "
                                              "contact, and no step before it names one (an event, a contact or "
                                              "an order)")]
    # A scenario may also be writes and expectations only.
    assert scenario("name: X\nsteps:\n  - contact: {phone: '380501234567'}\n"
                    "  - expect: {no_message: {within: 0}}\n").follows_up


def test_polls_are_polite_but_fit_a_short_window() -> None:
    assert [pause_after(n, 2400) for n in (1, 2, 3, 10)] == [2.0, 3.0, 4.5, 20.0]
    assert pause_after(1, 3) == 0.3 and pause_after(5, 0) == 0.2


# -- polling the sandbox ---------------------------------------------------------------------------


@pytest.fixture
def account(tmp_path: Path):  # type: ignore[no-untyped-def]
    runner = SandboxThread(port=0, data_dir=tmp_path / "account", workflows=fast_workflows(),
                           account=AccountSettings(time_scale=0.001))  # the workflow's 5 minutes take 0.3 s
    sandbox = runner.start()
    try:
        yield sandbox
    finally:
        runner.stop()


def _follow(sandbox, check, trail, window_s: float = 5.0):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        env = Environment.custom(sandbox.event_url)
        async with AccountClient(env, secret=Secret("any-key", SecretSource.ENVIRONMENT, "the test")) as client:
            link = AccountLink(client, FollowupError)
            if not trail.noted and trail.who is not None:
                await trail.note_before(link, messages=True, activity=True)
            return await follow(link, check, trail, window_s)

    return asyncio.run(go())


def test_a_message_and_its_workflows_activity_are_found_and_an_earlier_one_is_not(account) -> None:  # type: ignore[no-untyped-def]
    add_contact(account.base_url, "ann@example.com")
    post(account.base_url, "/api/v2/event", cart_event("ann@example.com"))
    earlier = Trail(who=Who("ann@example.com"))
    assert _follow(account, MessageCheck(within=10, channel="email"), earlier, 10).held
    # A later run for the same contact: the message already there is not this run's.
    later = Trail(who=Who("ann@example.com"))
    result = _follow(account, NoMessageCheck(within=0.5), later, 0.5)
    assert result.held and "no message within 0.5 s" in result.words
    post(account.base_url, "/api/v2/event", cart_event("ann@example.com"))
    found = _follow(account, ActivityCheck(within=10, workflow="quick CART", event="cartUpdated"), later, 10)
    assert found.held and "workflow 'Quick cart' from cartUpdated" in found.words
    assert not _follow(account, NoMessageCheck(within=1), later, 1).held


def test_what_is_not_there_fails_with_what_was_seen(account) -> None:  # type: ignore[no-untyped-def]
    add_contact(account.base_url, "bo@example.com")
    post(account.base_url, "/api/v2/event", cart_event("bo@example.com"))
    trail = Trail(who=Who("bo@example.com"))
    missing = _follow(account, MessageCheck(within=2, channel="sms"), trail, 2)
    assert not missing.held and "expected a message on sms for bo@example.com; none within 2 s" in missing.words
    assert "other new entries: email message 'Come back'" in missing.words
    unknown = _follow(account, ActivityCheck(within=1, workflow="Birthday"), trail, 1)
    assert not unknown.held and "no workflow 'Birthday' (it has 'Quick cart')" in unknown.words
    nobody = _follow(account, ActivityCheck(within=1), Trail(who=Who(external_id="X-1")), 1)
    assert "finds a contact by email or phone" in nobody.words


def test_an_unreachable_account_fails_as_no_answer(tmp_path: Path) -> None:
    from tests.sandbox.helpers import free_port

    class Gone:
        event_url = f"http://127.0.0.1:{free_port()}/api/v2/event"

    result = _follow(Gone(), NoMessageCheck(within=0.5), Trail(who=Who("a@b.co")), 0.5)
    assert not result.held and result.network and "could not be asked at the end of the window" in result.words


def test_429s_while_polling_are_waited_out_and_are_not_silence(account) -> None:  # type: ignore[no-untyped-def]
    add_contact(account.base_url, "cy@example.com")
    post(account.base_url, "/api/v2/event", cart_event("cy@example.com"))
    account.set_faults(status=429, retry_after=0)
    throttled = _follow(account, NoMessageCheck(within=0.5), Trail(who=Who("cy@example.com")), 0.5)
    assert not throttled.held and not throttled.network and "Too many requests (429)" in throttled.words
    lifted = threading.Timer(1.0, account.reset_faults)  # the account stops throttling while the poll goes on
    lifted.start()
    try:
        found = _follow(account, MessageCheck(within=15, channel="email"), Trail(who=Who("cy@example.com")), 15)
    finally:
        lifted.join()
    assert found.held and "email message 'Come back'" in found.words
