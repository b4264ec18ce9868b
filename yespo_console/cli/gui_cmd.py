"""`yespo-console gui` (the default command): the desktop console."""

from __future__ import annotations

import argparse
from typing import Any

from yespo_console.core.examples import EXAMPLE_KEYS


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gui", help="start the desktop console (the default command)",
        description="Start the desktop console on the embedded sandbox. With --screenshot: render the window "
        "offscreen with an event's example loaded, save a PNG and exit.",
    )
    parser.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window and exit")
    parser.add_argument("--event", choices=EXAMPLE_KEYS, metavar="TYPE", help="load this event's example")
    parser.add_argument("--size", metavar="WxH", help="window size, e.g. 1400x900")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from yespo_console.gui.app import run_gui  # Qt loads only for the GUI, not for every command

    return run_gui(screenshot=args.screenshot, event=args.event, size=args.size, data_dir_override=args.data_dir)
