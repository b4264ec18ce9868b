"""`yespo-console example`: a valid example body for each event type."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from yespo_console.core.events.catalog import EXAMPLE_KEYS
from yespo_console.core.events.examples import example_draft
from yespo_console.core.events.payload import build_body


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "example", help="print a valid example body for an event type",
        description="Print a valid example body: " + ", ".join(EXAMPLE_KEYS) + ".",
    )
    parser.add_argument("event", choices=EXAMPLE_KEYS, metavar="EVENT", help=" | ".join(EXAMPLE_KEYS))
    parser.add_argument("--nested", choices=("string", "object"), default="string",
                        help="nested values as escaped JSON strings (default, as the docs show) or as objects")
    parser.add_argument("--pretty", action="store_true", help="indent the JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    body = build_body(example_draft(args.event), nested=args.nested, pretty=args.pretty)
    sys.stdout.buffer.write(body + b"\n")
    sys.stdout.flush()
    return 0
