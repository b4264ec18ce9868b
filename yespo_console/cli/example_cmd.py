"""`yespo-console example`: a valid example body for each event type."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from yespo_console.cli.io import fail
from yespo_console.cli.profiles import add_profile_option, chosen_profile
from yespo_console.core.errors import InputError
from yespo_console.core.events.catalog import CUSTOM_EVENT, EXAMPLE_KEYS
from yespo_console.core.events.examples import example_draft, tracker_example
from yespo_console.core.events.payload import build_body, dump_json
from yespo_console.core.events.tracker_catalog import TRACKER_EVENT_NAMES, TRACKER_SPECS


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "example", help="print a valid example body for an event type",
        description="Print a valid example body: " + ", ".join(EXAMPLE_KEYS) + ", or a type of the --profile "
        "(Generate event, POST /api/v2/event); or a web tracking event (POST https://tracker.yespo.io/api/v2): "
        + ", ".join(TRACKER_EVENT_NAMES) + ".",
    )
    parser.add_argument("event", metavar="EVENT",
                        help=" | ".join((*EXAMPLE_KEYS, *TRACKER_EVENT_NAMES)) + " | a type of the --profile")
    parser.add_argument("--site-id", metavar="ID", default="8A412DC", help="tracker events: the siteId to put in")
    parser.add_argument("--nested", choices=("string", "object"), default="string",
                        help="nested values as escaped JSON strings (default, as the docs show) or as objects")
    parser.add_argument("--pretty", action="store_true", help="indent the JSON")
    add_profile_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        profile = chosen_profile(args)
    except InputError as exc:
        return fail(str(exc))
    if args.event in TRACKER_SPECS and args.event not in profile.by_key:
        body = dump_json(tracker_example(args.event, site_id=args.site_id), pretty=args.pretty).encode("utf-8")
        sys.stdout.buffer.write(body + b"\n")
        sys.stdout.flush()
        return 0
    if args.event != CUSTOM_EVENT and args.event not in profile.by_key:
        choices = ", ".join((*profile.keys, CUSTOM_EVENT, *TRACKER_EVENT_NAMES))
        return fail(f"unknown event type {args.event!r}; choose one of {choices}")
    draft = example_draft(args.event, profile)
    body = build_body(draft, nested=args.nested, pretty=args.pretty, profile=profile)
    sys.stdout.buffer.write(body + b"\n")
    sys.stdout.flush()
    return 0
