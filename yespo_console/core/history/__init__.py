"""The history of exchanges: a SQLite store, its filters, and exports. Import from here.

`HistoryStore` (store) records each send and answers the history views: its SQL is in `queries`
(reading) and `writes` (writing), the table's columns in `rows`, and the file, its schema and
migrations in `db`; `process` tells a live writer from a dead one. The values it hands out and takes
in are in `models`. Exports and imports go through `export`, by format: the lossless NDJSON record
(`records`), HAR 1.2 (`har`), and cURL and httpx scripts (`scripts`). What followed an exchange (its
verification) is kept beside it (`verifications`).

Each name loads its module on first use, as the sandbox package does: the window opens its history after
its first paint, and the exports (HAR, the diagnostics behind it, the validators) only when asked for.
"""

from typing import TYPE_CHECKING

from yespo_console.core.lazy import lazy_exports

if TYPE_CHECKING:
    from yespo_console.core.history.db import SCHEMA_VERSION
    from yespo_console.core.history.export import FORMATS, MAX_RECORD_BYTES, read_exchanges, read_imports, write_export
    from yespo_console.core.history.models import (
        MIN_SEARCH_CHARS,
        Exchange,
        ExchangeSummary,
        HistoryFilter,
        HistoryStats,
        fts_match_expression,
    )
    from yespo_console.core.history.queries import DISTINCT_COLUMNS
    from yespo_console.core.history.records import exchange_from_record, exchange_record, summary_record
    from yespo_console.core.history.scripts import curl_command, httpx_snippet
    from yespo_console.core.history.store import HistoryStore, ImportResult
    from yespo_console.core.history.verifications import VerificationRecord
    from yespo_console.core.history.writes import INTERRUPTED_ERROR

_EXPORTS = {
    "DISTINCT_COLUMNS": "queries",
    "Exchange": "models",
    "ExchangeSummary": "models",
    "FORMATS": "export",
    "HistoryFilter": "models",
    "HistoryStats": "models",
    "HistoryStore": "store",
    "INTERRUPTED_ERROR": "writes",
    "ImportResult": "store",
    "MAX_RECORD_BYTES": "export",
    "MIN_SEARCH_CHARS": "models",
    "SCHEMA_VERSION": "db",
    "VerificationRecord": "verifications",
    "curl_command": "scripts",
    "exchange_from_record": "records",
    "exchange_record": "records",
    "fts_match_expression": "models",
    "httpx_snippet": "scripts",
    "read_exchanges": "export",
    "read_imports": "export",
    "summary_record": "records",
    "write_export": "export",
}

__all__ = [
    "DISTINCT_COLUMNS",
    "FORMATS",
    "INTERRUPTED_ERROR",
    "MAX_RECORD_BYTES",
    "MIN_SEARCH_CHARS",
    "SCHEMA_VERSION",
    "Exchange",
    "ExchangeSummary",
    "HistoryFilter",
    "HistoryStats",
    "HistoryStore",
    "ImportResult",
    "VerificationRecord",
    "curl_command",
    "exchange_from_record",
    "exchange_record",
    "fts_match_expression",
    "httpx_snippet",
    "read_exchanges",
    "read_imports",
    "summary_record",
    "write_export",
]


__getattr__ = lazy_exports(__name__, _EXPORTS)
