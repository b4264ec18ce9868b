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

# Each module has `register(subparsers)`, which adds its parser with `func` set as a default.
COMMAND_MODULES: tuple[str, ...] = (
    "yespo_console.cli.inspect_cmd",
    "yespo_console.cli.example_cmd",
    "yespo_console.cli.history_cmd",
    "yespo_console.cli.send_cmd",
    "yespo_console.cli.sandbox_cmd",
    "yespo_console.cli.gui_cmd",
    "yespo_console.cli.run_cmd",
    "yespo_console.cli.past_events_cmd",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
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
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        if "yespo_console.cli.gui_cmd" in COMMAND_MODULES:
            args = parser.parse_args([*(sys.argv[1:] if argv is None else argv), "gui"])
            func = args.func
        else:
            parser.print_help()
            return 0
    try:
        return int(func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
