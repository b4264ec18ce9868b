"""Yespo's documented per-second limits of the account endpoints, kept when the `rate_limits` fault is on.

Sources (../shared/api-facts.md): contact search 50/s, the contact behind a push token 150/s, contact messages
10/s; every other method 200/s (the reference's general limit).
"""

from __future__ import annotations

import math
import time
from collections import deque

DOCUMENTED: dict[str, int] = {"contacts": 50, "contact-token": 150, "messages": 10}
DEFAULT_LIMIT = 200
WINDOW_S = 1.0


class RateWindows:
    """A sliding one-second window per endpoint. Used from the sandbox's loop only."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = {}

    def retry_after(self, endpoint: str, now: float | None = None) -> int | None:
        """None when this request is within the limit (it is counted), else the seconds to wait (at least 1)."""
        now = time.monotonic() if now is None else now
        seen = self._seen.setdefault(endpoint, deque())
        while seen and seen[0] <= now - WINDOW_S:
            seen.popleft()
        if len(seen) >= DOCUMENTED.get(endpoint, DEFAULT_LIMIT):
            return max(1, math.ceil(seen[0] + WINDOW_S - now))
        seen.append(now)
        return None
