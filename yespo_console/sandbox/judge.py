"""How the sandbox judges a request: authentication as Yespo does it, and the body with the same
diagnostics as `yespo-console inspect` (yespo_console.core.events.diagnostics), so a payload judged valid in
the GUI is accepted here, always.

Rejections are plain text: one line per reason Yespo always rejects (`<path>: <message>`), or, when the
event type has Validate parameters on and a required param is missing, Yespo's own `The event should have the
following params: [...]` listing the type's whole structure. past_events answers per event, with Yespo's
documented statuses.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from yespo_console.core.events.catalog import EventSpec
from yespo_console.core.events.diagnostics import inspect_body, inspect_event, loads_strict
from yespo_console.core.events.findings import ApiVersion, Finding, Report, Severity, downstream_problems, verdict
from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.core.events.tiers import Tier

MAX_PAST_EVENTS = 500


@dataclass(frozen=True, slots=True)
class AuthCheck:
    ok: bool
    description: str  # "Basic (user '')", "Bearer", or why it was refused


def check_auth(header: str | None, api_key: str | None) -> AuthCheck:
    """Yespo's rules: no Authorization is 401; Basic uses the API key as the password (any user
    name); Bearer carries a token. With `api_key` set, anything else than that key is 401."""
    if not header or not header.strip():
        return AuthCheck(False, "no Authorization header")
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return AuthCheck(False, "malformed Basic credentials (not base64 of user:key)")
        user, colon, key = decoded.partition(":")
        if not colon:
            return AuthCheck(False, "malformed Basic credentials (no ':' between user name and key)")
        if not key:
            return AuthCheck(False, "Basic credentials with an empty API key")
        if api_key is not None and not hmac.compare_digest(key.encode(), api_key.encode()):
            return AuthCheck(False, "wrong API key (Basic)")
        return AuthCheck(True, f"Basic (user {user!r})")
    if scheme.lower() == "bearer":
        if not credentials:
            return AuthCheck(False, "empty Bearer token")
        if api_key is not None and not hmac.compare_digest(credentials.encode(), api_key.encode()):
            return AuthCheck(False, "wrong token (Bearer)")
        return AuthCheck(True, "Bearer")
    return AuthCheck(False, f"unsupported authorization scheme {scheme!r} (use Basic or Bearer)")


def structure_text(spec: EventSpec) -> str:
    """Yespo's 400 text for an event type with Validate parameters on: its whole configured structure."""
    listed = json.dumps([{"name": param.name, "required": param.required} for param in spec.params],
                        separators=(",", ":"))
    return f"The event should have the following params: {listed}"


@dataclass(frozen=True, slots=True)
class EventJudgement:
    """What the sandbox answers for one event, for an account described by `profile`."""

    report: Report
    validated: bool  # Validate parameters is on for this event type
    status: int  # 200 or 400
    text: str  # the 400 body

    @property
    def downstream(self) -> int:
        """Findings Yespo accepts but that break something downstream (core.events.findings)."""
        return downstream_problems(self.report.findings, validated=self.validated)


def judge_event(body: bytes, *, api_version: ApiVersion, profile: Profile = BUILTIN) -> EventJudgement:
    """400 for what Yespo rejects whatever the settings, and, when the event type has Validate parameters on,
    for a missing required param (with Yespo's text listing the whole structure); 200 for the rest."""
    report = inspect_body(body, api_version=api_version, profile=profile)
    validated = profile.validates(report.event_type)
    if verdict(report.findings, validated=validated) == "accepted":
        return EventJudgement(report, validated, 200, "")
    rejected = [f for f in report.findings if f.tier is Tier.REJECTED]
    if rejected:  # Yespo's wording for these is not documented: the sandbox explains them its way
        text = "\n".join(f"{finding.path}: {finding.message}" for finding in rejected)
    else:
        text = structure_text(profile.spec(report.event_type))
    return EventJudgement(report, validated, 400, text)


def _prefixed(findings: tuple[Finding, ...], index: int) -> list[dict[str, Any]]:
    out = []
    for finding in findings:
        item = finding.as_dict()
        path = item["path"]
        item["path"] = f"events[{index}]" if path in ("$", "") else f"events[{index}].{path}"
        out.append(item)
    return out


