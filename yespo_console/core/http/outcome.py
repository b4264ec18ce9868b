"""How an exchange ended, in one word for filters and in a sentence for people."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"  # 2xx
    REJECTED = "rejected"  # 4xx other than 429
    RATE_LIMITED = "rate_limited"  # 429
    SERVER_ERROR = "server_error"  # 5xx
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"  # DNS failure, refused, dropped
    TLS_ERROR = "tls_error"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # left pending by a crash, found on the next open

    @classmethod
    def from_status(cls, status: int) -> Outcome:
        if 200 <= status < 300:
            return cls.ACCEPTED
        if status == 429:
            return cls.RATE_LIMITED
        if status >= 500:
            return cls.SERVER_ERROR
        return cls.REJECTED

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Outcome.PENDING: "Pending",
    Outcome.ACCEPTED: "Accepted",
    Outcome.REJECTED: "Rejected",
    Outcome.RATE_LIMITED: "Rate limited",
    Outcome.SERVER_ERROR: "Server error",
    Outcome.TIMEOUT: "Timed out",
    Outcome.CONNECTION_ERROR: "Connection failed",
    Outcome.TLS_ERROR: "TLS error",
    Outcome.CANCELLED: "Cancelled",
    Outcome.INTERRUPTED: "Interrupted",
}

# Failures of the network itself (nothing was answered): the ones a run counts and may stop on.
NETWORK_OUTCOMES = frozenset({Outcome.TIMEOUT, Outcome.CONNECTION_ERROR, Outcome.TLS_ERROR})
