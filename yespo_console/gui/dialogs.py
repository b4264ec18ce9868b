"""The one question asked before real events go to production: a send from the window, re-sends from the
history, a scenario run and the recording proxy relaying to a production upstream all ask it, each in its own
words, with No as the default."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from yespo_console.core.http.environments import Environment
    from yespo_console.relay import Upstream


def confirm_production(parent: QWidget | None, env: Environment, events: int, *, title: str, question: str) -> bool:
    """Ask before EVENTS real events go to ENV."""
    what = "a real event" if events == 1 else f"{events} real events"
    return _yes_or_no(parent, title, f"This sends {what} to {env.url} ({env.label or env.name}). Triggers may "
                                     f"fire for real contacts.\n\n{question}")


def confirm_relay(parent: QWidget | None, upstream: Upstream) -> bool:
    """Ask before the recording proxy relays to a production upstream."""
    return _yes_or_no(parent, "Relay to production?", f"The proxy relays to {upstream.shown}: events sent through "
                                                       "it reach real contacts and may fire triggers.\n\nStart it?")


def _yes_or_no(parent: QWidget | None, title: str, text: str) -> bool:
    """A warning with Yes and No; No is the default, so Enter does not send."""
    from PySide6.QtWidgets import QMessageBox  # with the question: its enums are slow to make, at start-up too

    no, yes = QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes
    return QMessageBox.warning(parent, title, text, yes | no, no) == yes
