"""Before a send: does the body's wire format suit the environment? A web tracking body posted to
/api/v2/event (or a Generate event body to the tracker) is refused there for reasons that say nothing about
the body, so the window says so first and offers the environment of the other format."""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtWidgets import QMessageBox, QWidget

from yespo_console.core.events.tracker_rules import WireFormat, detect_format
from yespo_console.core.http.environments import Environment

_WHAT = {"tracker": "a web tracking body (GeneralInfo; POST https://tracker.yespo.io/api/v2)",
         "event": "a Generate event body (eventTypeKey; POST /api/v2/event)"}
_TAKES = {"tracker": "web tracking bodies", "event": "Generate event bodies"}


def environment_format(env: Environment) -> WireFormat | None:
    """Which bodies ENV takes, read from its URL's path; None when the path says neither."""
    path = urlsplit(env.url).path.rstrip("/")
    if path.endswith(("/api/v2/event", "/api/v1/event")):
        return "event"
    if path.endswith("/api/v2"):  # tracker.yespo.io/api/v2, the sandbox's /tracker/api/v2 and bare /api/v2
        return "tracker"
    return None


def counterpart(env: Environment, wire_format: WireFormat, envs: list[Environment]) -> Environment | None:
    """The environment for WIRE_FORMAT bodies nearest to ENV: a sandbox for a sandbox, else any."""
    suited = [other for other in envs if environment_format(other) == wire_format]
    return next((other for other in suited if other.is_sandbox == env.is_sandbox), suited[0] if suited else None)


def ask(parent: QWidget | None, body_format: WireFormat, env: Environment, other: Environment | None) -> str:
    """"switch", "send" or "cancel"."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Wrong environment for this body?",
                      f"This is {_WHAT[body_format]}, and {env.label or env.name} ({env.url}) takes "
                      f"{_TAKES['event' if body_format == 'tracker' else 'tracker']}: it would refuse it. "
                      f"{'A tracker body needs a tracker environment.' if body_format == 'tracker' else ''}",
                      QMessageBox.StandardButton.Cancel, parent)
    switch = box.addButton(f"Switch to {other.label or other.name} and send", QMessageBox.ButtonRole.AcceptRole) \
        if other is not None else None
    anyway = box.addButton("Send anyway", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(switch or QMessageBox.StandardButton.Cancel)
    box.exec()
    clicked = box.clickedButton()
    if switch is not None and clicked is switch:
        return "switch"
    return "send" if clicked is anyway else "cancel"


def check(parent: QWidget | None, body: bytes, env: Environment, envs: list[Environment]) -> str | Environment:
    """ENV when the body suits it (or the URL says nothing), the chosen other environment, or "cancel"."""
    expected = environment_format(env)
    body_format = detect_format(body)
    if expected is None or expected == body_format:
        return env
    other = counterpart(env, body_format, envs)
    answer = ask(parent, body_format, env, other)
    if answer == "switch" and other is not None:
        return other
    return env if answer == "send" else "cancel"
