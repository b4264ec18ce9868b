"""What the proxy keeps of an exchange: the history rows (kind "proxied"), judged by the inspector where the
path is an event endpoint, masked with the request's own credentials; and the summary the live view shows.

The client's address is in the row's note: `proxied for 127.0.0.1:51234` (searchable with `history
--search`, shown by `history show`). An answer the console made itself (413 for a body over the cap, 408 for
one too slow, 502/504 when the upstream did not answer) is recorded with the reason in its error; the
upstream's own answer is recorded as it came, a compressed one decoded for reading (up to the cap).
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yespo_console.core.events.diagnostics import inspect_body
from yespo_console.core.events.findings import Report
from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.core.events.tracker_rules import inspect_tracker_body
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult, utc_now
from yespo_console.core.http.masking import Masker, mask_headers, mask_url
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.terminal import printable
from yespo_console.relay.upstream import JUDGED_PATHS, Upstream

log = logging.getLogger(__name__)

MAX_RECORDED_BYTES = 1024 * 1024


def judge(path: str, body: bytes, profile: Profile = BUILTIN) -> Report | None:
    """The inspector's report of an event or web tracking body (None for any other path: recorded unjudged)."""
    version = JUDGED_PATHS.get(path.rstrip("/") or "/")
    if version is None:
        return None
    try:
        if version == "tracker":
            return inspect_tracker_body(body)
        return inspect_body(body, api_version="v1" if version == "v1" else "v2", profile=profile)
    except Exception:  # the inspector must never stop a relay
        log.exception("the inspector failed on a proxied body; recorded unjudged")
        return None


def request_record(
    upstream: Upstream, method: str, url: str, headers: list[tuple[str, str]], body: bytes, *, client: str,
    report: Report | None, masker: Masker, note: str = "",
) -> ExchangeRequest:
    """The history's pending row of a relayed request, every credential masked."""
    what = f"proxied for {client}" + (f"; {note}" if note else "")
    return ExchangeRequest(
        url=masker.text(mask_url(url)),
        body=masker.bytes(body),
        environment=upstream.name,
        method=method,
        headers=tuple(mask_headers(headers, masker)),
        event_type=masker.text(report.event_type) if report and report.event_type else None,
        key_value=masker.text(report.key_value) if report and report.key_value else None,
        key_value_source=report.key_value_source if report else None,
        diagnostics=tuple(masker.value(f.as_dict()) for f in report.findings) if report else (),
        note=masker.text(what),
        kind="proxied",
    )


def readable_body(body: bytes, content_encoding: str | None) -> tuple[bytes, str]:
    """The answer's body as the record keeps it: gzip or deflate decoded (at most MAX_RECORDED_BYTES), and a
    remark when it could not be."""
    coding = (content_encoding or "").strip().lower()
    if not coding or coding == "identity":
        return body, ""
    # gzip (with its header); deflate as zlib data, else raw deflate, which some servers send instead.
    attempts = {"gzip": (31,), "x-gzip": (31,), "deflate": (15, -15)}.get(coding)
    for wbits in attempts or ():
        decoder = zlib.decompressobj(wbits=wbits)
        try:
            decoded = decoder.decompress(body, MAX_RECORDED_BYTES)
        except zlib.error:
            continue
        cut = " (cut at the record's cap)" if decoder.unconsumed_tail else ""
        return decoded, f"The answer was {coding}-encoded: the record keeps it decoded{cut}."
    if attempts:
        return body, f"The answer was {coding}-encoded and could not be decoded: kept as it came."
    return body, f"The answer was {printable(coding[:40])}-encoded: kept as it came."


@dataclass(frozen=True, slots=True)
class ProxiedExchange:
    """One relayed exchange as the live view shows it (masked: safe to print and to keep)."""

    id: int | None  # the history row; None when the store could not keep it
    client: str
    method: str
    path: str
    status: int  # what the client was answered
    outcome: Outcome  # the upstream's: accepted, rejected …, timeout, connection_error
    duration_ms: float
    upstream_status: int | None = None
    event_type: str | None = None
    key_value: str | None = None
    errors: int | None = None  # None: not judged (not an event endpoint)
    warnings: int | None = None
    error: str = ""  # why the console answered itself, in a sentence
    history_error: str = ""
    at: datetime = field(default_factory=utc_now)
    # What a live view shows when one is picked (the window's inbox): masked as recorded, its findings included.
    request: ExchangeRequest | None = field(default=None, compare=False, repr=False)
    result: ExchangeResult | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at.isoformat(), "client": self.client, "method": self.method,
            "path": self.path, "status": self.status, "upstreamStatus": self.upstream_status,
            "outcome": self.outcome.value, "durationMs": self.duration_ms, "eventTypeKey": self.event_type,
            "keyValue": self.key_value, "errors": self.errors, "warnings": self.warnings, "error": self.error,
            "historyError": self.history_error,
        }

    def line(self) -> str:
        """One line for a terminal, a stranger's text escaped."""
        judged = ""
        if self.errors is not None:
            judged = " valid" if not self.errors else f" {self.errors} error(s)"
            judged += f", {self.warnings} warning(s)" if self.warnings else ""
        what = f" {self.event_type}" if self.event_type else ""
        key = f" key={self.key_value}" if self.key_value else ""
        why = f" — {self.error.splitlines()[0]}" if self.error else ""
        kept = f" [not in history: {self.history_error}]" if self.history_error else ""
        row = f"#{self.id}" if self.id is not None else "#-"
        return printable(
            f"{self.at.astimezone():%H:%M:%S} {row} {self.method} {self.path} -> {self.status} "
            f"({self.outcome.label}, {self.duration_ms:.0f} ms){what}{key}{judged} from {self.client}{why}{kept}"
        )


def summary(
    exchange_id: int | None, request: ExchangeRequest, result: ExchangeResult, *, client: str, path: str,
    answered: int, report: Report | None, history_error: str,
) -> ProxiedExchange:
    return ProxiedExchange(
        id=exchange_id, client=client, method=request.method, path=path, status=answered,
        outcome=result.outcome, duration_ms=result.duration_ms or 0.0, upstream_status=result.status,
        event_type=request.event_type, key_value=request.key_value,
        errors=len(report.errors) if report else None, warnings=len(report.warnings) if report else None,
        error=result.error if answered != result.status else "", history_error=history_error,
        request=request, result=result,
    )
