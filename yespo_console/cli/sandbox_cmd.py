"""`yespo-console sandbox`: run the local Yespo-compatible endpoint until Ctrl+C.

Point the console, curl, or a customer's integration at http://127.0.0.1:8750/api/v2/event and see
exactly what was sent and how Yespo's rules judge it. The first line on standard output is always
`Yespo sandbox listening on <base URL>` (scripts may read the port from it, e.g. with --port 0).
What it receives is a stranger's text: each line shows it escaped (`core.terminal.printable`); --json
prints exact JSON. Its log goes to sandbox.log in the data folder (rotated), warnings also to stderr.

It is also an account double: contacts (--contacts FILE, POST /api/v1/contact, or --auto-contacts), the
workflows of --workflows FILE (default: the bundled ones) at --time-scale, the read endpoints (contacts,
activity, messages, workflows), and optionally --webhook URL for the activity.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from yespo_console.cli.argtypes import add_listen_arguments, decimal_number, whole_number
from yespo_console.cli.io import fail
from yespo_console.cli.profiles import add_profile_option, chosen_profile
from yespo_console.cli.serving import serve_until_signalled
from yespo_console.core.errors import InputError
from yespo_console.core.http.environments import SANDBOX_DEFAULT_PORT
from yespo_console.core.paths import data_dir
from yespo_console.core.terminal import printable

if TYPE_CHECKING:
    from yespo_console.sandbox.store import SandboxEvent


def _scale(text: str) -> float:
    from yespo_console.sandbox.settings import check_time_scale

    try:
        return check_time_scale(float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("timeScale", "the time scale")) from None


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="run a local Yespo-compatible endpoint that records and judges what it receives",
        description="Serve POST /api/v2/event, /api/v1/event and /api/v2/past_events on 127.0.0.1, judge "
        "each body as Yespo would for the account the --profile describes (the same diagnostics as `inspect`: "
        "400 for what Yespo always rejects, and for a missing required param only where Validate parameters "
        "is on; 200 with X-Sandbox-Findings for the rest; changeable at runtime with PUT /_sandbox/settings), "
        "record it (GET /_sandbox/events), behave like an account with contacts and workflows (an accepted event "
        "reaches its contact or is recorded as 'Contact not found'; a workflow's trigger starts it, a cancelling "
        "event or an order stops it, and after its delay it writes activity and a message, served at "
        "GET /api/v2/contacts/activity and /api/v2/contacts/messages), and "
        "optionally misbehave on purpose (latency, forced status, failures, dropped connections; "
        "changeable at runtime with PUT /_sandbox/faults). Exit 0 when stopped, 2 on bad arguments or "
        "when it cannot listen.",
    )
    add_listen_arguments(parser, SANDBOX_DEFAULT_PORT, "the sandbox")
    parser.add_argument(
        "--api-key",
        metavar="KEY",
        help="accept only this key (Basic password or Bearer token); default: any credentials",
    )
    parser.add_argument("--latency-ms", type=whole_number(0), default=0, metavar="N", help="delay every answer")
    status = whole_number(200, 599)
    share = decimal_number(0, 1)
    parser.add_argument("--status", type=status, metavar="CODE", help="answer every request with this status")
    parser.add_argument(
        "--retry-after",
        type=whole_number(0),
        default=1,
        metavar="S",
        help="Retry-After seconds on 429/503 answers (default 1)",
    )
    parser.add_argument(
        "--fail-rate", type=share, default=0.0, metavar="0..1", help="share of requests answered with --fail-status"
    )
    parser.add_argument(
        "--fail-status", type=status, default=500, metavar="CODE", help="status of random failures (default 500)"
    )
    parser.add_argument(
        "--drop-rate", type=share, default=0.0, metavar="0..1", help="share of connections closed without an answer"
    )
    parser.add_argument(
        "--garbage-rate",
        type=share,
        default=0.0,
        metavar="0..1",
        help="share of requests answered with bytes that are not HTTP",
    )
    parser.add_argument("--seed", type=int, help="seed the random faults (repeatable runs)")
    add_profile_option(parser)
    parser.add_argument(
        "--validate",
        metavar="none|all|TYPE,…",
        help="which event types have Validate parameters on (a missing required param is then a 400 listing the "
        "type's structure, as Yespo answers); default: as the profile says, off in the built-in one",
    )
    parser.add_argument("--rate-limits", action="store_true",
                        help="answer 429 (with Retry-After) past Yespo's documented per-second limits of the account "
                        "endpoints (contact search 50/s, messages 10/s, …)")
    parser.add_argument("--contacts", metavar="FILE",
                        help="add or update these contacts at start (YAML, JSON or CSV: email, phone, "
                        "externalCustomerId, firstName, lastName; or Yespo contact objects with channels)")
    parser.add_argument("--auto-contacts", action="store_true",
                        help="create a contact from an event's locators when none matches (off by default, as in "
                        "Yespo: the event is then recorded as 'Contact not found' and starts nothing)")
    parser.add_argument("--workflows", metavar="FILE",
                        help="the account's workflows (YAML; default: the bundled ones, one per scenario recipe)")
    parser.add_argument("--time-scale", type=_scale, default=1.0, metavar="X",
                        help="multiply every workflow delay by X (0.01 makes a 30-minute delay take 18 s; default 1). "
                        "Timers live only while the sandbox runs")
    parser.add_argument("--webhook", metavar="URL",
                        help="deliver each activity entry to URL as Yespo's data-export webhook does (a GET check, "
                        "then JSON arrays, retried with backoff); loopback URLs only unless --webhook-any-host")
    parser.add_argument("--webhook-any-host", action="store_true", help="allow a --webhook URL beyond this machine")
    parser.add_argument("--quiet", action="store_true", help="do not print a line per received event")
    parser.add_argument("--json", action="store_true", help="print each received event as one JSON line")
    parser.set_defaults(func=run)


def _event_line(event: SandboxEvent) -> str:
    status = event.status if event.status is not None else "-"
    batch = event.endpoint.endswith(("past_events", "orders"))
    what = event.event_type or (f"batch of {event.event_count}" if batch else event.contact or "?")
    judged = "" if event.valid is None else (" valid" if event.valid else f" {len(event.errors)} error(s)")
    fault = f" [{event.fault}]" if event.fault else ""
    if event.event_type and event.contact:
        fault += f" {event.contact}" + (f" #{event.contact_id}" if event.contact_id else "")
    key = f" key={event.key_value}" if event.key_value else ""
    # The event type and keyValue are a stranger's text: an escape sequence in them must not reach the terminal.
    return printable(
        f"{event.received_at:%H:%M:%S} #{event.id} {event.endpoint} -> {status} {what}{key}{judged}{fault} "
        f"from {event.remote}"
    )


def run(args: argparse.Namespace) -> int:
    from yespo_console.core.http.masking import mask_url
    from yespo_console.sandbox import Faults, Sandbox, SandboxError
    from yespo_console.sandbox.contacts import load_seed
    from yespo_console.sandbox.logs import logging_to
    from yespo_console.sandbox.settings import AccountSettings
    from yespo_console.sandbox.store import json_text
    from yespo_console.sandbox.webhook import WebhookSender
    from yespo_console.sandbox.workflows import load_workflows

    try:
        faults = Faults(
            rate_limits=args.rate_limits,
            latency_ms=args.latency_ms,
            status=args.status,
            retry_after=args.retry_after,
            fail_rate=args.fail_rate,
            fail_status=args.fail_status,
            drop_rate=args.drop_rate,
            garbage_rate=args.garbage_rate,
        )
    except ValueError as exc:
        return fail(f"invalid fault settings: {exc}")
    try:
        account = AccountSettings(chosen_profile(args), time_scale=args.time_scale, auto_contacts=args.auto_contacts)
        if args.validate is not None:
            account = account.changed({"validate": args.validate})
    except (InputError, ValueError) as exc:
        return fail(f"--profile/--validate: {exc}")
    for unknown in account.unknown_types():
        print(f"yespo-console: --validate names {unknown!r}, which the profile does not describe: it has no "
              "structure to check", file=sys.stderr)
    try:
        workflows = load_workflows(args.workflows)
        seed = load_seed(args.contacts) if args.contacts else []
    except InputError as exc:
        return fail(str(exc))
    try:
        webhook = WebhookSender(args.webhook, allow_remote=args.webhook_any_host) if args.webhook else None
    except ValueError as exc:
        return fail(f"--webhook: {exc}")
    try:
        sandbox = Sandbox(
            host=args.host,
            port=args.port,
            api_key=args.api_key,
            data_dir=args.data_dir,
            faults=faults,
            account=account,
            seed=args.seed,
            allowed_hosts=args.allow_host,
            workflows=workflows,
            webhook=webhook,
        )
    except SandboxError as exc:
        return fail(str(exc))
    for doc in seed:
        try:
            sandbox.automation.upsert_contact(doc)
        except ValueError as exc:
            sandbox.close()
            return fail(f"--contacts: {exc}")

    def show(event: SandboxEvent) -> None:
        if args.json:
            print(json_text(event.as_dict()), flush=True)
        elif not args.quiet:
            print(_event_line(event), flush=True)

    def listening() -> None:
        sandbox.add_listener(show)
        print(f"Yespo sandbox listening on {sandbox.base_url}", flush=True)
        out = sys.stderr if args.json else sys.stdout
        print(f"  POST {sandbox.event_url}  (also /api/v1/event, /api/v2/past_events)", file=out)
        print(f"  auth: {'only the given --api-key' if args.api_key else 'any Basic or Bearer credentials'}", file=out)
        print(f"  faults: {faults.describe()}  (change: PUT {sandbox.base_url}/_sandbox/faults)", file=out)
        print(f"  records: {sandbox.store.path}  (GET {sandbox.base_url}/_sandbox/events)", file=out)
        print(f"  account: {sandbox.automation.db.contact_count()} contacts, {len(workflows)} workflows at time scale "
              f"{args.time_scale:g}{', auto-contacts' if args.auto_contacts else ''}  "
              f"(GET {sandbox.base_url}/_sandbox/workflows; timers do not survive a restart)", file=out)
        if webhook is not None:
            print(f"  webhook: activity to {printable(mask_url(webhook.url))}", file=out)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(
                "  warning: listening beyond this machine; anyone who can reach it can read its records "
                "(requests must name it as --host or an --allow-host name)",
                file=sys.stderr,
            )
        print("  Ctrl+C to stop", file=out, flush=True)

    async def serve() -> int:
        return await serve_until_signalled(sandbox, SandboxError, listening)

    try:
        with logging_to(data_dir(args.data_dir)):
            return asyncio.run(serve())
    except KeyboardInterrupt:
        return 0
    finally:
        sandbox.close()
