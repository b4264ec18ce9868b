"""Saved drafts: named event drafts, and the draft being edited when the window last closed, kept as
JSON in the window's QSettings (beside the history, so YESPO_CONSOLE_HOME moves them too).

The settings file is read back as it is found on disk: a value that is not JSON, not an object, or not
a draft is treated as absent (or, for a draft asked for by name, told as an InputError), never raised.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSettings

from yespo_console.core.errors import InputError
from yespo_console.core.events.payload import Draft, DraftError, draft_from_json, draft_to_json
from yespo_console.gui.jsontext import parse_json

DRAFTS_KEY = "drafts/saved"
CURRENT_KEY = "drafts/current"
BY_TYPE_KEY = "drafts/by_type"  # the last draft of each event type, by catalog key


def _json_value(settings: QSettings, key: str) -> Any:
    """The JSON stored under KEY, or None when there is none or it does not parse."""
    return parse_json(str(settings.value(key, "")))


class DraftStore:
    """Load, save, delete and list the saved drafts in SETTINGS; the caller decides when to sync."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def _saved(self) -> dict[str, Any]:
        data = _json_value(self.settings, DRAFTS_KEY)
        return data if isinstance(data, dict) else {}

    def _write(self, drafts: dict[str, Any]) -> None:
        self.settings.setValue(DRAFTS_KEY, json.dumps(drafts, ensure_ascii=False))

    def names(self) -> list[str]:
        return sorted(self._saved())

    def load(self, name: str) -> Draft:
        drafts = self._saved()
        if name not in drafts:
            raise InputError(f"There is no saved draft named {name!r}.")
        try:
            return draft_from_json(drafts[name])
        except DraftError as exc:
            raise InputError(f"The saved draft {name!r} cannot be read: {exc}") from None

    def save(self, name: str, draft: Draft) -> None:
        drafts = self._saved()
        drafts[name] = draft_to_json(draft)
        self._write(drafts)

    def delete(self, name: str) -> None:
        drafts = self._saved()
        if name in drafts:
            del drafts[name]
            self._write(drafts)

    def load_current(self) -> Draft | None:
        """The draft that was in the form when the window closed (None: none, or unreadable)."""
        data = _json_value(self.settings, CURRENT_KEY)
        try:
            return draft_from_json(data) if data is not None else None
        except DraftError:
            return None

    def save_current(self, draft: Draft) -> None:
        self.settings.setValue(CURRENT_KEY, json.dumps(draft_to_json(draft), ensure_ascii=False))

    def load_by_type(self) -> dict[str, Draft]:
        """The last draft of each event type; entries that do not read as drafts are left out."""
        data = _json_value(self.settings, BY_TYPE_KEY)
        drafts: dict[str, Draft] = {}
        for key, value in (data.items() if isinstance(data, dict) else ()):
            try:
                drafts[str(key)] = draft_from_json(value)
            except DraftError:
                continue
        return drafts

    def save_by_type(self, drafts: dict[str, Draft]) -> None:
        self.settings.setValue(BY_TYPE_KEY, json.dumps({key: draft_to_json(draft)
                                                        for key, draft in drafts.items()}, ensure_ascii=False))
