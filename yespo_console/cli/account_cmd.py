"""`yespo-console account`: test the connection — who the environment's key belongs to, or in words why
that could not be told (no key, wrong key, no access level for this call, unreachable, not a Yespo answer).

Also what the follow-up commands (`contact`, `activity`, `verify`) share: the environment option and the
`AccountClient` built from it, with the environment's key and the history to record the lookups in.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import timedelta
from typing import Any

from yespo_console.cli.io import fail, print_json, say
from yespo_console.cli.targets import open_history
from yespo_console.core.durations import parse_duration
from yespo_console.core.errors import InputError
from yespo_console.core.followup.client import AccountClient, FollowupError, api_base
from yespo_console.core.http.environments import SANDBOX, Environment, EnvironmentStore
from yespo_console.core.http.secrets import SecretStore

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NETWORK = 3


def add_target_options(parser: argparse.ArgumentParser, default: str = "sandbox") -> None:
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--env", metavar="NAME", help=f"environment (default: {default}); its URL gives the API's base")
    target.add_argument("--url", metavar="URL", help="an event URL instead of an environment "
                        "(https://yespo.io/api/v2/event reads https://yespo.io/api/...)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-history", action="store_true", help="do not record the lookups in the history")


def target_environment(args: argparse.Namespace, name: str | None = None) -> Environment:
    """The environment --url or --env names (else NAME, else the sandbox); InputError in words."""
    if args.url:
        return Environment.custom(args.url)
    store = EnvironmentStore.open(args.data_dir)
    for problem in store.problems:
        say(f"yespo-console: warning: {problem}", file=sys.stderr)
    wanted = args.env or name or SANDBOX
    env = store.find(wanted)
    if env is None:
        raise InputError(f"no environment named {wanted!r} (see Settings → Environments in the window)")
    return env


@contextlib.asynccontextmanager
async def account_client(args: argparse.Namespace, env: Environment, what: str) -> AsyncIterator[AccountClient]:
    """A client for ENV with its key (none: the calls fail with the reason), recording in the history."""
    secrets = SecretStore()
    store = open_history(args.data_dir, not args.no_history, what)
    try:
        async with AccountClient(env, secret=secrets.get(env), recorder=store,
                                 missing_key=secrets.missing_message(env)) as client:
            yield client
    finally:
        if store is not None:
            store.close()


def error_exit(exc: FollowupError) -> int:
    return EXIT_NETWORK if exc.network else EXIT_FAILED


def print_error(exc: FollowupError, as_json: bool, **extra: Any) -> int:
    if as_json:
        print_json({"ok": False, **extra, "error": exc.as_dict()})
    else:
        say(exc.title)
        if exc.detail:
            say(f"  {exc.detail}")
    return error_exit(exc)


def since_option(text: str) -> timedelta:
    try:
        span = parse_duration(text, bare_unit="s")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not timedelta(0) < span <= timedelta(days=365):
        raise argparse.ArgumentTypeError("between 1 second and 365 days")
    return span


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "account",
        help="test the connection: who the key belongs to, or why it failed",
        description="Ask the environment's account who the key belongs to (GET /api/v1/account/info: the "
        "organisation and the user's email). When it cannot tell, say why in words: no key, wrong key (401), "
        "no access level for this call (403), unreachable, not a Yespo answer. Exit 0 when the key works, 1 "
        "when the server refused it or gave no Yespo answer (or there is no key), 2 on bad arguments, 3 when "
        "the server could not be reached. The call is recorded in the history as a lookup.",
    )
    add_target_options(parser)
    parser.set_defaults(func=on_environment(_check))


def on_environment(work: Callable[[argparse.Namespace, Environment], Coroutine[Any, Any, int]]
                   ) -> Callable[[argparse.Namespace], int]:
    """A command's `func`: WORK run on the environment the options name (exit 2 when they name none)."""

    def run(args: argparse.Namespace) -> int:
        try:
            env = target_environment(args)
        except InputError as exc:
            return fail(str(exc))
        return asyncio.run(work(args, env))

    return run


async def _check(args: argparse.Namespace, env: Environment) -> int:
    async with account_client(args, env, "check") as client:
        try:
            info = await client.account_info()
        except FollowupError as exc:
            return print_error(exc, args.json, environment=env.name, base=api_base(env.url))
    if args.json:
        print_json({"ok": True, "environment": env.name, "base": client.base, **info.as_dict()})
    else:
        say(f"Connected to {env.label} ({client.base}).")
        say(f"  organisation  {info.organisation or '-'}")
        say(f"  user email    {info.user_email or '-'}")
    return EXIT_OK
