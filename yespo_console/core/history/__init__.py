"""The history of exchanges: a SQLite store, its filters, and exports (the public face of
`store`, `models`, `db`, `process` and `export`; import from here)."""

from yespo_console.core.history.db import SCHEMA_VERSION
from yespo_console.core.history.export import (
    FORMATS,
    curl_command,
    exchange_from_record,
    exchange_record,
    httpx_snippet,
    read_exchanges,
    summary_record,
    write_export,
)
from yespo_console.core.history.models import (
    Exchange,
    ExchangeSummary,
    HistoryFilter,
    HistoryStats,
    fts_match_expression,
)
from yespo_console.core.history.store import DISTINCT_COLUMNS, HistoryStore, ImportResult

__all__ = [
    "DISTINCT_COLUMNS",
    "FORMATS",
    "SCHEMA_VERSION",
    "Exchange",
    "ExchangeSummary",
    "HistoryFilter",
    "HistoryStats",
    "HistoryStore",
    "ImportResult",
    "curl_command",
    "exchange_from_record",
    "exchange_record",
    "fts_match_expression",
    "httpx_snippet",
    "read_exchanges",
    "summary_record",
    "write_export",
]
