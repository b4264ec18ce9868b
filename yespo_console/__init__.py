"""Yespo Console: a test and debug console for the Yespo Generate event v2 API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("yespo-console")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

APP_ID = "io.yespo.console"
APP_NAME = "Yespo Console"
