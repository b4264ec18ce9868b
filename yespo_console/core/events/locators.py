"""Which value becomes the event's keyValue, and why every other candidate lost.

Without `keyValue`, Yespo takes it from the params in the order contactId, externalCustomerId,
email, phone, pushToken, and rejects an event with none. Yespo compares these standard names
case-insensitively (`Email` is the email locator). An empty keyValue counts as absent; a locator
whose value is empty, blank, "null" or JSON null is ignored (docs/api-facts.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from yespo_console.core.events.catalog import LOCATOR_NAMES_LOWER, LOCATOR_PRIORITY

KEY_VALUE = "keyValue"


class CandidateState(StrEnum):
    WINNER = "winner"
    ABSENT = "absent"
    EMPTY = "empty"
    BLANK = "blank"
    NULL = "null"
    NOT_TEXT = "not_text"  # an object, a list or a boolean cannot be a key
    LOWER_PRIORITY = "lower_priority"  # usable, but a candidate above it won


@dataclass(frozen=True, slots=True)
class Candidate:
    name: str  # "keyValue" or a locator param name
    value: str | None  # the value as Yespo would use it (numbers as text), None when absent
    state: CandidateState
    reason: str
    param_index: int | None = None  # index in `params`; None for keyValue and absent locators

    @property
    def usable(self) -> bool:
        return self.state in (CandidateState.WINNER, CandidateState.LOWER_PRIORITY)


@dataclass(frozen=True, slots=True)
class Resolution:
    candidates: tuple[Candidate, ...]  # keyValue first, then the locators in priority order

    @property
    def winner(self) -> Candidate | None:
        for candidate in self.candidates:
            if candidate.state is CandidateState.WINNER:
                return candidate
        return None

    @property
    def key_value(self) -> str | None:
        winner = self.winner
        return winner.value if winner else None

    @property
    def source(self) -> str | None:
        winner = self.winner
        return winner.name if winner else None

    @property
    def accepted(self) -> bool:
        return self.winner is not None

    @property
    def runner_up(self) -> Candidate | None:
        """Who would win if the winner were removed."""
        for candidate in self.candidates:
            if candidate.state is CandidateState.LOWER_PRIORITY:
                return candidate
        return None

    @property
    def best_locator(self) -> Candidate | None:
        """The locator Yespo would pick if keyValue were left out."""
        for candidate in self.candidates[1:]:
            if candidate.usable:
                return candidate
        return None

    def summary(self) -> str:
        winner = self.winner
        if winner is None:
            return "No keyValue and no usable locator: Yespo will reject this event."
        if winner.name == KEY_VALUE:
            return f"keyValue {winner.value!r} is sent explicitly."
        return f"keyValue will be {winner.value!r}, taken from {winner.name}."


def _classify(value: Any) -> tuple[CandidateState, str | None]:
    if value is None:
        return CandidateState.NULL, None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return CandidateState.NOT_TEXT, None
    text = value if isinstance(value, str) else str(value)
    if text == "":
        return CandidateState.EMPTY, text
    if not text.strip():
        return CandidateState.BLANK, text
    if text.strip().lower() == "null":
        return CandidateState.NULL, text
    return CandidateState.WINNER, text


_LOST_BECAUSE = {
    CandidateState.ABSENT: "not in the params",
    CandidateState.EMPTY: "empty: ignored",
    CandidateState.BLANK: "only spaces: ignored",
    CandidateState.NULL: "null: ignored",
    CandidateState.NOT_TEXT: "not a text value: ignored",
}


def resolve(key_value: Any, params: Iterable[tuple[int, str, Any]], *, key_value_present: bool = True,
            mapped: Mapping[str, str] | None = None) -> Resolution:
    """Rank keyValue and the locators. `params` holds (index, name, value) of every param item;
    the first occurrence of a locator name in any case counts, as a duplicate name is an error of its own.
    `mapped` (lower-cased param name → locator) holds the custom params an account maps to a locator; a
    standard name sent as well wins over a mapped one."""
    first: dict[str, tuple[int, Any]] = {}
    stand_ins: dict[str, tuple[int, Any]] = {}
    for index, name, value in params:
        locator = LOCATOR_NAMES_LOWER.get(name.lower())
        if locator is not None and locator not in first:
            first[locator] = (index, value)
        elif mapped and (target := mapped.get(name.lower())) is not None and target not in stand_ins:
            stand_ins[target] = (index, value)
    for locator, found in stand_ins.items():
        first.setdefault(locator, found)

    candidates: list[Candidate] = []
    winner: str | None = None
    if not key_value_present:
        candidates.append(Candidate(KEY_VALUE, None, CandidateState.ABSENT, "not sent"))
    else:
        state, text = _classify(key_value)
        if state is CandidateState.WINNER:
            winner = KEY_VALUE
            candidates.append(Candidate(KEY_VALUE, text, state, "sent explicitly: it wins over every locator"))
        else:
            reason = "empty: counts as not sent" if state is CandidateState.EMPTY else _LOST_BECAUSE[state]
            candidates.append(Candidate(KEY_VALUE, text, state, reason))

    for name in LOCATOR_PRIORITY:
        if name not in first:
            candidates.append(Candidate(name, None, CandidateState.ABSENT, _LOST_BECAUSE[CandidateState.ABSENT]))
            continue
        index, value = first[name]
        state, text = _classify(value)
        if state is not CandidateState.WINNER:
            candidates.append(Candidate(name, text, state, _LOST_BECAUSE[state], index))
        elif winner is None:
            winner = name
            candidates.append(Candidate(name, text, state, "first usable locator in priority order", index))
        else:
            because = "keyValue is sent explicitly" if winner == KEY_VALUE else f"{winner} ranks higher"
            candidates.append(Candidate(name, text, CandidateState.LOWER_PRIORITY, because, index))
    return Resolution(tuple(candidates))


def resolve_body(body: dict[str, Any], mapped: Mapping[str, str] | None = None) -> Resolution:
    """Resolution over a parsed body; tolerant of any shape (the diagnostics report the shape)."""
    raw = body.get("params")
    items: list[tuple[int, str, Any]] = []
    for index, item in enumerate(raw if isinstance(raw, list) else ()):
        if isinstance(item, dict) and isinstance(item.get("name"), str) and "value" in item:
            items.append((index, item["name"], item["value"]))
    return resolve(body.get("keyValue"), items, key_value_present="keyValue" in body, mapped=mapped)
