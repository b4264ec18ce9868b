"""What a send is configured with and what it returns: timeouts, the retry policy, the explanation
in words and the result. No httpx here, so the runner, the GUI and the CLI can name these types
without loading the HTTP stack (the client itself imports httpx; see `client.py`).
"""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from yespo_console.core.events.findings import Report
from yespo_console.core.http.environments import Environment
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome

if TYPE_CHECKING:
    import httpx


# -- settings ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds. `total` bounds one whole attempt (a server trickling bytes cannot hold it forever)."""

    connect: float = 10.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 10.0
    total: float | None = 30.0

    @classmethod
    def for_environment(cls, env: Environment) -> Timeouts:
        return cls(
            connect=env.connect_timeout_s,
            read=env.timeout_s,
            write=env.timeout_s,
            pool=env.connect_timeout_s,
            total=env.timeout_s,
        )

    def to_httpx(self) -> httpx.Timeout:
        import httpx

        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`attempts=1` (the default) means no retry."""

    attempts: int = 1
    on_rate_limited: bool = True  # 429: wait for Retry-After (or back off when it has none)
    on_server_error: bool = True  # 5xx: exponential backoff with jitter
    backoff_initial: float = 0.5
    backoff_max: float = 8.0
    max_retry_after: float = 60.0  # a longer Retry-After ends the retries instead of waiting

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def delay_after(self, result: SendResult, attempt: int) -> float | None:
        """How long to wait before attempt `attempt + 1`, or None to stop: a 429 waits for Retry-After
        (capped by `max_retry_after`) or backs off; a 5xx backs off, or waits longer if told to."""
        if attempt >= self.attempts:
            return None
        if result.outcome is Outcome.RATE_LIMITED and self.on_rate_limited:
            seconds = result.retry_after
            if seconds is None:
                return self.backoff(attempt)
            return seconds if seconds <= self.max_retry_after else None
        if result.outcome is Outcome.SERVER_ERROR and self.on_server_error:
            seconds = result.retry_after
            if seconds is not None and seconds <= self.max_retry_after:
                return max(seconds, self.backoff(attempt))
            return self.backoff(attempt)
        return None

    def backoff(self, attempt: int) -> float:
        """Delay before attempt `attempt + 1` after a 5xx: 0.5, 1, 2, 4 … seconds, ±25% jitter."""
        base: float = min(self.backoff_max, self.backoff_initial * (2.0 ** (attempt - 1)))
        return base * random.uniform(0.75, 1.25)


# -- explanations --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Explanation:
    title: str  # what happened, one line
    detail: str = ""  # what to check

    @property
    def text(self) -> str:
        return f"{self.title} {self.detail}".strip()

    def as_error(self) -> str:
        """How it is kept in `ExchangeResult.error`: the title, a newline, the detail."""
        return f"{self.title}\n{self.detail}" if self.detail else self.title


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent/invalid."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


# The header a console sandbox adds to every event answer: how many findings Yespo accepts but that break
# something downstream (sandbox.endpoints).
SANDBOX_FINDINGS = "X-Sandbox-Findings"


def header_value(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None


# -- results -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendResult:
    request: ExchangeRequest
    result: ExchangeResult
    explanation: Explanation
    exchange_id: int | None = None  # the history row; None when not recorded
    attempt: int = 1
    earlier: tuple[SendResult, ...] = ()  # earlier attempts when retries were on
    history_error: str = ""  # why the exchange could not be recorded, if it could not
    report: Report | None = None  # the local diagnostics of the body sent

    @property
    def outcome(self) -> Outcome:
        return self.result.outcome

    @property
    def status(self) -> int | None:
        return self.result.status

    @property
    def ok(self) -> bool:
        return self.result.outcome is Outcome.ACCEPTED

    @property
    def duration_ms(self) -> float | None:
        return self.result.duration_ms

    @property
    def body_text(self) -> str:
        return self.result.body.decode("utf-8", "replace")

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(header_value(self.result.headers, "Retry-After"))

    @property
    def attempts(self) -> int:
        return len(self.earlier) + 1