@dataclass(frozen=True, slots=True)
class BatchJudgement:
    status: int  # 200: the request as a whole could be processed (per-event results follow); 400: it could not
    response: dict[str, Any] | str  # JSON object for 200, plain text for 400
    diagnostics: tuple[dict[str, Any], ...]
    event_count: int
    valid: bool | None


# The forms the documentation gives for `occurred` (the contact's time zone); seconds and a zone suffix are
# not documented, so the sandbox takes them (the inspector warns about them).
_OCCURRED = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?")
# Contacts live in every time zone: a time up to this far ahead of UTC now is not yet in the future for some.
_ZONE_SLACK = timedelta(hours=14)


def occurred_status(value: Any, *, max_age_days: int, now: datetime | None = None) -> tuple[str, str]:
    """The documented per-event status for an `occurred` value (O EventsMigrationResult), with the reason."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "OCCURRED_DATE_IS_REQUIRED", "occurred is required: when the event happened, YYYY-MM-DDTHH:mm."
    if not isinstance(value, str) or not _OCCURRED.fullmatch(value.strip()):
        return "INCORRECT_OCCURRED_DATE_FORMAT", f"occurred {value!r} is not YYYY-MM-DD or YYYY-MM-DDTHH:mm."
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return "INCORRECT_OCCURRED_DATE_FORMAT", f"occurred {value!r} is not a real date."
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    if when > now + _ZONE_SLACK:
        return "OCCURRED_TIME_IN_FUTURE", f"occurred {value!r} lies in the future."
    if when < now - timedelta(days=max_age_days):
        return "OCCURRED_TIME_TOO_DEPTH", (f"occurred {value!r} is more than {max_age_days} days back: the sandbox's "
                                           "limit (a setting: Yespo's own limit is not documented).")
    return "ACCEPTED", ""


def judge_past_events(body: bytes, *, profile: Profile = BUILTIN, max_age_days: int = 730,
                      segmentation_off: frozenset[str] = frozenset()) -> BatchJudgement:
    """POST /api/v2/past_events: {"events": [...]}, at most 500, each with occurred, eventTypeKey and
    keyValue, and judged like a v2 event. 200 with a documented status per event (plus the sandbox's `index`
    and `errors`, which Yespo does not document), or 400 for the whole request."""
    try:
        document = loads_strict(body.decode("utf-8"))
    except UnicodeDecodeError:
        return BatchJudgement(400, "The body is not UTF-8.", (), 0, False)
    except (ValueError, RecursionError) as exc:
        return BatchJudgement(400, f"The body is not valid JSON: {exc}", (), 0, False)
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        return BatchJudgement(400, 'The body should be an object {"events": [ ... ]}.', (), 0, False)
    events = document["events"]
    if not events:
        return BatchJudgement(400, "events is empty: send at least one event.", (), 0, False)
    if len(events) > MAX_PAST_EVENTS:
        return BatchJudgement(
            400,
            f"At most {MAX_PAST_EVENTS} events per request; this one has {len(events)}.",
            (),
            len(events),
            False,
        )
    results: list[dict[str, Any]] = []
    diagnostics: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for index, item in enumerate(events):
        report = inspect_event(item, api_version="v2", profile=profile)
        diagnostics.extend(_prefixed(report.findings, index))
        rejected = [f"{f.path}: {f.message}" for f in report.findings if f.tier is Tier.REJECTED]
        if isinstance(item, dict) and (not isinstance(item.get("keyValue"), str) or not item["keyValue"].strip()):
            rejected.append("keyValue is required in past_events.")
            diagnostics.append(Finding.of(Severity.ERROR, "past_events.field", f"events[{index}]",
                                          "keyValue is required in past_events.").as_dict())
        if rejected:  # no documented status names an invalid event: the sandbox's own
            results.append({"index": index, "status": "ERROR", "errors": rejected})
            continue
        status, reason = occurred_status(item.get("occurred"), max_age_days=max_age_days, now=now)
        if status == "ACCEPTED" and report.event_type in segmentation_off:
            status, reason = "EVENT_SEGMENTATION_DISABLED", f"event segmentation is off for {report.event_type}."
        results.append({"index": index, "status": status, "errors": [reason] if reason else []})
    success = sum(result["status"] == "ACCEPTED" for result in results)
    response = {"results": results, "successCount": success, "errorCount": len(events) - success}
    return BatchJudgement(200, response, tuple(diagnostics), len(events), success == len(events))


Endpoint = Literal["v2/event", "v1/event", "v2/past_events"]
