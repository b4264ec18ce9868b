"""`inspect` and `example` as a user runs them: a real process, real exit codes."""

import json
import subprocess
import sys

import pytest

from yespo_console.core.events.catalog import EXAMPLE_KEYS


def cli(*args, stdin=b""):
    result = subprocess.run([sys.executable, "-m", "yespo_console", *args], input=stdin, capture_output=True,
                            timeout=60)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


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
                                      "hint": data["diagnostics"][0]["hint"]}


def test_inspect_text_output_one_finding_a_line_with_hint():
    code, out, _ = cli("inspect", "-", stdin=b'{"eventTypeKey": "x", "keyValue": "k", "params": [], "a": 1, "a": 2}')
    assert code == 1
    assert out.splitlines()[0].startswith("error: $: The key 'a' appears twice")
    assert out.splitlines()[1].startswith("  hint: ")


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


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version(flag):
    code, out, _ = cli(flag)
    assert code == 0 and "yespo-console" in out


@pytest.mark.parametrize(("argv", "expected"), [
    ([], ("gui", False)),
    (["--data-dir", "d"], ("gui", False)),
    (["--data-dir", "gui"], ("gui", False)),  # a folder named like a command is still the folder
    (["--data-dir=d", "send", "x.json"], ("send", True)),
    (["--data-dir", "d", "past-events", "--help"], ("past-events", True)),
    (["--help"], (None, False)),
    (["--version"], (None, False)),
    (["--data-dir"], (None, False)),
    (["sned"], (None, False)),
    (["--"], (None, False)),
])
def test_only_the_command_asked_for_is_loaded(argv, expected):
    from yespo_console.cli.main import requested_command

    assert requested_command(argv) == expected


def test_version_help_and_mistakes_still_see_every_command():
    code, out, _ = cli("--version")
    assert code == 0 and out.startswith("yespo-console ")
    code, out, _ = cli("--help")
    assert code == 0 and all(name in out for name in ("inspect", "send", "history", "run", "past-events", "gui"))
    code, _, err = cli("sned")
    assert code == 2 and "invalid choice: 'sned'" in err and "'send'" in err
    code, _, err = cli("--")
    assert code == 2 and "COMMAND" in err
    code, _, err = cli("gui", "--event", "nope")
    assert code == 2 and "unknown event type 'nope'" in err and "cartUpdated" in err
