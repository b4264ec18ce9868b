"""What the inspector says about a body. A `Finding` has a severity, a stable code, a JSON path into
the body (`params[2].value.price`, `$` for the whole body), a plain message and a fix hint. Error:
Yespo would reject it, a field the documentation marks required is missing, or a value has the
wrong type or is out of range. Warning: accepted, but probably not what was meant. A `Report` holds
the findings of one body with what was learnt on the way: the parsed body, how its keyValue
resolves, and its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from yespo_console.core.events.locators import Resolution

ApiVersion = Literal["v1", "v2"]
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

    def as_dict(self) -> dict[str, str]:
        return {"severity": str(self.severity), "code": self.code, "path": self.path,
                "message": self.message, "hint": self.hint}

    def line(self) -> str:
        text = f"{self.severity}: {self.path}: {self.message} [{self.code}]"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


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
            "diagnostics": [f.as_dict() for f in self.findings],
        }
