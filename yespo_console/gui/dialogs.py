"""The one question asked before real events go to a production environment: a send from the window,
re-sends from the history, and a scenario run all ask it, each in its own words."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from yespo_console.core.http.environments import Environment


def confirm_production(parent: QWidget | None, env: Environment, events: int, *, title: str, question: str) -> bool:
    """Ask before EVENTS real events go to ENV; No is the default, so Enter does not send."""
    from PySide6.QtWidgets import QMessageBox  # with the question: its enums are slow to make, at start-up too

    what = "a real event" if events == 1 else f"{events} real events"
    answer = QMessageBox.warning(
        parent, title,
        f"This sends {what} to {env.url} ({env.label or env.name}). Triggers may fire for real "
        f"contacts.\n\n{question}", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
