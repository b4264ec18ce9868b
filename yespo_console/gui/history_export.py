"""Exporting history exchanges from the window: the file and format the user chose, and a file written
whole or not at all."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from yespo_console.core.errors import InputError, StoreError
from yespo_console.core.history import FORMATS, Exchange, HistoryStore, write_export

# (label in the Save dialog, format, file extension)
EXPORT_FILTERS = (("HAR 1.2 (*.har)", "har", ".har"), ("NDJSON, lossless (*.ndjson)", "ndjson", ".ndjson"),
                  ("cURL script (*.sh)", "curl", ".sh"), ("Python httpx script (*.py)", "httpx", ".py"))
assert {fmt for _label, fmt, _ext in EXPORT_FILTERS} == set(FORMATS)


class ExportFailed(Exception):
    """The export could not be written; the message names the reason and the file."""


def export_format(path: str, chosen_filter: str) -> str:
    """The format the user meant: the extension typed wins over the filter left selected."""
    suffix = Path(path).suffix.lower()
    for _label, fmt, ext in EXPORT_FILTERS:
        if suffix == ext:
            return fmt
    for label, fmt, _ext in EXPORT_FILTERS:
        if label == chosen_filter:
            return fmt
    return "har"


def ask_export_file(parent: QWidget, count: int) -> tuple[str, str] | None:
    """The file and format chosen in the Save dialog, or None when it was cancelled."""
    filters = ";;".join(label for label, _fmt, _ext in EXPORT_FILTERS)
    suggested = str(Path.home() / f"yespo-history-{count}.har")
    path, chosen = QFileDialog.getSaveFileName(parent, "Export selected exchanges", suggested, filters)
    return (path, export_format(path, chosen)) if path else None


def write_exchanges(store: HistoryStore, ids: Sequence[int], path: str, fmt: str) -> int:
    """Write the exchanges IDS (those still in STORE) to PATH; how many were written, or ExportFailed."""
    partial = f"{path}.part"

    def records() -> Iterator[Exchange]:
        # One at a time: an export of thousands of rows never holds every body at once.
        for exchange_id in ids:
            exchange = store.get(exchange_id)
            if exchange is not None:
                yield exchange

    try:
        with open(partial, "w", encoding="utf-8", newline="\n") as out:
            written = write_export(fmt, records(), out, store.verifications)
        os.replace(partial, path)  # a failed export never leaves a half-written file under the real name
    except (StoreError, InputError, OSError) as exc:
        with contextlib.suppress(OSError):
            os.remove(partial)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ExportFailed(f"{reason} ({path})") from None
    return written
