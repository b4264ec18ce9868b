"""The two choices that shape the body the form builds, kept across restarts in the window's settings:
indented or compact ("Pretty"), and how nested objects travel, chosen per environment (an environment's
own setting is the default until the user picks otherwise for it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings

from yespo_console.core.events.payload import NESTED_ENCODINGS
from yespo_console.gui.raw_binding import RawBinding

if TYPE_CHECKING:
    from yespo_console.core.http.environments import Environment

PRETTY_KEY = "body/pretty"
NESTED_KEY = "body/nested"  # a group: one value per environment name


def _as_bool(value: object, default: bool) -> bool:
    # An INI file gives back the strings "true" and "false"; anything else found there is not a choice.
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False}.get(str(value).lower(), default)


class BodyPreferences:
    """Restores and remembers BINDING's pretty toggle and nested choice in SETTINGS; ENVIRONMENT_NAME
    says whose nested choice a user pick is."""

    def __init__(self, settings: QSettings, binding: RawBinding, environment_name: Callable[[], str]) -> None:
        self.settings = settings
        self.binding = binding
        self.environment_name = environment_name
        binding.pretty_action.setChecked(_as_bool(settings.value(PRETTY_KEY), True))
        binding.pretty_action.toggled.connect(lambda on: settings.setValue(PRETTY_KEY, on))
        # `activated`: the user's pick only, not the changes made by loading a body or an environment.
        binding.nested_combo.activated.connect(self._nested_chosen)

    def _key(self, name: str) -> str:
        return f"{NESTED_KEY}/{name.replace('/', '_')}"

    def nested_for(self, env: Environment) -> str:
        chosen = self.settings.value(self._key(env.name))
        return chosen if chosen in NESTED_ENCODINGS else env.nested

    def _nested_chosen(self) -> None:
        self.settings.setValue(self._key(self.environment_name()), self.binding.nested)
