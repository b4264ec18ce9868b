"""Argument types shared by the commands: a plain message for each bad value, never a traceback."""

from __future__ import annotations

import argparse
from collections.abc import Callable

MAX_RETRIES = 10  # --retries of send, run and past-events


def whole_number(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from `minimum` to `maximum` (no upper bound when None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if maximum is None and value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more: {value}")
        if maximum is not None and not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"must be between {minimum} and {maximum}: {value}")
        return value

    return parse


def decimal_number(minimum: float, maximum: float, *, above_minimum: bool = False) -> Callable[[str], float]:
    """An argparse type: a number from `minimum` (excluded with `above_minimum`) to `maximum`; NaN is refused
    (it compares false with both bounds)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        low_ok = minimum < value if above_minimum else minimum <= value
        if not (low_ok and value <= maximum):
            bounds = f"more than {minimum:g} and at most {maximum:g}" if above_minimum else \
                f"between {minimum:g} and {maximum:g}"
            raise argparse.ArgumentTypeError(f"must be {bounds}: {text}")
        return value

    return parse


def add_listen_arguments(parser: argparse.ArgumentParser, default_port: int, what: str) -> None:
    """--host, --allow-host and --port of a local server (the sandbox, the proxy); `what` names it in the help."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests addressed to this host name (repeatable, e.g. host.docker.internal); by "
        f"default only 127.0.0.1, localhost, [::1] and the --host address are, so that no web page can reach {what}",
    )
    parser.add_argument(
        "--port",
        type=whole_number(0, 65535),
        default=default_port,
        help=f"port (default {default_port}; 0 picks a free one)",
    )
