"""`yespo-console verify`: did a sent event reach a contact and start something? Finds the contact the
event resolves to, then polls its activity and messages until something linked to the event appears or
the wait ends; keeps the result with the exchange in the history (`history show`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta
from typing import Any

from yespo_console.cli.account_cmd import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_NETWORK,
    EXIT_OK,
    account_client,
    add_target_options,
    since_option,
    target_environment,
)
from yespo_console.cli.io import fail, print_json, say
from yespo_console.core.errors import InputError, YespoConsoleError
from yespo_console.core.followup.verify import PollPlan, Progress, SentEvent, Verification, result_lines, verify
from yespo_console.core.history import Exchange, HistoryFilter, HistoryStore, VerificationRecord
from yespo_console.core.http.environments import Environment
from yespo_console.core.terminal import printable

EXIT_CANCELLED = 130


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "verify", help="did a sent event reach its contact and start a workflow?",
        description="Follow a sent event up: find the contact its keyValue resolves to (contacts by email, "
        "phone or externalCustomerId, or the contact by id), then poll the contact's activity and messages "
        "for what is linked to the event (its type, and its key when Yespo gives it) until something appears "
        "or the wait ends; intervals grow from 2 s to 20 s, every endpoint's rate limit is kept, Ctrl+C stops. "
        "The result is kept with the exchange (history show). The exchange's environment is used unless "
        "--env or --url says otherwise. Exit 0 when linked activity or a message appeared within the wait, 1 "
        "when none did (or the contact was not found, or the server refused), 2 on bad input, 3 on network "
        "errors, 130 when stopped.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int, metavar="ID", help="the history id of the send")
    which.add_argument("--last", action="store_true", help="the latest send in the history")
    parser.add_argument("--wait", type=since_option, default=timedelta(minutes=2), metavar="SPAN",
                        help="how long to keep polling (default 2m)")
    parser.add_argument("--interval", type=since_option, default=timedelta(seconds=2), metavar="SPAN",
                        help="the first pause between polls (default 2s; each next one is longer, up to 20s)")
    add_target_options(parser, default="the one the event was sent to")
    parser.set_defaults(func=run)


def _exchange(store: HistoryStore, args: argparse.Namespace) -> Exchange:
    if args.last:
        latest = store.query(HistoryFilter(kind="send"), limit=1)
        if not latest:
            raise InputError("no send in the history yet")
        exchange = store.get(latest[0].id)
    else:
        exchange = store.get(args.id)
    if exchange is None:
        raise InputError(f"no exchange #{args.id} in the history")
    if exchange.kind != "send" or not exchange.event_type:
        raise InputError(f"exchange #{exchange.id} is not an event send, so there is nothing to verify")
    return exchange


def run(args: argparse.Namespace) -> int:
    try:
        with HistoryStore.open(args.data_dir) as store:
            exchange = _exchange(store, args)
        custom = exchange.environment == "custom" and not (args.env or args.url)
        if custom:
            raise InputError(f"exchange #{exchange.id} was sent to a URL, not an environment: give --url or --env")
        env = target_environment(args, exchange.environment)
    except (InputError, YespoConsoleError) as exc:
        return fail(str(exc), EXIT_BAD_INPUT)
    return asyncio.run(_verify(args, env, exchange))


class _Countdown:
    """One line on standard error, rewritten in place, while waiting (a terminal only)."""

    def __init__(self, event: str) -> None:
        self.event = printable(event)
        self.shown = sys.stderr.isatty()

    def __call__(self, progress: Progress) -> None:
        if not self.shown:
            return
        left = int(progress.remaining_s)
        what = "finding the contact" if progress.stage == "contact" else f"poll {progress.polls}"
        sys.stderr.write(f"\r\x1b[KFollowing {self.event} up: {what}, {left // 60}:{left % 60:02d} left "
                         "(Ctrl+C stops)")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


async def _verify(args: argparse.Namespace, env: Environment, exchange: Exchange) -> int:
    event = SentEvent(exchange.event_type, exchange.key_value, exchange.key_value_source, exchange.started_at)
    plan = PollPlan(wait_s=args.wait.total_seconds(), first_interval_s=args.interval.total_seconds(),
                    max_interval_s=max(20.0, args.interval.total_seconds()))
    countdown = _Countdown(exchange.event_type or "the event")
    async with account_client(args, env, "verification") as client:
        try:
            result = await verify(client, event, plan, progress=countdown)
        finally:
            countdown.clear()
        detail = client.masker.value(result.as_dict())
    stored = _store(args, exchange.id, result, detail)
    if args.json:
        print_json({"exchange": exchange.id, "environment": env.name, **detail, "stored": stored})
    else:
        _print(exchange, result, stored)
    return _exit(result)


def _store(args: argparse.Namespace, exchange_id: int, result: Verification, detail: dict[str, Any]) -> bool:
    try:
        with HistoryStore.open(args.data_dir) as store:
            store.set_verification(VerificationRecord(exchange_id, result.finished_at, result.status,
                                                      result.summary, detail))
    except YespoConsoleError as exc:
        say(f"yespo-console: warning: the verification was not kept in the history: {exc}", file=sys.stderr)
        return False
    return True


def _print(exchange: Exchange, result: Verification, stored: bool) -> None:
    say(f"Exchange #{exchange.id}: {exchange.event_type} for {exchange.key_value or '-'}")
    say("\n".join(result_lines(result)))
    say(f"({result.polls} poll(s) in {result.waited_s:.0f} s{'; kept with the exchange' if stored else ''})")


def _exit(result: Verification) -> int:
    if result.status == "linked":
        return EXIT_OK
    if result.status == "cancelled":
        return EXIT_CANCELLED
    if result.error is not None and result.error.network:
        return EXIT_NETWORK
    return EXIT_FAILED
