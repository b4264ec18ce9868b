"""Yespo Console: a test and debug console for the Yespo Generate event v2 API."""

from typing import Any

APP_ID = "io.yespo.console"
APP_NAME = "Yespo Console"


def __getattr__(name: str) -> Any:
    # importlib.metadata costs ~25 ms: read the version (pyproject's, via the install) only when asked.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("yespo-console")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
