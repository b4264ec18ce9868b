"""HAR 1.2 out and in: the log browsers and HTTP tools read. What HAR has no field for (the outcome,
the event type, diagnostics, the note) goes under `_yespo`, so a HAR file exported here comes back
whole; a HAR file from elsewhere comes in with what it has, the event read from the request body. A
verified exchange's entry carries what followed it as `_yespoVerification` (`verifications.to_record`).
"""

from __future__ import annotations

import http
import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlsplit

from yespo_console import __version__
from yespo_console.core.errors import InputError
from yespo_console.core.history.models import Exchange, Headers
from yespo_console.core.history.records import (
    body_bytes,
    body_text,
    checked,
    headers_in,
    iso,
    outcome_in,
    safe_headers,
    time_in,
)
from yespo_console.core.history.verifications import Imported, VerificationRecord, imported, to_record
from yespo_console.core.http.masking import mask_url
from yespo_console.core.http.outcome import Outcome


def _header_value(headers: Headers, name: str) -> str | None:
    lowered = name.lower()
    return next((v for n, v in headers if n.lower() == lowered), None)


def _status_text(status: int | None) -> str:
    if not status:
        return ""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def har_entry(exchange: Exchange, verification: VerificationRecord | None = None) -> dict[str, Any]:
    request_headers = safe_headers(exchange.request_headers)
    response_headers = safe_headers(exchange.response_headers)
    url = mask_url(exchange.url)
    request_text, request_encoding = body_text(exchange.request_body)
    response_text, response_encoding = body_text(exchange.response_body)
    duration = max(exchange.duration_ms or 0.0, 0.0)
    post_data: dict[str, Any] = {
        "mimeType": _header_value(request_headers, "content-type") or "application/json",
        "text": request_text,
    }
    if request_encoding == "base64":  # HAR has no encoding for request bodies: a custom field
        post_data["_encoding"] = "base64"
    content: dict[str, Any] = {
        "size": len(exchange.response_body),
        "mimeType": _header_value(response_headers, "content-type") or "",
        "text": response_text,
    }
    if response_encoding == "base64":
        content["encoding"] = "base64"
    answered = exchange.status is not None
    response: dict[str, Any] = {
        "status": exchange.status or 0,
        "statusText": _status_text(exchange.status),
        "httpVersion": "HTTP/1.1" if answered else "",
        "cookies": [],
        "headers": [{"name": n, "value": v} for n, v in response_headers],
        "content": content,
        "redirectURL": _header_value(response_headers, "location") or "",
        "headersSize": -1,
        "bodySize": len(exchange.response_body) if answered else -1,
    }
    if exchange.error:
        response["_error"] = exchange.error
    entry: dict[str, Any] = {
        "startedDateTime": iso(exchange.started_at),
        "time": duration,
        "request": {
            "method": exchange.method,
            "url": url,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": n, "value": v} for n, v in request_headers],
            "queryString": [{"name": n, "value": v}
                            for n, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)],
            "postData": post_data,
            "headersSize": -1,
            "bodySize": len(exchange.request_body),
        },
        "response": response,
        "cache": {},
        "timings": {"blocked": -1, "dns": -1, "connect": -1, "send": 0, "wait": duration, "receive": 0,
                    "ssl": -1},
        # What HAR has no field for, so that importing this file back loses nothing.
        "_yespo": {
            "environment": exchange.environment,
            "eventTypeKey": exchange.event_type,
            "keyValue": exchange.key_value,
            "keyValueSource": exchange.key_value_source,
            "outcome": exchange.outcome.value,
            "error": exchange.error,
            "run_id": exchange.run_id,
            "note": exchange.note,
            "starred": exchange.starred,
            "status": exchange.status,
            "duration_ms": exchange.duration_ms,
            "finished_time": None if exchange.finished_at is None else iso(exchange.finished_at),
            "diagnostics": list(exchange.diagnostics),
        },
    }
    if exchange.note:
        entry["comment"] = exchange.note
    if verification is not None:
        entry["_yespoVerification"] = to_record(verification)
    return entry


