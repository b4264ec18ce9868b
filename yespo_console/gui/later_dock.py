"""A dock that starts as a hidden tab (the inbox, the Verification dock): its contents are made by
`build_contents`, a turn after the window's first paint or when first needed, not with the window."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QWidget


class LaterDock(QDockWidget):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.contents_built = False
        self.setWidget(QWidget(self))  # its tab and title from the start, its contents later

    def build_contents(self) -> None:
        if self.contents_built:
            return
        self.contents_built = True
        self._make_contents()

    def _make_contents(self) -> None:
        raise NotImplementedError
