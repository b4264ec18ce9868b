"""The documentation's own examples: the broken ones are caught, and repaired where the intent is clear."""

import json
import re
from pathlib import Path

import pytest

from yespo_console.core.events.diagnostics import inspect_body
from yespo_console.core.events.repair import find_unescaped_nested, repair

# The seven JSON examples of Yespo's Generate event page, verbatim (docs/api-facts.md says where they come from).
FIXTURE = Path(__file__).with_name("doc_examples.md")


def doc_examples() -> list[str]:
    return re.findall(r"```json\n(.*?)```", FIXTURE.read_text(), re.S)


def test_seven_examples_none_of_them_json():
    examples = doc_examples()
    assert len(examples) == 7
    for text in examples:
        report = inspect_body(text)
        assert not report.valid and report.body is None


@pytest.mark.parametrize("index", [0, 1, 2, 3])
@pytest.mark.parametrize("nested", ["string", "object"])
def test_unescaped_nested_json_is_explained_and_repaired(index, nested):
    text = doc_examples()[index]
    report = inspect_body(text)
    assert [f.code for f in report.findings] == ["body.unescaped_nested_json"]
    assert "Repair" in report.findings[0].hint
    result = repair(text, nested=nested)
    assert result is not None and len(result.changes) == 1
    fixed = inspect_body(result.text)
    assert fixed.valid, fixed.findings
    body = json.loads(result.text)
    nested_value = body["params"][2]["value"]
    assert isinstance(nested_value, str if nested == "string" else dict | list)


def test_product_viewed_stray_brackets_are_dropped_and_said():
    text = doc_examples()[1]
    result = repair(text)
    assert "stray ']}'" in result.changes[0]
    product = json.loads(json.loads(result.text)["params"][2]["value"])
    assert product == {"productId": "WS01-L-Green", "price": 45.5, "isInStock": 1, "someProductProperty": ["green"]}


@pytest.mark.parametrize("index", [4, 5, 6])
def test_annotated_examples_are_caught_but_not_guessed(index):
    text = doc_examples()[index]
    assert [f.code for f in inspect_body(text).findings] == ["body.comments"]
    assert repair(text) is None


def test_valid_escaped_strings_are_left_alone():
    text = json.dumps({"eventTypeKey": "x", "params": [{"name": "p", "value": '{"a":"b"}'}]})
    assert find_unescaped_nested(text) == [] and repair(text) is None


def test_ambiguous_inner_text_is_not_repaired():
    text = '{"eventTypeKey": "x", "params": [{"name": "p", "value": "{"a": b}"}]}'
    assert repair(text) is None
    assert inspect_body(text).findings[0].code == "body.not_json"


def test_lists_and_several_spots():
    text = ('{"eventTypeKey": "cartUpdated", "keyValue": "k", "params": [{"name": "products", "value": '
            '"[{"productId":"a","quantity":1,"price":2}]"}, {"name": "x", "value": "{"y":"é"}"}]}')
    result = repair(text, pretty=False)
    body = json.loads(result.text)
    assert body["params"][0]["value"] == '[{"productId":"a","quantity":1,"price":2}]'
    assert body["params"][1]["value"] == '{"y":"é"}' and len(result.changes) == 2