def write_har(exchanges: Iterable[tuple[Exchange, VerificationRecord | None]], out: TextIO) -> int:
    """A HAR 1.2 log, written entry by entry so that a large export never sits in memory whole."""
    creator = json.dumps({"name": "Yespo Console", "version": __version__})
    out.write('{"log": {"version": "1.2", "creator": ' + creator + ', "pages": [], "entries": [\n')
    count = 0
    for exchange, verification in exchanges:
        if count:
            out.write(",\n")
        out.write(json.dumps(har_entry(exchange, verification), ensure_ascii=False))
        count += 1
    out.write("\n]}}\n")
    return count


def _body_from_json(body: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return obj if isinstance(obj, dict) else {}


def exchange_from_har_entry(entry: Any, where: str) -> Exchange:
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected a JSON object")
    request = checked(entry, "request", dict, where, required=True)
    response = checked(entry, "response", dict, where, {})
    extra = checked(entry, "_yespo", dict, where, {})
    started = time_in(entry, "startedDateTime", where, required=True)
    assert started is not None
    post = checked(request, "postData", dict, f"{where} request", {})
    post_encoding = checked(post, "_encoding", str, where) or checked(post, "encoding", str, where)
    request_body = body_bytes(checked(post, "text", str, where, ""), post_encoding, f"{where} request")
    content = checked(response, "content", dict, f"{where} response", {})
    response_body = body_bytes(checked(content, "text", str, where, ""), checked(content, "encoding", str, where),
                               f"{where} response")
    status = checked(response, "status", int, f"{where} response", 0) or None
    time_ms = checked(entry, "time", (int, float), where)
    duration = checked(extra, "duration_ms", (int, float), where) if "duration_ms" in extra else time_ms
    parsed = _body_from_json(request_body) if not extra else {}
    if "outcome" in extra:
        outcome = outcome_in(extra["outcome"], where)
    elif status is not None:
        outcome = Outcome.from_status(status)
    else:
        outcome = Outcome.CONNECTION_ERROR
    error = checked(extra, "error", str, where) or checked(response, "_error", str, where, "")
    if status is None and not error and "outcome" not in extra:
        error = "no response in the HAR file"
    diagnostics = checked(extra, "diagnostics", list, where, [])
    return Exchange(
        id=0,
        started_at=started,
        finished_at=time_in(extra, "finished_time", where),
        environment=checked(extra, "environment", str, where, "imported"),
        method=checked(request, "method", str, where, "POST"),
        url=checked(request, "url", str, where, required=True),
        request_headers=headers_in(request.get("headers"), f"{where} request"),
        request_body=request_body,
        event_type=checked(extra, "eventTypeKey", str, where,
                           parsed.get("eventTypeKey") if isinstance(parsed.get("eventTypeKey"), str) else None),
        key_value=checked(extra, "keyValue", str, where,
                          parsed.get("keyValue") if isinstance(parsed.get("keyValue"), str) else None),
        key_value_source=checked(extra, "keyValueSource", str, where),
        diagnostics=tuple(d for d in diagnostics if isinstance(d, dict)),
        outcome=outcome,
        status=status,
        response_headers=headers_in(response.get("headers"), f"{where} response"),
        response_body=response_body,
        duration_ms=None if duration is None or duration < 0 else float(duration),
        error=error,
        run_id=checked(extra, "run_id", str, where),
        note=checked(extra, "note", str, where) or checked(entry, "comment", str, where, ""),
        starred=checked(extra, "starred", bool, where, False),
    )


def read_har(document: Any) -> Iterator[Imported]:
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise InputError("not a HAR file: no log.entries list")
    for number, entry in enumerate(entries, start=1):
        where = f"HAR entry {number}"
        yield imported(exchange_from_har_entry(entry, where), entry.get("_yespoVerification"), where)
