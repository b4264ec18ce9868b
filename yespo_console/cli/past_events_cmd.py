"""`yespo-console past-events`: import historical events (POST /api/v2/past_events, in batches).

Exit codes: 0 every event stored (or accepted in a batch the server did not detail), 1 an event or a
whole batch was rejected, 2 an unreadable file or a bad argument, 3 the only failures were batches
with no answer (network), 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from yespo_console.cli.argtypes import MAX_RETRIES, whole_number
from yespo_console.cli.io import fail, print_json, read_input, say
from yespo_console.cli.run_cmd import (
    add_target_arguments,
    secret_for,
    target_environment,
)
from yespo_console.cli.targets import open_history, reachable
from yespo_console.core.errors import InputError
from yespo_console.core.http.client import EventClient
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.secrets import Secret
from yespo_console.core.http.sending import RetryPolicy, Timeouts
from yespo_console.core.scenarios.past_events import (
    MAX_BATCH,
    MAX_LISTED_PROBLEMS,
    BatchResult,
    EventResult,
    PastEvent,
    PastEventsReport,
    PastEventsSender,
    parse_events,
    past_events_environment,
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "past-events",
        help="import historical events (POST /api/v2/past_events, at most 500 a request)",
        description="Send events that happened earlier, each with its `occurred` time, to the past_events "
        "endpoint: the environment's event URL with /event replaced by /past_events. Yespo stores them "
        "without starting workflows. FILE is NDJSON (one event a line), a JSON array, or {\"events\": [...]}; "
        "- reads standard input. Batches of at most 500 events, at most 100 requests/s; every event's own "
        "result is reported (or, when the server gives no per-event detail, that it did not). Exit 0 when "
        "every event was stored, 1 when one was rejected, 2 for a bad file or argument, 3 when the only "
        "failures were network errors.",
    )
    parser.add_argument("file", metavar="FILE|-", help="the events; - for standard input")
    add_target_arguments(parser, default="sandbox")
    parser.add_argument("--batch", type=whole_number(1, MAX_BATCH), default=MAX_BATCH, metavar="N",
                        help=f"events per request (1-{MAX_BATCH}, default {MAX_BATCH})")
    parser.add_argument("--retries", type=whole_number(0, MAX_RETRIES), default=3, metavar="N",
                        help="after a 429, retry a batch up to N times once its Retry-After has passed (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object: batches and every event's result")
    parser.add_argument("--no-history", action="store_true", help="do not record the requests in the history")
    parser.set_defaults(func=run)


def _event_line(result: EventResult) -> str:
    where = f"line {result.line}" if result.line is not None else f"#{result.index + 1}"
    what = f"{result.event_type or '?'} {result.key_value or '?'} at {result.occurred}"
    return f"  {result.status.upper():<7} event {result.index + 1} ({where}): {what}: {result.detail}"


def _batch_line(batch: BatchResult, total: int) -> str:
    first, last = batch.first_index + 1, batch.first_index + batch.count
    retried = f", {batch.attempts} attempts" if batch.attempts > 1 else ""
    return f"batch {batch.number}/{total}: events {first}-{last}: {batch.detail}{retried}"


async def _send(args: argparse.Namespace, env: Environment, secret: Secret, events: list[PastEvent],
                total: int) -> PastEventsReport:
    async with reachable(env, explicit_url=bool(args.url), data_dir=args.data_dir, what="import") as target:
        past = past_events_environment(target)
        history = open_history(args.data_dir, not args.no_history)
        try:
            def on_batch(batch: BatchResult, results: list[EventResult]) -> None:
                if args.json:
                    return
                say(_batch_line(batch, total), flush=True)
                for result in results:
                    if result.status != "ok" and batch.per_event:
                        say(_event_line(result))

            # Diagnostics are for single events: a batch body would be judged as one broken event.
            async with EventClient(past, secret=secret, recorder=history, timeouts=Timeouts.for_environment(past),
                                   retry=RetryPolicy(attempts=args.retries + 1, on_server_error=False),
                                   rate_limit=None, inspect=False) as client:
                sender = PastEventsSender(client, batch_size=args.batch, on_batch=on_batch)
                return await sender.send(events)
        finally:
            if history is not None:
                history.close()


def run(args: argparse.Namespace) -> int:
    try:
        source = "<stdin>" if args.file in (None, "-") else args.file
        events = parse_events(read_input(args.file), source)
        env = target_environment(args, args.env)
        past_url = past_events_environment(env).url
        secret = secret_for(env)
    except InputError as exc:
        return fail(str(exc))
    total = -(-len(events) // args.batch)
    warnings = [warning for event in events if (warning := event.occurred_warning()) is not None]
    for warning in warnings[:MAX_LISTED_PROBLEMS]:
        say(f"yespo-console: warning: {warning}", file=sys.stderr)
    if len(warnings) > MAX_LISTED_PROBLEMS:
        say(f"yespo-console: warning: {len(warnings) - MAX_LISTED_PROBLEMS} more events with such an occurred",
              file=sys.stderr)
    if env.production:
        say(f"yespo-console: warning: storing {len(events)} past event(s) in production ({past_url})",
              file=sys.stderr)
    if not args.json:
        say(f"Sending {len(events)} past event(s) in {total} batch(es) of at most {args.batch} to {past_url}",
              flush=True)
    try:
        report = asyncio.run(_send(args, env, secret, events, total))
    except InputError as exc:
        return fail(str(exc))
    if args.json:
        print_json(report.as_dict())
        return report.exit_code()
    undetailed = [b for b in report.batches if not b.per_event and b.status is not None and 200 <= b.status < 300]
    if undetailed:
        say(f"note: {len(undetailed)} batch(es) were accepted without a result per event; their events are "
              "listed as unknown, not as stored")
    say(f"{report.count('ok')} stored, {report.count('error')} rejected, {report.count('unknown')} unknown, "
          f"{len(report.batches)} request(s), {report.seconds:.2f} s, run {report.run_id}")
    return report.exit_code()
