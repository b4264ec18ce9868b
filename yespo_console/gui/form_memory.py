"""Nothing typed is lost silently: each event type keeps what was typed for it while the user looks at
other types (for the session, and its last draft across restarts), and whatever replaces the form's
content (a history exchange, a saved draft, the example, raw edits) can be taken back with Undo.

A form state is its draft plus, in raw mode, the raw text exactly as typed: raw text that does not parse
has no draft of its own and must come back as it was. A web tracking form's state is its body instead
(`tracker`), kept per tracker event name like the drafts per event type."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from yespo_console.core.events.payload import Draft
from yespo_console.gui.drafts import DraftStore
from yespo_console.gui.jsontext import parse_json
from yespo_console.gui.raw_binding import RawBinding

UNDO_DEPTH = 20
TRACKER_BY_TYPE_KEY = "drafts/tracker_by_type"  # the last body of each web tracking event, by its name


@dataclass(frozen=True, slots=True)
class FormState:
    draft: Draft
    raw: str | None  # the raw editor's text when in raw mode, else None
    nested: str | None  # None: as the environment says
    tracker: dict[str, Any] | None = None  # the web tracking form's body when that form was shown
    tracker_name: str | None = None  # and its event


def capture(binding: RawBinding) -> FormState:
    raw = binding.payload.raw.exact_text() if binding.payload.raw_mode else None
    tracker = binding.tracker_form if binding.wire_format == "tracker" else None
    if tracker is not None and tracker.spec is not None:
        return FormState(binding.form.draft(), raw, binding.nested, tracker.body(), tracker.spec.name)
    return FormState(binding.form.draft(), raw, binding.nested)


def restore(binding: RawBinding, state: FormState) -> None:
    if state.nested is not None:
        binding.set_nested(state.nested)
    if state.tracker is not None:
        binding.show_tracker(state.tracker, state.tracker_name)
    elif state.raw is None or binding.wire_format == "tracker":
        binding.show_draft(state.draft)  # raw text of an event body comes back in the event form's raw mode
    if state.raw is not None:
        binding.show_raw(state.raw)


class TypeMemory:
    """The form state last seen for each event type (by catalog key), kept in STORE between sessions."""

    def __init__(self, store: DraftStore) -> None:
        self.store = store
        self._states: dict[str, FormState] = {}
        self._saved = store.load_by_type()
        kept = parse_json(str(store.settings.value(TRACKER_BY_TYPE_KEY, "")))
        self._tracker_saved: dict[str, dict[str, Any]] = {
            str(name): body for name, body in (kept.items() if isinstance(kept, dict) else ())
            if isinstance(body, dict)}

    def keep(self, key: str, state: FormState) -> None:
        self._states[key] = state
        if state.tracker is not None:
            self._tracker_saved[key] = state.tracker
            self.store.settings.setValue(TRACKER_BY_TYPE_KEY, json.dumps(self._tracker_saved, ensure_ascii=False))
            return
        self._saved[key] = state.draft
        self.store.save_by_type(self._saved)

    def recall(self, key: str) -> FormState | None:
        if key in self._states:
            return self._states[key]
        body = self._tracker_saved.get(key)
        if body is not None:
            return FormState(Draft(event_type="pageViewed"), None, None, body, key)
        draft = self._saved.get(key)
        return None if draft is None else FormState(draft, None, None)


class FormUndo(QObject):
    """Undo for what replaced the form: `action` (Ctrl+Z; a focused text field keeps Ctrl+Z for its own
    typing) puts back the state before the last replacement."""

    undone = Signal(str)  # what was undone, in words

    def __init__(self, binding: RawBinding, parent: QObject) -> None:
        super().__init__(parent)
        self.binding = binding
        self._stack: list[tuple[str, FormState]] = []
        self._paused = False
        self.action = QAction("Undo form change", parent)
        self.action.setShortcut(QKeySequence.StandardKey.Undo)
        self.action.triggered.connect(self.undo)
        self._update()

    def remember(self, what: str, *, form_only: bool = False) -> None:
        """Call before WHAT replaces the form's content. FORM_ONLY: keep the form's draft and not the raw
        text (raw mode was entered just now, from what the form built)."""
        if self._paused:
            return
        state = capture(self.binding)
        if form_only:
            state = replace(state, raw=None)
        if self._stack and self._stack[-1][1] == state:
            return
        self._stack.append((what, state))
        del self._stack[:-UNDO_DEPTH]
        self._update()

    def undo(self) -> bool:
        if not self._stack:
            return False
        what, state = self._stack.pop()
        self.restore_quietly(state)
        self._update()
        self.undone.emit(what)
        return True

    def restore_quietly(self, state: FormState) -> None:
        """Restore STATE without taking it for a replacement to undo (entering raw mode, say)."""
        self._paused = True
        try:
            restore(self.binding, state)
        finally:
            self._paused = False

    def _update(self) -> None:
        self.action.setEnabled(bool(self._stack))
        self.action.setText(f"Undo {self._stack[-1][0]}" if self._stack else "Undo form change")
