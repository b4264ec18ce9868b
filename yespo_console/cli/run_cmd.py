"""`yespo-console run`: play a scenario (a file, or a bundled recipe by name) against an environment.

Also home of what `history replay` and `past-events` share with it: choosing the target, starting a
temporary sandbox when the Sandbox environment has none running (as `send` does), opening the
history, and printing a run's results.

Exit codes: 0 every expectation held, 1 one failed (or the dry run found an invalid body), 2 a bad
scenario, CSV or argument, 3 the only failures were network errors (no answer), 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from yespo_console.cli.argtypes import MAX_RETRIES, decimal_number, whole_number
from yespo_console.cli.io import fail, print_json, say
from yespo_console.cli.profiles import add_profile_option, chosen_profile
from yespo_console.cli.targets import open_history, reachable
from yespo_console.core.errors import InputError
from yespo_console.core.events.tracker_rules import inspect_wire
from yespo_console.core.followup.client import AccountClient, FollowupError
from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.client import EventClient
from yespo_console.core.http.environments import SANDBOX, Environment, EnvironmentStore
from yespo_console.core.http.exchange import new_run_id
from yespo_console.core.http.secrets import Secret, SecretStore, check_header_secret
from yespo_console.core.http.sending import RetryPolicy, Timeouts
from yespo_console.core.scenarios.contacts import (
    Contact,
    load_contacts,
    parse_assignments,
    preflight,
    replay_contacts,
    scenario_contacts,
)
from yespo_console.core.scenarios.follow import AccountLink
from yespo_console.core.scenarios.loader import ALLOW_OUTSIDE_OPTION, LoadedScenario, load_scenario
from yespo_console.core.scenarios.problems import ScenarioError
from yespo_console.core.scenarios.recipes import resolve_scenario
from yespo_console.core.scenarios.results import RunReport, StepResult, results_format, save_results
from yespo_console.core.scenarios.runner import DEFAULT_RATE, MAX_CONCURRENCY, Runner

EXIT_BAD_INPUT = 2


# -- argument types --------------------------------------------------------------------------------


_RATE = decimal_number(0, 100_000)


def rate_arg(text: str) -> float | None:
    """Requests per second; 0 means no limit."""
    return _RATE(text) or None


def _results_path(text: str) -> str:
    try:
        results_format(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_target_arguments(parser: argparse.ArgumentParser, env_dest: str = "env",
                         default: str = "the scenario's, else sandbox") -> None:
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--env", dest=env_dest, metavar="NAME", help=f"the environment to send to (default: {default})")
    target.add_argument("--url", metavar="URL", help="any event endpoint URL instead of an environment")


def add_pacing_arguments(parser: argparse.ArgumentParser, concurrency: int, what: str) -> None:
    parser.add_argument("--concurrency", type=whole_number(1, MAX_CONCURRENCY), default=concurrency, metavar="N",
                        help=f"{what} in parallel (default {concurrency})")
    parser.add_argument("--rate", type=rate_arg, default=DEFAULT_RATE, metavar="R",
                        help=f"at most R requests/s for the whole run (default {DEFAULT_RATE:g}, Yespo's limit; "
                        "0 = no limit)")
    parser.add_argument("--retries", type=whole_number(0, MAX_RETRIES), default=3, metavar="N",
                        help="after a 429, retry up to N times once its Retry-After has passed (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object: the summary and every step")
    parser.add_argument("--results", type=_results_path, metavar="FILE.csv|FILE.json",
                        help="write the results table (one row per step and contact) as CSV or JSON; in CSV, a text "
                        "cell starting with = + - @, a tab or CR gets a leading ' so a spreadsheet shows it as text "
                        "instead of running it as a formula")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a scenario: realistic event sequences for test contacts, with expectations",
        description="Send a scenario's steps (events, waits, repeats, expectations) for each contact: one "
        "contact, or one per row of --data (a CSV whose columns become variables). Each contact's steps run "
        "in order; --concurrency contacts run at once, within --rate. Every request is kept in the history "
        "with the run's id (`history list --run-id ID`). FILE may be a bundled recipe by name: "
        "abandoned-cart, abandoned-cart-purchased, abandoned-browse, wishlist-reminder, search-no-results, "
        "cart-cleared, woocommerce-cart. Steps may also save the test contact (contact:), send an order (order:) "
        "and expect what followed in the account (expect: {message|activity|no_message: {within: 40m}}), polled "
        "for the scenario's contact. With the "
        "Sandbox environment and no sandbox running, a temporary one is started, its workflow delays scaled by "
        "--wait-scale. Exit 0 when every "
        "expectation held, 1 when one failed, 2 for a bad file or argument, 3 when the only failures "
        "were network errors.",
    )
    parser.add_argument("file", metavar="FILE", help="the scenario (YAML or JSON), or a bundled recipe's name")
    add_target_arguments(parser)
    parser.add_argument("--data", metavar="CSV", help="contacts, one a row; the header names the variables")
    parser.add_argument(ALLOW_OUTSIDE_OPTION, action="store_true",
                        help="let the scenario's body: and data: name files outside its folder (refused otherwise, "
                        "so that a scenario from elsewhere cannot send /proc/self/environ or ../../etc/passwd)")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                        help="set a variable for every contact (repeatable); CSV columns override it")
    add_pacing_arguments(parser, concurrency=1, what="contacts (each contact's steps stay in order)")
    parser.add_argument("--wait-scale", type=decimal_number(0, 10), default=1.0, metavar="F",
                        help="multiply every wait and every expectation's `within` by F, and a temporary sandbox's "
                        "workflow delays (0.01: a 30-minute delay takes 18 s; 0 skips the waits for a quick check of "
                        "the events; default 1)")
    parser.add_argument("--yes", action="store_true",
                        help="let contact: and order: steps write to an environment that asks before sends "
                        "(production); refused otherwise")
    parser.add_argument("--seed", type=int, metavar="N", help="seed the random values, for a repeatable run")
    add_profile_option(parser)
    parser.add_argument("--dry-run", action="store_true",
                        help="render every event and judge it locally; send nothing (exit 1 if one is invalid)")
    parser.add_argument("--no-history", action="store_true", help="do not record the exchanges in the history")
    parser.set_defaults(func=run)


# -- shared with `history replay` and `past-events` -------------------------------------------------


def target_environment(args: argparse.Namespace, env_name: str | None, default: str | None = None) -> Environment:
    """--url, else the named environment, else `default`, else the sandbox. InputError when unknown."""
    url = getattr(args, "url", None)
    if url:
        return Environment.custom(url)
    store = EnvironmentStore.open(getattr(args, "data_dir", None))
    for problem in store.problems:
        say(f"yespo-console: warning: {problem}", file=sys.stderr)
    return store.get(env_name or default or SANDBOX)


def secret_for(env: Environment) -> Secret:
    """The key or token to send with; InputError saying where to put it when there is none."""
    secrets = SecretStore()
    secret = secrets.get(env)
    if secret is None:
        raise InputError(secrets.missing_message(env))
    check_header_secret(secret, env)
    return secret


def _mark(result: StepResult) -> str:
    if result.expectation == "failed" or result.outcome in ("not_sent", "cancelled"):
        return "✗"
    if result.expectation == "held":
        return "✓"
    return " "


def step_line(result: StepResult) -> str:
    status = "" if result.status is None else f" {result.status}"
    outcome = f" {result.outcome}" if result.outcome else ""
    return f"{_mark(result)} [{result.contact}] {result.step_number}. {result.step}:{status}{outcome} — {result.detail}"


def report_output(report: RunReport, args: argparse.Namespace) -> int:
    """Print the summary (or the JSON object), write --results, return the exit code."""
    if args.json:
        print_json({"summary": report.summary.as_dict(), "results": [r.row for r in report.results]})
    else:
        say("\n".join(report.summary.lines()))
    if args.results:
        try:
            save_results(report, args.results)
        except InputError as exc:
            say(f"yespo-console: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        say(f"results: {len(report.results)} row(s) written to {args.results}", file=sys.stderr)
    return report.summary.exit_code()


async def execute(
    args: argparse.Namespace,
    env: Environment,
    secret: Secret,
    contacts: Sequence[Contact],
    *,
    name: str,
    run_id: str,
    explicit_url: bool,
    show_step: Callable[[StepResult], bool],
    follows_up: bool = False,
) -> RunReport:
    """Send the contacts' steps through a Runner (history on unless --no-history); with `follows_up`, its
    contact, order and account expectation steps go through an AccountClient on the same target."""
    async with reachable(env, explicit_url=explicit_url, data_dir=args.data_dir,
                         time_scale=getattr(args, "wait_scale", 1.0)) as target:
        history = open_history(args.data_dir, not getattr(args, "no_history", False))
        try:
            def on_step(result: StepResult) -> None:
                if not args.json and show_step(result):
                    say(step_line(result), flush=True)

            async with EventClient(target, secret=secret, recorder=history, timeouts=Timeouts.for_environment(target),
                                   retry=RetryPolicy(), rate_limit=None) as client, \
                    _account(target, secret, history, args, follows_up) as account:
                runner = Runner(client, name=name, run_id=run_id, concurrency=args.concurrency, rate=args.rate,
                                retry=RetryPolicy(attempts=args.retries + 1, on_server_error=False), on_step=on_step,
                                wait_scale=getattr(args, "wait_scale", 1.0), account=account)
                return await runner.run(contacts)
        finally:
            if history is not None:
                history.close()


@contextlib.asynccontextmanager
async def _account(target: Environment, secret: Secret, history: HistoryStore | None, args: argparse.Namespace,
                   wanted: bool) -> AsyncIterator[AccountLink | None]:
    """The account the scenario's contact, order and expectation steps use (None when it has none): the same
    target and key as its events, its calls recorded as lookups. A write to production needs --yes."""
    if not wanted:
        yield None
        return
    confirm = (lambda _env, _what: True) if getattr(args, "yes", False) else None
    async with AccountClient(target, secret=secret, recorder=history, confirm=confirm) as client:
        yield AccountLink(client, FollowupError)


# -- run -------------------------------------------------------------------------------------------


def _prepare(args: argparse.Namespace) -> tuple[LoadedScenario, Environment, Sequence[Contact], str]:
    loaded = load_scenario(resolve_scenario(args.file), chosen_profile(args), allow_outside=args.allow_outside_files)
    given = parse_assignments(args.var)
    data_path = args.data or loaded.data_path
    rows = load_contacts(data_path) if data_path is not None else ()
    env = target_environment(args, args.env, loaded.scenario.environment)
    run_id = new_run_id(loaded.name)
    contacts = scenario_contacts(loaded, rows, given, run_id=run_id, nested=env.nested, seed=args.seed)
    problems = preflight(contacts)
    if problems:
        listed = problems[:20] + ([f"… and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise InputError("some events cannot be rendered:\n" + "\n".join(listed))
    return loaded, env, contacts, run_id


def _dry_run(loaded: LoadedScenario, env: Environment, contacts: Sequence[Contact], as_json: bool) -> int:
    invalid = 0
    planned: list[dict[str, Any]] = []
    if not as_json:
        say(f"Dry run of {loaded.name!r}: {len(contacts)} contact(s), {loaded.event_steps} event(s) each, "
              f"would POST to {env.url} ({env.label or env.name}). Nothing is sent.")
    for contact in contacts:
        if not as_json:
            say(f"\nContact {contact.index}: {contact.label}")
        for step in contact.steps:
            line = f" (line {step.line})" if step.line is not None else ""
            entry: dict[str, Any] = {"contact": contact.label, "step": step.number, "title": step.title,
                                     "kind": step.kind, "line": step.line}
            if step.kind == "event":
                body = contact.render(step)
                report = inspect_wire(body, wire_format="tracker" if step.track is not None else "event",
                                      api_version=env.api_version, profile=loaded.profile)
                invalid += 0 if report.valid else 1
                entry.update(body=body.decode("utf-8", "replace"), diagnostics=report.as_dict())
                if not as_json:
                    verdict = "valid" if report.valid else "INVALID"
                    say(f"  {step.label}{line}: {verdict} ({len(report.errors)} error(s), "
                          f"{len(report.warnings)} warning(s))")
                    say("    " + body.decode("utf-8", "replace"))
                    for finding in report.findings:
                        say("    " + finding.line().replace("\n", "\n    "))
            elif step.kind in ("contact", "order"):
                body = contact.render(step)
                where = "/api/v1/contact" if step.kind == "contact" else "/api/v1/orders (in {\"orders\": [...]})"
                entry.update(body=body.decode("utf-8", "replace"))
                if not as_json:
                    say(f"  {step.label}{line}: would POST to {where}")
                    say("    " + body.decode("utf-8", "replace"))
            elif not as_json:
                say(f"  {step.label}{line}")
            if as_json:  # text mode keeps nothing per step, so that a CSV of any length fits in memory
                planned.append(entry)
    if as_json:
        print_json({"dryRun": True, "scenario": loaded.name, "url": env.url, "steps": planned, "invalid": invalid})
    else:
        say(f"\n{invalid} invalid event(s)" if invalid else "\nEvery event passes the inspector.")
    return 1 if invalid else 0


def run(args: argparse.Namespace) -> int:
    try:
        loaded, env, contacts, run_id = _prepare(args)
    except ScenarioError as exc:
        return fail(f"the scenario has {len(exc.problems)} problem(s):\n{exc}")
    except InputError as exc:
        return fail(str(exc))
    if args.dry_run:
        return _dry_run(loaded, env, contacts, args.json)
    try:
        secret = secret_for(env)
    except InputError as exc:
        return fail(str(exc))
    if env.production:
        say(f"yespo-console: warning: this run sends {loaded.event_steps * len(contacts)} event(s) to production "
              f"({env.url}); triggers may fire for real contacts", file=sys.stderr)
    if not args.json:
        say(f"Running {loaded.name!r} for {len(contacts)} contact(s) on {env.label or env.name}, run {run_id}",
              flush=True)
    try:
        report = asyncio.run(execute(args, env, secret, contacts, name=loaded.name, run_id=run_id,
                                     explicit_url=bool(args.url), show_step=lambda r: r.kind != "wait",
                                     follows_up=loaded.follows_up))
    except InputError as exc:
        return fail(str(exc))
    return report_output(report, args)


# -- history replay --------------------------------------------------------------------------------


def add_replay_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `history replay` beyond the history filters (whose --env becomes --from-env)."""
    parser.add_argument("--from-env", metavar="NAME", help="only exchanges that were sent to this environment")
    add_target_arguments(parser, env_dest="target_env", default="the one they were sent to")
    add_pacing_arguments(parser, concurrency=4, what="requests")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def replay(args: argparse.Namespace, filters: HistoryFilter) -> int:
    """Send the matching exchanges' exact request bytes again, oldest first, through the runner."""
    selected: list[tuple[int, str | None, bytes]] = []
    environments: set[str] = set()
    skipped = 0
    with HistoryStore.open(args.data_dir) as store:
        for exchange in store.iter_exchanges(filters):
            if exchange.url.rstrip("/").endswith("/past_events"):
                skipped += 1  # a batch of past events is not an event: `past-events` sends those
                continue
            selected.append((exchange.id, exchange.event_type, exchange.request_body))
            environments.add(exchange.environment)
    if skipped:
        say(f"yespo-console: {skipped} past_events batch(es) left out (send them with `past-events`)",
              file=sys.stderr)
    if not selected:
        return fail("no exchanges match the filters: nothing to replay", 1)
    name = args.target_env
    if name is None and not args.url:
        if len(environments) > 1:
            return fail(f"the exchanges were sent to several environments ({', '.join(sorted(environments))}): "
                        "choose the target with --env NAME or --url URL")
        name = next(iter(environments))
    try:
        env = target_environment(args, name)
        secret = secret_for(env)
    except InputError as exc:
        return fail(str(exc))
    if not args.yes:
        if sys.stdin is None or not sys.stdin.isatty():
            return fail(f"replay sends {len(selected)} request(s) to {env.url}: add --yes to confirm")
        answer = input(f"Send {len(selected)} request(s) again to {env.label or env.name} ({env.url})? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            say("nothing sent")
            return 0
    run_id = new_run_id("replay")
    if not args.json:
        say(f"Replaying {len(selected)} exchange(s) to {env.label or env.name}, run {run_id}", flush=True)
    try:
        report = asyncio.run(execute(args, env, secret, replay_contacts(selected), name="replay", run_id=run_id,
                                     explicit_url=bool(args.url), show_step=lambda r: r.expectation == "failed"))
    except InputError as exc:
        return fail(str(exc))
    return report_output(report, args)
