"""One grammar for spans of time typed by people: `500ms`, `2s`, `1.5m`, `12h`, `30d`, `4w`, and with a sign
(`-2h`, `+30m`) for offsets. Scenario waits, `history --since/--older-than` and template offsets all read it.
Also how a moment in a server's answer is read (`parse_moment`), and how long to wait between polls of the
account's read endpoints (`poll_pause`: the verifier's and the scenario expectations' one schedule)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DURATION_RE = re.compile(r"\s*([+-]?)(\d{1,9}(?:\.\d{1,9})?)\s*(ms|s|m|h|d|w)?\s*\Z", re.IGNORECASE | re.ASCII)
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86_400.0, "w": 604_800.0}
UNITS = "ms, s, m, h, d, w"


def parse_duration(text: str, *, bare_unit: str | None = None, signed: bool = False) -> timedelta:
    """The span `text` names. `bare_unit` is the unit of a bare number (None: a unit is required); `signed`
    requires a leading + or - (an offset), otherwise a sign is refused. ValueError when it is not one."""
    match = _DURATION_RE.match(text)
    if match is None or bool(match.group(1)) != signed:
        raise ValueError(f"not a duration: {text!r}")
    unit = (match.group(3) or bare_unit or "").lower()
    if not unit:
        raise ValueError(f"not a duration: {text!r} (no unit: {UNITS})")
    seconds = float(match.group(2)) * _SECONDS[unit]
    try:
        span = timedelta(seconds=seconds)
    except OverflowError:
        raise ValueError(f"too long a duration: {text!r}") from None
    return -span if match.group(1) == "-" else span


def parse_moment(text: str | None) -> datetime | None:
    """A time in an answer (ISO 8601, a space allowed for the T) as an aware datetime (no zone: UTC); None when
    it does not parse."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# Polls of the account's read endpoints: quick at first (a workflow may start within seconds), then further apart,
# within the endpoints' rate limits over a long window.
FIRST_POLL_PAUSE_S, POLL_PAUSE_FACTOR, MAX_POLL_PAUSE_S = 2.0, 1.5, 20.0


def poll_pause(poll: int, *, first_s: float = FIRST_POLL_PAUSE_S, factor: float = POLL_PAUSE_FACTOR,
               max_s: float = MAX_POLL_PAUSE_S) -> float:
    """The pause after poll number POLL (1-based): FIRST_S, growing by FACTOR, at most MAX_S."""
    return min(max_s, first_s * factor ** (poll - 1))
