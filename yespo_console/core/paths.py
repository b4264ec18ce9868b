"""Where Yespo Console keeps its state (history, settings, sandbox records) and where its own read-only files are."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

HOME_ENV = "YESPO_CONSOLE_HOME"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder for all state: `override` (a --data-dir flag), else $YESPO_CONSOLE_HOME, else the
    platform's user data folder. Created when missing."""
    if override is not None:
        path = Path(override)
    elif os.environ.get(HOME_ENV):
        path = Path(os.environ[HOME_ENV])
    else:
        path = user_data_path("yespo-console", appauthor=False)
    path.mkdir(parents=True, exist_ok=True)
    return path


def history_path(override: str | os.PathLike[str] | None = None) -> Path:
    return data_dir(override) / "history.sqlite3"


def resources_dir() -> Path:
    """The files shipped inside the package: yespo_console/resources (icons/, io.yespo.console.desktop,
    scenarios/). pyproject declares them package data, so a checkout, an editable or wheel install and a
    PyInstaller bundle (its spec collects the folder as yespo_console/resources, beside the frozen modules'
    __file__) all keep them next to this module's package; no importlib.resources lookup is needed, and none
    is paid for before the start-up window."""
    return Path(__file__).resolve().parents[1] / "resources"
