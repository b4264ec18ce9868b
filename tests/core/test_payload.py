import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yespo_console.core.events.catalog import EVENTS, EXAMPLE_KEYS, LOCATOR_PRIORITY, Shape
from yespo_console.core.events.examples import example_draft
from yespo_console.core.events.payload import (
    Draft,
    DraftError,
    ExtraParam,
    body_object,
    build_body,
    detect_nested_encoding,
    draft_from_json,
    draft_to_json,
    parse_body,
)


def test_string_encoding_escapes_nested_json_like_the_docs():
    body = json.loads(build_body(example_draft("pageViewed")))
    page = next(p for p in body["params"] if p["name"] == "page")
    assert page["value"] == '{"location":"https://example.com"}'


def test_object_encoding_sends_real_objects():
    body = json.loads(build_body(example_draft("cartUpdated"), nested="object"))
    products = next(p for p in body["params"] if p["name"] == "products")["value"]
    assert isinstance(products, list) and products[0]["quantity"] == 1


def test_wire_order_is_envelope_then_locators_by_priority_then_catalog_then_extras():
    draft = Draft(event_type="productViewed", key_value="k",
                  locators={"phone": "380501234567", "contactId": "7", "email": "a@b.co"},
                  values={"currencyCode": "USD", "product": {"price": 1, "productId": "p", "color": ["red"]}},
                  extra_params=[ExtraParam(name="z", value="1")])
    body = body_object(draft, nested="object")
    assert list(body) == ["eventTypeKey", "keyValue", "params"]
    assert [p["name"] for p in body["params"]] == ["contactId", "email", "phone", "product", "currencyCode", "z"]
    assert list(body["params"][3]["value"]) == ["productId", "price", "color"]


def test_non_ascii_is_written_as_utf8_not_escaped():
    draft = Draft(event_type="searchRequest", locators={"email": "a@b.co"}, values={"search": "чашка ☕"})
    for nested in ("string", "object"):
        raw = build_body(draft, nested=nested)
        assert "чашка ☕".encode() in raw and b"\\u" not in raw


def test_pretty_and_compact():
    draft = example_draft("searchRequest")
    assert b"\n" not in build_body(draft)
    assert build_body(draft, pretty=True).startswith(b'{\n  "eventTypeKey"')
    assert json.loads(build_body(draft)) == json.loads(build_body(draft, pretty=True))


def test_numbers_become_strings_in_the_string_encoding_and_come_back_as_numbers():
    draft = Draft(event_type="searchRequest", locators={"email": "a@b.co"}, values={"search": "x", "isFound": 1})
    body = json.loads(build_body(draft))
    assert {"name": "isFound", "value": "1"} in body["params"]
    assert parse_body(build_body(draft)).values["isFound"] == 1


def test_parse_keeps_what_does_not_fit_a_slot():
    text = json.dumps({"eventTypeKey": "pageViewed", "occurred": "2026-01-01T00:00:00",
                       "params": [{"name": "email", "value": "a@b.co"}, {"name": "email", "value": "c@d.co"},
                                  {"name": "page", "value": "not json"}, "junk"]})
    draft = parse_body(text)
    assert draft.locators == {"email": "a@b.co"}
    assert draft.values == {"page": "not json"}
    assert draft.extra_fields == {"occurred": "2026-01-01T00:00:00"}
    assert [p.name for p in draft.extra_params] == ["email", ""]


def test_detect_nested_encoding():
    assert detect_nested_encoding(json.loads(build_body(example_draft("productViewed")))) == "string"
    assert detect_nested_encoding(json.loads(build_body(example_draft("productViewed"), nested="object"))) == "object"
    assert detect_nested_encoding({"params": [{"name": "a", "value": "b"}]}) is None


def test_every_example_round_trips_exactly():
    for key in EXAMPLE_KEYS:
        draft = example_draft(key)
        for nested in ("string", "object"):
            for pretty in (False, True):
                raw = build_body(draft, nested=nested, pretty=pretty)
                assert parse_body(raw) == draft
                assert build_body(parse_body(raw), nested=nested, pretty=pretty) == raw


# -- property: builder -> parser round trip over drafts the forms can make -------------------------

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
number = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=32))
scalar = st.one_of(text, number)


