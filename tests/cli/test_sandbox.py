"""`yespo-console sandbox` as a user runs it: a process of its own, real sockets, stopped by a signal."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

import httpx
import pytest

from tests.cli.helpers import cli
from tests.sandbox.account_helpers import FAST_WORKFLOWS, PERIOD, cart_event, get, post, wait_for
from tests.sandbox.helpers import SEARCH_SCENARIO, VALID_EVENT, body, free_port, start_sandbox_process


def test_sandbox_command_runs_until_interrupted(tmp_path: Path) -> None:
    process, base = start_sandbox_process(
        tmp_path, "--api-key", "cli-key-123", "--status", "503", "--retry-after", "4"
    )
    try:
        refused = httpx.post(base + "/api/v2/event", content=body(), auth=("", "nope"), trust_env=False)
        assert refused.status_code == 401
        faulted = httpx.post(base + "/api/v2/event", content=body(), auth=("", "cli-key-123"), trust_env=False)
        assert faulted.status_code == 503 and faulted.headers["retry-after"] == "4"
        httpx.delete(base + "/_sandbox/faults", trust_env=False)
        ok = httpx.post(
            base + "/api/v2/event",
            content=body(VALID_EVENT),
            auth=("", "cli-key-123"),
            headers={"Content-Type": "application/json"},
            trust_env=False,
        )
        assert ok.status_code == 200
        listed = httpx.get(base + "/_sandbox/events", trust_env=False).json()
        assert [e["status"] for e in listed["events"]] == [200, 503, 401]
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "v2/event -> 200 pageViewed" in out and "-> 401" in out
    assert (tmp_path / "sandbox.sqlite3").exists()


def test_sandbox_command_json_lines(tmp_path: Path) -> None:
    process, base = start_sandbox_process(tmp_path, "--json")
    try:
        httpx.post(base + "/api/v2/event", content=body(), auth=("", "k"), trust_env=False)
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=15)
    assert process.returncode == 0
    [line] = [line for line in out.splitlines() if line.strip()]
    assert json.loads(line)["eventTypeKey"] == "pageViewed"


@pytest.mark.parametrize(
    "args", [["--fail-rate", "2"], ["--port", "70000"], ["--status", "99"], ["--latency-ms", "-1"]]
)
def test_sandbox_command_bad_arguments(tmp_path: Path, args: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli(tmp_path, "sandbox", *args)
    assert info.value.code == 2


def test_sandbox_command_port_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli(tmp_path, "sandbox", "--port", str(port)) == 2
    assert "in use" in capsys.readouterr().err


HOSTILE_KEY = "\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x1b[2J"


def test_sandbox_command_escapes_a_strangers_text_and_keeps_json_exact(tmp_path: Path) -> None:
    """A client's keyValue with OSC 0 (title), OSC 52 (clipboard) and CSI 2J (clear) reached the terminal raw."""
    hostile = body({**VALID_EVENT, "keyValue": HOSTILE_KEY})
    for mode in ((), ("--json",)):
        process, base = start_sandbox_process(tmp_path / "-".join(mode), *mode)
        try:
            sent = httpx.post(base + "/api/v2/event", content=hostile, auth=("", "k"), trust_env=False)
            assert sent.status_code == 400  # judged: control characters in a keyValue are an error
        finally:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=15)
        assert process.returncode == 0, err
        assert "\x1b" not in out and "\x07" not in out and "\x1b" not in err
        if mode:
            [line] = [line for line in out.splitlines() if line.strip()]
            assert json.loads(line)["keyValue"] == HOSTILE_KEY  # exact JSON, its encoder escaped the controls
        else:
            assert "key=\\x1b]0;pwned\\x07" in out


def test_sandbox_command_folds_repeated_warnings_and_logs_to_a_file(tmp_path: Path) -> None:
    """Refused requests are logged once with a count, in the rotating sandbox.log and on stderr."""
    process, base = start_sandbox_process(tmp_path)
    try:
        with httpx.Client(base_url=base, trust_env=False) as client:
            for _ in range(30):
                refused = client.get("/_sandbox/events", headers={"Host": "rebind.evil.example\x1b[2J"})
                assert refused.status_code == 421
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    warnings = [line for line in err.splitlines() if "refused a Host header" in line]
    assert len(warnings) == 2 and "[repeated 29 more times]" in warnings[1], err
    logged = (tmp_path / "sandbox.log").read_text(encoding="utf-8")
    assert logged.count("refused a Host header") == 2


