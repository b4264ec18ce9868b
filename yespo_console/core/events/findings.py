"""What the inspector says about a body. A `Finding` has a severity, a stable code, a JSON path into
the body (`params[2].value.price`, `$` for the whole body), a plain message and a fix hint. Error:
Yespo would reject it, a field the documentation marks required is missing, or a value has the
wrong type or is out of range. Warning: accepted, but probably not what was meant. Apart from the
severity, a finding has a tier (what Yespo answers, core.events.tiers) and the source of its rule.
A `Report` holds the findings of one body with what was learnt on the way: the parsed body, how its
keyValue resolves, and its size. `verdict` says what Yespo answers with Validate parameters off and on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from yespo_console.core.events.locators import Resolution
from yespo_console.core.events.tiers import RULES, TIER_LABELS, Rule, Tier

ApiVersion = Literal["v1", "v2"]
Verdict = Literal["accepted", "rejected"]
ROOT = "$"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Severity
    code: str
    path: str
    message: str
    hint: str = ""
    tier: Tier = field(kw_only=True)
    source: str = field(kw_only=True)

    @classmethod
    def of(cls, severity: Severity, code: str, path: str, message: str, hint: str = "",
           rule: Rule | None = None) -> Finding:
        """A finding with the tier and source `RULES` gives its code (or `rule`, where the context decides)."""
        rule = rule or RULES[code]
        return cls(severity, code, path, message, hint, tier=rule.tier, source=rule.source)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """A finding read back from `as_dict` output that crossed a process boundary: any field may be off."""
        code = str(data.get("code", ""))
        known = RULES.get(code, Rule(Tier.NOTE, ""))
        severity, tier = str(data.get("severity")), str(data.get("tier"))
        return cls(Severity(severity) if severity in set(Severity) else Severity.ERROR, code,
                   str(data.get("path", "")), str(data.get("message", "")), str(data.get("hint", "")),
                   tier=Tier(tier) if tier in set(Tier) else known.tier,
                   source=str(data.get("source") or known.source))

    def as_dict(self) -> dict[str, str]:
        return {"severity": str(self.severity), "code": self.code, "path": self.path,
                "message": self.message, "hint": self.hint, "tier": str(self.tier), "source": self.source}

    def line(self) -> str:
        text = f"{self.severity}: {self.path}: {self.message} [{self.code}; {TIER_LABELS[self.tier]}]"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return f"{text}\n  source: {self.source}"


def verdict(findings: tuple[Finding, ...], *, validated: bool) -> Verdict:
    """What Yespo answers with Validate parameters on the event type switched on or off."""
    refusing = {Tier.REJECTED, Tier.REJECTED_IF_VALIDATED} if validated else {Tier.REJECTED}
    return "rejected" if any(f.tier in refusing for f in findings) else "accepted"


def downstream_problems(findings: tuple[Finding, ...], *, validated: bool) -> int:
    """How many findings of an accepted event break something downstream (a trigger's condition, segmentation,
    a recommendation block): the `accepted_but` ones, and, with Validate parameters off, a required param
    missing too (what reads it gets nothing)."""
    counted = {Tier.ACCEPTED_BUT} if validated else {Tier.ACCEPTED_BUT, Tier.REJECTED_IF_VALIDATED}
    return sum(f.tier in counted for f in findings)


def verdict_line(findings: tuple[Finding, ...]) -> str:
    """Both verdicts in a few words, and how many findings break something downstream, for the window and
    the CLI."""
    if verdict(findings, validated=False) == "rejected":
        return "Yespo rejects this event"
    parts = ["Yespo accepts"]
    if verdict(findings, validated=True) == "rejected":
        parts.append("rejects if Validate parameters is on")
    downstream = downstream_problems(findings, validated=True)  # a missing param is named on its own above
    if downstream:
        parts.append(f"{downstream} problem{'s' if downstream != 1 else ''} downstream")
    return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class Report:
    findings: tuple[Finding, ...]
    body: dict[str, Any] | None = None
    resolution: Resolution | None = None
    size: int = 0  # bytes of the text inspected

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def event_type(self) -> str | None:
        value = self.body.get("eventTypeKey") if self.body is not None else None
        return value if isinstance(value, str) else None

    @property
    def key_value(self) -> str | None:
        return self.resolution.key_value if self.resolution else None

    @property
    def key_value_source(self) -> str | None:
        return self.resolution.source if self.resolution else None

    def as_dict(self) -> dict[str, Any]:
        """The `inspect --json` object."""
        return {
            "valid": self.valid,
            "eventTypeKey": self.event_type,
            "keyValue": self.key_value,
            "keyValueSource": self.key_value_source,
            "verdict": {"validationOff": verdict(self.findings, validated=False),
                        "validationOn": verdict(self.findings, validated=True)},
            "diagnostics": [f.as_dict() for f in self.findings],
        }
