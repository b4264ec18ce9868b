"""History out and in: NDJSON (lossless), HAR 1.2, cURL scripts and httpx snippets.

No export ever holds a credential. Headers are masked in the store already and are masked again
here; a script that must authenticate reads the key from the environment (`${YESPO_API_KEY}`,
`os.environ["YESPO_API_KEY"]`) when it runs.
"""

from __future__ import annotations

import base64
import binascii
import http
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TextIO
from urllib.parse import parse_qsl, urlsplit

from yespo_console import __version__
from yespo_console.core.errors import InputError
from yespo_console.core.history.models import Exchange, ExchangeSummary, Headers, as_utc
from yespo_console.core.http.exchange import ExchangeRequest
from yespo_console.core.http.masking import MASK, mask_headers, mask_url
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.textfiles import decode_text

RECORD_FORMAT = "yespo-console.exchange"
RECORD_VERSION = 1
FORMATS = ("ndjson", "har", "curl", "httpx")
# The variables `yespo_console.core.http.secrets` reads; repeated here (a test keeps them equal) because
# importing that module pulls in keyring, httpx and pydantic, which `history list` does not need.
API_KEY_ENV = "YESPO_API_KEY"
TOKEN_ENV = "YESPO_TOKEN"
BASIC_USER = "user"  # Yespo ignores the Basic user name; the key is the password
# Headers a replay must not copy: the tool computes them, or they would ask for a compressed answer
# the script does not unpack.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_REPLAY_SKIP = frozenset({"host", "content-length", "connection", "transfer-encoding", "accept-encoding"})


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


def _body_bytes(text: str, encoding: str | None, where: str) -> bytes:
    if encoding in (None, "", "utf-8", "utf8"):
        return text.encode("utf-8")
    if encoding == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InputError(f"{where}: the body is not valid base64") from None
    raise InputError(f"{where}: unknown body encoding {encoding!r}")


def _safe_headers(headers: Iterable[tuple[str, str]]) -> Headers:
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


def exchange_record(exchange: Exchange) -> dict[str, Any]:
    """The whole exchange as one JSON object: an NDJSON line, `history show --json`."""
    request_text, request_encoding = body_text(exchange.request_body)
    response_text, response_encoding = body_text(exchange.response_body)
    return {
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
        "diagnostics": list(exchange.diagnostics),
        "request": {
            "headers": [[n, v] for n, v in _safe_headers(exchange.request_headers)],
            "body": request_text,
            "bodyEncoding": request_encoding,
        },
        "response": {
            "headers": [[n, v] for n, v in _safe_headers(exchange.response_headers)],
            "body": response_text,
            "bodyEncoding": response_encoding,
        },
    }


# -- reading records: every field checked, so a hand-edited file gives a line number, not a traceback


def _get(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = None,
         *, required: bool = False) -> Any:
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


def _headers_in(value: Any, where: str) -> Headers:
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
    return _safe_headers(pairs)


def _time_in(obj: dict[str, Any], key: str, where: str, *, required: bool = False) -> datetime | None:
    text = _get(obj, key, str, where, required=required)
    if text is None:
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise InputError(f"{where}: {key!r} is not an ISO 8601 time: {text!r}") from None


def _outcome_in(value: Any, where: str) -> Outcome:
    try:
        return Outcome(value)
    except ValueError:
        raise InputError(f"{where}: unknown outcome {value!r}") from None


def exchange_from_record(obj: Any, where: str = "record") -> Exchange:
    """An Exchange from `exchange_record` output (the id is kept only for reference)."""
    if not isinstance(obj, dict):
        raise InputError(f"{where}: expected a JSON object")
    fmt = obj.get("format", RECORD_FORMAT)
    if fmt != RECORD_FORMAT:
        raise InputError(f"{where}: not a Yespo Console exchange (format {fmt!r})")
    version = _get(obj, "version", int, where, RECORD_VERSION)
    if version > RECORD_VERSION:
        raise InputError(f"{where}: written by a newer Yespo Console (record version {version})")
    request = _get(obj, "request", dict, where, {})
    response = _get(obj, "response", dict, where, {})
    diagnostics = _get(obj, "diagnostics", list, where, [])
    if not all(isinstance(item, dict) for item in diagnostics):
        raise InputError(f"{where}: diagnostics must be a list of objects")
    started = _time_in(obj, "time", where, required=True)
    assert started is not None
    duration = _get(obj, "duration_ms", (int, float), where)
    return Exchange(
        id=_get(obj, "id", int, where, 0),
        started_at=started,
        finished_at=_time_in(obj, "finished_time", where),
        environment=_get(obj, "environment", str, where, "imported"),
        method=_get(obj, "method", str, where, "POST"),
        url=_get(obj, "url", str, where, required=True),
        event_type=_get(obj, "eventTypeKey", str, where),
        key_value=_get(obj, "keyValue", str, where),
        key_value_source=_get(obj, "keyValueSource", str, where),
        status=_get(obj, "status", int, where),
        outcome=_outcome_in(_get(obj, "outcome", str, where, Outcome.INTERRUPTED.value), where),
        duration_ms=None if duration is None else float(duration),
        error=_get(obj, "error", str, where, ""),
        run_id=_get(obj, "run_id", str, where),
        note=_get(obj, "note", str, where, ""),
        starred=_get(obj, "starred", bool, where, False),
        diagnostics=tuple(diagnostics),
        request_headers=_headers_in(request.get("headers"), f"{where} request"),
        request_body=_body_bytes(_get(request, "body", str, f"{where} request", ""),
                                 _get(request, "bodyEncoding", str, f"{where} request"), f"{where} request"),
        response_headers=_headers_in(response.get("headers"), f"{where} response"),
        response_body=_body_bytes(_get(response, "body", str, f"{where} response", ""),
                                  _get(response, "bodyEncoding", str, f"{where} response"), f"{where} response"),
    )


