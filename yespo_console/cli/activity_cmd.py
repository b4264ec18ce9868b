"""`yespo-console activity`: what happened to a contact lately (messages a workflow sent, their status,
the event that started them)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

from yespo_console.cli.account_cmd import (
    EXIT_OK,
    account_client,
    add_target_options,
    on_environment,
    print_error,
    since_option,
)
from yespo_console.cli.io import print_json, say
from yespo_console.core.followup.client import FollowupError
from yespo_console.core.followup.verify import activity_line
from yespo_console.core.http.environments import Environment


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "activity", help="a contact's recent activity (workflow messages, statuses, source events)",
        description="A contact's activity (GET /api/v2/contacts/activity; the key needs contact access): "
        "each entry's time, status, channel, workflow and the event that started it (sourceEventTypeKey, "
        "sourceEventKey). Exit 0 when the account answered (even with nothing), 1 when it refused, 2 on bad "
        "arguments, 3 when it could not be reached. Recorded in the history as a lookup.",
    )
    by = parser.add_mutually_exclusive_group(required=True)
    by.add_argument("--email", metavar="E")
    by.add_argument("--phone", metavar="P")
    parser.add_argument("--since", type=since_option, default=timedelta(hours=1), metavar="SPAN",
                        help="how far back (default 1h; 30m, 2d …)")
    add_target_options(parser)
    parser.set_defaults(func=on_environment(_activity))


async def _activity(args: argparse.Namespace, env: Environment) -> int:
    now = datetime.now(UTC)
    async with account_client(args, env, "lookup") as client:
        try:
            entries = await client.activity(now - args.since, now + timedelta(days=1), email=args.email,
                                            sms=args.phone)
        except FollowupError as exc:
            return print_error(exc, args.json)
    if args.json:
        print_json({"ok": True, "activity": [e.as_dict() for e in entries]})
        return EXIT_OK
    if not entries:
        say("No activity in that time.")
    for entry in entries:
        say(activity_line(entry))
    return EXIT_OK
