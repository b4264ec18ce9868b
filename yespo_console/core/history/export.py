"""History out and in, by format name: NDJSON (lossless, `records`), HAR 1.2 (`har`), cURL scripts
and httpx programs (`scripts`; out only). An import tells NDJSON from HAR by its content.

No export ever holds a credential: headers and URLs are masked in the store already and again on
the way out, and a script that must authenticate reads the key from the environment when it runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from yespo_console.core.errors import InputError
from yespo_console.core.history.har import read_har, write_har
from yespo_console.core.history.models import Exchange
from yespo_console.core.history.records import read_ndjson, write_ndjson
from yespo_console.core.history.scripts import write_curl, write_httpx
from yespo_console.core.textfiles import decode_text

FORMATS = ("ndjson", "har", "curl", "httpx")


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


def write_export(fmt: str, exchanges: Iterable[Exchange], out: TextIO) -> int:
    """Write `exchanges` in one of FORMATS; returns how many."""
    writers = {"ndjson": write_ndjson, "har": write_har, "curl": write_curl, "httpx": write_httpx}
    if fmt not in writers:
        raise InputError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return writers[fmt](exchanges, out)
