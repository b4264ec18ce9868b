"""Scenario files: the model, the flattened plan, the bundled recipes, contacts from CSV, and every
kind of mistake reported with its file line."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yespo_console.core.errors import InputError
from yespo_console.core.events.diagnostics import inspect_body
from yespo_console.core.events.tracker_rules import inspect_wire
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.scenarios.contacts import parse_assignments, parse_contacts
from yespo_console.core.scenarios.loader import load_scenario, parse_scenario
from yespo_console.core.scenarios.problems import ScenarioError
from yespo_console.core.scenarios.recipes import bundled_scenarios, resolve_scenario
from yespo_console.core.scenarios.schema import MAX_STEPS, Expectation
from yespo_console.core.scenarios.templating import RenderContext

GOOD = """\
name: Good
variables:
  email: ann@example.com
  cart: "{{uuid}}"
  greeting: "hello {{email}}"
steps:
  - event: cartUpdated
    locators: {email: "{{email}}"}
    values:
      products: [{productId: A, quantity: 1, price: "{{random_float 1 9}}"}]
      recycleStateId: "{{cart}}"
  - expect: 200
  - wait: 250ms
  - repeat: 2
    steps:
      - event: searchRequest
        keyValue: "{{email}}"
        locators: {email: "{{email}}"}
        values: {search: "try {{iteration}}", isFound: 0}
  - event: orderConfirmed
    locators: {email: "{{email}}"}
    params: [{name: externalOrderId, value: "{{random_int 1 9}}"}, {name: when, value: 2025-06-01}]
  - expect: {status: [400, 2xx], outcome: accepted, contains: ok}
