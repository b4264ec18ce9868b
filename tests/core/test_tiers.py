"""Every finding code has a tier and a source; a report's two verdicts follow from its tiers."""

import ast
import json
from pathlib import Path

import pytest

from tests.core.test_diagnostics import event
from yespo_console.core.events import diagnostics, rules, tracker_rules
from yespo_console.core.events.diagnostics import inspect_body
from yespo_console.core.events.findings import Finding, Severity
from yespo_console.core.events.tiers import RULES, Tier
from yespo_console.sandbox import judge


def _emitted_codes() -> set[str]:
    """The codes the source passes to EventChecks.error/warn and Finding.of; key_text's f"{code}.suffix"
    codes are expanded with the prefixes it is called with."""
    codes: set[str] = set()
    suffixes: set[str] = set()
    prefixes: set[str] = set()
    for module in (rules, diagnostics, judge, tracker_rules):
        for node in ast.walk(ast.parse(Path(str(module.__file__)).read_text("utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            name, args = node.func.attr, node.args
            arg = args[1] if name == "of" and len(args) > 1 else args[0] if name in ("error", "warn", "key_text") \
                and args else None
            if name == "key_text" and isinstance(arg, ast.Constant):
                prefixes.add(arg.value)
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str) and name != "key_text":
                codes.add(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                tail = arg.values[-1]
                assert isinstance(tail, ast.Constant), ast.unparse(arg)
                suffixes.add(tail.value)
    return codes | {prefix + suffix for prefix in prefixes for suffix in suffixes}


def test_every_code_the_rules_emit_has_a_tier_and_a_source_and_no_rule_is_unused():
    emitted = _emitted_codes()
    assert {"field.missing", "key_value.forbidden_chars", "body.not_json", "past_events.field"} <= emitted
    assert emitted == set(RULES)
    for code, rule in RULES.items():
        assert isinstance(rule.tier, Tier) and rule.source.strip(), code


def _verdict(body):
    report = inspect_body(body if isinstance(body, str) else json.dumps(body))
    return report.as_dict()["verdict"], {f.code: str(f.tier) for f in report.findings}


@pytest.mark.parametrize(("body", "off", "on", "tiers"), [
    (event(), "accepted", "accepted", {}),
    ("{oops", "rejected", "rejected", {"body.not_json": "rejected"}),
    (event(page=None), "accepted", "rejected", {"field.missing": "rejected_if_validated"}),
    (event("cartUpdated", products=[{"productId": "1", "quantity": 1}]), "accepted", "accepted",
     {"field.missing": "accepted_but"}),
    (event(key_value=None, email="not-an-email"), "accepted", "accepted", {"email.invalid": "accepted_but"}),
    (event(key_value="a" * 301), "rejected", "rejected",
     {"key_value.too_long": "rejected", "key_value.differs_from_locator": "note"}),
    (event(key_value=None, email=None, phone=None), "rejected", "rejected", {"locator.none": "rejected"}),
])
def test_verdicts_for_representative_bodies(body, off, on, tiers):
    verdict, found = _verdict(body)
    assert verdict == {"validationOff": off, "validationOn": on}
    assert found == tiers


def test_a_finding_read_back_from_hostile_json_never_raises():
    finding = Finding.from_dict({"severity": ["x"], "code": {"a": 1}, "tier": [], "source": None})
    assert finding.severity is Severity.ERROR and finding.tier is Tier.NOTE
    known = Finding.from_dict({"severity": "warning", "code": "email.invalid", "tier": "bogus"})
    assert known.tier is Tier.ACCEPTED_BUT and known.source == RULES["email.invalid"].source
    assert Finding.from_dict(known.as_dict()) == known