# -- NDJSON ------------------------------------------------------------------------------------------


def write_ndjson(exchanges: Iterable[Exchange], out: TextIO) -> int:
    count = 0
    for exchange in exchanges:
        out.write(json.dumps(exchange_record(exchange), ensure_ascii=False) + "\n")
        count += 1
    return count


def read_ndjson(text: str) -> Iterator[Exchange]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise InputError(f"line {number}: not JSON ({exc})") from None
        yield exchange_from_record(obj, f"line {number}")


# -- HAR 1.2 -----------------------------------------------------------------------------------------


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


def har_entry(exchange: Exchange) -> dict[str, Any]:
    request_headers = _safe_headers(exchange.request_headers)
    response_headers = _safe_headers(exchange.response_headers)
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
    return entry


def write_har(exchanges: Iterable[Exchange], out: TextIO) -> int:
    """A HAR 1.2 log, written entry by entry so that a large export never sits in memory whole."""
    creator = json.dumps({"name": "Yespo Console", "version": __version__})
    out.write('{"log": {"version": "1.2", "creator": ' + creator + ', "pages": [], "entries": [\n')
    count = 0
    for exchange in exchanges:
        if count:
            out.write(",\n")
        out.write(json.dumps(har_entry(exchange), ensure_ascii=False))
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
    request = _get(entry, "request", dict, where, required=True)
    response = _get(entry, "response", dict, where, {})
    extra = _get(entry, "_yespo", dict, where, {})
    started = _time_in(entry, "startedDateTime", where, required=True)
    assert started is not None
    post = _get(request, "postData", dict, f"{where} request", {})
    post_encoding = _get(post, "_encoding", str, where) or _get(post, "encoding", str, where)
    request_body = _body_bytes(_get(post, "text", str, where, ""), post_encoding, f"{where} request")
    content = _get(response, "content", dict, f"{where} response", {})
    response_body = _body_bytes(_get(content, "text", str, where, ""), _get(content, "encoding", str, where),
                                f"{where} response")
    status = _get(response, "status", int, f"{where} response", 0) or None
    time_ms = _get(entry, "time", (int, float), where)
    duration = _get(extra, "duration_ms", (int, float), where) if "duration_ms" in extra else time_ms
    parsed = _body_from_json(request_body) if not extra else {}
    if "outcome" in extra:
        outcome = _outcome_in(extra["outcome"], where)
    elif status is not None:
        outcome = Outcome.from_status(status)
    else:
        outcome = Outcome.CONNECTION_ERROR
    error = _get(extra, "error", str, where) or _get(response, "_error", str, where, "")
    if status is None and not error and "outcome" not in extra:
        error = "no response in the HAR file"
    diagnostics = _get(extra, "diagnostics", list, where, [])
    return Exchange(
        id=0,
        started_at=started,
        finished_at=_time_in(extra, "finished_time", where),
        environment=_get(extra, "environment", str, where, "imported"),
        method=_get(request, "method", str, where, "POST"),
        url=_get(request, "url", str, where, required=True),
        request_headers=_headers_in(request.get("headers"), f"{where} request"),
        request_body=request_body,
        event_type=_get(extra, "eventTypeKey", str, where,
                        parsed.get("eventTypeKey") if isinstance(parsed.get("eventTypeKey"), str) else None),
        key_value=_get(extra, "keyValue", str, where,
                       parsed.get("keyValue") if isinstance(parsed.get("keyValue"), str) else None),
        key_value_source=_get(extra, "keyValueSource", str, where),
        diagnostics=tuple(d for d in diagnostics if isinstance(d, dict)),
        outcome=outcome,
        status=status,
        response_headers=_headers_in(response.get("headers"), f"{where} response"),
        response_body=response_body,
        duration_ms=None if duration is None or duration < 0 else float(duration),
        error=error,
        run_id=_get(extra, "run_id", str, where),
        note=_get(extra, "note", str, where) or _get(entry, "comment", str, where, ""),
        starred=_get(extra, "starred", bool, where, False),
    )


