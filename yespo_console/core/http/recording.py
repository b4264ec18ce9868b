"""How a client writes its exchanges to history: `Recording` writes the pending row before a request
leaves and the result when the answer (or the error) arrives, and turns a failing store into a
sentence on the result instead of a failed send. When the recorder can write several rows at once
(`write_many`, as the history store can), the writes of concurrent sends are grouped into shared
transactions (`RecordGroups`); each send still waits for its own rows to be committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from yespo_console.core.http.exchange import ExchangeRecorder, ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome
from yespo_console.core.http.sending import Explanation

log = logging.getLogger(__name__)

_NOT_SENT = Explanation(
    "Cancelled before the request was sent.", "It never left this computer: nothing reached the server."
).as_error()


def _not_begun(error: object) -> str:
    return f"Not recorded in history: {error}"


def _not_completed(error: object) -> str:
    return f"The result was not recorded in history: {error}"


class RecordGroups:
    """Groups the history writes of the concurrent sends of one client into shared transactions.

    A send hands over its pending row (before its request leaves) or its result (after the answer)
    and waits; the group is written in one transaction (the recorder's `write_many`) and every send
    in it resumes. So the guarantees are those of one write per call: a request leaves only after
    its pending row is committed, and `send()` returns only after its result is committed and
    searchable. What changes is the cost: one commit and one full-text index segment per group
    instead of one per write (each dearer than writing a small row), and fewer loop turns blocked
    on SQLite.

    The group is written as soon as waiting cannot make it grow: at once when every send in flight
    on this client is in it (a lone send, the GUI's, is written on the spot, as without groups);
    else at the first turn of the loop that ran nothing else (the loop is idle, so the other sends
    are waiting on the network, not on the CPU); at the latest `max_wait_s` after it began, or at
    `max_group` writes. Only a busy loop (sends arriving faster than the CPU serves them: a bulk
    run against a fast server) builds groups, and there waiting costs no throughput.
    """

    max_wait_s = 0.02
    idle_turn_s = 0.0002  # a turn quicker than this ran nothing else: the loop is idle
    max_group = 256

    def __init__(self, write_many: Callable[..., list[int]], in_flight: Callable[[], int]) -> None:
        self._write_many = write_many
        self._in_flight = in_flight
        self._begins: list[tuple[ExchangeRequest, asyncio.Future[tuple[int | None, str]]]] = []
        self._completes: list[tuple[int, ExchangeResult, asyncio.Future[str]]] = []
        self._handle: asyncio.Handle | None = None
        self._first = self._last_turn = 0.0

    def begin(self, request: ExchangeRequest) -> asyncio.Future[tuple[int | None, str]]:
        """A future for (id, history error). Cancelled before the group is written: no row."""
        future: asyncio.Future[tuple[int | None, str]] = asyncio.get_running_loop().create_future()
        self._begins.append((request, future))
        self._arm()
        return future

    def complete(self, exchange_id: int, result: ExchangeResult) -> asyncio.Future[str]:
        """A future for the history error ("" when recorded). Written even if the future is cancelled."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._completes.append((exchange_id, result, future))
        self._arm()
        return future

    def _arm(self) -> None:
        waiting = len(self._begins) + len(self._completes)
        if waiting >= self._in_flight() or waiting >= self.max_group:
            self.flush()  # no other send could join: written now, and the caller's future is done
        elif self._handle is None:
            loop = asyncio.get_running_loop()
            self._first = self._last_turn = loop.time()
            self._handle = loop.call_soon(self._turn)

    def _turn(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        busy = now - self._last_turn >= self.idle_turn_s
        self._last_turn = now
        waiting = len(self._begins) + len(self._completes)
        if busy and waiting < self._in_flight() and waiting < self.max_group and now - self._first < self.max_wait_s:
            self._handle = loop.call_soon(self._turn)
        else:
            self._handle = None
            self.flush()

    def flush(self) -> None:
        """Write the group now (also on close, and when a waiting send is cancelled)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        completes, self._completes = self._completes, []
        begins = [(request, future) for request, future in self._begins if not future.cancelled()]
        self._begins = []
        if not completes and not begins:
            return
        try:
            ids: list[int | None] = list(
                self._write_many(
                    begin=[request for request, _ in begins],
                    complete=[(exchange_id, result) for exchange_id, result, _ in completes],
                )
            )
            error = ""
        except Exception as exc:
            log.warning("could not write %d exchanges to history: %s", len(begins) + len(completes), exc)
            ids, error = [None] * len(begins), str(exc)
        for _, _, done in completes:
            if not done.done():
                done.set_result(_not_completed(error) if error else "")
        for (_, future), exchange_id in zip(begins, ids, strict=True):
            future.set_result((exchange_id, _not_begun(error) if error else ""))


class Recording:
    """The history writes of one client's sends; `recorder=None` records nothing.

    `begin` and `complete` return the sentence to show when the store failed ("" when recorded);
    `in_flight` counts the client's sends, so that a group is written as soon as every one is in it.
    """

    def __init__(self, recorder: ExchangeRecorder | None, in_flight: Callable[[], int]) -> None:
        self.recorder = recorder
        write_many = getattr(recorder, "write_many", None)
        self._groups = RecordGroups(write_many, in_flight) if callable(write_many) else None

    async def begin(self, request: ExchangeRequest) -> tuple[int | None, str]:
        """The pending row's id (None when not recorded) and the history error; the request may leave."""
        if self._groups is None:
            return self._begin(request)
        future = self._groups.begin(request)
        try:
            return await future
        except asyncio.CancelledError:
            # Cancelled while the row was being written: the request never left. A row written
            # meanwhile is closed as cancelled; one not written yet never will be.
            if future.done() and not future.cancelled():
                exchange_id, _ = future.result()
                self.complete_now(exchange_id, ExchangeResult(Outcome.CANCELLED, duration_ms=0.0, error=_NOT_SENT))
            raise

    async def complete(self, exchange_id: int | None, result: ExchangeResult) -> str:
        if self._groups is None or exchange_id is None:
            return self.complete_now(exchange_id, result)
        try:
            return await self._groups.complete(exchange_id, result)
        except asyncio.CancelledError:
            self._groups.flush()  # the answer did arrive: written now, whatever becomes of the loop
            raise

    def complete_now(self, exchange_id: int | None, result: ExchangeResult) -> str:
        """`complete` without waiting for a group: for a send being cancelled, which cannot wait."""
        if self.recorder is None or exchange_id is None:
            return ""
        try:
            self.recorder.complete(exchange_id, result)
        except Exception as exc:
            log.warning("could not record the result of exchange %s: %s", exchange_id, exc)
            return _not_completed(exc)
        return ""

    def flush(self) -> None:
        """Write whatever waits in a group (the client is closing)."""
        if self._groups is not None:
            self._groups.flush()

    def _begin(self, request: ExchangeRequest) -> tuple[int | None, str]:
        if self.recorder is None:
            return None, ""
        try:
            return self.recorder.begin(request), ""
        except Exception as exc:
            log.warning("could not record the exchange: %s", exc)
            return None, _not_begun(exc)
