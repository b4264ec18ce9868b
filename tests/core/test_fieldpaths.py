import json

from yespo_console.core.events.examples import example_draft
from yespo_console.core.events.fieldpaths import form_key
from yespo_console.core.events.payload import body_object


def test_paths_map_to_form_keys():
    body = body_object(example_draft("cartUpdated"))
    body["params"].append({"name": "email", "value": "dup@b.co"})
    body["params"].append({"name": "custom", "value": "1"})
    names = [p["name"] for p in body["params"]]
    products = names.index("products")
    assert form_key(body, "keyValue") == "keyValue"
    assert form_key(body, "eventTypeKey") == "eventTypeKey"
    assert form_key(body, "params[0].value") == "email"
    assert form_key(body, f"params[{products}].value") == "products"
    assert form_key(body, f"params[{products}].value[1].quantity") == "products[1].quantity"
    assert form_key(body, f"params[{products}].value[1]") == "products[1]"
    assert form_key(body, f"params[{len(names) - 2}].name") == "extra[0]"
    assert form_key(body, f"params[{len(names) - 1}].value") == "extra[1]"
    assert form_key(body, "params[99].value") is None
    assert form_key(body, "$") is None and form_key(None, "params[0]") is None


def test_nested_object_fields():
    body = body_object(example_draft("productViewed"), nested="object")
    index = [p["name"] for p in body["params"]].index("product")
    assert form_key(body, f"params[{index}].value.price") == "product.price"
    assert form_key(json.loads(json.dumps(body)), f"params[{index}].name") == "product"
