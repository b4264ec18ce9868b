"""`yespo-console profile`: the account profiles — list them, show one, and build one from evidence (a Yespo 400
answer, or the history of sent events)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from yespo_console.cli.io import fail, read_input
from yespo_console.core.errors import InputError, YespoConsoleError
from yespo_console.core.events.catalog import EventSpec, Shape
from yespo_console.core.events.profiles import Profile
from yespo_console.core.terminal import printable

MAX_HISTORY_BODY = 64 * 1024  # a body larger than Yespo's 20 KB limit teaches nothing about a type


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "profile", help="list, show and build account profiles (an account's own event types)",
        description="An account profile describes one Yespo account's event types (params, required flags, "
        "types, Validate parameters) for forms, examples, inspect and the sandbox (--profile on those "
        "commands). Exit 0 on success, 2 when a file or the history cannot be read.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("list", help="the profiles folder, its profiles and the bundled examples").set_defaults(
        func=run_list)
    show = actions.add_parser("show", help="the event types of a profile (checks the file on the way)")
    show.add_argument("profile", nargs="?", default=None, metavar="FILE|NAME", help="default: the built-in one")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.set_defaults(func=run_show)
    rejection = actions.add_parser(
        "from-400", help="an event type's structure from Yespo's 400 answer (Validate parameters)",
        description="Read the body of Yespo's 400 answer (`The event should have the following params: [...]`) "
        "and write a profile with that event type, ready to edit (the answer names params and required "
        "flags, not types: check them).",
    )
    rejection.add_argument("file", nargs="?", metavar="FILE|-", help="the 400 body; - or nothing for stdin")
    _output_options(rejection)
    rejection.set_defaults(func=run_from_400)
    infer = actions.add_parser(
        "infer", help="an event type's params and value types from the history of sent events",
        description="Read the request bodies of EVENT in the history (newest first) and write a profile with "
        "the params they carry, their value types and nested fields; a param every body sent is marked required.",
    )
    infer.add_argument("--env", metavar="NAME", help="only events sent to this environment")
    _output_options(infer)
    infer.set_defaults(func=run_infer)


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--event", required=True, metavar="KEY", help="the event type key, e.g. AbandonedCart")
    parser.add_argument("--name", metavar="TEXT", help="the profile's name (default: the event type)")
    parser.add_argument("--out", metavar="FILE", help="write here (.yaml/.yml or .json); default: standard output")
    parser.add_argument("--force", action="store_true", help="replace --out when it exists")


# -- list and show --------------------------------------------------------------------------------


def run_list(args: argparse.Namespace) -> int:
    from yespo_console.core.profiles.folder import example_profiles, profiles_dir, user_profiles

    print(f"Profiles folder: {profiles_dir(args.data_dir)}")
    print("  built-in: the seven documented site events and the documented order events")
    for title, paths in (("Yours", user_profiles(args.data_dir)), ("Bundled examples", example_profiles())):
        print(f"{title}:" if paths else f"{title}: none")
        for path in paths:
            print(f"  {printable(path.stem)}  ({printable(str(path))})")
    return 0


def _type_lines(spec: EventSpec, profile: Profile) -> Iterator[str]:
    validate = "  [Validate parameters on]" if profile.validates(spec.key) else ""
    yield f"{printable(spec.key)}: {printable(spec.title)}{validate}"
    for param in spec.params:
        kind = str(param.field.type) if param.field is not None else str(param.shape)
        yield f"  {printable(param.name)}{' *' if param.required else ''}  {kind}"
        for field in param.fields:
            yield f"    {'[].' if param.shape is Shape.LIST else '.'}{printable(field.name)}" \
                  f"{' *' if field.required else ''}  {field.type}"


def run_show(args: argparse.Namespace) -> int:
    from yespo_console.core.profiles.files import event_type_document
    from yespo_console.core.profiles.folder import find_profile

    try:
        profile = find_profile(args.profile, args.data_dir)
    except InputError as exc:
        return fail(str(exc))
    if args.json:
        types = [event_type_document(spec, validate=profile.validates(spec.key)) for spec in profile.events]
        print(json.dumps({"name": profile.name, "source": profile.source, "currencies": list(profile.currencies),
                          "locatorParams": dict(profile.locator_params), "eventTypes": types}, ensure_ascii=False))
        return 0
    print(f"{printable(profile.name)} ({printable(profile.source)}); currencies: {', '.join(profile.currencies)}")
    for spec in profile.events:
        print("\n".join(_type_lines(spec, profile)))
    print("* required")
    return 0


# -- building from evidence -------------------------------------------------------------------------


def _write(args: argparse.Namespace, spec: EventSpec, note: str) -> int:
    from yespo_console.core.profiles.files import parse_profile, profile_text

    out = Path(args.out) if args.out else None
    as_json = out is not None and out.suffix.lower() == ".json"
    text = profile_text(args.name or spec.key, [spec], as_json=as_json, note=note)
    try:
        parse_profile(text, "<the profile to write>", is_json=as_json)  # what is written must read back
    except InputError as exc:
        return fail(f"no profile written: it would not read back ({exc})")
    if out is None:
        sys.stdout.write(text)
        return 0
    if out.exists() and not args.force:
        return fail(f"{out} exists: choose another --out, or add --force to replace it")
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        return fail(f"{out}: cannot be written ({exc.strerror or exc})")
    print(f"Wrote {out}: {spec.key} with {len(spec.params)} param(s). Check the types, then use it with "
          f"--profile {out}.", file=sys.stderr)
    return 0


def run_from_400(args: argparse.Namespace) -> int:
    from yespo_console.core.profiles.evidence import structure_from_rejection

    try:
        text = read_input(args.file).decode("utf-8", "replace")
        spec = structure_from_rejection(text, args.event)
    except InputError as exc:
        return fail(str(exc))
    note = (f"{args.event}: built from Yespo's 400 answer. The answer names the params and whether each is "
            "required, not their types: every type below is `string` until you change it.")
    return _write(args, spec, note)


def _bodies(history: Any, event_type: str, environment: str | None) -> Iterator[dict[str, Any]]:
    from yespo_console.core.history import HistoryFilter

    for exchange in history.iter_exchanges(HistoryFilter(event_type=event_type, environment=environment),
                                           newest_first=True):
        if len(exchange.request_body) > MAX_HISTORY_BODY:
            continue
        try:
            body = json.loads(exchange.request_body)
        except (ValueError, RecursionError):
            continue
        if isinstance(body, dict):
            yield body


def run_infer(args: argparse.Namespace) -> int:
    from yespo_console.core.history import HistoryStore
    from yespo_console.core.profiles.evidence import infer_event_type

    try:
        with HistoryStore.open(args.data_dir) as history:
            spec, count = infer_event_type(args.event, _bodies(history, args.event, args.env))
    except (YespoConsoleError, OSError) as exc:
        return fail(str(exc))
    note = (f"{args.event}: inferred from the {count} newest sent event(s) of this type in the history. A param is "
            "required when every one of them sent it; check that, and the types, before relying on it.")
    return _write(args, spec, note)
