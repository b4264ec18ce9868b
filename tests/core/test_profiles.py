"""Account profiles: the file format, its mistakes with their lines, and what a profile changes in the judging."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from yespo_console.core.errors import InputError
from yespo_console.core.events.diagnostics import inspect_body
from yespo_console.core.events.examples import example_draft
from yespo_console.core.events.payload import build_body, parse_body
from yespo_console.core.events.profiles import BUILTIN
from yespo_console.core.profiles.evidence import infer_event_type, structure_from_rejection
from yespo_console.core.profiles.files import ProfileError, load_profile, parse_profile, profile_text
from yespo_console.core.profiles.folder import find_profile, profile_names, profiles_dir

PROFILE = """\
format: yespo-console profile 1
name: Acme
currencies: [USD, GBP]
locatorParams: {customerUuid: externalCustomerId}
eventTypes:
  - key: orderPaid
    validateParameters: true
    params:
      - {name: orderId, required: true, type: string, example: O-1}
      - {name: total, required: true, type: number, example: 12.5}
      - name: lines
        shape: list
        required: true
        fields:
          - {name: sku, type: string, required: true, example: A-1}
          - {name: qty, type: number, example: 1}
  - key: pageViewed
    title: Our own page view
    params:
      - {name: url, type: url, required: true, example: "https://acme.example"}
