"""`yespo-console run` with steps that reach the account (contact:, order:, expect: message/activity/no_message),
through the real entry point against the console's sandbox: the bundled abandoned-cart pair passes against a
temporary sandbox at a small wait scale, and each fails when the other side's behaviour happens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import cli
from tests.sandbox.helpers import SandboxThread, free_port
from yespo_console.core.http.environments import EnvironmentStore
from yespo_console.core.paths import resources_dir
from yespo_console.core.scenarios.recipes import resolve_scenario
from yespo_console.sandbox.settings import AccountSettings
from yespo_console.sandbox.workflows import parse_workflows

pytestmark = pytest.mark.usefixtures("no_keyring")

# Workflow delays are 30 minutes and the recipes' windows 40: at this scale 5.4 s and 7.2 s, and the failing
# runs below use FAST, which shortens both by the same factor.
PASSING = "0.003"
FAST = "0.002"

# The bundled workflows, except that a purchase does not stop abandoned cart (the first `orders: true` is its).
BUNDLED = resources_dir() / "workflows" / "default.yaml"
NOT_STOPPED_BY_ORDERS = BUNDLED.read_text(encoding="utf-8").replace("      orders: true\n", "", 1)


def _temporary_sandbox(data: Path) -> None:
    """The Sandbox environment on a free port, so that `run` starts a temporary sandbox at its wait scale."""
    store = EnvironmentStore.open(data)
    store.save(store.get("sandbox").with_url(f"http://127.0.0.1:{free_port()}/api/v2/event"))


def test_the_abandoned_cart_pair_passes_against_a_temporary_sandbox(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _temporary_sandbox(tmp_path)
    assert cli(tmp_path, "run", "abandoned-cart", "--wait-scale", PASSING, "--json") == 0
    document = json.loads(capsys.readouterr().out)
    summary, results = document["summary"], document["results"]
    assert summary["ok"] and summary["contacts_saved"] == 1 and summary["accepted"] == 4
    assert results[0]["kind"] == "contact" and results[0]["expectation"] == "held"
    last = results[-1]
    assert (last["kind"], last["step"], last["expectation"]) == (
        "expect", "expect a message on email within 40 min", "held")
    assert "email message 'You left something in your cart'" in last["detail"]
    # The purchased variant, for the same contact right after: the message above is not this run's.
    assert cli(tmp_path, "run", "abandoned-cart-purchased", "--wait-scale", PASSING) == 0
    out = capsys.readouterr().out
    assert "✓ [test@example.com] 4. buy it: done — order" in out
    assert "✓ [test@example.com] 5. expect no message within 40 min: checked — no message within 7.2 s" in out
    assert "1 contact(s) saved, 1 order(s) taken" in out and "PASSED" in out


def test_no_message_fails_when_the_purchase_does_not_stop_the_workflow(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runner = SandboxThread(port=0, data_dir=tmp_path / "account", workflows=parse_workflows(
        NOT_STOPPED_BY_ORDERS, "w.yaml"), account=AccountSettings(time_scale=float(FAST)))
    assert "orders: true" in BUNDLED.read_text(encoding="utf-8").split("id: 1002")[0]
    assert "orders: true" not in NOT_STOPPED_BY_ORDERS.split("id: 1002")[0]
    sandbox = runner.start()
    try:
        code = cli(tmp_path, "run", "abandoned-cart-purchased", "--url", sandbox.event_url, "--wait-scale", FAST)
    finally:
        runner.stop()
    out = capsys.readouterr().out
    assert code == 1 and "FAILED" in out
    assert ("✗ [test@example.com] 5. expect no message within 40 min: checked — expected no message; email message "
            "'You left something in your cart' at ") in out and " arrived (after " in out


def test_the_message_expectation_fails_when_the_contact_does_not_exist(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recipe = resolve_scenario("abandoned-cart").read_text(encoding="utf-8")
    without = recipe.replace('  - contact: {email: "{{email}}", firstName: QA, lastName: Abandoned cart}\n'
                             "    name: save the test contact\n", "")
    assert without != recipe
    path = tmp_path / "no-contact.yaml"
    path.write_text(without, encoding="utf-8")
    _temporary_sandbox(tmp_path)
    assert cli(tmp_path, "run", str(path), "--wait-scale", FAST) == 1
    out = capsys.readouterr().out
    assert ("✗ [test@example.com] 12. expect a message on email within 40 min: checked — expected a message on email "
            "for test@example.com; none within 4.8 s") in out


def test_a_window_shorter_than_the_workflows_delay_fails(sandbox_thread, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # This sandbox keeps real time: the workflow's 30 minutes outlast the window's 40 times 0.002.
    assert cli(tmp_path, "run", "abandoned-cart", "--url", sandbox_thread.event_url, "--wait-scale", FAST) == 1
    assert "none within 4.8 s" in capsys.readouterr().out


def test_writes_to_an_environment_that_asks_first_need_yes(sandbox_thread, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    store = EnvironmentStore.open(tmp_path)
    store.save(store.get("sandbox").with_url(sandbox_thread.event_url).model_copy(
        update={"confirm_before_send": True}))
    path = tmp_path / "contact.yaml"
    path.write_text("name: C\nsteps:\n  - contact: {email: qa@example.com, firstName: QA}\n"
                    "  - expect: {no_message: {within: 0}}\n", encoding="utf-8")
    assert cli(tmp_path, "run", str(path)) == 1
    assert "✗ [contact 1] 1. save the test contact: error — Not sent: create or update a contact writes to" \
        in capsys.readouterr().out
    assert cli(tmp_path, "run", str(path), "--yes") == 0
    assert "contact #1 saved (qa@example.com)" in capsys.readouterr().out


def test_the_dry_run_lists_the_account_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(tmp_path, "run", "abandoned-cart-purchased", "--dry-run", "--json") == 0
    steps = json.loads(capsys.readouterr().out)["steps"]
    kinds = {step["kind"]: step for step in steps}
    assert [step["kind"] for step in steps] == ["contact", "event", "wait", "order", "expect"]
    assert json.loads(kinds["contact"]["body"])["channels"] == [{"type": "email", "value": "test@example.com"}]
    assert json.loads(kinds["order"]["body"])["items"][0]["externalItemId"] == "WS01-L-Green"
    assert kinds["expect"]["title"] == "expect no message within 40 min"
