"""Request → Recording proxy's question: where to relay, and on which port (gui.proxy_switch asks it; loaded when
it first does). Whether to relay to production at all is gui.dialogs' `confirm_relay`."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from yespo_console.gui.proxy_switch import PROXY_PORT


class ProxyDialog(QDialog):
    """Where to relay, and on which local port."""

    def __init__(self, parent: QWidget | None = None, *, target: str = "yespo", port: int = PROXY_PORT) -> None:
        super().__init__(parent)
        self.setWindowTitle("Start the recording proxy")
        form = QFormLayout(self)
        intro = QLabel("Point an integration (or curl) at http://127.0.0.1:PORT instead of Yespo: it gets the "
                       "upstream's real answers, byte for byte, and each exchange is recorded in the history "
                       "(kind proxied). Its credentials pass through, masked in everything kept.", self)
        intro.setWordWrap(True)
        form.addRow(intro)
        self.target = QComboBox(self)
        self.target.setEditable(True)
        self.target.addItem("yespo", "https://yespo.io")
        self.target.addItem("tracker", "https://tracker.yespo.io")
        self.target.setToolTip("yespo: https://yespo.io · tracker: https://tracker.yespo.io · or any http(s) base URL")
        self.target.setEditText(target)
        form.addRow("Relay to", self.target)
        self.port = QSpinBox(self)
        self.port.setRange(0, 65535)
        self.port.setValue(port)
        self.port.setToolTip("The local port (0: any free one); it listens on 127.0.0.1 only")
        form.addRow("Port", self.port)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def chosen(self) -> tuple[str, int]:
        return self.target.currentText().strip(), self.port.value()

