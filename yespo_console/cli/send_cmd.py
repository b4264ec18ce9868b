"""`yespo-console send`: POST a body to an environment and say what came back.

With the default Sandbox environment and no sandbox listening on its port, `send` starts a
temporary sandbox for that one send (it says so on standard error, and the event is recorded in the
same sandbox.sqlite3 a `yespo-console sandbox` would use), so a first try works with no setup.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from yespo_console.cli.argtypes import MAX_RETRIES
from yespo_console.cli.io import fail, print_json, read_input, say
from yespo_console.cli.profiles import add_profile_option, chosen_profile
from yespo_console.cli.targets import open_history, reachable
from yespo_console.core.errors import InputError
from yespo_console.core.events.findings import Report
from yespo_console.core.events.payload import build_body, parse_body
from yespo_console.core.events.profiles import Profile
from yespo_console.core.events.tracker_rules import detect_format, inspect_wire
from yespo_console.core.http.client import EventClient
from yespo_console.core.http.environments import (
    SANDBOX,
    AuthMode,
    Environment,
    EnvironmentStore,
)
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.http.secrets import Secret, SecretStore, check_header_secret
from yespo_console.core.http.sending import RetryPolicy, SendResult, Timeouts

EXIT_OK = 0
EXIT_HTTP_ERROR = 1
EXIT_BAD_INPUT = 2
EXIT_NETWORK = 3
EXIT_REFUSED = 4


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "send",
        help="send a body to Yespo, the sandbox or any URL",
        description="POST an event body and print the outcome, status, time, response body and local "
        "diagnostics. Exit 0 on 2xx, 1 on an HTTP error status, 2 on bad arguments or unreadable input (or "
        "when the Sandbox environment's port is held by something that is not a Yespo Console sandbox: "
        "nothing is sent), 3 on a network error or timeout, 4 when --strict refused to send an invalid "
        "body. The key comes from the OS keyring or $YESPO_API_KEY ($YESPO_TOKEN for --auth bearer); the "
        "sandbox (and any loopback --url) gets the placeholder key 'sandbox', never a real one. With the "
        "Sandbox environment (the default) and no sandbox running, a temporary one is started for this send. "
        "Secrets are masked in everything shown and recorded.",
    )
    parser.add_argument("file", nargs="?", metavar="FILE|-", help="the body; - or nothing for standard input")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--env", metavar="NAME", help="environment (default: sandbox); see the GUI for the list")
    target.add_argument("--url", metavar="URL", help="any endpoint URL instead of an environment")
    parser.add_argument("--auth", choices=("basic", "bearer", "none"), help="override the environment's auth mode "
                        "(none: no Authorization header, as the web tracking endpoint takes)")
    parser.add_argument("--user", metavar="NAME", help="Basic auth user name (default: the environment's, empty)")
    parser.add_argument(
        "--nested",
        choices=("string", "object"),
        help="re-encode nested values as escaped strings or as JSON objects before sending",
    )
    parser.add_argument("--strict", action="store_true", help="do not send a body with errors (exit 4)")
    add_profile_option(parser)
    parser.add_argument("--dry-run", action="store_true", help="show what would be sent, send nothing")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-history", action="store_true", help="do not record the exchange in the history")
    parser.add_argument("--timeout", type=float, metavar="SECONDS", help="time limit for the whole exchange")
    parser.add_argument(
        "--retries",
        type=int,
        default=0,
        metavar="N",
        help="retry up to N times on 429 (after Retry-After) and 5xx (with backoff); default 0",
    )
    parser.set_defaults(func=run)


# -- preparing -------------------------------------------------------------------------------------


def _environment(args: argparse.Namespace) -> Environment:
    if args.url:
        env = Environment.custom(args.url, auth=args.auth or AuthMode.BASIC)
    else:
        store = EnvironmentStore.open(args.data_dir)
        for problem in store.problems:
            say(f"yespo-console: warning: {problem}", file=sys.stderr)
        env = store.get(args.env or SANDBOX)
    changes: dict[str, Any] = {}
    if args.auth:
        changes["auth"] = args.auth
    if args.user is not None:
        changes["username"] = args.user
    if args.nested:
        changes["nested"] = args.nested
    if args.timeout is not None:
        if not 0 < args.timeout <= 3600:
            raise InputError("--timeout must be between 0 and 3600 seconds")
        changes["timeout_s"] = args.timeout
        changes["connect_timeout_s"] = min(env.connect_timeout_s, args.timeout)
    if changes:
        try:
            env = Environment.model_validate({**env.to_json(), **changes})
        except ValueError as exc:
            raise InputError(str(exc)) from exc
    return env


def _reencode(data: bytes, nested: str, profile: Profile) -> bytes:
    try:
        draft = parse_body(data, profile)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"--nested needs a body that is a JSON object ({exc}); send it without --nested") from exc
    try:
        return build_body(draft, nested="object" if nested == "object" else "string", profile=profile)
    except UnicodeEncodeError:  # the escape \ud800 read back as a character UTF-8 cannot hold
        raise InputError("--nested cannot re-encode a body holding a lone surrogate (such as \\ud800); send it "
                         "without --nested, as it is") from None


# -- output ----------------------------------------------------------------------------------------


def _diagnostics_lines(report: Report | None) -> list[str]:
    if report is None:
        return ["Local diagnostics: not available"]
    counts = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    lines = [f"Local diagnostics: {'valid' if report.valid else 'INVALID'} ({counts})"]
    lines += ["  " + line for finding in report.findings for line in finding.line().splitlines()]
    return lines


def _print_dry_run(client: EventClient, data: bytes, report: Report | None, as_json: bool, note: str) -> None:
    request = client.prepare(data, report=report)
    if as_json:
        print_json(
            {
                "dryRun": True,
                "environment": client.environment.name,
                "url": request.url,
                "headers": [list(h) for h in request.headers],
                "body": request.body.decode("utf-8", "replace"),
                "diagnostics": report.as_dict() if report else None,
                "note": note or None,
            }
        )
        return
    say(f"Dry run: would POST {request.url} ({client.environment.label})")
    for name, value in request.headers:
        say(f"  {name}: {value}")
    if note:
        say(f"  (no Authorization header: {note})")
    say()
    say(request.body.decode("utf-8", "replace").rstrip("\r\n"))
    say()
    say("\n".join(_diagnostics_lines(report)))


def _result_json(result: SendResult) -> dict[str, Any]:
    return {
        "outcome": result.outcome.value,
        "status": result.status,
        "durationMs": result.duration_ms,
        "environment": result.request.environment,
        "url": result.request.url,
        "explanation": {"title": result.explanation.title, "detail": result.explanation.detail},
        "response": {
            "headers": [list(h) for h in result.result.headers],
            "body": result.body_text,
        },
        "diagnostics": result.report.as_dict() if result.report else None,
        "historyId": result.exchange_id,
        "historyError": result.history_error or None,
        "attempts": result.attempts,
    }


def _print_result(result: SendResult) -> None:
    status = f"{result.status}" if result.status is not None else "no answer"
    took = f" in {result.duration_ms:.1f} ms" if result.duration_ms is not None else ""
    say(f"{result.outcome.label}: {result.explanation.title}")
    if result.explanation.detail:
        say(f"  {result.explanation.detail}")
    say(f"POST {result.request.url} -> {status}{took} (outcome: {result.outcome.value})")
    if result.attempts > 1:
        say(f"Attempts: {result.attempts}")
    body = result.body_text
    if body:
        say("Response body:")
        say("  " + "\n  ".join(body.splitlines()))
    say("\n".join(_diagnostics_lines(result.report)))
    if result.exchange_id is not None:
        say(f"History: exchange #{result.exchange_id}")
    if result.history_error:
        say(f"yespo-console: warning: {result.history_error}", file=sys.stderr)


def exit_code(outcome: Outcome) -> int:
    if outcome is Outcome.ACCEPTED:
        return EXIT_OK
    if outcome in (Outcome.REJECTED, Outcome.RATE_LIMITED, Outcome.SERVER_ERROR):
        return EXIT_HTTP_ERROR
    return EXIT_NETWORK


# -- the command -----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    if not 0 <= args.retries <= MAX_RETRIES:
        return fail(f"--retries must be between 0 and {MAX_RETRIES}")
    try:
        data = read_input(args.file)
        env = _environment(args)
        profile = chosen_profile(args)
        if args.nested and detect_format(data) == "tracker":
            raise InputError("--nested re-encodes Generate event params; a web tracking body has none")
        if args.nested:
            data = _reencode(data, args.nested, profile)
    except InputError as exc:
        return fail(str(exc))
    report = inspect_wire(data, api_version=env.api_version, profile=profile)
    if args.strict and not report.valid:
        if args.json:
            print_json({"sent": False, "reason": "strict", "diagnostics": report.as_dict()})
        else:
            say("\n".join(_diagnostics_lines(report)))
        return fail("--strict: the body has errors, so it was not sent", EXIT_REFUSED)
    secrets = SecretStore()
    secret = secrets.get(env)
    if secret is None and env.auth is not AuthMode.NONE and not args.dry_run:
        return fail(secrets.missing_message(env))
    if secret is not None:
        try:
            check_header_secret(secret, env)
        except InputError as exc:
            return fail(str(exc))
    return asyncio.run(_send(args, env, secret, data, report))


async def _send(args: argparse.Namespace, env: Environment, secret: Secret | None, data: bytes, report: Report) -> int:
    if args.dry_run:
        note = SecretStore().missing_message(env) if secret is None and env.auth is not AuthMode.NONE else ""
        async with EventClient(env, secret=secret, rate_limit=None) as client:
            _print_dry_run(client, data, report, args.json, note)
        return EXIT_OK

    timeouts = Timeouts.for_environment(env)
    retry = RetryPolicy(attempts=args.retries + 1)
    store = open_history(args.data_dir, not args.no_history, "send")
    try:
        async with reachable(env, explicit_url=bool(args.url), data_dir=args.data_dir, what="send") as target, \
                EventClient(target, secret=secret, recorder=store, timeouts=timeouts, retry=retry,
                            rate_limit=None) as client:
            result = await client.send(data, report=report)
    except InputError as exc:
        return fail(str(exc))
    finally:
        if store is not None:
            store.close()
    if args.json:
        print_json(_result_json(result))
    else:
        _print_result(result)
    return exit_code(result.outcome)
