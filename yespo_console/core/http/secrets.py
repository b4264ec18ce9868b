"""API keys and tokens: where they come from (the OS keyring first, environment variables as the
fallback), how one goes into the `Authorization` header, and how it is scrubbed from what a server
repeats.

One keyring entry per environment (service `yespo-console`, user name = the environment's name).
When no entry exists, or no keyring backend is usable (a headless Linux box has none: keyring picks
its `fail` backend, which raises `NoKeyringError`), the secret comes from `YESPO_API_KEY` (Basic
auth) or `YESPO_TOKEN` (Bearer). A secret is never written to a plain file: with no keyring,
`SecretStore.set` raises `SecretStoreError` with a message that says what to do instead.

A sandbox environment (the built-in Sandbox, or a loopback `--url`) never gets a real secret, neither
from the keyring nor from the variables: whatever listens on its port receives the placeholder key
`sandbox` (a console sandbox accepts any credentials; to try a sandbox started with `--api-key`, make an
environment of kind remote for its URL).

Every display goes through `yespo_console.core.http.masking`: `Secret` prints itself masked, and
`masker_for` builds the `Masker` that masks a secret (in every encoding) wherever a request, a server's
answer or an error message holds it. A secret goes into the `Authorization` header built by
`authorization_header`, once `check_header_secret` has made sure it can (no line break, plain ASCII
for a token).
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import ModuleType

from yespo_console.core.errors import InputError, SecretStoreError
from yespo_console.core.http.environments import AuthMode, Environment
from yespo_console.core.http.masking import Masker, mask_secret, url_password

SERVICE_NAME = "yespo-console"
API_KEY_ENV = "YESPO_API_KEY"
TOKEN_ENV = "YESPO_TOKEN"
SANDBOX_DEFAULT_SECRET = "sandbox"

# Backends that look like a keyring but keep nothing, or keep it in a plain (or base64) file.
_UNUSABLE_BACKENDS = {
    "keyring.backends.fail.Keyring": "no keyring backend is available",
    "keyring.backends.null.Keyring": "the null keyring backend is selected (it stores nothing)",
    "keyrings.alt.file.PlaintextKeyring": "the only backend stores secrets in a plain file, which is refused",
}
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class SecretSource(StrEnum):
    KEYRING = "keyring"
    ENVIRONMENT = "environment"
    SANDBOX_DEFAULT = "sandbox_default"


@dataclass(frozen=True, slots=True)
class Secret:
    """A key or token and where it came from. `str()` and `repr()` show it masked."""

    value: str = field(repr=False)
    source: SecretSource
    origin: str  # for people: "the OS keyring", "$YESPO_API_KEY", "the sandbox default"

    @property
    def masked(self) -> str:
        return mask_secret(self.value)

    def describe(self) -> str:
        shown = self.masked or "(empty)"
        if self.source is SecretSource.SANDBOX_DEFAULT:
            return f"the sandbox default key {self.value!r}"
        return f"{shown} from {self.origin}"

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Secret({self.masked!r}, source={self.source.value!r})"


@dataclass(frozen=True, slots=True)
class KeyringStatus:
    available: bool
    message: str  # a plain sentence for the settings dialog / `send` output


def env_var_for(auth: AuthMode) -> str:
    return TOKEN_ENV if auth == AuthMode.BEARER else API_KEY_ENV


def check_secret(value: str) -> str:
    """The secret without surrounding whitespace, or InputError (it goes into an HTTP header)."""
    text = value.strip()
    if not text:
        raise InputError("The API key or token is empty.")
    if _CONTROL_RE.search(text):
        raise InputError("The API key or token contains control characters (a pasted line break?).")
    return text


def check_header_secret(secret: Secret, environment: Environment) -> None:
    """InputError (never a crash mid-send) when a key or token cannot go into an HTTP header."""
    what = "token" if environment.auth == AuthMode.BEARER else "API key"
    try:
        check_secret(secret.value)
    except InputError as exc:
        raise InputError(f"The {what} from {secret.origin} cannot be used: {exc}") from None
    if environment.auth == AuthMode.BEARER and not secret.value.isascii():
        raise InputError(f"The {what} from {secret.origin} contains non-ASCII characters; a token is plain ASCII.")


def authorization_header(environment: Environment, secret: str) -> str:
    if environment.auth == AuthMode.BEARER:
        return f"Bearer {secret}"
    token = base64.b64encode(f"{environment.username}:{secret}".encode()).decode("ascii")
    return f"Basic {token}"


def masker_for(secret: Secret | None, environment: Environment | None = None) -> Masker:
    """The masker for what is sent to and received from an environment: its secret (not the sandbox's
    public placeholder), with the environment's Basic user name, and any password in its URL."""
    secrets: list[str | None] = []
    if secret is not None and secret.source is not SecretSource.SANDBOX_DEFAULT:
        secrets.append(secret.value)
    users: list[str] = []
    if environment is not None:
        users.append(environment.username)
        secrets.append(url_password(environment.url))
    return Masker(secrets, users)


