"""One test per inspector rule: the code, the path and the severity it reports."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yespo_console.core.events.catalog import EXAMPLE_KEYS
from yespo_console.core.events.diagnostics import inspect_body, inspect_event
from yespo_console.core.events.examples import example_draft
from yespo_console.core.events.findings import Severity
from yespo_console.core.events.payload import body_object, build_body

E, W = Severity.ERROR, Severity.WARNING


def event(event_type="pageViewed", key_value=..., nested="object", **values):
    """A valid example of `event_type` with some params replaced (None removes one)."""
    draft = example_draft(event_type) if event_type in EXAMPLE_KEYS else example_draft("custom")
    if event_type not in EXAMPLE_KEYS:
        draft.event_type = event_type
    body = body_object(draft, nested=nested)
    if key_value is not ...:
        if key_value is None:
            body.pop("keyValue", None)
        else:
            body["keyValue"] = key_value
    for name, value in values.items():
        index = next((i for i, p in enumerate(body["params"]) if p["name"] == name), None)
        if value is None:
            body["params"] = [p for p in body["params"] if p["name"] != name]
        elif index is None:
            body["params"].append({"name": name, "value": value})
        else:
            body["params"][index] = {"name": name, "value": value}
    return body


def codes(data, **kw):
    report = inspect_body(data if isinstance(data, str | bytes) else json.dumps(data, ensure_ascii=False), **kw)
    return {(f.code, f.path, f.severity) for f in report.findings}


def has(data, code, path=None, severity=E, **kw):
    found = codes(data, **kw)
    matches = [f for f in found if f[0] == code and (path is None or f[1] == path)]
    assert matches, f"{code} at {path} not in {sorted(found)}"
    assert all(m[2] is severity for m in matches), matches


@pytest.mark.parametrize("key", EXAMPLE_KEYS)
@pytest.mark.parametrize("nested", ["string", "object"])
def test_every_example_is_clean_in_both_encodings(key, nested):
    report = inspect_body(build_body(example_draft(key), nested=nested))
    assert report.findings == () and report.valid


@pytest.mark.parametrize("key", EXAMPLE_KEYS)
def test_every_example_is_clean_under_v1_in_the_string_encoding(key):
    assert inspect_body(build_body(example_draft(key)), api_version="v1").valid


# -- the text and the envelope ---------------------------------------------------------------

def test_not_json_reports_line_and_column():
    has('{"eventTypeKey": "x",\n  "params": [}', "body.not_json", "line 2:14")


def test_not_utf8_empty_and_bom():
    has(b'{"eventTypeKey": "\xff"}', "body.encoding", "$")
    has("  ", "body.empty", "$")
    has("\ufeff" + json.dumps(event()), "body.bom", "$", W)


def test_not_an_object_nan_and_duplicate_keys():
    has("[1, 2]", "body.not_object", "$")
    has('{"eventTypeKey": "x", "n": NaN}', "body.not_json", "$")
    has('{"eventTypeKey": "x", "eventTypeKey": "y"}', "body.duplicate_key", "$")


def test_comments_in_the_docs_annotated_examples():
    has('{\n  "eventTypeKey": "x", // the key\n  "params": []}', "body.comments")


def test_body_over_20_kb():
    big = event(search="x" * 21_000, event_type="searchRequest")
    has(big, "body.too_large", "$")
    assert not any(c[0] == "body.too_large" for c in codes(event(event_type="searchRequest", search="x" * 19_000)))


@pytest.mark.parametrize(("value", "code"), [(..., "event_type.missing"), (5, "event_type.not_string"),
                                             ("", "event_type.empty"), ("  ", "event_type.empty"),
                                             ("a" * 101, "event_type.too_long"),
                                             ("page/viewed", "event_type.forbidden_chars")])
def test_event_type_key_rules(value, code):
    body = event()
    if value is ...:
        del body["eventTypeKey"]
    else:
        body["eventTypeKey"] = value
    has(body, code)


def test_event_type_limit_is_inclusive_and_each_forbidden_char_is_caught():
    assert not any(c[0].startswith("event_type") for c in codes(event("a" * 100)))
    for char in "<;'\\/|\"`^?!,>":
        has(event("ev" + char), "event_type.forbidden_chars", "eventTypeKey")


def test_event_type_case_mismatch_and_whitespace_warn():
    has(event("PageViewed"), "event_type.case_mismatch", "eventTypeKey", W)
    has(event(" myEvent"), "event_type.whitespace", "eventTypeKey", W)


@pytest.mark.parametrize(("value", "code", "severity"), [(12, "key_value.not_string", E),
                                                         ("k" * 301, "key_value.too_long", E),
                                                         ("a,b", "key_value.forbidden_chars", E),
                                                         ("", "key_value.empty", W)])
def test_key_value_rules(value, code, severity):
    has(event(key_value=value), code, "keyValue", severity)


def test_key_value_of_300_characters_is_fine():
    assert not any(c[0].startswith("key_value.too") for c in codes(event(key_value="k" * 300)))


def test_params_missing_or_not_a_list():
    body = event()
    del body["params"]
    has(body, "params.missing", "$", W)
    body["params"] = {"name": "email"}
    has(body, "params.not_array", "params")


def test_param_items():
    body = event()
    body["params"] += ["x", {"value": "1"}, {"name": 3, "value": "1"}, {"name": "", "value": "1"},
                       {"name": "n" * 101, "value": "1"}, {"name": "solo"}, {"name": "email", "value": "c@d.co"},
                       {"name": "q", "value": None, "extra": 1}]
    base = len(event()["params"])
    has(body, "param.not_object", f"params[{base}]")
    has(body, "param.name_missing", f"params[{base + 1}]")
    has(body, "param.name_not_string", f"params[{base + 2}].name")
    has(body, "param.name_empty", f"params[{base + 3}].name")
    has(body, "param.name_too_long", f"params[{base + 4}].name")
    has(body, "param.value_missing", f"params[{base + 5}]")
    has(body, "param.duplicate_name", f"params[{base + 6}].name")
    has(body, "param.value_null", f"params[{base + 7}].value", W)
    has(body, "param.unknown_key", f"params[{base + 7}]", W)


def test_v1_requires_string_values():
    has(build_body(example_draft("pageViewed"), nested="object"), "param.value_not_string", "params[2].value",
        api_version="v1")
    assert inspect_body(build_body(example_draft("pageViewed"), nested="object")).valid


# -- locators ----------------------------------------------------------------------------------

def test_no_key_value_and_no_locator_is_rejected():
    has(event(key_value=None, email=None, phone=None), "locator.none", "params")
    has(event(key_value=None, email="", phone="null"), "locator.none", "params")
    has(event(key_value=None, email="", phone="null"), "locator.ignored", None, W)
    assert inspect_body(json.dumps(event(key_value=None))).key_value_source == "email"


def test_key_value_differs_from_best_locator():
    has(event(key_value="someone@else.com"), "key_value.differs_from_locator", "keyValue", W)


def test_standard_locator_names_are_compared_case_insensitively():
    body = event(key_value=None, email=None, phone=None, Email="a@b.co")
    has(body, "locator.case", None, W)
    report = inspect_body(json.dumps(body))
    assert report.key_value == "a@b.co" and report.key_value_source == "email"
    has(event(key_value=None, email=None, phone=None, EMAIL="not-an-email"), "email.invalid")


def test_a_documented_alias_is_not_a_locator_and_the_alias_list_is_exactly_the_documented_one():
    body = event(key_value=None, email=None, phone=None, EmailAddress="a@b.co")
    has(body, "locator.alias", None, W)
    has(body, "locator.none", "params")
    for name in ("Contact_id", "UserEmail", "ContactEmail", "SMS", "PhoneNumber"):
        has(event(key_value=None, email=None, phone=None, **{name: "x"}), "locator.alias", None, W)
    for name in ("externalid", "external_customer_id", "push_token"):
        found = {c[0] for c in codes(event(key_value=None, email=None, phone=None, **{name: "x"}))}
        assert "locator.alias" not in found and "locator.none" in found, name


def test_contact_key_is_its_own_contact_field_not_the_contact_id():
    for name in ("ContactKey", "Contact_key"):
        body = event(key_value=None, email=None, phone=None, **{name: "42"})
        has(body, "locator.contact_key", None, W)
        has(body, "locator.none", "params")
        assert "contactId" not in next(f.message for f in inspect_body(json.dumps(body)).findings
                                       if f.code == "locator.contact_key")


def test_forbidden_characters_and_the_length_limit_apply_to_contact_identifiers_in_params():
    has(event(key_value="it\u2019s"), "key_value.forbidden_chars", "keyValue")
    has(event(key_value=None, email="o\u2019brien@example.com"), "locator.forbidden_chars", "params[0].value")
    has(event(key_value=None, externalCustomerId="c" * 301), "locator.too_long")
    assert "locator.too_long" not in {c[0] for c in codes(event(key_value=None, externalCustomerId="c" * 300))}
    report = inspect_body(json.dumps(event(key_value=None, email="a,b@example.com")))
    assert report.as_dict()["verdict"]["validationOff"] == "rejected"


def test_malformed_email_and_phone():
    has(event(email="not-an-email"), "email.invalid", "params[0].value")
    has(event(phone="call me"), "phone.invalid", "params[1].value")
    has(event(phone="411786452"), "phone.not_international", "params[1].value", W)
    has(event(phone="+380 50 123 4567"), "phone.formatting", "params[1].value", W)
    assert inspect_body(json.dumps(event(phone="+380501234567"))).findings == ()


# -- the seven events --------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "param"), [("pageViewed", "page"), ("productViewed", "product"),
                                            ("productCategoryViewed", "category"), ("cartUpdated", "recycleStateId"),
                                            ("productImpressions", "recomVariantId"),
                                            ("productImpressions", "products"),
                                            ("productAddedToWishlist", "product"), ("searchRequest", "search")])
def test_required_params(key, param):
    has(event(key, **{param: None}), "field.missing", "params")


@pytest.mark.parametrize(("key", "param", "value", "missing"), [
    ("pageViewed", "page", {}, "location"),
    ("productViewed", "product", {"price": 1}, "productId"),
    ("productViewed", "product", {"productId": "p"}, "price"),
    ("productCategoryViewed", "category", {}, "productCategoryId"),
    ("productAddedToWishlist", "product", {"productId": "p"}, "price"),
])
def test_required_nested_fields_in_both_encodings(key, param, value, missing):
    for encoded in (value, json.dumps(value)):
        body = event(key, **{param: encoded})
        index = next(i for i, p in enumerate(body["params"]) if p["name"] == param)
        has(body, "field.missing", f"params[{index}].value.{missing}")


def test_cart_items_need_product_id_quantity_and_price():
    body = event("cartUpdated", products=[{"productId": "a", "quantity": 1, "price": 2}, {"name": "x"}])
    index = next(i for i, p in enumerate(body["params"]) if p["name"] == "products")
    found = [c for c in codes(body) if c[0] == "field.missing"]
    assert {c[1] for c in found} == {f"params[{index}].value[1].{key}" for key in ("productId", "quantity", "price")}


def test_an_empty_cart_is_valid_and_an_absent_list_warns():
    assert inspect_body(json.dumps(event("cartUpdated", products=[]))).valid
    assert inspect_body(json.dumps(event("cartUpdated", products="[]"))).valid
    has(event("cartUpdated", products=None), "field.missing_list", "params", W)
    has(event("productImpressions", products=[]), "nested.empty_list")


def test_nested_string_that_is_not_json_is_an_error():
    has(event("productViewed", product='{"productId": "p", price: 1}'), "nested.not_json")


def test_shapes():
    has(event("cartUpdated", products={"productId": "a", "quantity": 1, "price": 1}), "nested.not_list")
    has(event("cartUpdated", products=["a"]), "nested.item_not_object")
    has(event("productViewed", product=[{"productId": "a", "price": 1}]), "nested.not_object")


def test_types_and_ranges():
    path = "params[2].value"
    has(event("productViewed", product={"productId": "p", "price": "cheap"}), "field.wrong_type", f"{path}.price")
    has(event("productViewed", product={"productId": "p", "price": "45.5"}), "field.numeric_string",
        f"{path}.price", W)
    has(event("productViewed", product={"productId": "p", "price": -1}), "field.out_of_range", f"{path}.price")
    has(event("productViewed", product={"productId": "p", "price": True}), "field.wrong_type", f"{path}.price")
    has(event("productViewed", product={"productId": "p", "price": 1, "isInStock": 2}), "field.out_of_range",
        f"{path}.isInStock")
    has(event("productViewed", product={"productId": 5, "price": 1}), "field.not_string", f"{path}.productId", W)
    has(event("productViewed", product={"productId": "", "price": 1}), "field.empty", f"{path}.productId")
    has(event("productViewed", product={"productId": "p", "price": 1, "color": "red"}), "field.extra_not_list",
        f"{path}.color", W)
    has(event("productViewed", product={"productId": "p", "price": 1, "ProductId": "x"}), "field.name_case",
        f"{path}.ProductId", W)
    has(event("pageViewed", page={"location": "https://e.com", "title": "x"}), "field.unknown", f"{path}.title", W)
    has(event("pageViewed", page={"location": "example.com/page"}), "field.url", f"{path}.location", W)


def test_flags_only_zero_or_one():
    for good in (0, 1, "0", "1"):
        assert inspect_body(json.dumps(event("searchRequest", isFound=good))).valid
    has(event("searchRequest", isFound=2), "field.out_of_range")
    has(event("searchRequest", isFound="yes"), "field.wrong_type")


def test_recom_variant_pattern():
    has(event("productImpressions", recomVariantId="123-1"), "field.pattern")
    assert inspect_body(json.dumps(event("productImpressions", recomVariantId="r12v3"))).valid


def test_currency_code():
    has(event("productViewed", currencyCode="ZZZ"), "currency.unknown")
    has(event("productViewed", currencyCode="usd"), "currency.case", None, W)
    assert inspect_body(json.dumps(event("productViewed", currencyCode="UAH"))).valid


def test_an_iso_currency_outside_the_documented_three_is_accepted_but():
    for code in ("USD", "EUR", "UAH"):
        assert inspect_body(json.dumps(event("productViewed", currencyCode=code))).findings == ()
    report = inspect_body(json.dumps(event("productViewed", currencyCode="GBP")))
    assert report.valid
    assert [(f.code, str(f.tier)) for f in report.findings] == [("currency.unsupported", "accepted_but")]


def test_cart_id_instead_of_recycle_state_id_is_explained_and_rejected_only_if_validated():
    body = event("cartUpdated", recycleStateId=None, cartId="c-1")
    report = inspect_body(json.dumps(body))
    [missing] = [f for f in report.findings if f.code == "field.missing"]
    assert "'cartId' instead" in missing.message and "mobile SDK" in missing.message
    assert str(missing.tier) == "rejected_if_validated"
    assert report.as_dict()["verdict"] == {"validationOff": "accepted", "validationOn": "rejected"}
    plain = next(f for f in inspect_body(json.dumps(event("cartUpdated", recycleStateId=None))).findings
                 if f.code == "field.missing")
    assert "cartId" not in plain.message


def test_a_numeric_discount_and_extra_category_keys_are_fine():
    products = [{"productId": "1", "quantity": 1, "price": 10, "discount": 2.5}]
    assert inspect_body(json.dumps(event("cartUpdated", products=products))).findings == ()
    category = {"productCategoryId": "Mugs", "attributes": ["tea", "coffee"]}
    assert inspect_body(json.dumps(event("productCategoryViewed", category=category))).findings == ()
    has(event("cartUpdated", products=[{**products[0], "discount": True}]), "field.wrong_type")


def test_param_name_case():
    has(event("searchRequest", search=None, Search="x"), "param.name_case", None, W)


def test_custom_events_get_envelope_and_locator_checks_only():
    body = event("loyaltyPointsAdded", key_value=None)
    assert inspect_body(json.dumps(body)).valid
    has(event("loyaltyPointsAdded", key_value=None, email=None), "locator.none")


def test_report_json_contract():
    report = inspect_body(json.dumps(event(key_value=None)))
    data = report.as_dict()
    assert list(data) == ["valid", "eventTypeKey", "keyValue", "keyValueSource", "verdict", "diagnostics"]
    assert data["keyValueSource"] == "email" and data["valid"] is True


def test_inspect_event_on_parsed_items():
    assert not inspect_event("nope").valid
    assert inspect_event(event()).valid


# -- the inspector never raises ----------------------------------------------------------------

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                           max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_text(text):
    inspect_body(text)


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_never_raises_on_bytes(data):
    inspect_body(data)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_never_raises_on_json_values(value):
    inspect_event(value)
    inspect_body(json.dumps(value))


params_like = st.fixed_dictionaries({
    "eventTypeKey": st.sampled_from(EXAMPLE_KEYS) | st.text(max_size=5),
    "params": st.lists(st.fixed_dictionaries({"name": st.sampled_from(
        ["email", "phone", "page", "product", "products", "category", "isFound", "currencyCode", "x"]),
        "value": json_values | json_values.map(json.dumps)}), max_size=6)})


@settings(max_examples=500, deadline=None)
@given(params_like)
def test_never_raises_on_event_shaped_values(value):
    report = inspect_event(value)
    assert all(f.path and f.message for f in report.findings)


def test_missing_param_hint_is_written_in_the_bodys_own_nesting():
    def hint(body):
        return next(f.hint for f in inspect_body(json.dumps(body)).findings if f.code == "field.missing")

    as_string = event("productViewed", product=None)
    assert '"value":"{\\"productId\\"' in hint(as_string)
    as_object = event("productViewed", product=None, currencyCode=None)
    as_object["params"].append({"name": "extra", "value": {"a": 1}})
    assert '"value":{"productId"' in hint(as_object)


def test_a_body_nested_too_deeply_is_named_with_a_fitting_hint() -> None:
    report = inspect_body("[" * 100_000)
    (finding,) = report.findings
    assert finding.code == "body.not_json" and finding.message == "Not valid JSON: nested too deeply."
    assert finding.hint == "Nest objects and lists far less deeply." and finding.tier == "rejected"
