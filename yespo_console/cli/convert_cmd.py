"""`yespo-console convert`: a body in the other wire format (Generate event ↔ web tracking)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from yespo_console.cli.io import fail, print_json, read_input, safe_json, say
from yespo_console.core.errors import InputError
from yespo_console.core.events.diagnostics import loads_finite
from yespo_console.core.events.tracker_convert import PAIRS, ConversionError, to_event, to_tracker
from yespo_console.core.events.tracker_rules import FORMATS, detect_format


def register(subparsers: Any) -> None:
    pairs = ", ".join(f"{tracker}↔{event}" for tracker, event in PAIRS.items())
    parser = subparsers.add_parser(
        "convert", help="translate a body between Generate event and web tracking",
        description=f"Translate a body to the other wire format, for the pairs {pairs}. The pairs are the "
        "console's mapping by description: no Yespo source states them. The converted body goes to standard "
        "output; what could not be carried over is listed on standard error (or under \"lost\" with --json). "
        "Exit 0 converted, 1 the body has no counterpart or is already in that format, 2 unreadable input.",
    )
    parser.add_argument("file", nargs="?", metavar="FILE|-", help="the body; - or nothing for standard input")
    parser.add_argument("--to", choices=FORMATS, required=True,
                        help="event (POST /api/v2/event) or tracker (POST https://tracker.yespo.io/api/v2)")
    parser.add_argument("--site-id", metavar="ID", help="--to tracker: the site's ID for GeneralInfo.siteId")
    parser.add_argument("--nested", choices=("string", "object"), default="string",
                        help="--to event: nested values as escaped JSON strings (default) or as objects")
    parser.add_argument("--pretty", action="store_true", help="indent the converted body")
    parser.add_argument("--json", action="store_true",
                        help='print one JSON object: {"format", "event", "mapping", "lost", "body"}')
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        data = read_input(args.file)
    except InputError as exc:
        return fail(str(exc))
    try:
        body = loads_finite(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return fail(f"the body is not a JSON document ({str(exc)[:200]}); check it with yespo-console inspect")
    if not isinstance(body, dict):
        return fail("the body is not a JSON object")
    if detect_format(body) == args.to:
        return fail(f"the body is already in the {args.to} format", 1)
    try:
        if args.to == "event":
            conversion = to_event(body, nested="object" if args.nested == "object" else "string")
        else:
            conversion = to_tracker(body, site_id=args.site_id, now_ms=time.time_ns() // 1_000_000)
    except ConversionError as exc:
        return fail(f"cannot convert: {exc}", 1)
    if args.json:
        print_json(conversion.as_dict())
        return 0
    print(safe_json(json.dumps(conversion.body, ensure_ascii=False, indent=2 if args.pretty else None)))
    say(f"note: {conversion.note}", file=sys.stderr)
    for item in conversion.lost:
        say(f"not carried over: {item}", file=sys.stderr)
    return 0