"""


def scenario(text: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return parse_scenario(text, source="s.yaml", **kwargs)  # type: ignore[arg-type]


def problems(text: str, **kwargs: object) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ScenarioError) as caught:
        scenario(text, **kwargs)
    return [(p.line, p.path, p.message) for p in caught.value.problems]


# -- a good file -----------------------------------------------------------------------------------


def test_the_plan_expands_repeats_and_marks_implicit_expectations() -> None:
    loaded = scenario(GOOD)
    plan = [(s.number, s.kind, s.title, s.line, s.iteration, s.implicit_accept) for s in loaded.steps]
    assert plan == [
        (1, "event", "cartUpdated", 7, 1, False),
        (2, "expect", "expect status 200", 12, 1, False),
        (3, "wait", "wait 0.25 s", 13, 1, False),
        (4, "event", "searchRequest", 16, 1, True),
        (5, "event", "searchRequest", 16, 2, True),
        (6, "event", "orderConfirmed", 20, 1, False),
        (7, "expect", "expect status 400 or 2xx, outcome accepted, answer contains 'ok'", 23, 1, False),
    ]
    assert loaded.event_steps == 4 and loaded.needs == {}


def test_rendering_keeps_one_cart_per_contact_and_numbers_as_numbers() -> None:
    loaded = scenario(GOOD)
    rng = random.Random(1)
    variables = loaded.contact_variables({"contact_index": 1, "run_id": "r", "email": "bo@example.com"},
                                         RenderContext({}, rng))
    assert variables["greeting"] == "hello bo@example.com"
    ctx = RenderContext(variables, rng)
    first, _, _, search1, search2, order, _ = loaded.steps
    body = json.loads(loaded.render_event(first, ctx))
    params = {p["name"]: p["value"] for p in body["params"]}
    assert params["recycleStateId"] == variables["cart"]
    assert isinstance(json.loads(params["products"])[0]["price"], float)
    assert json.loads(loaded.render_event(first, ctx, "object"))["params"][1]["value"][0]["productId"] == "A"
    searches = [json.loads(loaded.render_event(s, ctx)) for s in (search1, search2)]
    assert [b["params"][1]["value"] for b in searches] == ["try 1", "try 2"]
    assert searches[0]["keyValue"] == "bo@example.com"
    order_body = json.loads(loaded.render_event(order, ctx))
    assert order_body["eventTypeKey"] == "orderConfirmed"
    assert order_body["params"][2] == {"name": "when", "value": "2025-06-01"}  # YAML dates stay text
    for step in (first, search1, order):
        assert inspect_body(loaded.render_event(step, ctx)).valid


def test_expectations_judge_status_outcome_and_body() -> None:
    expectation = Expectation.model_validate({"status": ["2xx", 409], "contains": "id"})
    assert expectation.check(200, Outcome.ACCEPTED, b'{"id": 1}') == (True, "status 2xx or 409, answer contains "
                                                                              "'id': got 200 (Accepted)")
    held, words = expectation.check(500, Outcome.SERVER_ERROR, b"")
    assert not held and "expected status 2xx or 409" in words and "got 500 (Server error)" in words
    assert not expectation.check(200, Outcome.ACCEPTED, b"{}")[0]
    assert not expectation.check(None, Outcome.TIMEOUT, b"")[0]
    assert Expectation.model_validate("rejected").outcome == (Outcome.REJECTED,)
    assert Expectation.model_validate(429).status == (429,)
    assert Expectation.model_validate("4xx").status == ("4xx",)


def test_a_body_file_is_sent_exactly_or_rendered_when_it_has_templates(tmp_path: Path) -> None:
    raw = b'{"eventTypeKey":"pageViewed", "params":[{"name":"email","value":"x@y.z"},' \
          b'{"name":"page","value":"{\\"location\\":\\"https://e.com\\"}"}]}'
    (tmp_path / "exact.json").write_bytes(raw)
    (tmp_path / "bodies").mkdir()
    (tmp_path / "bodies" / "tpl.json").write_text('{"eventTypeKey": "searchRequest", "keyValue": "{{email}}", '
                                                  '"params": [{"name": "search", "value": "{{q}}"}]}')
    (tmp_path / "s.yaml").write_text("name: B\nvariables: {q: mugs}\nsteps:\n  - body: exact.json\n"
                                     "  - body: bodies/tpl.json\n    name: templated\n")
    loaded = load_scenario(tmp_path / "s.yaml")
    assert [(name, use.line) for name, use in loaded.needs.items()] == [("email", 5)]
    with pytest.raises(ScenarioError, match=r"s.yaml:5: steps\[1\].body \(bodies/tpl.json\): unknown variable 'email'"):
        loaded.check_variables(set())
    loaded.check_variables({"email"})
    ctx = RenderContext({"email": "a@b.c", "q": "mugs"})
    exact, templated = loaded.steps
    assert loaded.render_event(exact, ctx) == raw
    assert json.loads(loaded.render_event(templated, ctx)) == {
        "eventTypeKey": "searchRequest", "keyValue": "a@b.c", "params": [{"name": "search", "value": "mugs"}]}
    assert templated.title == "templated" and exact.title == "body exact.json"


def test_json_scenarios_keep_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{\n  "name": "J",\n  "steps": [\n    {"event": "pageViewed",\n     "locators": {"email": 1}},\n'
                    '    {"wait": "soon"}\n  ]\n}\n')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == (f"{path}:6: steps[1].wait: 'soon' is not a duration: use a number of seconds or "
                                 "500ms, 2s, 1.5m, 1h")
    path.write_text('{"name": "J",\n "steps": [\n  {"event": "x"},\n ]\n}')
    with pytest.raises(ScenarioError, match=r"s.json:4: \(file\): not valid JSON"):
        load_scenario(path)


# -- the bundled recipes ---------------------------------------------------------------------------


def test_there_are_the_bundled_recipes() -> None:
    names = {path.stem for path in bundled_scenarios()}
    assert names == {"abandoned-cart", "abandoned-cart-purchased", "abandoned-browse", "wishlist-reminder",
                     "search-no-results", "cart-cleared", "woocommerce-cart"}
    assert resolve_scenario("abandoned-cart") == resolve_scenario("abandoned-cart.yaml")
    with pytest.raises(InputError, match="recipes: abandoned-browse, abandoned-cart"):
        resolve_scenario("abandoned-kart")


@pytest.mark.parametrize("path", bundled_scenarios(), ids=lambda p: p.stem)
def test_every_recipe_event_passes_the_inspector(path: Path) -> None:
    loaded = load_scenario(path)
    description = loaded.description
    assert "trigger" in description and "Automation → Event history" in description
    loaded.check_variables(set())  # runs with its own defaults
    rng = random.Random(3)
    variables = loaded.contact_variables({"contact_index": 1, "run_id": "r"}, RenderContext({}, rng))
    for nested in ("string", "object"):
        for step in loaded.steps:
            if step.kind == "event":
                report = inspect_wire(loaded.render_event(step, RenderContext(variables, rng), nested))
                assert report.findings == (), (step.label, report.findings)


# -- mistakes, with their lines --------------------------------------------------------------------

BAD_CASES = [
    ("name: X\nsteps:\n  - event: cartUpdated\n    locators: {emial: x}\n",
     (4, "steps[0].locators", "unknown locator 'emial'")),
    ("name: X\nsteps:\n  - event: cartUpdated\n    values:\n      product: {}\n",
     (4, "steps[0].values", "cartUpdated has no param 'product' (did you mean 'products'?)")),
    ("name: X\nsteps:\n  - event: myEvent\n    values: {a: 1}\n",
     (4, "steps[0].values", "not an event type of the profile")),
    ("name: X\nsteps:\n  - evnt: pageViewed\n",
     (3, "steps[0]", "a step is one of: event, body, track, contact, order, wait, repeat, expect")),
    ("name: X\nsteps:\n  - event: pageViewed\n    keyvalue: a\n",
     (4, "steps[0].keyvalue", "unknown key (did you mean 'keyValue'?)")),
    ("name: X\nsteps:\n  - event: pageViewed\n  - wait: 2\n    expect: 200\n",
     (5, "steps[1].expect", "a step has one kind")),
    ("name: X\nsteps:\n  - event: pageViewed\n  - wait: -1\n", (4, "steps[1].wait", "between 0 and 1 h")),
    ("name: X\nsteps:\n  - event: pageViewed\n  - wait: 2 weeks\n", (4, "steps[1].wait", "is not a duration")),
    ("name: X\nsteps:\n  - event: pageViewed\n  - wait: 2h\n", (4, "steps[1].wait", "between 0 and 1 h")),
    ("name: X\nsteps:\n  - event: pageViewed\n  - expect: {status: 700}\n",
     (4, "steps[1].expect.status", "700 is not a status")),
    ("name: X\nsteps:\n  - event: pageViewed\n  - expect: acepted\n",
     (4, "steps[1].expect.outcome[0]", "Input should be")),
    ("name: X\nsteps:\n  - event: pageViewed\n  - expect: {}\n",
     (4, "steps[1].expect", "needs a status, an outcome, a text")),
    ("name: X\nsteps:\n  - expect: 200\n  - event: pageViewed\n",
     (3, "steps[0]", "checks the event before it, and there is none")),
    ("name: X\nsteps:\n  - wait: 1\n", (2, "steps", "sends no event")),
    ("name: X\nsteps: []\n", (2, "steps", "at least 1 item")),
    ("steps:\n  - event: pageViewed\n", (None, "(top level)", "'name' is required")),
    ("name: X\nsteps:\n  - repeat: 0\n    steps: [{event: pageViewed}]\n", (3, "steps[0].repeat", "greater than")),
    ("name: X\nsteps:\n  - repeat: 100000\n    steps:\n      - repeat: 100000\n        steps: [{event: a}]\n",
     (2, "steps", f"more than {MAX_STEPS:,} steps")),
    ("name: X\nsteps:\n  - event: '{{kind}}'\n", (3, "steps[0].event", "cannot be a template")),
    ("name: X\nsteps:\n  - event: pageViewed\n    keyValue: '{{random_int 3}}'\n",
     (4, "steps[0].keyValue", "random_int takes 2 argument(s)")),
    ("name: X\nvariables:\n  a: '{{b}}'\n  b: 1\nsteps: [{event: pageViewed}]\n",
     (3, "variables.a", "defined after it")),
    ("name: X\nvariables:\n  a: '{{a}}'\nsteps: [{event: pageViewed}]\n", (3, "variables.a", "refers to itself")),
    ("name: X\nvariables:\n  now: 1\nsteps: [{event: pageViewed}]\n", (2, "variables", "'now' is a built-in")),
    ("name: X\nvariables:\n  e: [1]\nsteps: [{event: pageViewed}]\n", (2, "variables", "e: a variable is a text")),
    ("name: X\nname: Y\nsteps: [{event: pageViewed}]\n", (2, "name", "'name' appears twice (line 1 and here)")),
    ("name: X\nsteps:\n  - event: pageViewed\n   locators: {}\n", (4, "(file)", "not valid YAML")),
    ("name: X\nsteps: &a [*a]\n", (2, "steps[0]", "an alias refers to itself")),
    ("- just\n- a list\n", (1, "(file)", "a scenario is a mapping")),
    ("", (1, "(file)", "the file is empty")),
    ("name: X\nsteps: \x08\n", (2, "(file)", "the control character U+0008 is not allowed")),
    ("name: X\nsteps:\n  - body: missing.json\n", (3, "steps[0].body", "missing.json: no such file")),
]


@pytest.mark.parametrize(("text", "expected"), BAD_CASES, ids=[c[1][2][:30] for c in BAD_CASES])
def test_mistakes_are_reported_with_their_line(text: str, expected: tuple[int | None, str, str],
                                               tmp_path: Path) -> None:
    line, path, fragment = expected
    found = problems(text, base_dir=tmp_path)
    assert any(p[0] == line and p[1] == path and fragment in p[2] for p in found), found


def test_every_problem_of_a_file_is_listed_at_once() -> None:
    text = ("name: X\nsteps:\n  - event: pageViewed\n    locators: {emial: a}\n  - wait: never\n"
            "  - event: pageViewed\n    keyValue: '{{'\n")
    with pytest.raises(ScenarioError) as caught:
        scenario(text)
    lines = str(caught.value).splitlines()
    assert [line.split(":")[1] for line in lines] == ["4", "5", "7"]
    assert lines[0].startswith("s.yaml:4: steps[0].locators: unknown locator")


def test_a_huge_alias_expansion_is_refused() -> None:
    text = "name: X\na: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    ) + "steps: [{event: pageViewed}]\n"
    assert problems(text)[0][2] == "its aliases expand to too much data"


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(InputError, match="is a folder"):
        load_scenario(tmp_path)
    (tmp_path / "latin.yaml").write_bytes(b"name: X\nsteps: [caf\xe9]\n")
    with pytest.raises(ScenarioError, match=r"latin.yaml:2: \(file\): not UTF-8"):
        load_scenario(tmp_path / "latin.yaml")


# -- contacts and --var ----------------------------------------------------------------------------


def test_csv_rows_become_contacts() -> None:
    contacts = parse_contacts("\ufeffemail;sku\nann@example.com;A-1\n\nbo@example.com ; B-2\n", "c.csv")
    assert contacts == ({"email": "ann@example.com", "sku": "A-1"}, {"email": "bo@example.com", "sku": "B-2"})
    assert all(list(row) == ["email", "sku"] for row in contacts)
    quoted = parse_contacts('email,note\na@b.c,"x, y"\n')
    assert quoted[0]["note"] == "x, y"


@pytest.mark.parametrize(("text", "message"), [
    ("", "c.csv:1: the CSV file is empty"),
    ("email,first name\n", "c.csv:1: column 'first name' is not a variable name"),
    ("email,uuid\n", "c.csv:1: column 'uuid' is a built-in name"),
    ("email,email\n", "c.csv:1: column 'email' appears twice"),
    ("email,phone\na@b.c,1\nb@c.d\n", "c.csv:3: 1 value(s), but the header has 2 column(s) (email, phone)"),
    ("email\n", "c.csv: the CSV file has a header but no contacts"),
    ('email\n"a@b.c\n', "c.csv:2: not valid CSV"),
])
def test_bad_csv_says_where(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_contacts(text, "c.csv")
    assert str(caught.value).startswith(message)


def test_assignments() -> None:
    assert parse_assignments(["email=a=b@c.d", "n="]) == {"email": "a=b@c.d", "n": ""}
    for bad, message in (("email", "write NAME=VALUE"), ("1x=2", "not a variable name"), ("uuid=1", "built-in")):
        with pytest.raises(InputError, match=message):
            parse_assignments([bad])


# -- open-ended input never crashes ----------------------------------------------------------------

YAMLISH = st.lists(st.sampled_from([
    "name: X\n", "steps:\n", "  - event: pageViewed\n", "  - wait: 1\n", "  - expect: 200\n", "    values: {a: 1}\n",
    "  - repeat: 2\n    steps: [{event: a}]\n", "variables: {e: '{{uuid}}'}\n", "  - body: x.json\n", "&a [*a]\n",
    "- ", ": ", "{{", "}}", "'", '"', "\t", "\n", "[", "]", "{", "}", "!!python/object:os.system\n", "<<: *a\n",
    "keyValue: '{{e | upper}}'\n", "locators: {email: 1}\n", "expect: {status: [1, '2xx']}\n",
]), max_size=20).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(YAMLISH, st.text(max_size=80)), st.booleans())
def test_any_text_is_a_scenario_or_a_clear_error(text: str, is_json: bool) -> None:
    try:
        loaded = parse_scenario(text, source="f", is_json=is_json)
    except InputError as exc:  # ScenarioError is one
        assert str(exc).startswith("f")
    else:
        assert loaded.steps


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*'ab,;\t"\n\r =1_', "email", "\x00"]), max_size=40).map("".join))
def test_any_csv_is_contacts_or_a_clear_error(text: str) -> None:
    try:
        contacts = parse_contacts(text, "c.csv")
    except InputError as exc:
        assert str(exc).startswith("c.csv")
    else:
        assert contacts and all(set(row) == set(contacts[0]) for row in contacts)


def test_a_templated_body_file_nested_too_deeply_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 100_000 + '"{{x}}"' + "]" * 100_000)
    (tmp_path / "s.yaml").write_text("name: Deep\nsteps:\n  - body: deep.json\n")
    with pytest.raises(ScenarioError, match=r"deep\.json: nested too deeply"):
        load_scenario(tmp_path / "s.yaml")
