"""The address strip at the top of the window, as in an API client: the environment, the exact URL a send
goes to (the embedded sandbox's real port included), the primary Send button and Cancel, then how the
body is written (nested values, pretty)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QSizePolicy, QToolBar, QToolButton, QWidget

ENV_MAX_WIDTH = 240


class AddressBar(QToolBar):
    def __init__(self, send: QAction, cancel: QAction, environments: QAction, parent: QWidget | None = None) -> None:
        super().__init__("Address", parent)
        self.setObjectName("addressBar")
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.env_combo = QComboBox(self)
        self.env_combo.setAccessibleName("Environment")
        self.env_combo.setToolTip("Where the event goes (Ctrl+, edits environments and their API keys)")
        self.env_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.env_combo.setMinimumWidth(150)
        # A label of any length is elided here (whole in the list and the tooltip): at its full width it took
        # the URL's room, or pushed Send into the toolbar's overflow menu.
        self.env_combo.setMaximumWidth(ENV_MAX_WIDTH)
        self.env_combo.view().setTextElideMode(Qt.TextElideMode.ElideNone)
        self.env_combo.view().setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.addWidget(self.env_combo)
        self.addAction(environments)
        self.method = QLabel("POST", self)
        self.method.setObjectName("addressMethod")
        self.addWidget(self.method)
        self.url = QLineEdit(self)
        self.url.setObjectName("addressUrl")
        self.url.setReadOnly(True)
        self.url.setAccessibleName("The URL a send goes to")
        self.url.setMinimumWidth(160)
        self.url.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.addWidget(self.url)
        self.send_button = QPushButton(send.icon(), "Send", self)
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolTip(send.toolTip())
        self.send_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.send_button.clicked.connect(send.trigger)
        # The action is the truth (menu, shortcut, busy state): the button mirrors it.
        send.changed.connect(lambda: self._mirror(send))
        self.addWidget(self.send_button)
        self.addAction(cancel)
        cancel_button = self.widgetForAction(cancel)
        if isinstance(cancel_button, QToolButton):
            cancel_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

    def _mirror(self, send: QAction) -> None:
        self.send_button.setEnabled(send.isEnabled())
        self.send_button.setToolTip(send.toolTip())
        self.send_button.setIcon(send.icon())

    def show_url(self, url: str, note: str = "") -> None:
        # Masking's patterns compile on import: the environments, hence their URLs, come after the first paint.
        from yespo_console.core.http.masking import mask_url

        self.url.setText(mask_url(url))
        self.url.setCursorPosition(0)
        self.url.setToolTip(f"{mask_url(url)}\n{note}".strip())

    def add_body_options(self, nested: QComboBox, pretty: QAction) -> None:
        self.addSeparator()
        self.addWidget(QLabel(" Nested values as ", self))
        self.addWidget(nested)
        self.addAction(pretty)
        pretty_button = self.widgetForAction(pretty)
        if isinstance(pretty_button, QToolButton):
            pretty_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
