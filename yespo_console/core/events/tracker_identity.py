"""How a tracker body identifies the visitor: the tracker format has no keyValue and no locator order.

The `sc` cookie (set by Yespo's script, one per browser) ties the event to the visitor's browsing; the contact
identifiers (`user_es_contact_id`, `externalCustomerId`, `user_email`, `user_phone`) tie the visitor to a
contact. Which of them the tracker prefers is documented nowhere, so `VisitorIdentity` lists each with its state
(the `locators.Candidate` states: empty, blank and "null" values count as absent, as for locators) rather than
naming a winner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yespo_console.core.events.locators import Candidate, CandidateState, _classify
from yespo_console.core.events.tracker_catalog import COOKIES, GENERAL_INFO, IDENTITY_FIELDS, SC_COOKIE

_ABSENT = {
    CandidateState.ABSENT: "not sent",
    CandidateState.EMPTY: "empty: ignored",
    CandidateState.BLANK: "only spaces: ignored",
    CandidateState.NULL: "null: ignored",
    CandidateState.NOT_TEXT: "not a text value: ignored",
}


@dataclass(frozen=True, slots=True)
class VisitorIdentity:
    candidates: tuple[Candidate, ...]  # the sc cookie first, then the contact identifiers

    @property
    def cookie(self) -> str | None:
        first = self.candidates[0]
        return first.value if first.usable else None

    @property
    def contact(self) -> Candidate | None:
        """The first usable contact identifier, in the console's listing order (no source gives one)."""
        return next((c for c in self.candidates[1:] if c.usable), None)

    @property
    def known(self) -> bool:
        return any(candidate.usable for candidate in self.candidates)

    def summary(self) -> str:
        usable = [f"{c.name} {c.value!r}" for c in self.candidates[1:] if c.usable]
        visitor = f"visitor: sc cookie {self.cookie!r}" if self.cookie else "visitor: no sc cookie"
        contact = ("contact: " + ", ".join(usable)) if usable else "contact: no identifier (not tied to a contact)"
        return f"{visitor}; {contact}"


def _candidate(name: str, present: bool, value: Any) -> Candidate:
    if not present:
        return Candidate(name, None, CandidateState.ABSENT, _ABSENT[CandidateState.ABSENT])
    state, text = _classify(value)
    if state is CandidateState.WINNER:
        return Candidate(name, text, CandidateState.LOWER_PRIORITY, "usable")
    return Candidate(name, text, state, _ABSENT[state])


def resolve_visitor(body: dict[str, Any]) -> VisitorIdentity:
    """The identifiers of a parsed tracker body; tolerant of any shape (the inspector reports the shape).
    `cookies` may be an object holding `sc` or, as the page allows, the cookie string itself."""
    info = body.get(GENERAL_INFO)
    info = info if isinstance(info, dict) else {}
    cookies = info.get(COOKIES)
    if isinstance(cookies, dict):
        sc = _candidate(SC_COOKIE, SC_COOKIE in cookies, cookies.get(SC_COOKIE))
    else:
        sc = _candidate(SC_COOKIE, COOKIES in info, cookies)
    rest = [_candidate(name, name in info, info.get(name)) for name in IDENTITY_FIELDS[1:]]
    return VisitorIdentity((sc, *rest))