def test_sandbox_command_seeds_contacts_and_runs_workflows_at_the_time_scale(tmp_path: Path) -> None:
    seed = tmp_path / "contacts.csv"
    seed.write_text("email,firstName\nann@example.com,Ann\n")
    flows = tmp_path / "flows.yaml"
    flows.write_text(FAST_WORKFLOWS)
    process, base = start_sandbox_process(tmp_path, "--contacts", str(seed), "--workflows", str(flows),
                                          "--time-scale", "0.001")
    try:
        [contact] = get(base, "/api/v1/contacts", email="ann@example.com").json()
        assert contact["firstName"] == "Ann"
        assert post(base, "/api/v2/event", cart_event("ann@example.com")).status_code == 200
        [message] = wait_for(lambda: get(base, "/api/v2/contacts/messages", email="ann@example.com",
                                         **PERIOD).json())
        assert message["subject"] == "Come back"
        assert [w["name"] for w in get(base, "/api/v1/workflows").json()] == ["Quick cart"]
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "cartUpdated key=ann@example.com" in out and "Contact found #1" in out


@pytest.mark.parametrize(("args", "says"), [
    (["--workflows", "flows.yaml"], "flows.yaml:3: workflows[0].delay"),
    (["--contacts", "people.yaml"], "people.yaml:1: [0]: channels[0].value 'nobody' is not an email address"),
    (["--webhook", "https://example.com/hook"], "--webhook: example.com is not this machine"),
    (["--contacts", "missing.csv"], "missing.csv"),
])
def test_sandbox_command_refuses_unusable_account_files(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       args: list[str], says: str) -> None:
    (tmp_path / "flows.yaml").write_text("workflows:\n  - {id: 1, name: A, trigger: cartUpdated,\n     delay: never, "
                                         "message: {channel: email}}\n")
    (tmp_path / "people.yaml").write_text("- {email: nobody}\n")
    args = [str(tmp_path / arg) if arg.endswith((".yaml", ".csv")) else arg for arg in args]
    assert cli(tmp_path, "sandbox", "--port", "0", *args) == 2
    assert says in capsys.readouterr().err


@pytest.mark.parametrize("scale", ["0", "-1", "abc", "5000"])
def test_sandbox_command_refuses_a_bad_time_scale(tmp_path: Path, scale: str) -> None:
    with pytest.raises(SystemExit) as info:
        cli(tmp_path, "sandbox", "--time-scale", scale)
    assert info.value.code == 2


def test_runs_temporary_sandbox_runs_its_workflows_at_the_wait_scale(tmp_path: Path) -> None:
    """`run --wait-scale` scales the temporary sandbox's workflow delays too: a 15-minute workflow fires within a
    scenario that waits 20 (scaled) minutes."""
    from yespo_console.core.http.environments import EnvironmentStore
    from yespo_console.sandbox import SandboxStore
    from yespo_console.sandbox.accountdb import AccountDB

    store = EnvironmentStore.open(tmp_path)
    store.save(store.get("sandbox").with_url(f"http://127.0.0.1:{free_port()}/api/v2/event"))
    records = SandboxStore.open(tmp_path)
    AccountDB(records).save_contact({"channels": [{"type": "email", "value": "ann@example.com"}]})
    records.close()
    scenario = tmp_path / "search.yaml"
    scenario.write_text(SEARCH_SCENARIO.replace("default@example.com", "ann@example.com") + "  - wait: 20m\n")
    assert cli(tmp_path, "run", str(scenario), "--var", "query=q", "--wait-scale", "0.001") == 0
    records = SandboxStore.open(tmp_path)
    try:
        db = AccountDB(records)
        [instance] = db.instances(5)
        assert (instance.workflow_name, instance.state) == ("Search without results", "sent")
        [delivery] = db.recent_deliveries(5)
        assert delivery["sourceEventTypeKey"] == "searchRequest"
    finally:
        records.close()
