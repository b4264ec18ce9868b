"""Fixtures for tests that need a real sandbox on a free loopback port.

- `sandbox`: a running `Sandbox` on the test's own asyncio loop (async tests, pytest-asyncio).
- `sandbox_thread`: a running `Sandbox` on its own loop in a background thread; works from sync
  tests, subprocesses, and any other loop (e.g. a qasync loop in GUI tests). Change its faults with
  `sandbox_thread.set_faults(...)` (thread-safe); read records with `sandbox_thread.events()`.
- `no_keyring`: the null keyring backend, so no test ever reads or writes a real OS keyring.

Other test folders can reuse them with `from tests.sandbox.conftest import sandbox_thread`
(imported fixtures are picked up by pytest), or by moving them to tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import keyring
import keyring.backends.null
import pytest
import pytest_asyncio

from tests.sandbox.helpers import SandboxThread
from yespo_console.sandbox import Sandbox


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    previous = keyring.get_keyring()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    monkeypatch.delenv("YESPO_API_KEY", raising=False)
    monkeypatch.delenv("YESPO_TOKEN", raising=False)
    keyring.set_keyring(keyring.backends.null.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest_asyncio.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    sb = Sandbox(port=0, data_dir=tmp_path / "sandbox-data", seed=7)
    await sb.start()
    try:
        yield sb
    finally:
        await sb.stop()
        sb.close()


@pytest.fixture
def sandbox_thread(tmp_path: Path) -> Iterator[Sandbox]:
    runner = SandboxThread(port=0, data_dir=tmp_path / "sandbox-thread-data", seed=7)
    sb = runner.start()
    try:
        yield sb
    finally:
        runner.stop()