def _keyring() -> ModuleType:
    """The keyring library, imported when a secret is first needed (a slow import: not while the window opens)."""
    import keyring
    import keyring.errors

    return keyring


def _backend_id(backend: object) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


class SecretStore:
    """Secrets for environments. `environ` defaults to `os.environ`; tests pass a dict."""

    def __init__(self, *, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    @property
    def environ(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    # -- keyring state ---------------------------------------------------------------------------

    def status(self) -> KeyringStatus:
        """Whether the OS keyring can hold secrets here, in a sentence."""
        try:
            backend = _keyring().get_keyring()
        except Exception as exc:  # a broken keyring config must not stop the console
            return KeyringStatus(False, f"The OS keyring could not be loaded ({exc}). {self._fallback()}")
        name = _backend_id(backend)
        reason = _UNUSABLE_BACKENDS.get(name)
        if (
            reason is None
            and name == "keyring.backends.chainer.ChainerBackend"
            and not getattr(backend, "backends", None)
        ):
            reason = "no keyring backend is available"
        if reason is not None:
            return KeyringStatus(False, f"No usable OS keyring: {reason}. {self._fallback()}")
        return KeyringStatus(True, f"Secrets are kept in the OS keyring ({getattr(backend, 'name', name)}).")

    @staticmethod
    def _fallback() -> str:
        return (
            f"Set {API_KEY_ENV} (Basic auth) or {TOKEN_ENV} (Bearer) in the environment instead; "
            "Yespo Console never writes a secret to a plain file."
        )

    # -- read ------------------------------------------------------------------------------------

    def stored(self, environment_name: str) -> str | None:
        """The keyring entry for an environment, or None (also when there is no usable keyring)."""
        if not self.status().available:
            return None
        try:
            value = _keyring().get_password(SERVICE_NAME, environment_name)
        except Exception:  # locked, denied, D-Bus gone: treat as absent, fall back
            return None
        return value or None

    def get(self, environment: Environment) -> Secret | None:
        """The secret to send with: the placeholder for a sandbox environment (never a real secret);
        else the keyring entry, else the environment variable for the auth mode; None when there is none."""
        if environment.is_sandbox:
            return Secret(SANDBOX_DEFAULT_SECRET, SecretSource.SANDBOX_DEFAULT, "the sandbox default")
        value = self.stored(environment.name)
        if value is not None:
            return Secret(value, SecretSource.KEYRING, "the OS keyring")
        variable = env_var_for(environment.auth)
        value = self.environ.get(variable, "").strip()
        if value:
            return Secret(value, SecretSource.ENVIRONMENT, f"${variable}")
        return None

    def missing_message(self, environment: Environment) -> str:
        """What to do when `get` returned None, in plain words."""
        variable = env_var_for(environment.auth)
        what = "token" if environment.auth == AuthMode.BEARER else "API key"
        status = self.status()
        if status.available:
            return (
                f"No {what} for environment {environment.name!r}: store it in the OS keyring "
                f"(Settings → Environments in the GUI) or set ${variable}."
            )
        return f"No {what} for environment {environment.name!r}. {status.message}"

    # -- write -----------------------------------------------------------------------------------

    def set(self, environment_name: str, value: str) -> None:
        """Store a secret in the OS keyring. SecretStoreError when there is no usable keyring."""
        secret = check_secret(value)
        status = self.status()
        if not status.available:
            raise SecretStoreError(status.message)
        keyring = _keyring()
        try:
            keyring.set_password(SERVICE_NAME, environment_name, secret)
        except keyring.errors.KeyringLocked as exc:
            raise SecretStoreError(f"The OS keyring is locked; unlock it and try again ({exc}).") from exc
        except Exception as exc:
            raise SecretStoreError(f"The OS keyring refused to store the secret: {exc}") from exc

    def delete(self, environment_name: str) -> bool:
        """Remove the keyring entry. True when one was removed."""
        if not self.status().available:
            return False
        keyring = _keyring()
        try:
            if keyring.get_password(SERVICE_NAME, environment_name) is None:
                return False
            keyring.delete_password(SERVICE_NAME, environment_name)
        except keyring.errors.PasswordDeleteError:
            return False
        except Exception as exc:
            raise SecretStoreError(f"The OS keyring refused to delete the secret: {exc}") from exc
        return True