"""


def test_a_profile_extends_the_built_in_one_and_replaces_a_type_of_the_same_key() -> None:
    profile = parse_profile(PROFILE, "acme.yaml")
    assert profile.name == "Acme" and profile.source == "acme.yaml"
    assert profile.keys[:1] == ("pageViewed",) and profile.keys[-1] == "orderPaid"
    assert len(profile.keys) == len(BUILTIN.keys) + 1
    assert profile.spec("pageViewed").title == "Our own page view"
    assert profile.validates("orderPaid") and not profile.validates("pageViewed")
    assert profile.currencies == ("USD", "GBP")


def test_a_profile_type_gets_an_example_a_form_body_and_judging() -> None:
    profile = parse_profile(PROFILE, "acme.yaml")
    draft = example_draft("orderPaid", profile)
    body = build_body(draft, nested="object", profile=profile)
    sent = json.loads(body)
    assert [p["name"] for p in sent["params"]] == ["email", "orderId", "total", "lines"]
    assert sent["params"][3]["value"] == [{"sku": "A-1", "qty": 1}]
    assert parse_body(body, profile) == draft
    assert inspect_body(body, profile=profile).findings == ()
    missing = {**sent, "params": sent["params"][:2]}
    report = inspect_body(json.dumps(missing), profile=profile)
    assert {f.code for f in report.findings} == {"field.missing"}
    assert report.as_dict()["verdict"] == {"validationOff": "accepted", "validationOn": "rejected"}
    # The built-in profile knows nothing of orderPaid: only the envelope and the locators are checked.
    assert inspect_body(json.dumps(missing)).findings == ()


def test_the_profile_decides_currencies_and_mapped_locators() -> None:
    profile = parse_profile(PROFILE, "acme.yaml")
    body = {"eventTypeKey": "productViewed", "params": [
        {"name": "customerUuid", "value": "u-77"},
        {"name": "product", "value": {"productId": "A", "price": 1}}, {"name": "currencyCode", "value": "GBP"}]}
    with_profile = inspect_body(json.dumps(body), profile=profile)
    assert with_profile.findings == () and with_profile.key_value == "u-77"
    assert with_profile.key_value_source == "externalCustomerId"
    built_in = inspect_body(json.dumps(body))
    assert {f.code for f in built_in.findings} == {"currency.unsupported", "locator.none"}


@pytest.mark.parametrize(("text", "line", "words"), [
    ("name: X\neventTypes:\n  - key: a\n    colour: red\n", 4, "unknown key"),
    ("name: X\neventTypes:\n  - title: no key\n", 3, "'key' is required"),
    ("name: X\neventTypes:\n  - key: a\n    params:\n      - {name: p, type: date}\n", 5, "Input should be"),
    ("name: X\neventTypes:\n  - key: a\n    params: [{name: p}, {name: p}]\n", 4, "params named twice: p"),
    ("name: X\neventTypes:\n  - key: a/b\n", 3, "cannot hold /"),
    ("name: X\ncurrencies: [usd]\n", 2, "not an ISO 4217 code"),
    ("name: X\nlocatorParams: {cid: contact_id}\n", 2, "Input should be"),
    ("format: something else\nname: X\n", 1, "this version reads"),
    ("name: X\nname: Y\n", 2, "appears twice"),
    ("- a list\n", 1, "a profile is a mapping"),
])
def test_mistakes_are_named_with_their_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile(text, "p.yaml")
    assert any(p.line == line and words in p.message for p in info.value.problems), info.value.problems
    assert str(info.value).startswith("p.yaml:")


def test_hostile_yaml_is_refused_not_run_or_expanded() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    with pytest.raises(ProfileError, match="expand to too much data"):
        parse_profile(bomb, "bomb.yaml")
    tag = "the tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"
    with pytest.raises(ProfileError, match=re.escape(tag)):
        parse_profile("name: !!python/object/apply:os.system ['true']\n", "tag.yaml")
    with pytest.raises(ProfileError, match="not valid YAML"):
        parse_profile("name: !!python/name:os.system\n", "tag.yaml")
    with pytest.raises(ProfileError, match="not valid JSON"):
        parse_profile('{"name": "X",', "p.json", is_json=True)


def test_files_and_the_profiles_folder(tmp_path: Path) -> None:
    folder = profiles_dir(tmp_path)
    (folder / "acme.yaml").write_text(PROFILE)
    (folder / "bad.json").write_text('{"name": ""}')
    assert profile_names(tmp_path)[:3] == ["built-in", "acme", "bad"] and "abandoned-cart" in profile_names(tmp_path)
    assert find_profile("acme", tmp_path).name == "Acme" and find_profile("acme.yaml", tmp_path).name == "Acme"
    assert find_profile(None, tmp_path) is BUILTIN and find_profile("built-in", tmp_path) is BUILTIN
    assert find_profile(str(folder / "acme.yaml"), tmp_path).name == "Acme"
    with pytest.raises(ProfileError, match=re.escape("bad.json")):
        find_profile("bad", tmp_path)
    with pytest.raises(InputError, match=r"no profile 'nope'.*built-in, acme, bad"):
        find_profile("nope", tmp_path)
    (tmp_path / "latin1.yaml").write_bytes("name: Caf\xe9\n".encode("latin-1"))
    with pytest.raises(ProfileError, match="not UTF-8"):
        load_profile(tmp_path / "latin1.yaml")


def test_a_yespo_400_gives_the_structure_with_its_required_flags() -> None:
    text = ('The event should have the following params: [{"name":"EmailAddress","required":true},'
            '{"name":"resetLink","required":false}]')
    spec = structure_from_rejection(text, "password_recovery")
    assert [(p.name, p.required, str(p.field.type)) for p in spec.params] == [
        ("EmailAddress", True, "email"), ("resetLink", False, "string")]
    profile = parse_profile(profile_text("Shop", [spec]), "written.yaml")
    assert profile.spec("password_recovery").params == spec.params
    for bad in ("Bad request", "The event should have the following params: [oops]",
                "The event should have the following params: []",
                'The event should have the following params: [{"required":true}]'):
        with pytest.raises(InputError, match=r"params|400|no name"):
            structure_from_rejection(bad, "x")


def test_inferring_a_type_from_sent_bodies() -> None:
    bodies = [
        {"eventTypeKey": "AbandonedCart", "params": [
            {"name": "externalCustomerId", "value": "u1"}, {"name": "totalValue", "value": 250.75},
            {"name": "currency", "value": "USD"}, {"name": "note", "value": "gift"},
            {"name": "items", "value": json.dumps([{"sku": "A", "qty": 2}, {"sku": "B"}])}]},
        {"eventTypeKey": "AbandonedCart", "params": [
            {"name": "externalCustomerId", "value": "u2"}, {"name": "totalValue", "value": 3},
            {"name": "currency", "value": "EUR"}, {"name": "items", "value": [{"sku": "C", "qty": 1}]}]},
        {"eventTypeKey": "pageViewed", "params": []},
    ]
    spec, count = infer_event_type("AbandonedCart", bodies)
    assert count == 2
    by_name = {p.name: p for p in spec.params}
    assert [(n, p.required) for n, p in by_name.items()] == [
        ("externalCustomerId", True), ("totalValue", True), ("currency", True), ("note", False), ("items", True)]
    assert str(by_name["totalValue"].field.type) == "number" and str(by_name["currency"].field.type) == "currency"
    items = by_name["items"]
    assert str(items.shape) == "list" and [(f.name, f.required) for f in items.fields] == [("sku", True),
                                                                                           ("qty", False)]
    assert spec.example_locators == ("externalCustomerId",)
    parse_profile(profile_text("Inferred", [spec], as_json=True), "p.json", is_json=True)
    with pytest.raises(InputError, match="no sent event of type 'Nope'"):
        infer_event_type("Nope", bodies)


def test_inferring_leaves_out_names_a_profile_cannot_hold() -> None:
    bodies = [{"eventTypeKey": "T", "params": [
        {"name": "ok", "value": {"sku": "A", "\ud800": 1, "a\x1b": 2, "": 3}},
        {"name": "\ud800", "value": "x"}, {"name": "x" * 101, "value": "y"}, {"name": " ", "value": "z"}]}]
    spec, _ = infer_event_type("T", bodies)
    assert [p.name for p in spec.params] == ["ok"] and [f.name for f in spec.params[0].fields] == ["sku"]
    parse_profile(profile_text("Inferred", [spec]), "p.yaml")


def test_a_profile_file_is_read_no_further_than_its_cap(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (3 * 1024 * 1024))
    with pytest.raises(InputError, match="larger than 2 MB, the most a profile may hold"):
        load_profile(big)
