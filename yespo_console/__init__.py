"""Yespo Console: a test and debug console for the Yespo Generate event v2 API."""

__version__ = "0.1.0"
APP_ID = "io.yespo.console"
APP_NAME = "Yespo Console"
