"""`yespo-console contact find`: the contacts an email, a phone or an externalCustomerId finds."""

from __future__ import annotations

import argparse
from typing import Any

from yespo_console.cli.account_cmd import (
    EXIT_FAILED,
    EXIT_OK,
    account_client,
    add_target_options,
    on_environment,
    print_error,
)
from yespo_console.cli.io import print_json, say
from yespo_console.core.followup.client import FollowupError
from yespo_console.core.followup.verify import contact_text
from yespo_console.core.http.environments import Environment


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("contact", help="look contacts up in the account",
                                   description="Look contacts up in the environment's account.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    find = actions.add_parser(
        "find", help="the contacts an email, a phone or an externalCustomerId finds",
        description="Search the account's contacts (GET /api/v1/contacts; the key needs contact access). Exit "
        "0 when a contact was found, 1 when none was (or the server refused), 2 on bad arguments, 3 when the "
        "server could not be reached. Recorded in the history as a lookup.",
    )
    by = find.add_mutually_exclusive_group(required=True)
    by.add_argument("--email", metavar="E")
    by.add_argument("--phone", metavar="P", help="the phone number, as the contact's sms channel has it")
    by.add_argument("--external-id", metavar="X", help="the contact's externalCustomerId")
    add_target_options(find)
    find.set_defaults(func=on_environment(_find))


async def _find(args: argparse.Namespace, env: Environment) -> int:
    async with account_client(args, env, "lookup") as client:
        try:
            found = await client.find_contacts(email=args.email, sms=args.phone,
                                               external_customer_id=args.external_id)
        except FollowupError as exc:
            return print_error(exc, args.json)
    if args.json:
        print_json({"ok": True, "contacts": [c.as_dict() for c in found]})
    else:
        say("\n".join(contact_text(contact) for contact in found) or "No contact found.")
    return EXIT_OK if found else EXIT_FAILED
