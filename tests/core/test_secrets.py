from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest
from keyring.backend import KeyringBackend

from yespo_console.core.errors import InputError, SecretStoreError
from yespo_console.core.http.environments import BUILTIN_ENVIRONMENTS, AuthMode, Environment
from yespo_console.core.http.secrets import (
    API_KEY_ENV,
    SANDBOX_DEFAULT_SECRET,
    SERVICE_NAME,
    TOKEN_ENV,
    SecretSource,
    SecretStore,
)

KEY = "0123456789abcdefKEY9"
YESPO = BUILTIN_ENVIRONMENTS[1]
SANDBOX = BUILTIN_ENVIRONMENTS[0]


class MemoryKeyring(KeyringBackend):
    """A working keyring that keeps secrets in a dict, for tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.items[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError("not found") from None


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("locked")


@pytest.fixture
def use_backend() -> Iterator[object]:
    previous = keyring.get_keyring()

    def select(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield select
    keyring.set_keyring(previous)


def test_keyring_first_then_variable(use_backend) -> None:  # type: ignore[no-untyped-def]
    memory = use_backend(MemoryKeyring())
    store = SecretStore(environ={API_KEY_ENV: "from-the-environment-1"})
    assert store.status().available
    secret = store.get(YESPO)
    assert secret is not None and secret.source is SecretSource.ENVIRONMENT
    assert secret.value == "from-the-environment-1" and secret.origin == f"${API_KEY_ENV}"
    store.set("yespo", f"  {KEY}\n")
    assert memory.items[(SERVICE_NAME, "yespo")] == KEY  # stripped, one entry per environment
    secret = store.get(YESPO)
    assert secret is not None and secret.source is SecretSource.KEYRING and secret.value == KEY
    assert store.get(BUILTIN_ENVIRONMENTS[2]) is not None  # other env: variable
    assert store.get(BUILTIN_ENVIRONMENTS[2]).source is SecretSource.ENVIRONMENT  # type: ignore[union-attr]
    assert store.delete("yespo") is True
    assert store.delete("yespo") is False
    assert store.get(YESPO).source is SecretSource.ENVIRONMENT  # type: ignore[union-attr]


def test_bearer_uses_the_token_variable(use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend(MemoryKeyring())
    env = YESPO.model_copy(update={"auth": AuthMode.BEARER})
    store = SecretStore(environ={API_KEY_ENV: "the-api-key-000", TOKEN_ENV: "the-token-000"})
    assert store.get(env).value == "the-token-000"  # type: ignore[union-attr]
    assert store.get(YESPO).value == "the-api-key-000"  # type: ignore[union-attr]
    assert SecretStore(environ={API_KEY_ENV: "x"}).get(env) is None


def test_secret_is_masked_whenever_shown(use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend(MemoryKeyring())
    store = SecretStore(environ={})
    store.set("yespo", KEY)
    secret = store.get(YESPO)
    assert secret is not None
    for text in (str(secret), repr(secret), secret.describe(), f"{secret}"):
        assert KEY not in text
    assert secret.describe().startswith("••••KEY9 from the OS keyring")


def test_sandbox_gets_a_default_and_remote_gets_none(use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend(MemoryKeyring())
    store = SecretStore(environ={})
    secret = store.get(SANDBOX)
    assert secret is not None and secret.value == SANDBOX_DEFAULT_SECRET
    assert secret.source is SecretSource.SANDBOX_DEFAULT
    assert store.get(YESPO) is None
    assert "YESPO_API_KEY" in store.missing_message(YESPO)


def test_a_sandbox_never_gets_a_real_secret(use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend(MemoryKeyring())
    store = SecretStore(environ={API_KEY_ENV: "real-key-from-the-variable", TOKEN_ENV: "real-token-from-it"})
    store.set("sandbox", "real-key-in-the-keyring")
    loopback = Environment.custom("http://localhost:9000/api/v2/event")
    for env in (SANDBOX, SANDBOX.model_copy(update={"auth": AuthMode.BEARER}), loopback):
        secret = store.get(env)
        assert secret is not None and secret.value == SANDBOX_DEFAULT_SECRET, env.name
        assert secret.source is SecretSource.SANDBOX_DEFAULT
    assert store.get(YESPO).value == "real-key-from-the-variable"  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["", "   ", "abc\ndef", "tab\there"])
def test_unusable_secrets_are_refused(use_backend, value: str) -> None:  # type: ignore[no-untyped-def]
    use_backend(MemoryKeyring())
    with pytest.raises(InputError):
        SecretStore(environ={}).set("yespo", value)


def test_no_keyring_says_so_and_falls_back(use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend(keyring.backends.fail.Keyring())
    store = SecretStore(environ={API_KEY_ENV: "fallback-key-0001"})
    status = store.status()
    assert not status.available
    assert "No usable OS keyring" in status.message and API_KEY_ENV in status.message
    with pytest.raises(SecretStoreError, match=API_KEY_ENV):
        store.set("yespo", KEY)
    assert store.get(YESPO).value == "fallback-key-0001"  # type: ignore[union-attr]
    assert store.delete("yespo") is False
    assert "no keyring backend" in SecretStore(environ={}).missing_message(YESPO)


def test_null_backend_counts_as_no_keyring(use_backend, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    use_backend(keyring.backends.null.Keyring())
    store = SecretStore(environ={})
    assert not store.status().available
    with pytest.raises(SecretStoreError, match="null"):
        store.set("yespo", KEY)  # the null backend would silently drop it: refuse instead


def test_no_keyring_never_writes_a_plain_file(use_backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    for var in ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "YESPO_CONSOLE_HOME"):
        monkeypatch.setenv(var, str(tmp_path))
    use_backend(keyring.backends.fail.Keyring())
    with pytest.raises(SecretStoreError):
        SecretStore(environ={}).set("yespo", KEY)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes()


def test_a_locked_keyring_falls_back_and_explains(use_backend) -> None:  # type: ignore[no-untyped-def]
    use_backend(LockedKeyring())
    store = SecretStore(environ={API_KEY_ENV: "env-key-0000001"})
    assert store.get(YESPO).value == "env-key-0000001"  # type: ignore[union-attr]
    with pytest.raises(SecretStoreError, match="locked"):
        store.set("yespo", KEY)


def test_environment_variable_selects_null_backend_in_a_fresh_process(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", API_KEY_ENV: "proc-key-0001"}
    code = (
        "from yespo_console.core.http.secrets import SecretStore\n"
        "from yespo_console.core.http.environments import BUILTIN_ENVIRONMENTS\n"
        "s = SecretStore(); st = s.status(); sec = s.get(BUILTIN_ENVIRONMENTS[1])\n"
        "print(st.available, sec.source.value, sec.value == 'proc-key-0001')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "environment", "True"]


def test_custom_environment_entry_is_separate(use_backend) -> None:  # type: ignore[no-untyped-def]
    memory = use_backend(MemoryKeyring())
    store = SecretStore(environ={})
    staging = Environment(name="staging", url="https://example.com/api/v2/event")
    store.set("staging", "staging-key-000001")
    store.set("yespo", KEY)
    assert store.get(staging).value == "staging-key-000001"  # type: ignore[union-attr]
    assert set(memory.items) == {(SERVICE_NAME, "staging"), (SERVICE_NAME, "yespo")}
