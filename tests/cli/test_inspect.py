"""`inspect` and `example` as a user runs them: a real process, real exit codes."""

import json

from tests.cli.helpers import run_process as cli
from yespo_console.core.events.catalog import EXAMPLE_KEYS


def test_example_then_inspect_for_every_type():
    for key in EXAMPLE_KEYS:
        for nested in ("string", "object"):
            code, out, _ = cli("example", key, "--nested", nested)
            assert code == 0
            code, report, _ = cli("inspect", "--json", stdin=out.encode())
            data = json.loads(report)
            assert code == 0 and data["valid"] and data["diagnostics"] == [], (key, nested, data)


def test_inspect_json_contract_and_exit_1_on_error(tmp_path):
    body = tmp_path / "b.json"
    body.write_text(json.dumps({"eventTypeKey": "pageViewed", "params": [{"name": "email", "value": "a@b.co"}]}))
    code, out, _ = cli("inspect", str(body), "--json")
    data = json.loads(out)
    assert code == 1
    assert data["keyValue"] == "a@b.co" and data["keyValueSource"] == "email" and data["eventTypeKey"] == "pageViewed"
    assert data["diagnostics"][0] == {"severity": "error", "code": "field.missing", "path": "params",
                                      "message": data["diagnostics"][0]["message"],
                                      "hint": data["diagnostics"][0]["hint"], "tier": "rejected_if_validated",
                                      "source": "D validating-event-parameters.md"}
    assert data["verdict"] == {"validationOff": "accepted", "validationOn": "rejected"}


def test_inspect_text_output_one_finding_a_line_with_hint():
    code, out, _ = cli("inspect", "-", stdin=b'{"eventTypeKey": "x", "keyValue": "k", "params": [], "a": 1, "a": 2}')
    assert code == 1
    assert out.splitlines()[0].startswith("error: $: The key 'a' appears twice")
    assert out.splitlines()[1].startswith("  hint: ")
    assert out.splitlines()[2].startswith("  source: ")
    assert "[body.duplicate_key; accepted, but downstream]" in out.splitlines()[0]


def test_inspect_text_output_ends_with_both_verdicts():
    code, out, _ = cli("inspect", "-", stdin=b'{"eventTypeKey": "pageViewed", "keyValue": "k", "params": []}')
    assert code == 1
    assert "[field.missing; rejected if Validate parameters is on]" in out
    assert out.splitlines()[-1] == "verdict: Yespo accepts · rejects if Validate parameters is on"
    code, out, _ = cli("inspect", "-", stdin=b'{"params": []}')
    assert out.splitlines()[-1] == "verdict: Yespo rejects this event"


def test_inspect_exit_2_on_unreadable_input_and_bad_arguments(tmp_path):
    assert cli("inspect", str(tmp_path / "missing.json"))[0] == 2
    assert "no such file" in cli("inspect", str(tmp_path / "missing.json"))[2]
    assert cli("inspect", str(tmp_path))[0] == 2
    assert cli("inspect", "--bogus")[0] == 2
    assert cli("example", "nope")[0] == 2


def test_fix_repairs_the_doc_example_and_refuses_otherwise():
    broken = b'{"eventTypeKey": "pageViewed", "keyValue": "a@b.co", "params": [{"name": "page", "value": "{"location":"https://example.com"}"}]}'
    code, out, err = cli("inspect", "--fix", stdin=broken)
    assert code == 0 and "repaired line 1" in err
    assert json.loads(out)["params"][0]["value"] == '{"location":"https://example.com"}'
    code, out, _ = cli("inspect", "--fix", "--nested", "object", stdin=broken)
    assert json.loads(out)["params"][0]["value"] == {"location": "https://example.com"}
    assert cli("inspect", "--fix", stdin=b'{"a": 1}')[0] == 1
    assert cli("inspect", "--fix", stdin=b"{oops")[0] == 1
