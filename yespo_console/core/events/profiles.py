"""An account's event types: the catalog's vocabulary applied to one Yespo account.

Every Yespo account configures its own event types (`AbandonedCart`, `orderPaid`, …) with their params,
switches **Validate parameters** on per type, may map a custom param to the contact's External ID
(Settings → Events) and supports some currencies. A `Profile` holds those facts; forms, examples, the
inspector, the ladder and the sandbox read the active one. `BUILTIN` holds the seven documented site
events and the documented order events; a profile file (core.profiles) adds or replaces types on top of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from yespo_console.core.events.catalog import (
    CUSTOM,
    EVENTS,
    LOCATOR_PRIORITY,
    ORDER_EVENTS,
    SUPPORTED_CURRENCIES,
    EventSpec,
)


@dataclass(frozen=True)
class Profile:
    name: str
    events: tuple[EventSpec, ...]
    validated: frozenset[str] = frozenset()  # event types with Validate parameters switched on
    currencies: tuple[str, ...] = SUPPORTED_CURRENCIES
    # A custom param the account maps to a standard locator, lower-cased name → locator (Settings → Events).
    locator_params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    source: str = "built-in"  # the file it was read from, for messages
    by_key: Mapping[str, EventSpec] = field(init=False, repr=False, compare=False)
    keys_lower: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_key", MappingProxyType({spec.key: spec for spec in self.events}))
        object.__setattr__(self, "keys_lower", MappingProxyType({spec.key.lower(): spec.key for spec in self.events}))
        unknown = set(self.locator_params.values()) - set(LOCATOR_PRIORITY)
        if unknown:
            raise ValueError(f"not standard locators: {', '.join(sorted(unknown))}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.by_key)

    def spec(self, event_type: str | None) -> EventSpec:
        """The spec of one of the profile's event types; the custom spec for anything else."""
        return self.by_key.get(event_type or "", CUSTOM)

    def validates(self, event_type: str | None) -> bool:
        """Whether Validate parameters is on for this event type (an unknown type has no structure to check)."""
        return event_type in self.validated and event_type in self.by_key

    def with_validation(self, validated: Iterable[str]) -> Profile:
        """The same account with Validate parameters on for exactly these types."""
        return replace(self, validated=frozenset(validated))

    def with_events(self, events: Iterable[EventSpec]) -> tuple[EventSpec, ...]:
        """This profile's types with `events` added, a type of the same key replaced in place."""
        added = {spec.key: spec for spec in events}
        merged = [added.pop(spec.key, spec) for spec in self.events]
        return (*merged, *added.values())


BUILTIN = Profile("Built-in", (*EVENTS, *ORDER_EVENTS))
BUILTIN_NAME = "built-in"  # how a profile choice (an environment, --profile) names it
