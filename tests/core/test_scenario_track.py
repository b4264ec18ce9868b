"""`track:` steps: web tracking events in a scenario, rendered with the same templating as `event:` steps."""

from __future__ import annotations

import json
import random

import pytest

from tests.core.test_scenarios import problems, scenario
from yespo_console.core.events.tracker_rules import TrackerReport, check_sequence, inspect_wire
from yespo_console.core.scenarios.loader import load_scenario
from yespo_console.core.scenarios.recipes import resolve_scenario
from yespo_console.core.scenarios.templating import RenderContext

TRACK = """\
name: Track
variables:
  sc: "{{uuid}}"
  cart: "{{uuid}}"
steps:
  - track: StatusCart
    info: {siteId: S1, datetime: "{{timestamp}}", cookies: {sc: "{{sc}}"}, user_email: "{{email}}"}
    data:
      GUID: "{{cart}}"
      Products: [{productKey: "P{{iteration}}", price: "{{random_float 1 9 2}}", quantity: 1}]
  - expect: 200
  - track: CustomerData
    name: who it is
    info: {siteId: S1, cookies: {sc: "{{sc}}"}, user_email: "{{email}}"}
"""


def test_a_track_step_renders_a_tracker_body_with_the_scenarios_templates() -> None:
    loaded = scenario(TRACK)
    assert [(s.kind, s.title, s.line) for s in loaded.steps] == [
        ("event", "track StatusCart", 6), ("expect", "expect status 200", 11), ("event", "who it is", 12)]
    assert loaded.needs.keys() == {"email"}
    rng = random.Random(2)
    variables = loaded.contact_variables({"contact_index": 1, "run_id": "r", "email": "bo@example.com"},
                                         RenderContext({}, rng))
    cart, _, who = loaded.steps
    data = loaded.render_event(cart, RenderContext(variables, rng))
    body = json.loads(data)
    assert list(body) == ["GeneralInfo", "StatusCart"]
    assert next(iter(body["GeneralInfo"])) == "eventName" and body["GeneralInfo"]["eventName"] == "StatusCart"
    assert body["GeneralInfo"]["cookies"]["sc"] == variables["sc"] and body["StatusCart"]["GUID"] == variables["cart"]
    assert isinstance(body["GeneralInfo"]["datetime"], int) and body["GeneralInfo"]["datetime"] > 10**12
    assert isinstance(body["StatusCart"]["Products"][0]["price"], float)
    report = inspect_wire(data)
    assert isinstance(report, TrackerReport) and report.valid
    customer = json.loads(loaded.render_event(who, RenderContext(variables, rng)))
    assert list(customer) == ["GeneralInfo"] and customer["GeneralInfo"]["eventName"] == "CustomerData"


@pytest.mark.parametrize(("text", "expected"), [
    (TRACK.replace("track: StatusCart", "track: StatusKart"), (6, "steps[0].track", "did you mean 'StatusCart'")),
    (TRACK.replace("info: {siteId: S1, datetime", "info: {eventName: X, siteId: S1, datetime"),
     (7, "steps[0].info", "leave it out of `info`")),
    (TRACK.replace("track: StatusCart", "track: '{{name}}'"), (6, "steps[0].track", "cannot be a template")),
    (TRACK.replace("    data:\n", "    dat:\n", 1), (8, "steps[0].dat", "did you mean 'data'")),
])
def test_track_step_mistakes_are_reported_with_their_line(text: str, expected: tuple[int, str, str]) -> None:
    found = problems(text)
    assert any(line == expected[0] and path == expected[1] and expected[2] in message
               for line, path, message in found), found


def test_the_woocommerce_recipe_changes_its_guid_with_the_cart_and_leaves_it_abandoned() -> None:
    loaded = load_scenario(resolve_scenario("woocommerce-cart"))
    assert loaded.scenario.environment == "sandbox-tracker"
    rng = random.Random(5)
    variables = loaded.contact_variables({"contact_index": 1, "run_id": "r"}, RenderContext({}, rng))
    bodies = [json.loads(loaded.render_event(step, RenderContext(variables, rng)))
              for step in loaded.steps if step.kind == "event"]
    assert [b["GeneralInfo"]["eventName"] for b in bodies] == ["ProductPage", "StatusCart", "StatusCart"]
    assert [f.code for f in check_sequence(bodies)] == ["tracker.sequence.abandoned"]
