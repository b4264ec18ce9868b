"""How the sandbox judges a request: authentication as Yespo does it, and the body with the same
diagnostics as `yespo-console inspect` (yespo_console.core.events.diagnostics), so a payload judged valid in
the GUI is accepted here, always.

Rejections are plain text in Yespo's style: first `The event should have the following params:
[{"name":"page","required":true}]` when required params are missing, then one line per other error
(`<path>: <message>`). past_events answers per event.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from yespo_console.core.events.catalog import event_spec
from yespo_console.core.events.diagnostics import inspect_event, loads_strict
from yespo_console.core.events.findings import Finding, Report, Severity

MAX_PAST_EVENTS = 500

_PARAM_NAME_RE = re.compile(r"""needs the param (['"])(.+?)\1""")


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


def missing_param_name(finding: Finding, event_type: str | None) -> str | None:
    """The param a top-level `field.missing` finding names, or None for any other finding."""
    if finding.severity is not Severity.ERROR or not finding.code.startswith("field.missing"):
        return None
    if finding.path != "params":  # a nested field (params[2].value.price) is not a missing param
        return None
    spec = event_spec(event_type)
    for param in spec.params:
        if repr(param.name) in finding.message or f'"{param.name}"' in finding.message:
            return param.name
    match = _PARAM_NAME_RE.search(finding.message)
    return match.group(2) if match else None


def rejection_text(report: Report) -> str:
    """The plain-text 400 body for an invalid event."""
    missing: list[str] = []
    lines: list[str] = []
    for finding in report.errors:
        name = missing_param_name(finding, report.event_type)
        if name is not None:
            if name not in missing:
                missing.append(name)
        else:
            lines.append(f"{finding.path}: {finding.message}")
    if missing:
        listed = json.dumps([{"name": name, "required": True} for name in missing], separators=(",", ":"))
        lines.insert(0, f"The event should have the following params: {listed}")
    return "\n".join(lines)


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


def _occurred_error(value: Any) -> str | None:
    if value is None:
        return "occurred is required: the time the event happened (e.g. 2025-06-01T12:00:00Z)."
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None  # epoch milliseconds
    if not isinstance(value, str) or not value.strip():
        return "occurred must be a date-time text such as 2025-06-01T12:00:00Z, or epoch milliseconds."
    try:
        datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return f"occurred {value!r} is not a date-time such as 2025-06-01T12:00:00Z."
    return None


def judge_past_events(body: bytes) -> BatchJudgement:
    """POST /api/v2/past_events: {"events": [...]}, at most 500, each with occurred, eventTypeKey and
    keyValue; each judged like a v2 event. 200 with per-event results, or 400 for the whole request."""
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
    success = 0
    for index, item in enumerate(events):
        report = inspect_event(item, api_version="v2")
        errors = [rejection_text(report)] if report.errors else []
        extra: list[str] = []
        if isinstance(item, dict):
            if not isinstance(item.get("keyValue"), str) or not item["keyValue"].strip():
                extra.append("keyValue is required in past_events.")
            occurred = _occurred_error(item.get("occurred"))
            if occurred:
                extra.append(occurred)
        diagnostics.extend(_prefixed(report.findings, index))
        diagnostics.extend(
            Finding.of(Severity.ERROR, "past_events.field", f"events[{index}]", message).as_dict() for message in extra
        )
        messages = [line for text in errors for line in text.splitlines()] + extra
        if messages:
            results.append({"index": index, "status": "ERROR", "errors": messages})
        else:
            success += 1
            results.append({"index": index, "status": "OK", "errors": []})
    response = {"results": results, "successCount": success, "errorCount": len(events) - success}
    return BatchJudgement(200, response, tuple(diagnostics), len(events), success == len(events))


Endpoint = Literal["v2/event", "v1/event", "v2/past_events"]
