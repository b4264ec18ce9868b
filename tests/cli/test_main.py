"""The entry point: --help, --version, mistakes, and loading only the command asked for."""

import pytest

from tests.cli.helpers import run_process as cli
from yespo_console.cli.main import requested_command


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
