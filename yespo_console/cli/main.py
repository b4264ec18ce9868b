"""Entry point of `yespo-console` and `python -m yespo_console`.

Exit codes shared by every command: 0 success, 1 the thing checked or sent failed, 2 bad arguments
or unreadable input; commands document any others in their --help.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from yespo_console import __version__
from yespo_console.core.terminal import printable

# Command name -> the module that has `register(subparsers)`, which adds its parser with `func` set as a
# default. Only the module of the command asked for is imported (all of them for the overall --help or a
# typo): the window (no command) must not wait for httpx and the scenario machinery.
COMMANDS: dict[str, str] = {
    "inspect": "yespo_console.cli.inspect_cmd",
    "example": "yespo_console.cli.example_cmd",
    "convert": "yespo_console.cli.convert_cmd",
    "history": "yespo_console.cli.history_cmd",
    "send": "yespo_console.cli.send_cmd",
    "sandbox": "yespo_console.cli.sandbox_cmd",
    "proxy": "yespo_console.cli.proxy_cmd",
    "gui": "yespo_console.cli.gui_cmd",
    "run": "yespo_console.cli.run_cmd",
    "past-events": "yespo_console.cli.past_events_cmd",
    "profile": "yespo_console.cli.profile_cmd",
    "account": "yespo_console.cli.account_cmd",
    "contact": "yespo_console.cli.contact_cmd",
    "activity": "yespo_console.cli.activity_cmd",
    "verify": "yespo_console.cli.verify_cmd",
}
DEFAULT_COMMAND = "gui"
_OPTIONS_WITH_VALUE = frozenset({"--data-dir"})


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {printable(message)}\n")  # the message quotes what was typed


def build_parser(commands: Sequence[str] = tuple(COMMANDS)) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="yespo-console",
        description="Test and debug console for the Yespo Generate event v2 API "
        "(POST https://yespo.io/api/v2/event). Without a COMMAND the desktop console opens (gui).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--data-dir", metavar="DIR", help="folder for history, settings and sandbox records "
        "(default: $YESPO_CONSOLE_HOME, else the user data folder)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, required=True)
    for name in commands:
        importlib.import_module(COMMANDS[name]).register(subparsers)
    return parser


def requested_command(argv: Sequence[str]) -> tuple[str | None, bool]:
    """The command the arguments ask for, and whether they name it (else it is DEFAULT_COMMAND). None when
    the whole parser is needed: the top-level --help or --version, an unknown word, a missing value."""
    words = iter(argv)
    for word in words:
        if word in COMMANDS:
            return word, True
        if word in _OPTIONS_WITH_VALUE:
            if next(words, None) is None:
                return None, False
        elif word.partition("=")[0] not in _OPTIONS_WITH_VALUE:
            return None, False
    return DEFAULT_COMMAND, False


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    command, named = requested_command(arguments)
    parser = build_parser((command,) if command is not None else tuple(COMMANDS))
    args = parser.parse_args(arguments if named or command is None else [*arguments, command])
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
