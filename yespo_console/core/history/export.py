"""History out and in, by format name: NDJSON (lossless, `records`), HAR 1.2 (`har`), cURL scripts
and httpx programs (`scripts`; out only). An import tells NDJSON from HAR by its content.

No export ever holds a credential: headers and URLs are masked in the store already and again on
the way out, and a script that must authenticate reads the key from the environment when it runs.

NDJSON and HAR carry each verified exchange's verification, looked up a batch of exchanges at a time;
an import brings it back with its exchange (`read_imports`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, BinaryIO, TextIO

from yespo_console.core.errors import InputError
from yespo_console.core.events.diagnostics import loads_finite
from yespo_console.core.history.har import read_har, write_har
from yespo_console.core.history.models import Exchange
from yespo_console.core.history.records import read_ndjson, write_ndjson
from yespo_console.core.history.scripts import write_curl, write_httpx
from yespo_console.core.history.verifications import Imported, Lookup, VerificationRecord
from yespo_console.core.textfiles import TooLargeError, decode_text, read_stream, size_text, stream_lines

FORMATS = ("ndjson", "har", "curl", "httpx")
# A HAR file is parsed whole: its cap bounds the memory an import takes. NDJSON has no cap but per line.
MAX_HAR_BYTES = 32 * 1024 * 1024
MAX_RECORD_BYTES = 16 * 1024 * 1024


def read_exchanges(data: bytes | BinaryIO, fmt: str | None = None, source: str = "the file") -> Iterator[Exchange]:
    """The exchanges of `read_imports`, without their verifications."""
    return (item.exchange for item in read_imports(data, fmt, source))


def read_imports(data: bytes | BinaryIO, fmt: str | None = None, source: str = "the file") -> Iterator[Imported]:
    """Exchanges, with the verifications they carry, from an NDJSON or HAR file (its bytes, or a seekable
    stream of them); `fmt` None tells them apart by content. NDJSON is read a line at a time, so any size
    fits in little memory; a HAR file is one JSON document, read whole, up to MAX_HAR_BYTES."""
    if fmt not in (None, "ndjson", "har"):
        raise InputError(f"cannot import format {fmt!r}: only ndjson and har")
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    start = stream.tell()
    if fmt is None and _first_record_is_ndjson(stream, source):
        fmt = "ndjson"
    stream.seek(start)
    if fmt is None or fmt == "har":
        document = _har_document(stream, source, required=fmt == "har")
        if document is not None:
            return read_har(document)
        stream.seek(start)
    return read_ndjson(stream_lines(stream, source, MAX_RECORD_BYTES), source)


def _first_record_is_ndjson(stream: BinaryIO, source: str) -> bool:
    """Whether the first line that is not blank is a whole JSON object other than a HAR log."""
    for line in stream_lines(stream, source, MAX_RECORD_BYTES):
        text = line.decode("utf-8", "replace").lstrip("\ufeff")
        if not text.strip():
            continue
        try:
            first = loads_finite(text)
        except (ValueError, RecursionError):
            return False
        return isinstance(first, dict) and "log" not in first
    return False


def _har_document(stream: BinaryIO, source: str, *, required: bool) -> Any:
    """The HAR document in the stream; None (when not `required`) if it is not one."""
    try:
        text = decode_text(read_stream(stream, source, MAX_HAR_BYTES, "HAR file"), source, "neither NDJSON nor HAR")
        document = loads_finite(text)
    except TooLargeError:
        if required:
            raise InputError(f"{source}: a HAR file larger than {size_text(MAX_HAR_BYTES)} cannot be imported; "
                             "export NDJSON instead (read a line at a time, any size)") from None
        return None
    except (ValueError, RecursionError):
        if required:
            raise InputError("not a HAR file: the file is not one JSON document") from None
        return None
    if isinstance(document, dict) and "log" in document:
        return document
    if required:
        raise InputError("not a HAR file: no log object")
    return None


def write_export(fmt: str, exchanges: Iterable[Exchange], out: TextIO, verifications: Lookup | None = None) -> int:
    """Write `exchanges` in one of FORMATS, NDJSON and HAR with the verifications `verifications` finds
    (HistoryStore.verifications); returns how many."""
    if fmt in ("curl", "httpx"):
        return (write_curl if fmt == "curl" else write_httpx)(exchanges, out)
    if fmt not in ("ndjson", "har"):
        raise InputError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return (write_ndjson if fmt == "ndjson" else write_har)(paired(exchanges, verifications), out)


def paired(exchanges: Iterable[Exchange], verifications: Lookup | None,
           batch: int = 200) -> Iterator[tuple[Exchange, VerificationRecord | None]]:
    """Each exchange with its verification (None: not verified), looked up BATCH exchanges at a time."""
    items = iter(exchanges)
    while group := list(islice(items, batch)):
        found = verifications([exchange.id for exchange in group]) if verifications is not None else {}
        yield from ((exchange, found.get(exchange.id)) for exchange in group)
