"""The environment editor: URL, auth, nesting, production guard, and the secret (kept in the keyring); and
Test connection, which asks the account who the key belongs to (core.followup) on the window's qasync loop,
so the window stays responsive while it waits, and shows the answer, or why there is none, in the dialog."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from yespo_console.core.errors import InputError, SecretStoreError
from yespo_console.core.events.profiles import BUILTIN_NAME
from yespo_console.core.http.environments import AuthMode, Environment, EnvironmentStore
from yespo_console.core.http.secrets import Secret, SecretSource, SecretStore, check_header_secret

if TYPE_CHECKING:
    from yespo_console.gui.session import Session


class EnvironmentsDialog(QDialog):
    connection_tested = Signal(bool, str)  # whether the key works, and the words shown

    def __init__(self, environments: EnvironmentStore, secrets: SecretStore, current: str,
                 parent: QWidget | None = None, *, session: Session | None = None) -> None:
        """SESSION, when given, records the test in its history and tests the embedded sandbox at its port."""
        super().__init__(parent)
        self.session = session
        self._test_task: asyncio.Task[None] | None = None
        self.setWindowTitle("Environments")
        self.resize(760, 460)
        self.environments = environments
        self.secrets = secrets
        self.changed = False

        self.names = QListWidget(self)
        self.names.currentTextChanged.connect(self._show)
        self.name = QLineEdit(self)
        self.label = QLineEdit(self)
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://yespo.io/api/v2/event")
        self.auth = QComboBox(self)
        self.auth.addItem("Basic (API key as password)", AuthMode.BASIC)
        self.auth.addItem("Bearer token", AuthMode.BEARER)
        self.username = QLineEdit(self)
        self.username.setPlaceholderText("empty is fine: Yespo ignores the user name")
        self.nested = QComboBox(self)
        self.nested.addItem("escaped JSON strings (v1 and v2)", "string")
        self.nested.addItem("JSON objects (v2 only)", "object")
        self.production = QCheckBox("production: real contacts, show a red banner", self)
        self.confirm = QCheckBox("ask for confirmation before each send", self)
        self.profile = QComboBox(self)
        self.profile.setEditable(True)
        self.profile.setToolTip("The account's event types: built-in, a profile in the profiles folder, or a file "
                                "path (see docs/profiles.md)")
        from yespo_console.core.profiles.folder import profile_names  # YAML loads when the dialog opens, not before

        self.profile.addItems(profile_names(self.environments.path.parent))
        self.timeout = QDoubleSpinBox(self)
        self.timeout.setRange(0.5, 600)
        self.timeout.setSuffix(" s")
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("leave empty to keep the stored secret")
        self.secret_status = QLabel(self)
        self.secret_status.setWordWrap(True)
        self.test_button = QPushButton("Test connection", self)
        self.test_button.setToolTip("Ask the account who this key belongs to (GET /api/v1/account/info), with the "
                                    "form as it is now and the key typed above, or the stored one")
        self.test_button.clicked.connect(self.test_connection)
        self.connection_status = QLabel(self)
        self.connection_status.setWordWrap(True)
        self.connection_status.setTextFormat(Qt.TextFormat.PlainText)  # the server's words, never markup
        self.connection_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Label", self.label)
        form.addRow("URL", self.url)
        form.addRow("Auth", self.auth)
        form.addRow("User name", self.username)
        form.addRow("Nested values", self.nested)
        form.addRow("", self.production)
        form.addRow("", self.confirm)
        form.addRow("Profile", self.profile)
        form.addRow("Timeout", self.timeout)
        form.addRow("API key / token", self.secret)
        form.addRow("", self.secret_status)
        form.addRow(self.test_button, self.connection_status)

        side = QVBoxLayout()
        side.addWidget(self.names)
        new = QPushButton("New…", self)
        new.clicked.connect(self._new)
        self.delete_button = QPushButton("Delete / reset", self)
        self.delete_button.clicked.connect(self._delete)
        side.addWidget(new)
        side.addWidget(self.delete_button)
        body = QHBoxLayout()
        body.addLayout(side, 1)
        body.addLayout(form, 2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close, self)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(body)
        layout.addWidget(buttons)
        self._fill(current)

    def _fill(self, select: str) -> None:
        names = self.environments.names()
        self.names.clear()
        self.names.addItems(names)
        self.names.setCurrentRow(names.index(select) if select in names else 0)

    def _show(self, name: str) -> None:
        env = self.environments.find(name)
        if env is None:
            return
        self.name.setText(env.name)
        self.name.setReadOnly(env.is_builtin)
        self.label.setText(env.label)
        self.url.setText(env.url)
        self.url.setReadOnly(env.is_sandbox)
        self.auth.setCurrentIndex(self.auth.findData(env.auth))
        self.username.setText(env.username)
        self.nested.setCurrentIndex(self.nested.findData(env.nested))
        self.production.setChecked(env.production)
        self.confirm.setChecked(env.needs_confirmation)
        self.timeout.setValue(env.timeout_s)
        self.profile.setCurrentText(env.profile or BUILTIN_NAME)
        self.secret.clear()
        self.connection_status.clear()
        self._show_secret_status(env)

    def _show_secret_status(self, env: Environment) -> None:
        secret = self.secrets.get(env)
        keyring = self.secrets.status()
        where = f"In use: {secret.masked} from {secret.describe()}." if secret else self.secrets.missing_message(env)
        if not keyring.available:
            where += f" {keyring.message}"
        self.secret_status.setText(where)

    def _new(self) -> None:
        self.names.clearSelection()
        self.name.setReadOnly(False)
        self.url.setReadOnly(False)
        for edit in (self.name, self.label, self.url, self.username, self.secret):
            edit.clear()
        self.production.setChecked(False)
        self.confirm.setChecked(False)
        self.timeout.setValue(30)
        self.secret_status.setText("A new environment: give it a name and a URL.")
        self.name.setFocus()

    def _form_environment(self) -> Environment:
        base = self.environments.find(self.name.text().strip())
        fields = {
            "name": self.name.text().strip(), "label": self.label.text().strip(), "url": self.url.text().strip(),
            "auth": self.auth.currentData(), "username": self.username.text(), "nested": self.nested.currentData(),
            "production": self.production.isChecked(), "confirm_before_send": self.confirm.isChecked(),
            "timeout_s": self.timeout.value(),
            "profile": None if self.profile.currentText().strip() in ("", BUILTIN_NAME) else
            self.profile.currentText().strip(),
        }
        # Validated, not model_copy(update=...), which would let a bad URL through.
        return Environment.model_validate({**(base.model_dump() if base is not None else {}), **fields})

    def _save(self) -> None:
        try:
            env = self._form_environment()
            self.environments.save(env)
            if self.secret.text():
                self.secrets.set(env.name, self.secret.text())
        except (InputError, SecretStoreError, ValueError) as exc:
            QMessageBox.warning(self, "Not saved", str(exc))
            return
        self.changed = True
        self.secret.clear()
        self._fill(env.name)

    def _delete(self) -> None:
        name = self.name.text().strip()
        env = self.environments.find(name)
        if env is None:
            return
        action = "Reset" if env.is_builtin else "Delete"
        if QMessageBox.question(self, f"{action} {name}?", f"{action} the environment {name!r} and forget its "
                                "stored secret?") != QMessageBox.StandardButton.Yes:
            return
        try:
            self.environments.delete(name)
            self.secrets.delete(name)
        except (InputError, SecretStoreError) as exc:
            QMessageBox.warning(self, "Not deleted", str(exc))
            return
        self.changed = True
        self._fill(self.environments.default().name)

    # -- Test connection ---------------------------------------------------------------------------

    def _tested(self) -> tuple[Environment, Secret | None]:
        """The environment as the form has it, and the key to try: the one typed (not saved yet), else the
        stored one; a sandbox gets its placeholder whatever is typed."""
        env = self._form_environment()
        if env.is_sandbox and self.session is not None:
            env = self.session.environment(env.name) if env.name in self.environments.names() else env
        typed = self.secret.text()
        if typed and not env.is_sandbox:
            secret = Secret(typed, SecretSource.KEYRING, "the key typed in this dialog (not saved yet)")
            check_header_secret(secret, env)
            return env, secret
        return env, self.secrets.get(env)

    def test_connection(self) -> asyncio.Task[None] | None:
        """Start the test (its task; None when the form cannot be tested: the reason is shown)."""
        if self._test_task is not None and not self._test_task.done():
            return None
        try:
            env, secret = self._tested()
        except (InputError, ValueError) as exc:
            self._show_test(False, f"Not tested: {exc}")
            return None
        self.test_button.setEnabled(False)
        self.connection_status.setText(f"Testing {env.label}…")
        self._test_task = asyncio.ensure_future(self._test(env, secret))
        return self._test_task

    async def _test(self, env: Environment, secret: Secret | None) -> None:
        from yespo_console.core.followup.client import AccountClient, FollowupError  # httpx: only when used

        recorder = self.session.history if self.session is not None else None
        try:
            async with AccountClient(env, secret=secret, recorder=recorder,
                                     missing_key=self.secrets.missing_message(env)) as client:
                info = await client.account_info()
        except FollowupError as exc:
            self._show_test(False, f"✗ {exc.title} {exc.detail}".strip())
        else:
            self._show_test(True, f"✓ Connected to {client.base}: organisation {info.organisation or '-'}, "
                            f"user {info.user_email or '-'}.")

    def _show_test(self, ok: bool, text: str) -> None:
        self.test_button.setEnabled(True)
        self.connection_status.setText(text)
        self.connection_tested.emit(ok, text)

    def done(self, result: int) -> None:
        if self._test_task is not None and not self._test_task.done():
            self._test_task.cancel()  # nothing left to show the answer in
        super().done(result)
