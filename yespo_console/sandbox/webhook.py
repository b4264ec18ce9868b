"""Delivering the sandbox's activity to a URL the way Yespo's data-export webhook does (`sandbox --webhook URL`):
a GET to check the URL first, then each new activity entry POSTed as a JSON array, retried with a doubling
backoff until the receiver answers 200 (at most `attempts` tries; then it is dropped and logged).

Only loopback URLs unless `allow_remote` (`--webhook-any-host`): the sandbox's activity is test data, but a
typo should not send it to a stranger.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from datetime import UTC, datetime
from typing import Any

import httpx

from yespo_console.core.http.masking import mask_url

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
MAX_LOG = 100
MAX_QUEUED = 1000  # batches waiting while the receiver is down; past that the newest are dropped (and logged)


def check_webhook_url(url: str, *, allow_remote: bool = False) -> str:
    """The URL, or ValueError saying why it cannot be used."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(f"not a URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("the webhook URL should be http:// or https:// with a host")
    if not allow_remote and parsed.host not in LOOPBACK and not parsed.host.startswith("127."):
        raise ValueError(f"{parsed.host} is not this machine: pass --webhook-any-host to deliver activity to it")
    return url


class WebhookSender:
    """Delivers activity in order, one batch at a time, on the loop that started it."""

    def __init__(self, url: str, *, allow_remote: bool = False, attempts: int = 6, backoff_s: float = 1.0,
                 timeout_s: float = 10.0) -> None:
        self.url = check_webhook_url(url, allow_remote=allow_remote)
        self._attempts, self._backoff_s, self._timeout_s = attempts, backoff_s, timeout_s
        self._queue: asyncio.Queue[list[dict[str, Any]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._checked = False
        self.log: deque[dict[str, Any]] = deque(maxlen=MAX_LOG)  # what happened to each delivery, newest last

    def start(self) -> None:
        self._queue = asyncio.Queue(MAX_QUEUED)
        self._task = asyncio.create_task(self._run(), name="yespo-sandbox-webhook")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def send(self, items: list[dict[str, Any]]) -> None:
        if self._queue is None:
            return
        try:
            self._queue.put_nowait(items)
        except asyncio.QueueFull:
            self._note(len(items), 0, None, f"dropped: {MAX_QUEUED} deliveries were already waiting")

    async def _run(self) -> None:
        assert self._queue is not None
        async with httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False, trust_env=False) as client:
            while True:
                items = await self._queue.get()
                await self._deliver(client, items)

    async def _deliver(self, client: httpx.AsyncClient, items: list[dict[str, Any]]) -> None:
        delay = self._backoff_s
        problem = ""
        for attempt in range(1, self._attempts + 1):
            try:
                if not self._checked:
                    check = await client.get(self.url)
                    if check.status_code != 200:
                        raise _Refused(f"the check (GET) was answered {check.status_code}")
                    self._checked = True
                answer = await client.post(self.url, json=items)
                if answer.status_code == 200:
                    self._note(len(items), attempt, 200, "")
                    return
                problem = f"answered {answer.status_code}"
            except (_Refused, httpx.HTTPError) as exc:
                problem = str(exc) or type(exc).__name__
            if attempt < self._attempts:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 300.0)
        self._note(len(items), self._attempts, None, problem)
        log.warning("webhook %s: %d activity entries dropped after %d tries (%s)", mask_url(self.url), len(items),
                    self._attempts, self.log[-1]["problem"])

    def _note(self, count: int, attempts: int, status: int | None, problem: str) -> None:
        self.log.append({"at": datetime.now(UTC).isoformat(timespec="milliseconds"), "entries": count,
                         "attempts": attempts, "status": status,
                         "problem": problem.replace(self.url, mask_url(self.url))})


class _Refused(Exception):
    pass
