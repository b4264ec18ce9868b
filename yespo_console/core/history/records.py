"""The Yespo Console record of an exchange: one JSON object that loses nothing (an NDJSON line of an
export, `history show --json`), the shorter one of a list row (`history list --json`), and the checked
readers of the fields of a file, shared with the HAR reader, that turn a hand-edited or foreign file
into a message with its line or entry number, never a traceback. Bodies that are not UTF-8 are
written as base64; headers are masked once more on the way out and in, URLs on the way out. A verified
exchange's record carries its verification (`verification`, see `verifications.to_record`); one that
does not read back is left out with a message, and the exchange comes in without it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

from yespo_console.core.errors import InputError
from yespo_console.core.events.diagnostics import loads_finite
from yespo_console.core.history.models import Exchange, ExchangeSummary, Headers, as_utc
from yespo_console.core.history.verifications import Imported, VerificationRecord, imported, to_record
from yespo_console.core.http.exchange import EXCHANGE_KINDS, ExchangeKind
from yespo_console.core.http.masking import mask_headers, mask_url
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.textfiles import NotUtf8Error, decode_text

RECORD_FORMAT = "yespo-console.exchange"
RECORD_VERSION = 1


def iso(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    """An ISO 8601 time; one without a zone is taken as UTC (files carry UTC)."""
    moment = datetime.fromisoformat(text.strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def body_text(body: bytes) -> tuple[str, str]:
    """(text, encoding): the body itself when it is UTF-8, else base64 of its bytes."""
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), "base64"


def body_bytes(text: str, encoding: str | None, where: str) -> bytes:
    if encoding in (None, "", "utf-8", "utf8"):
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (\ud800): no bytes were ever sent as such text
            raise InputError(f"{where}: the body holds a lone surrogate, which is not text; give it as base64 "
                             '("bodyEncoding": "base64")') from None
    if encoding == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InputError(f"{where}: the body is not valid base64") from None
    raise InputError(f"{where}: unknown body encoding {encoding!r}")


def safe_headers(headers: Iterable[tuple[str, str]]) -> Headers:
    return tuple(mask_headers(headers))


def summary_record(summary: ExchangeSummary) -> dict[str, Any]:
    """One line of `history list --json`."""
    return {
        "id": summary.id,
        "time": iso(summary.started_at),
        "environment": summary.environment,
        "url": summary.url,
        "eventTypeKey": summary.event_type,
        "keyValue": summary.key_value,
        "status": summary.status,
        "outcome": summary.outcome.value,
        "duration_ms": summary.duration_ms,
        "starred": summary.starred,
        "note": summary.note,
    }


def exchange_record(exchange: Exchange, verification: VerificationRecord | None = None) -> dict[str, Any]:
    """The whole exchange as one JSON object: an NDJSON line, `history show --json`; with what followed it
    when it was verified."""
    request_text, request_encoding = body_text(exchange.request_body)
    response_text, response_encoding = body_text(exchange.response_body)
    record = {
        "format": RECORD_FORMAT,
        "version": RECORD_VERSION,
        "id": exchange.id,
        "time": iso(exchange.started_at),
        "finished_time": None if exchange.finished_at is None else iso(exchange.finished_at),
        "environment": exchange.environment,
        "method": exchange.method,
        "url": mask_url(exchange.url),
        "eventTypeKey": exchange.event_type,
        "keyValue": exchange.key_value,
        "keyValueSource": exchange.key_value_source,
        "status": exchange.status,
        "outcome": exchange.outcome.value,
        "duration_ms": exchange.duration_ms,
        "error": exchange.error,
        "run_id": exchange.run_id,
        "note": exchange.note,
        "starred": exchange.starred,
        "kind": exchange.kind,
        "diagnostics": list(exchange.diagnostics),
        "request": {
            "headers": [[n, v] for n, v in safe_headers(exchange.request_headers)],
            "body": request_text,
            "bodyEncoding": request_encoding,
        },
        "response": {
            "headers": [[n, v] for n, v in safe_headers(exchange.response_headers)],
            "body": response_text,
            "bodyEncoding": response_encoding,
        },
    }
    if verification is not None:
        record["verification"] = to_record(verification)
    return record


# -- reading records: every field checked, so a hand-edited file gives a line number, not a traceback


def checked(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = None,
            *, required: bool = False) -> Any:
    """`obj[key]` if it is a `kind`; `default` if absent or null (unless `required`); else InputError."""
    if key not in obj or obj[key] is None:
        if required:
            raise InputError(f"{where}: {key!r} is missing")
        return default
    value = obj[key]
    # bool is an int in Python; a count or a status given as true/false is a mistake.
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
        raise InputError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    return value


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def headers_in(value: Any, where: str) -> Headers:
    if value is None:
        return ()
    pairs: list[tuple[str, str]] = []
    items = value if isinstance(value, list) else None
    if items is None:
        raise InputError(f"{where}: headers must be a list")
    for item in items:
        if isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(p, str) for p in item):
            pairs.append((item[0], item[1]))
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("value"), str):
            pairs.append((item["name"], item["value"]))
        else:
            raise InputError(f"{where}: a header must be [name, value] or {{name, value}}")
    return safe_headers(pairs)


def time_in(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> datetime | None:
    text = checked(obj, key, str, where, required=required)
    if text is None:
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise InputError(f"{where}: {key!r} is not an ISO 8601 time: {text!r}") from None


def outcome_in(value: Any, where: str) -> Outcome:
    try:
        return Outcome(value)
    except ValueError:
        raise InputError(f"{where}: unknown outcome {value!r}") from None


def kind_in(value: str, where: str) -> ExchangeKind:
    for kind in EXCHANGE_KINDS:
        if value == kind:
            return kind
    raise InputError(f"{where}: unknown kind {value!r} (one of {', '.join(EXCHANGE_KINDS)})")


def exchange_from_record(obj: Any, where: str = "record") -> Exchange:
    """An Exchange from `exchange_record` output (the id is kept only for reference)."""
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object")
    fmt = obj.get("format", RECORD_FORMAT)
    if fmt != RECORD_FORMAT:
        raise InputError(f"{where}: not a Yespo Console exchange (format {fmt!r})")
    version = checked(obj, "version", int, where, RECORD_VERSION)
    if version > RECORD_VERSION:
        raise InputError(f"{where}: written by a newer Yespo Console (record version {version})")
    request = checked(obj, "request", dict, where, {})
    response = checked(obj, "response", dict, where, {})
    diagnostics = checked(obj, "diagnostics", list, where, [])
    if not all(isinstance(item, dict) for item in diagnostics):
        raise InputError(f"{where}: diagnostics must be a list of objects")
    started = time_in(obj, "time", where, required=True)
    assert started is not None
    duration = checked(obj, "duration_ms", (int, float), where)
    return Exchange(
        id=checked(obj, "id", int, where, 0),
        started_at=started,
        finished_at=time_in(obj, "finished_time", where),
        environment=checked(obj, "environment", str, where, "imported"),
        method=checked(obj, "method", str, where, "POST"),
        url=checked(obj, "url", str, where, required=True),
        event_type=checked(obj, "eventTypeKey", str, where),
        key_value=checked(obj, "keyValue", str, where),
        key_value_source=checked(obj, "keyValueSource", str, where),
        status=checked(obj, "status", int, where),
        outcome=outcome_in(checked(obj, "outcome", str, where, Outcome.INTERRUPTED.value), where),
        duration_ms=None if duration is None else float(duration),
        error=checked(obj, "error", str, where, ""),
        run_id=checked(obj, "run_id", str, where),
        note=checked(obj, "note", str, where, ""),
        starred=checked(obj, "starred", bool, where, False),
        kind=kind_in(checked(obj, "kind", str, where, "send"), where),
        diagnostics=tuple(diagnostics),
        request_headers=headers_in(request.get("headers"), f"{where} request"),
        request_body=body_bytes(checked(request, "body", str, f"{where} request", ""),
                                checked(request, "bodyEncoding", str, f"{where} request"), f"{where} request"),
        response_headers=headers_in(response.get("headers"), f"{where} response"),
        response_body=body_bytes(checked(response, "body", str, f"{where} response", ""),
                                 checked(response, "bodyEncoding", str, f"{where} response"), f"{where} response"),
    )


# -- NDJSON ------------------------------------------------------------------------------------------


def write_ndjson(exchanges: Iterable[tuple[Exchange, VerificationRecord | None]], out: TextIO) -> int:
    count = 0
    for exchange, verification in exchanges:
        out.write(json.dumps(exchange_record(exchange, verification), ensure_ascii=False) + "\n")
        count += 1
    return count


def read_ndjson(lines: Iterable[bytes], source: str = "the file") -> Iterator[Imported]:
    """The exchanges of NDJSON lines (bytes, as a file gives them), with their verifications, one at a
    time, so that a file of any size is read in little memory."""
    for number, raw in enumerate(lines, start=1):
        line = decode_text(raw, source, "neither NDJSON nor HAR") if number == 1 else _decoded(raw, source, number)
        if not line.strip():
            continue
        try:
            obj = loads_finite(line)
        except ValueError as exc:
            raise InputError(f"line {number}: not JSON ({exc})") from None
        except RecursionError:
            raise InputError(f"line {number}: nested too deeply") from None
        where = f"line {number}"
        yield imported(exchange_from_record(obj, where), obj.get("verification"), where)


def _decoded(raw: bytes, source: str, number: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotUtf8Error(source, number) from None
