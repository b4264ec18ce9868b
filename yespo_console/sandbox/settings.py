"""The account the sandbox stands in for: its event types (a profile) and which of them have Validate
parameters switched on. Off by default, as in a new Yespo account; `sandbox --validate none|all|TYPE,…`,
`PUT /_sandbox/settings` and the inbox's switch change it while the sandbox runs.

Also how its workflows run: `time_scale` multiplies every workflow delay (0.01 makes 30 minutes 18 s;
`sandbox --time-scale`, `run --wait-scale`), and `auto_contacts` (off, as in Yespo) creates a contact from
an event's locators when none matches, instead of recording "Contact not found".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from yespo_console.core.events.profiles import BUILTIN, Profile

NONE, ALL = "none", "all"
DEFAULT_MAX_AGE_DAYS = 730  # how far back past events may go here; Yespo's own limit is not documented
MIN_TIME_SCALE, MAX_TIME_SCALE = 0.0001, 1000.0
_KEYS = ("validate", "pastEventsMaxAgeDays", "segmentationOff", "timeScale", "autoContacts")


def check_time_scale(value: Any) -> float:
    """A workflow time scale (a number from 0.0001 to 1000); ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            MIN_TIME_SCALE <= value <= MAX_TIME_SCALE):
        raise ValueError(f"timeScale is a number from {MIN_TIME_SCALE:g} to {MAX_TIME_SCALE:g} (0.01 makes a "
                         "30-minute delay take 18 s)")
    return float(value)


def parse_validate(value: Any) -> str | tuple[str, ...]:
    """"none", "all", or the event types named (a list, or text with commas). ValueError otherwise."""
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in (NONE, ALL):
            return text.lower()
        value = text.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError('validate is "none", "all", or a list of event types such as ["cartUpdated"]')
    types = tuple(dict.fromkeys(item.strip() for item in value if item.strip()))
    if not types:
        raise ValueError('name at least one event type, or use "none"')
    return types


@dataclass(frozen=True, slots=True)
class AccountSettings:
    profile: Profile = BUILTIN
    validate: str | tuple[str, ...] | None = None  # None: as the profile says (off in the built-in one)
    past_events_max_age_days: int = DEFAULT_MAX_AGE_DAYS
    segmentation_off: frozenset[str] = frozenset()  # event types whose past events Yespo refuses
    time_scale: float = 1.0  # workflow delays are multiplied by it
    auto_contacts: bool = False  # an event for an unknown contact creates one from its locators
    organisation_name: str = "Yespo Console sandbox"  # GET /api/v1/account/info
    user_email: str = "sandbox@example.com"

    def changed(self, changes: dict[str, Any]) -> AccountSettings:
        """These settings with a `PUT /_sandbox/settings` object applied; ValueError naming what is wrong."""
        unknown = sorted(set(changes) - set(_KEYS))
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)} ({', '.join(_KEYS)})")
        settings = self
        if "validate" in changes:
            settings = replace(settings, validate=parse_validate(changes["validate"]))
        if "pastEventsMaxAgeDays" in changes:
            days = changes["pastEventsMaxAgeDays"]
            if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 36_500:
                raise ValueError("pastEventsMaxAgeDays is a whole number of days from 1 to 36500")
            settings = replace(settings, past_events_max_age_days=days)
        if "segmentationOff" in changes:
            off = changes["segmentationOff"]
            if not isinstance(off, list) or not all(isinstance(item, str) for item in off):
                raise ValueError("segmentationOff is a list of event types")
            settings = replace(settings, segmentation_off=frozenset(off))
        if "timeScale" in changes:
            settings = replace(settings, time_scale=check_time_scale(changes["timeScale"]))
        if "autoContacts" in changes:
            if not isinstance(changes["autoContacts"], bool):
                raise ValueError("autoContacts is true or false")
            settings = replace(settings, auto_contacts=changes["autoContacts"])
        return settings

    @property
    def effective(self) -> Profile:
        """The profile with the validation switches applied."""
        if self.validate is None:
            return self.profile
        if self.validate == NONE:
            return self.profile.with_validation(())
        if self.validate == ALL:
            return self.profile.with_validation(self.profile.keys)
        return self.profile.with_validation(self.validate)

    def unknown_types(self) -> list[str]:
        """Types named for validation that the profile does not describe (they have no structure to check)."""
        if isinstance(self.validate, tuple):
            return [key for key in self.validate if key not in self.profile.by_key]
        return []

    def as_dict(self) -> dict[str, Any]:
        effective = self.effective
        return {
            "profile": self.profile.name,
            "profileSource": self.profile.source,
            "validate": sorted(effective.validated),
            "eventTypes": list(self.profile.keys),
            "pastEventsMaxAgeDays": self.past_events_max_age_days,
            "segmentationOff": sorted(self.segmentation_off),
            "timeScale": self.time_scale,
            "autoContacts": self.auto_contacts,
        }
