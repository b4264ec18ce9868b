"""A client-side rate limiter for asyncio: at most `rate` requests per second, with a small burst.

It uses the generic cell rate algorithm: each caller reserves the next slot at once (no lock, no
queue object) and sleeps until it. Callers are served in the order they asked. A caller cancelled
while it waits gives up its slot's wait but not the slot itself: the limiter stays conservative.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(self, rate: float, *, burst: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        if not rate > 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = float(rate)
        self.burst = burst
        self._interval = 1.0 / self.rate
        self._tolerance = self._interval * (burst - 1)
        self._clock = clock
        self._tat = 0.0  # theoretical arrival time of the next request

    def reserve(self) -> float:
        """Take the next slot; return how long to wait (seconds) before using it."""
        now = self._clock()
        tat = max(self._tat, now)
        wait = tat - self._tolerance - now
        self._tat = tat + self._interval
        return max(0.0, wait)

    async def acquire(self) -> None:
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)