def read_har(document: Any) -> Iterator[Exchange]:
    log = document.get("log") if isinstance(document, dict) else None
    entries = log.get("entries") if isinstance(log, dict) else None
    if not isinstance(entries, list):
        raise InputError("not a HAR file: no log.entries list")
    for number, entry in enumerate(entries, start=1):
        yield exchange_from_har_entry(entry, f"HAR entry {number}")


def read_exchanges(data: bytes, fmt: str | None = None, source: str = "the file") -> Iterator[Exchange]:
    """Exchanges from an NDJSON or HAR file; `fmt` None tells them apart by content."""
    text = decode_text(data, source, "neither NDJSON nor HAR")
    if fmt not in (None, "ndjson", "har"):
        raise InputError(f"cannot import format {fmt!r}: only ndjson and har")
    if fmt is None or fmt == "har":
        try:
            document = json.loads(text)
        except ValueError:
            if fmt == "har":
                raise InputError("not a HAR file: the file is not one JSON document") from None
            document = None
        if isinstance(document, dict) and "log" in document:
            return read_har(document)
        if fmt == "har":
            raise InputError("not a HAR file: no log object")
    return read_ndjson(text)


# -- cURL and httpx ----------------------------------------------------------------------------------


def _sh(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


@dataclass(frozen=True, slots=True)
class _Credential:
    kind: Literal["basic", "header", "omit"]
    name: str = ""  # the header, for "header" and "omit"
    prefix: str = ""  # what comes before the secret in the header value: "Bearer "
    variable: str = ""  # the environment variable holding the secret


def _replay_headers(headers: Headers) -> tuple[list[tuple[str, str]], list[_Credential], set[str]]:
    """(headers to send as they are, how to send the credentials, variables needed)."""
    plain: list[tuple[str, str]] = []
    credentials: list[_Credential] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in _REPLAY_SKIP:
            continue
        if lowered == "authorization":
            scheme = value.partition(" ")[0]
            if scheme.lower() == "basic":
                credentials.append(_Credential("basic", variable=API_KEY_ENV))
            else:
                variable = TOKEN_ENV if scheme.lower() == "bearer" else API_KEY_ENV
                credentials.append(_Credential("header", name, f"{scheme} ", variable))
        elif lowered == "x-api-key":
            credentials.append(_Credential("header", name, "", API_KEY_ENV))
        elif MASK in value or lowered in ("cookie", "proxy-authorization", "set-cookie"):
            credentials.append(_Credential("omit", name))
        else:
            plain.append((name, value))
    return plain, credentials, {c.variable for c in credentials if c.variable}


def _describe(exchange: Exchange) -> str:
    """A one-line comment: control characters removed, so no value can end the comment line."""
    status = exchange.status if exchange.status is not None else "-"
    text = (f"#{exchange.id} {iso(exchange.started_at)} {exchange.event_type or '-'} "
            f"{exchange.outcome.value} {status} ({exchange.environment})")
    return _CONTROL_RE.sub(" ", text)


@dataclass(frozen=True, slots=True)
class _Replay:
    """What a cURL command or an httpx script needs: a recorded exchange, or a request not sent yet."""

    comment: str
    method: str
    url: str
    headers: Headers
    body: bytes


def _replay(item: Exchange | ExchangeRequest) -> _Replay:
    if isinstance(item, ExchangeRequest):
        comment = _CONTROL_RE.sub(" ", f"{iso(item.started_at)} {item.event_type or '-'} not sent yet "
                                       f"({item.environment})")
        return _Replay(comment, item.method, item.url, item.headers, item.body)
    return _Replay(_describe(item), item.method, item.url, item.request_headers, item.request_body)


def curl_command(item: Exchange | ExchangeRequest) -> str:
    """One cURL command sending the same bytes; credentials come from the environment."""
    replay = _replay(item)
    plain, credentials, _needed = _replay_headers(_safe_headers(replay.headers))
    lines = [f"# {replay.comment}"]
    args = ["curl --silent --show-error", f"--request {_sh(replay.method)}", _sh(mask_url(replay.url))]
    for credential in credentials:
        if credential.kind == "basic":
            args.append(f'--user "{BASIC_USER}:${{{credential.variable}}}"')
        elif credential.kind == "header":
            literal = _sh(f"{credential.name}: {credential.prefix}")
            args.append(f'--header {literal}"${{{credential.variable}}}"')
        else:
            lines.append(f"# header {_CONTROL_RE.sub(' ', credential.name)} was masked in history: "
                         "add it yourself")
    args += [f"--header {_sh(f'{name}: {value}')}" for name, value in plain]
    body = replay.body
    text, encoding = body_text(body)
    if encoding == "utf-8" and "\x00" not in text:
        args.append(f"--data-binary {_sh(text)}")
        prefix = ""
    else:  # bytes a shell argument cannot carry: decode them on the way in
        args.append("--data-binary @-")
        prefix = f"printf '%s' {_sh(base64.b64encode(body).decode('ascii'))} | base64 --decode | "
    lines.append(prefix + " \\\n  ".join(args))
    lines.append("echo")
    return "\n".join(lines) + "\n"


def _needed_variables(exchanges: Iterable[Exchange]) -> tuple[list[Exchange], set[str]]:
    items = list(exchanges)
    needed: set[str] = set()
    for exchange in items:
        needed |= _replay_headers(_safe_headers(exchange.request_headers))[2]
    return items, needed


def write_curl(exchanges: Iterable[Exchange], out: TextIO) -> int:
    items, needed = _needed_variables(exchanges)
    out.write("#!/bin/sh\n# Requests exported from Yespo Console history. No credential is in this file:\n"
              f"# export {API_KEY_ENV} (Basic auth) or {TOKEN_ENV} (Bearer) before running it.\nset -u\n")
    for variable in sorted(needed):
        out.write(f': "${{{variable}:?set {variable} first}}"\n')
    for exchange in items:
        out.write("\n" + curl_command(exchange))
    return len(items)


def _httpx_call(item: Exchange | ExchangeRequest, indent: str) -> str:
    replay = _replay(item)
    plain, credentials, _needed = _replay_headers(_safe_headers(replay.headers))
    header_items = [f"({name!r}, {value!r})" for name, value in plain]
    auth_arg = None
    notes = []
    for credential in credentials:
        if credential.kind == "basic":
            auth_arg = f"({BASIC_USER!r}, os.environ[{credential.variable!r}])"
        elif credential.kind == "header":
            header_items.append(f"({credential.name!r}, {credential.prefix!r} + os.environ[{credential.variable!r}])")
        else:
            notes.append(f"{indent}# header {_CONTROL_RE.sub(' ', credential.name)} was masked in history: "
                         "add it yourself\n")
    text, encoding = body_text(replay.body)
    content = f"{text!r}.encode()" if encoding == "utf-8" else repr(replay.body)
    lines = [
        f"{indent}# {replay.comment}\n",
        *notes,
        f"{indent}response = client.request(\n",
        f"{indent}    {replay.method!r},\n",
        f"{indent}    {mask_url(replay.url)!r},\n",
        f"{indent}    headers=[{', '.join(header_items)}],\n",
        f"{indent}    content={content},\n",
    ]
    if auth_arg:
        lines.append(f"{indent}    auth={auth_arg},\n")
    lines += [f"{indent})\n", f"{indent}print(response.status_code, response.text)\n"]
    return "".join(lines)


_HTTPX_HEAD = (
    '"""Requests exported from Yespo Console history.\n\n'
    f"No credential is in this file: set {API_KEY_ENV} (Basic auth) or {TOKEN_ENV} (Bearer) in the\n"
    'environment before running it."""\n\nimport os\n\nimport httpx\n\n'
)


def httpx_snippet(item: Exchange | ExchangeRequest) -> str:
    """A runnable Python script sending the same bytes with httpx."""
    return _HTTPX_HEAD + "with httpx.Client(timeout=30.0) as client:\n" + _httpx_call(item, "    ")


def write_httpx(exchanges: Iterable[Exchange], out: TextIO) -> int:
    items = list(exchanges)
    out.write(_HTTPX_HEAD + "with httpx.Client(timeout=30.0) as client:\n")
    if not items:
        out.write("    pass\n")
    for number, exchange in enumerate(items):
        out.write(("\n" if number else "") + _httpx_call(exchange, "    "))
    return len(items)


def write_export(fmt: str, exchanges: Iterable[Exchange], out: TextIO) -> int:
    """Write `exchanges` in one of FORMATS; returns how many."""
    writers = {"ndjson": write_ndjson, "har": write_har, "curl": write_curl, "httpx": write_httpx}
    if fmt not in writers:
        raise InputError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return writers[fmt](exchanges, out)
