"""The Qt-free domain of Yespo Console: catalog, payloads, locators, diagnostics, client, history.

Nothing under this package may import Qt; an import-linter contract in pyproject.toml enforces it.
"""
