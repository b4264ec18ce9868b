"""The desktop console: Qt widgets over the core (cli above gui above sandbox above core)."""

from yespo_console.gui import pyside_scan

pyside_scan.install()
