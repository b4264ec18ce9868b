"""`yespo-console proxy`: a recording pass-through proxy for support, until Ctrl+C.

Point a shop's integration (or curl) at http://127.0.0.1:8760 instead of https://yespo.io: it gets Yespo's
real answers byte for byte, while each exchange is judged and kept in the history (`history list --kind
proxied`). The first line on standard output is always `Yespo Console proxy listening on <base URL>`
(scripts may read the port from it, e.g. with --port 0). Each exchange prints one line, a stranger's text
escaped (`core.terminal.printable`); --json prints one JSON object per exchange instead.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import TYPE_CHECKING, Any

from yespo_console.cli.argtypes import add_listen_arguments, decimal_number
from yespo_console.cli.io import fail, print_json, say
from yespo_console.cli.profiles import add_profile_option, chosen_profile
from yespo_console.cli.serving import serve_until_signalled
from yespo_console.core.errors import InputError, YespoConsoleError
from yespo_console.core.paths import data_dir

if TYPE_CHECKING:
    from yespo_console.relay import ProxiedExchange

PROXY_DEFAULT_PORT = 8760
LOG_FILE = "proxy.log"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "proxy",
        help="relay an integration's requests to Yespo, recording and judging each exchange",
        description="Listen on 127.0.0.1 and relay every request, whatever its path, to the upstream (--to "
        "yespo: https://yespo.io, tracker: https://tracker.yespo.io, or any http(s) base URL), answering the "
        "client with the upstream's status, headers (less the hop-by-hop ones) and body, byte for byte. Each "
        "exchange is recorded in the history (kind proxied, the client's address in its note; `history list "
        "--kind proxied`), /api/v2/event and /api/v1/event bodies judged as `inspect` does. The client's "
        "credentials go up untouched and are masked in everything stored or shown. When the upstream does not "
        "answer, the client gets 504 (timeout) or 502 with a plain-text reason. Relaying to production asks "
        "once (--yes skips; without a terminal --yes is required). Exit 0 when stopped, 2 on bad arguments, "
        "when it cannot listen or when not confirmed.",
    )
    parser.add_argument("--to", required=True, metavar="yespo|tracker|URL", help="where to relay")
    add_listen_arguments(parser, PROXY_DEFAULT_PORT, "the proxy")
    parser.add_argument("--timeout", type=decimal_number(0, 3600, above_minimum=True), default=30.0, metavar="S",
                        help="seconds the upstream has to answer before the client gets 504 (default 30)")
    add_profile_option(parser)
    parser.add_argument("--yes", action="store_true", help="do not ask before relaying to production")
    parser.add_argument("--quiet", action="store_true", help="do not print a line per exchange")
    parser.add_argument("--json", action="store_true", help="print each exchange as one JSON line")
    parser.set_defaults(func=run)


def _confirmed(args: argparse.Namespace, target: str) -> bool | str:
    """True to go on, False when the person said no, a message when nobody can be asked."""
    if args.yes:
        return True
    if sys.stdin is None or not sys.stdin.isatty():
        return f"the proxy relays to production ({target}): add --yes to confirm"
    answer = input(f"Relay to production ({target})? Events sent through the proxy reach real contacts and may "
                   "fire triggers. [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    from yespo_console.core.history import HistoryStore
    from yespo_console.core.http.sending import Timeouts
    from yespo_console.relay import Relay, RelayError, upstream_for
    from yespo_console.sandbox.logs import logging_to

    try:
        upstream = upstream_for(args.to)
        profile = chosen_profile(args)
    except InputError as exc:
        return fail(f"--to/--profile: {exc}")
    if upstream.production:
        confirmed = _confirmed(args, upstream.shown)
        if isinstance(confirmed, str):
            return fail(confirmed)
        if not confirmed:
            say("nothing relayed")
            return 2
    timeouts = Timeouts(connect=min(10.0, args.timeout), read=args.timeout, write=args.timeout,
                        pool=min(10.0, args.timeout), total=args.timeout)
    try:
        store = HistoryStore.open(args.data_dir)
    except YespoConsoleError as exc:
        return fail(str(exc))
    try:
        relay = Relay(upstream, host=args.host, port=args.port, store=store, profile=profile, timeouts=timeouts,
                      allowed_hosts=args.allow_host)
    except RelayError as exc:
        store.close()
        return fail(str(exc))

    def show(exchange: ProxiedExchange) -> None:
        if args.json:
            print_json(exchange.as_dict())
            sys.stdout.flush()
        elif not args.quiet:
            print(exchange.line(), flush=True)

    def listening() -> None:
        relay.add_listener(show)
        print(f"Yespo Console proxy listening on {relay.base_url}", flush=True)
        out = sys.stderr if args.json else sys.stdout
        say(f"  relays every request to {upstream.shown} (paths and queries as the client sends them)", file=out)
        say("  credentials: passed through as the client sends them, masked in the history and here", file=out)
        say(f"  records: {store.path}  (yespo-console history list --kind proxied)", file=out)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            say("  warning: listening beyond this machine; anyone who can reach it can use your integration's "
                "relay (requests must name it as --host or an --allow-host name)", file=sys.stderr)
        say("  Ctrl+C to stop", file=out, flush=True)

    async def serve() -> int:
        return await serve_until_signalled(relay, RelayError, listening)

    # httpx logs each request's URL at INFO, unmasked: a key in a client's query string would reach the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        with logging_to(data_dir(args.data_dir), file_name=LOG_FILE):
            return asyncio.run(serve())
    except KeyboardInterrupt:
        return 0
    finally:
        store.close()
