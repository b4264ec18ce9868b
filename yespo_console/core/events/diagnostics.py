"""The inspector: what Yespo would reject in a body, and what it would accept but look suspicious.

Works over any text, not only drafts. `inspect_body` reads wire text or bytes as a strict parser
would (UTF-8, no byte order mark, no comments, no NaN, no duplicate keys; a nested JSON value pasted
unescaped is named as such, for Repair), then `inspect_event` runs the rules of core.events.rules
over the parsed event. The findings and the report: core.events.findings.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from yespo_console.core.events.catalog import BODY_MAX_BYTES
from yespo_console.core.events.findings import ROOT, ApiVersion, Finding, Report, Severity
from yespo_console.core.events.payload import detect_nested_encoding
from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.core.events.repair import find_unescaped_nested
from yespo_console.core.events.rules import EventChecks, type_name


def inspect_event(obj: object, *, api_version: ApiVersion = "v2", size: int | None = None,
                  profile: Profile = BUILTIN) -> Report:
    """Inspect an already parsed event (one body, or one item of a past_events batch) against the profile's
    event types."""
    encoding = detect_nested_encoding(obj) or "string" if isinstance(obj, dict) else "string"
    inspector = EventChecks(api_version, profile, encoding)
    if not isinstance(obj, dict):
        inspector.error("body.not_object", ROOT, f"The body is {type_name(obj)}; it must be a JSON object.",
                        'Send {"eventTypeKey": ..., "params": [...]}.')
        return Report(tuple(inspector.findings), size=size or 0)
    if size is None:  # not dump_json: a parsed object may hold inf, which must not crash the inspector
        size = len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))
    if size > BODY_MAX_BYTES:
        inspector.error("body.too_large", ROOT, f"The event is {size:,} bytes; Yespo accepts at most "
                        f"{BODY_MAX_BYTES:,} (20 KB).", "Send fewer products or shorter values, or ask Yespo "
                        "support to raise the limit.")
    inspector.event_type(obj)
    inspector.key_value(obj)
    items = inspector.params(obj)
    resolution = inspector.locators(obj, items)
    event_type = obj.get("eventTypeKey")
    spec = profile.spec(event_type if isinstance(event_type, str) else None)
    if spec.documented:
        inspector.event_data(spec, items)
    return Report(tuple(inspector.findings), obj, resolution, size)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    # Python reads 1e999 as infinity; a strict parser refuses a number it cannot hold.
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is too large for a JSON parser")
    return value


def finite_decoder() -> json.JSONDecoder:
    """A decoder (for raw_decode) refusing what `loads_finite` refuses."""
    return json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def loads_finite(text: str | bytes) -> Any:
    """json.loads that refuses NaN, Infinity and numbers too large to hold (1e999), as Yespo's parser does;
    ValueError for those, RecursionError when nested too deeply."""
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKey(key)
        obj[key] = value
    return obj


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def loads_strict(text: str) -> Any:
    """json.loads that refuses NaN/Infinity, numbers too large to hold and duplicate keys, as Yespo's parser may."""
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float, object_pairs_hook=_pairs)


# Brackets opened deeper than this cannot be read by Python's parser (its recursion limit), so a body broken
# that deep is named for its depth, not for the first stray quote the parser met.
_MAX_DEPTH = 900
_BRACKETS = re.compile(r"[\[{\]}]")


def _too_deep(text: str) -> bool:
    """Whether brackets (counted without regard to strings: the text is broken) nest past _MAX_DEPTH."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > _MAX_DEPTH:
            return True
    return False


def _too_deep_finding() -> Finding:
    return Finding.of(Severity.ERROR, "body.not_json", ROOT, "Not valid JSON: nested too deeply.",
                      "Nest objects and lists far less deeply.")


def _text_findings(text: str, exc: ValueError) -> Iterator[Finding]:
    spots = find_unescaped_nested(text)
    for spot in spots:
        stray = f" It is also followed by stray {spot.stray!r}." if spot.stray else ""
        yield Finding.of(Severity.ERROR, "body.unescaped_nested_json", f"line {spot.line}:{spot.column}",
                      "A nested JSON value is pasted inside a string without escaping its quotes (the "
                      f"documentation's examples do this), so the body is not JSON.{stray}",
                      "Use Repair (inspect --fix): it re-encodes the value with a JSON encoder.")
    if spots:
        return
    if _too_deep(text):  # such as the documentation's unescaped nested JSON, nested thousands deep
        yield _too_deep_finding()
        return
    if isinstance(exc, json.JSONDecodeError):
        where = f"line {exc.lineno}:{exc.colno}"
        if re.search(r"(^|[\s,\[{])//", text) or "/*" in text:
            yield Finding.of(Severity.ERROR, "body.comments", where, "The body contains comments; JSON has none.",
                          "Remove the // and /* */ comments (the documentation's annotated examples need that).")
            return
        snippet = text[max(0, exc.pos - 20): exc.pos + 20].replace("\n", " ")
        yield Finding.of(Severity.ERROR, "body.not_json", where, f"Not valid JSON: {exc.msg} near {snippet!r}.",
                      "Check quotes, commas and brackets around that spot; placeholders such as string or "
                      "Phone must be replaced by real values.")
    elif isinstance(exc, _DuplicateKey):
        yield Finding.of(Severity.ERROR, "body.duplicate_key", ROOT,
                         f"The key {exc.key!r} appears twice in one object.",
                         "Keep one of them: parsers disagree on which one wins.")
    else:
        yield Finding.of(Severity.ERROR, "body.not_json", ROOT, f"Not valid JSON: {exc}.", "Send finite numbers only.")


def inspect_body(data: str | bytes, *, api_version: ApiVersion = "v2", profile: Profile = BUILTIN) -> Report:
    """Inspect wire text (or bytes) exactly as it would be sent."""
    if isinstance(data, bytes):
        size = len(data)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            finding = Finding.of(Severity.ERROR, "body.encoding", ROOT,
                              f"The body is not UTF-8 (byte {exc.start} cannot be decoded).",
                              "Save or send the body as UTF-8 (Content-Type: application/json; charset=UTF-8).")
            return Report((finding,), size=size)
    else:
        text = data
        size = len(text.encode("utf-8", "surrogatepass"))
    leading: list[Finding] = []
    if text.startswith("\ufeff"):
        text = text[1:]
        leading.append(Finding.of(Severity.WARNING, "body.bom", ROOT, "The body starts with a byte order mark.",
                               "Save it as UTF-8 without BOM: some parsers refuse it."))
    if not text.strip():
        return Report((*leading, Finding.of(Severity.ERROR, "body.empty", ROOT, "The body is empty.",
                                         "Paste or build an event first.")), size=size)
    try:
        body = loads_strict(text)
    except ValueError as exc:
        return Report((*leading, *_text_findings(text, exc)), size=size)
    except RecursionError:
        return Report((*leading, _too_deep_finding()), size=size)
    report = inspect_event(body, api_version=api_version, size=size, profile=profile)
    return Report((*leading, *report.findings), report.body, report.resolution, size)
