"""`yespo-console gui` (the default command): the desktop console."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Mapping
from typing import Any

from yespo_console.cli.io import fail
from yespo_console.core.errors import InputError
from yespo_console.core.terminal import printable
from yespo_console.core.textfiles import read_text

# Qt platform plugins that draw without a display server.
_HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "eglfs", "linuxfb", "vkkhrdisplay",
                                 "directfb", "webgl"})
NO_DISPLAY = ("no display found ($DISPLAY and $WAYLAND_DISPLAY are not set): use the command line "
              "(yespo-console --help), `yespo-console gui --screenshot PATH`, or `xvfb-run yespo-console`")
# A body file is an event body (20 KB at most for the API); a larger file is a mistake, read no further.
BODY_FILE_MAX_BYTES = 1024 * 1024


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gui", help="start the desktop console (the default command)",
        description="Start the desktop console on the embedded sandbox, which listens at the Sandbox environment's "
        "address (127.0.0.1:8750 unless changed), so that `send`, `run` and other programs posting there show in "
        "the window's inbox; when that port is held it listens on a free one and the status bar says why. With "
        "--screenshot: render the window offscreen with an event's example (or --body FILE) loaded, save a PNG "
        "and exit. Without a display (no $DISPLAY or $WAYLAND_DISPLAY) it says so and exits with 2.",
    )
    parser.add_argument("--screenshot", metavar="PATH", help="save a PNG of the window and exit")
    parser.add_argument("--event", type=_event_type, metavar="TYPE",
                        help="load this event type's example (the types `yespo-console example` knows)")
    parser.add_argument("--body", metavar="FILE",
                        help="load this body file into the form (raw mode when it is not a JSON object)")
    parser.add_argument("--size", metavar="WxH", help="window size, e.g. 1400x900")
    parser.set_defaults(func=run)


def _event_type(text: str) -> str:
    # Checked here rather than with choices=: listing them at start-up would load the catalog before the
    # console's window shows, for an option that is rarely given.
    from yespo_console.core.events.catalog import EXAMPLE_KEYS

    if text not in EXAMPLE_KEYS:
        raise argparse.ArgumentTypeError(f"unknown event type {text!r}; choose one of {', '.join(EXAMPLE_KEYS)}")
    return text


def display_missing(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether Qt would find no display to open a window on. Qt itself aborts the process then, with a
    message that blames a missing plugin library; asked before Qt loads, the answer can be a clear line."""
    if platform.startswith(("win", "darwin", "cygwin")):
        return False  # these always have their window system
    requested = environ.get("QT_QPA_PLATFORM", "")
    # "xcb;wayland" lists fallbacks; "vnc:size=800x600" carries options.
    if any(name.split(":")[0].strip() in _HEADLESS_PLATFORMS for name in requested.split(";")):
        return False
    return not (environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def read_body_file(path: str) -> str:
    """The text of a body file, or InputError saying why not (missing, a folder, too large, not UTF-8)."""
    return read_text(path, "body file", limit=BODY_FILE_MAX_BYTES)


def run(args: argparse.Namespace) -> int:
    if args.screenshot is None and display_missing(os.environ):
        return fail(NO_DISPLAY)
    body = None
    if args.body is not None:
        try:
            body = read_body_file(args.body)
        except InputError as exc:
            return fail(printable(str(exc)))
    # Start-up makes tens of thousands of objects that live as long as the window (Qt's modules, types and enums,
    # the console's modules and widgets): collecting while they are made only walks them again and again. The
    # console turns collection back on once it is ready (gui.lifecycle); this, whatever happens before that.
    gc.disable()
    try:
        from yespo_console.gui.app import run_gui  # Qt loads only for the GUI, not for every command

        return run_gui(screenshot=args.screenshot, event=args.event, body=body, size=args.size,
                       data_dir_override=args.data_dir)
    finally:
        gc.enable()
