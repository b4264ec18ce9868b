"""`yespo-console gui` (the default command): the desktop console."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gui", help="start the desktop console (the default command)",
        description="Start the desktop console on the embedded sandbox. With --screenshot: render the window "
        "offscreen with an event's example loaded, save a PNG and exit.",
    )
    parser.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window and exit")
    parser.add_argument("--event", type=_event_type, metavar="TYPE",
                        help="load this event type's example (the types `yespo-console example` knows)")
    parser.add_argument("--size", metavar="WxH", help="window size, e.g. 1400x900")
    parser.set_defaults(func=run)


def _event_type(text: str) -> str:
    # Checked here rather than with choices=: listing them at start-up would load the catalog before the
    # start-up window shows, for an option that is rarely given.
    from yespo_console.core.events.catalog import EXAMPLE_KEYS

    if text not in EXAMPLE_KEYS:
        raise argparse.ArgumentTypeError(f"unknown event type {text!r}; choose one of {', '.join(EXAMPLE_KEYS)}")
    return text


def run(args: argparse.Namespace) -> int:
    from yespo_console.gui.app import run_gui  # Qt loads only for the GUI, not for every command

    return run_gui(screenshot=args.screenshot, event=args.event, size=args.size, data_dir_override=args.data_dir)
