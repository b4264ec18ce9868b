"""Where Yespo Console keeps its state: history, settings, sandbox records."""

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