@st.composite
def drafts(draw: st.DrawFn) -> Draft:
    spec = draw(st.sampled_from(EVENTS))
    values = {}
    for param in spec.params:
        if not draw(st.booleans()):
            continue
        if param.shape is Shape.SCALAR:
            values[param.name] = draw(text if param.field.type.value != "flag" else st.sampled_from([0, 1]))
            continue
        def obj(param=param):
            keys = st.fixed_dictionaries({f.name: scalar for f in param.fields if draw(st.booleans())})
            return keys
        if param.shape is Shape.OBJECT:
            values[param.name] = draw(obj())
        else:
            values[param.name] = draw(st.lists(obj(), max_size=3))
    locators = draw(st.dictionaries(st.sampled_from(LOCATOR_PRIORITY), text, max_size=5))
    extras = draw(st.lists(st.builds(ExtraParam, name=text.filter(lambda n: n not in LOCATOR_PRIORITY
                                                                   and n not in {p.name for p in spec.params}),
                                     value=text), max_size=3))
    return Draft(event_type=spec.key, key_value=draw(st.none() | text), locators=locators, values=values,
                 extra_params=extras)


@settings(max_examples=300, deadline=None)
@given(drafts(), st.sampled_from(["string", "object"]), st.booleans())
def test_round_trip_property(draft: Draft, nested: str, pretty: bool):
    raw = build_body(draft, nested=nested, pretty=pretty)
    again = parse_body(raw)
    assert build_body(again, nested=nested, pretty=pretty) == raw
    if nested == "object":
        assert again == draft


# -- stored drafts: draft_to_json / draft_from_json ---------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(drafts(), st.dictionaries(text, scalar, max_size=3))
def test_a_stored_draft_reads_back_equal_through_json_text(draft: Draft, extra_fields: dict):
    draft.extra_fields.update(extra_fields)
    again = draft_from_json(json.loads(json.dumps(draft_to_json(draft), ensure_ascii=False)))
    assert again == draft
    assert build_body(again) == build_body(draft)


def test_a_draft_owns_its_containers():
    locators = {"email": "a@b.co"}
    draft = Draft(event_type="pageViewed", locators=locators)
    draft.locators["phone"] = "380501234567"
    assert locators == {"email": "a@b.co"}
    stored = draft_to_json(draft)
    stored["locators"]["email"] = "changed"
    assert draft.locators["email"] == "a@b.co"


def test_a_stored_draft_may_lack_keys_or_carry_unknown_ones():
    assert draft_from_json({}) == Draft()
    assert draft_from_json({"event_type": "cartUpdated", "written_by": "a newer version"}) == Draft("cartUpdated")


@pytest.mark.parametrize(("data", "where"), [
    ([], "a draft is an object, not list"),
    ("cartUpdated", "a draft is an object, not str"),
    (None, "a draft is an object, not NoneType"),
    ({"event_type": 7}, "event_type: must be text"),
    ({"key_value": ["k"]}, "key_value: must be text or null"),
    ({"locators": "email"}, "locators: must be an object, not str"),
    ({"values": [1, 2]}, "values: must be an object, not list"),
    ({"extra_fields": 1}, "extra_fields: must be an object, not int"),
    ({"extra_params": {"name": "x"}}, "extra_params: must be a list, not dict"),
    ({"extra_params": [{"name": "a", "value": 1}, {"name": "b"}]}, "extra_params.1: must be an object"),
    ({"extra_params": [{"name": None, "value": 1}]}, "extra_params.0: must be an object"),
    ({"extra_params": ["x"]}, "extra_params.0: must be an object"),
])
def test_a_stored_draft_that_is_not_one_is_refused_saying_where(data, where):
    with pytest.raises(DraftError) as refused:
        draft_from_json(data)
    message = str(refused.value)
    assert message.startswith(where) and "\n" not in message


def test_a_deeply_nested_stored_value_is_kept_without_recursion():
    deep: object = "leaf"
    for _ in range(5000):
        deep = [deep]
    draft = draft_from_json({"event_type": "pageViewed", "values": {"page": deep}})
    assert draft.values["page"] is deep
