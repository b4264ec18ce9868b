"""`yespo-console inspect`: judge a body as Yespo would, and repair the documentation's mistakes."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from yespo_console.cli.io import fail, print_json, read_input, safe_json, say
from yespo_console.cli.profiles import add_profile_option, chosen_profile
from yespo_console.core.errors import InputError
from yespo_console.core.events.diagnostics import inspect_body
from yespo_console.core.events.findings import verdict, verdict_line
from yespo_console.core.events.repair import repair
from yespo_console.core.events.tracker_rules import FORMATS, TrackerReport, inspect_wire, report_format


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "inspect", help="check a body for what Yespo would reject or find suspicious",
        description="Check an event body. Exit 0 when valid (warnings allowed), 1 when any error, "
        "2 when the input cannot be read or the arguments are wrong. With --fix: print the repaired "
        "body (exit 1 when no repair is possible).",
    )
    parser.add_argument("file", nargs="?", metavar="FILE|-", help="the body; - or nothing for standard input")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--fix", action="store_true",
                        help="print the body with unescaped nested JSON repaired")
    parser.add_argument("--nested", choices=("string", "object"), default="string",
                        help="with --fix: write repaired nested values as escaped strings (default) or objects")
    parser.add_argument("--v1", action="store_true", help="judge by the v1 rules (every value a string)")
    parser.add_argument("--format", choices=FORMATS, dest="wire_format",
                        help="the body's wire format: event (Generate event) or tracker (web tracking REST); "
                        "default: detected")
    add_profile_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        data = read_input(args.file)
        profile = chosen_profile(args)
    except InputError as exc:
        return fail(str(exc))
    if args.fix:
        return _fix(data, args.nested)
    report = inspect_wire(data, wire_format=args.wire_format, api_version="v1" if args.v1 else "v2",
                          profile=profile)
    wire_format = report_format(report)
    validated = wire_format == "event" and profile.validates(report.event_type)
    if args.json:
        account = {"name": profile.name, "validateParameters": validated}
        print_json({"format": wire_format, **report.as_dict(), "profile": account})
    else:
        for finding in report.findings:
            say(finding.line())
        if report.resolution is not None:
            say(report.resolution.summary())
        if isinstance(report, TrackerReport) and report.identity is not None:
            say(report.identity.summary())
        say(f"format: {wire_format}" + (" (web tracking, POST https://tracker.yespo.io/api/v2)"
                                         if wire_format == "tracker" else " (Generate event)"))
        counts = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        say(f"{'valid' if report.valid else 'invalid'}: {counts}")
        say(f"verdict: {verdict_line(report.findings)}")
        if validated:
            say(f"profile {profile.name!r}: Validate parameters is on for {report.event_type}, so Yespo "
                f"{'rejects' if verdict(report.findings, validated=True) == 'rejected' else 'accepts'} this event")
    return 0 if report.valid else 1


def _fix(data: bytes, nested: str) -> int:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return fail("the body is not UTF-8: nothing to repair", 1)
    result = repair(text, nested="object" if nested == "object" else "string")
    if result is None:
        report = inspect_body(data)
        reason = "the body is already valid JSON" if report.body is not None else "no unambiguous repair found"
        return fail(f"cannot repair: {reason}", 1)
    for change in result.changes:
        say(f"repaired {change}", file=sys.stderr)
    print(safe_json(result.text))
    return 0
