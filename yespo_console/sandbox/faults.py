"""Fault injection: how the sandbox misbehaves on purpose, so an integration can be tested against it.

Applied to every request to an API endpoint, in this order: the added latency; then a dropped
connection (closed without an answer) with probability `drop_rate`; then an answer that is not HTTP
with probability `garbage_rate`; then authentication (401); then the forced `status` (if set); then
a failure (`fail_status`) with probability `fail_rate`; then the normal judgement (400 or 200).
429 and 503 answers carry `Retry-After: retry_after` seconds.

`rate_limits` (off by default) makes the account endpoints keep Yespo's documented per-second limits
(`ratelimits.DOCUMENTED`): a request over the limit is answered 429 with Retry-After, so a client's 429
handling can be tested.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from yespo_console.core.errors import validation_message


class Faults(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    latency_ms: int = Field(default=0, ge=0, le=600_000, description="added before every answer")
    status: int | None = Field(default=None, description="answer every request with this status")
    retry_after: int | None = Field(default=1, ge=0, le=86_400, description="Retry-After for 429 and 503")
    fail_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share of requests answered fail_status")
    fail_status: int = Field(default=500, description="the status of random failures")
    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share of connections closed unanswered")
    garbage_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share answered with non-HTTP bytes")
    rate_limits: bool = Field(default=False, description="429 past Yespo's documented per-second limits")

    @field_validator("status", "fail_status")
    @classmethod
    def _check_status(cls, value: int | None) -> int | None:
        if value is not None and not (200 <= value <= 599):
            raise ValueError("a status must be between 200 and 599")
        return value

    def describe(self) -> str:
        parts = []
        if self.latency_ms:
            parts.append(f"latency {self.latency_ms} ms")
        if self.status is not None:
            parts.append(f"every answer {self.status}")
        if self.fail_rate:
            parts.append(f"{self.fail_rate:.0%} answered {self.fail_status}")
        if self.drop_rate:
            parts.append(f"{self.drop_rate:.0%} dropped")
        if self.garbage_rate:
            parts.append(f"{self.garbage_rate:.0%} garbage")
        if self.rate_limits:
            parts.append("documented rate limits")
        return ", ".join(parts) if parts else "none"

    def changed(self, **changes: Any) -> Faults:
        """A validated copy with some settings changed. ValueError with a plain message when invalid."""
        try:
            return Faults.model_validate({**self.model_dump(), **changes})
        except ValidationError as exc:
            raise ValueError(validation_message(exc)) from exc
