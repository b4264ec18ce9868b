"""Where Yespo Console keeps its state (history, settings, sandbox records) and where its own read-only files are."""

from __future__ import annotations

import os
from functools import cache
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


@cache  # one place per process; the icons ask for it for each file
def resources_dir() -> Path:
    """The app's own read-only files: icons/, io.yespo.console.desktop, scenarios/. The repository keeps them
    in its top-level resources/ folder, and pyproject maps that folder into the package, so a wheel install
    and the PyInstaller bundle (its spec collects it at the same place) have them as yespo_console/resources,
    beside the package's modules; a checkout (editable install) has them beside the package folder. A path
    and one stat, no importlib lookup: this runs before the first window."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "resources"
    return installed if installed.is_dir() else package.parent / "resources"
