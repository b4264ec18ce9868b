"""Reading the history: a filter made into SQL, a page of the list, counts, whole exchanges, the values
a filter can choose from, and statistics. Each function takes the store's connection inside one of its
reads (`HistoryStore._read`, which waits out another process's checkpoint). Lists are keyset pages,
newest first by row id: the next page starts below the last id shown, so a page deep in a million
rows costs what the first does. The usual filters have indexes that keep row id order; a time range
and a full-text search do not, and `select` chooses how to walk the rows for them.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from yespo_console.core.history import rows
from yespo_console.core.history.models import (
    Exchange,
    ExchangeSummary,
    HistoryFilter,
    HistoryStats,
    from_micros,
    fts_match_expression,
    to_micros,
)
from yespo_console.core.http.outcome import Outcome

DISTINCT_COLUMNS = frozenset({"event_type", "environment", "outcome", "run_id"})


@dataclass(frozen=True, slots=True)
class Where:
    clauses: list[str]
    params: list[Any]
    time_clauses: list[str]  # on `started_at`, kept apart: see select
    time_params: list[Any]
    match: str | None  # an FTS5 expression, when searching
    impossible: bool  # a search with nothing searchable in it: no row can match
    verified_only: bool = False  # the rows are drawn from the verification table: few, whatever the time range


def where(filters: HistoryFilter | None) -> Where:
    clauses: list[str] = []
    params: list[Any] = []
    time_clauses: list[str] = []
    time_params: list[Any] = []
    if filters is None:
        return Where(clauses, params, time_clauses, time_params, None, False)
    equal = (("event_type", filters.event_type), ("status", filters.status), ("environment", filters.environment),
             ("run_id", filters.run_id), ("kind", filters.kind),
             ("starred", None if filters.starred is None else int(filters.starred)))
    for column, value in equal:
        if value is not None:
            clauses.append(f"e.{column} = ?")
            params.append(value)
    if filters.verified is not None:
        # The verification table is keyed by exchange id: SQLite walks it in id order, a row look-up each,
        # so a page of the few verified rows in a million costs what a first page does.
        clauses.append(f"e.id {'' if filters.verified else 'NOT '}IN (SELECT exchange_id FROM verification)")
    outcomes = filters.outcomes
    if len(outcomes) == 1:
        clauses.append("e.outcome = ?")
        params.append(outcomes[0].value)
    elif outcomes:
        clauses.append(f"e.outcome IN ({', '.join('?' * len(outcomes))})")
        params.extend(outcome.value for outcome in outcomes)
    if filters.since is not None:
        time_clauses.append("started_at >= ?")
        time_params.append(to_micros(filters.since))
    if filters.until is not None:
        time_clauses.append("started_at < ?")
        time_params.append(to_micros(filters.until))
    match = None
    impossible = False
    if filters.search is not None and filters.search.strip():
        match = fts_match_expression(filters.search)
        impossible = match is None
    return Where(clauses, params, time_clauses, time_params, match, impossible, filters.verified is True)


# Up to this many rows in a time range, the rows are gathered through the started_at index and sorted;
# beyond it, walking the rows newest first finds a page sooner.
_SMALL_RANGE = 5000


def select(conn: sqlite3.Connection, where: Where, columns: str, *, key: tuple[str, int] | None = None,
           order: str | None = None, limit: int | None = None) -> tuple[str, tuple[Any, ...]] | None:
    """The SQL for a filtered read, or None when no row can match.

    Pages are in row id order, and the usual filters have indexes that keep that order, but a time
    range does not: its index is in time order. So a small range (up to _SMALL_RANGE rows) is read
    through its index and sorted; a larger one is walked in id order, starting from the first row id
    in range, found on the compact (id, started_at) index. When searching, the bounds go to the
    search index, which seeks by row id."""
    clauses, params = list(where.clauses), list(where.params)
    key_column = "e.id" if where.match is None else "exchange_fts.rowid"
    source = "exchange AS e"
    if key is not None:
        clauses.append(f"{key_column} {key[0]} ?")
        params.append(key[1])
    if where.time_clauses and where.verified_only:
        # The verified rows are few and walked newest first through the verification table: each one's time is
        # checked as it comes ("+" keeps the planner off the started_at index, which would gather the range).
        clauses += ["+e." + clause for clause in where.time_clauses]
        params += where.time_params
    elif where.time_clauses:
        in_range = " AND ".join(where.time_clauses)
        found = conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM exchange INDEXED BY exchange_started_at "
                             f"WHERE {in_range} LIMIT {_SMALL_RANGE})", where.time_params).fetchone()[0]
        if found == 0:
            return None
        if found < _SMALL_RANGE:
            if where.match is None:
                source = "exchange AS e INDEXED BY exchange_started_at"
            else:
                low, high = conn.execute(f"SELECT min(id), max(id) FROM exchange INDEXED BY exchange_started_at "
                                         f"WHERE {in_range}", where.time_params).fetchone()
                clauses.append(f"{key_column} BETWEEN ? AND ?")
                params += [low, high]
            clauses += ["e." + clause for clause in where.time_clauses]
            params += where.time_params
        else:
            if order is not None:
                descending = order == "DESC"
                edge_sql = (f"SELECT {'max' if descending else 'min'}(id) FROM exchange "
                            f"INDEXED BY exchange_id_started WHERE {in_range}")
                edge_params = list(where.time_params)
                if key is not None:
                    edge_sql += f" AND id {key[0]} ?"
                    edge_params.append(key[1])
                edge = conn.execute(edge_sql, edge_params).fetchone()[0]
                if edge is None:
                    return None
                clauses.append(f"{key_column} {'<=' if descending else '>='} ?")
                params.append(edge)
            # "+" keeps the planner off the started_at index, which would gather and sort the whole range.
            clauses += [("+e." if order is not None else "e.") + clause for clause in where.time_clauses]
            params += where.time_params
    if where.match is None:
        sql = f"SELECT {columns} FROM {source}{' WHERE ' + ' AND '.join(clauses) if clauses else ''}"
    else:
        # The search index drives: it walks its matches in row id order and stops at the limit.
        sql = (f"SELECT {columns} FROM exchange_fts CROSS JOIN exchange AS e ON e.id = exchange_fts.rowid "
               f"WHERE exchange_fts MATCH ?{''.join(' AND ' + c for c in clauses)}")
        params.insert(0, where.match)
    if order is not None:
        sql += f" ORDER BY {key_column} {order}"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return sql, tuple(params)


def page(conn: sqlite3.Connection, where: Where, before_id: int | None, limit: int,
         damaged: dict[Any, rows.DamagedRowError]) -> list[ExchangeSummary]:
    """Up to `limit` list rows, newest first, below `before_id` if given (damaged ones left out, into `damaged`)."""
    statement = select(conn, where, rows.SUMMARY_SELECT, order="DESC", limit=limit,
                       key=None if before_id is None else ("<", before_id))
    # Rows fetched all at once, then made into values: faster than doing both in turn, row by row.
    return [] if statement is None else rows.read_rows(rows.summary_from_row, conn.execute(*statement).fetchall(),
                                                       damaged)


def batch(conn: sqlite3.Connection, where: Where, after_id: int | None, *, newest_first: bool,
          limit: int, damaged: dict[Any, rows.DamagedRowError]) -> tuple[list[Exchange], int | None, int]:
    """Up to `limit` whole exchanges following `after_id` in the order asked for (damaged ones left out,
    into `damaged`), with the id of the last row read and how many rows were read."""
    op, order = ("<", "DESC") if newest_first else (">", "ASC")
    statement = select(conn, where, rows.EXCHANGE_SELECT, order=order, limit=limit,
                       key=None if after_id is None else (op, after_id))
    if statement is None:
        return [], None, 0
    fetched = conn.execute(*statement).fetchall()
    return rows.read_rows(rows.exchange_from_row, fetched, damaged), fetched[-1][0] if fetched else None, len(fetched)


def count(conn: sqlite3.Connection, where: Where, at_most: int | None = None) -> int:
    """How many rows match; with AT_MOST, counting stops past it (a search matching most of a million
    rows takes seconds to count in full, and AT_MOST + 1 says "more than AT_MOST")."""
    if where.match is not None and not where.clauses and not where.time_clauses:
        if at_most is None:
            return int(conn.execute("SELECT count(*) FROM exchange_fts WHERE exchange_fts MATCH ?",
                                    (where.match,)).fetchone()[0])
        return int(conn.execute("SELECT count(*) FROM (SELECT 1 FROM exchange_fts WHERE exchange_fts MATCH ? "
                                "LIMIT ?)", (where.match, at_most + 1)).fetchone()[0])
    if at_most is None:
        statement = select(conn, where, "count(*)")
        return 0 if statement is None else int(conn.execute(*statement).fetchone()[0])
    statement = select(conn, where, "1", limit=at_most + 1)
    if statement is None:
        return 0
    sql, params = statement
    return int(conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0])


def exchange(conn: sqlite3.Connection, exchange_id: int) -> Exchange | None:
    row = conn.execute(f"SELECT {rows.EXCHANGE_SELECT} FROM exchange AS e WHERE e.id = ?",
                       (exchange_id,)).fetchone()
    return None if row is None else rows.exchange_from_row(row)


def data_version(conn: sqlite3.Connection) -> int:
    """A number that changes whenever another connection commits to the file (SQLite's own counter)."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def distinct_values(conn: sqlite3.Connection, column: str) -> list[str]:
    if column not in DISTINCT_COLUMNS:
        raise ValueError(f"distinct_values: column must be one of {sorted(DISTINCT_COLUMNS)}")
    # One index look-up per value, however many rows there are.
    sql = (
        f"WITH RECURSIVE d(v) AS (SELECT min({column}) FROM exchange "
        f"UNION ALL SELECT (SELECT min({column}) FROM exchange WHERE {column} > d.v) FROM d "
        f"WHERE d.v IS NOT NULL) SELECT v FROM d WHERE v IS NOT NULL"
    )
    return [str(value) for (value,) in conn.execute(sql)]


def stats(conn: sqlite3.Connection, file_bytes: int) -> HistoryStats:
    by_outcome = dict(conn.execute("SELECT outcome, count(*) FROM exchange GROUP BY outcome").fetchall())
    by_event = {
        str(k): v for k, v in conn.execute(
            "SELECT coalesce(event_type, '(none)'), count(*) FROM exchange GROUP BY event_type "
            "ORDER BY 2 DESC").fetchall()
    }
    # A damaged row's time may be text, which SQLite sorts after every number: only numbers are times.
    oldest, newest = conn.execute("SELECT min(started_at), max(started_at) FROM exchange "
                                  "WHERE typeof(started_at) = 'integer'").fetchone()
    return HistoryStats(
        total=sum(by_outcome.values()), pending=by_outcome.get(Outcome.PENDING.value, 0),
        by_outcome=by_outcome, by_event_type=by_event,
        oldest=None if oldest is None else from_micros(oldest),
        newest=None if newest is None else from_micros(newest),
        file_bytes=file_bytes,
    )
