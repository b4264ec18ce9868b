"""The history of exchanges: a SQLite store, its filters, and exports (the public face of
`history_store`, `history_types`, `history_db` and `history_export`; import from here)."""

from yespo_console.core.history_db import SCHEMA_VERSION
from yespo_console.core.history_export import (
    FORMATS,
    curl_command,
    exchange_from_record,
    exchange_record,
    httpx_snippet,
    read_exchanges,
    summary_record,
    write_export,
)
from yespo_console.core.history_store import DISTINCT_COLUMNS, HistoryStore, ImportResult, mask_url
from yespo_console.core.history_types import (
    Exchange,
    ExchangeSummary,
    HistoryFilter,
    HistoryStats,
    fts_match_expression,
)

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
    "mask_url",
    "read_exchanges",
    "summary_record",
    "write_export",
]
