"""What the window works with, none of it Qt: environments, secrets, history, clients, the sandbox.

Created before the window and handed to it, so tests can build a session on a temp folder and a
window over it, and the app can close everything on the loop that opened it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from yespo_console.core.errors import InputError, StoreError
from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.core.history import HistoryStore
from yespo_console.core.http.environments import SANDBOX, Environment, EnvironmentStore
from yespo_console.core.http.secrets import Secret, SecretStore
from yespo_console.core.paths import data_dir

if TYPE_CHECKING:
    from yespo_console.core.http.client import ClientPool, EventClient
    from yespo_console.sandbox.server import Sandbox

log = logging.getLogger(__name__)


@dataclass
class Session:
    home: Path
    environments: EnvironmentStore
    secrets: SecretStore
    history: HistoryStore | None
    history_error: str = ""
    sandbox: Sandbox | None = None
    sandbox_error: str = ""
    _pool: ClientPool | None = field(default=None, repr=False)

    @classmethod
    def open(cls, home: str | Path | None = None) -> Session:
        folder = data_dir(home)
        history: HistoryStore | None
        try:
            # Checkpoints on a worker thread: the WAL copy (an fsync) never stalls a send or a repaint.
            history = HistoryStore.open(folder, background_checkpoints=True)
            error = ""
        except StoreError as exc:  # the window still works; it says why nothing is kept
            history, error = None, str(exc)
        return cls(folder, EnvironmentStore.open(folder), SecretStore(), history, error)

    @property
    def pool(self) -> ClientPool:
        """The HTTP clients, created at the first send: httpx stays out of the window's start-up."""
        if self._pool is None:
            from yespo_console.core.http.client import ClientPool

            self._pool = ClientPool(recorder=self.history)
        return self._pool

    async def start_sandbox(self, port: int = 0) -> None:
        """Start the embedded sandbox on this loop; on failure the window shows why."""
        from yespo_console.sandbox.server import Sandbox, SandboxError  # the server stack loads after the window

        try:
            sandbox = Sandbox(port=port, data_dir=self.home)
            await sandbox.start()
        except (SandboxError, OSError) as exc:
            self.sandbox_error = str(exc)
            log.warning("embedded sandbox not started: %s", exc)
            return
        self.sandbox = sandbox

    def environment(self, name: str) -> Environment:
        env = self.environments.get(name)
        if env.is_sandbox and self.sandbox is not None and self.sandbox.running:
            return env.with_url(self.sandbox.event_url)  # the embedded one listens on a port of its own
        return env

    def profile(self, env: Environment) -> tuple[Profile, str]:
        """The environment's account profile, and why the built-in one stands in for it ("" when it does not)."""
        if env.profile is None:
            return BUILTIN, ""
        from yespo_console.core.profiles.folder import find_profile  # YAML and the schema: only when used

        try:
            return find_profile(env.profile, self.home), ""
        except InputError as exc:
            return BUILTIN, f"Profile {env.profile!r} not used: {exc}"

    def secret(self, env: Environment) -> Secret | None:
        return self.secrets.get(env)

    def client(self, env: Environment) -> EventClient:
        return self.pool.client(env, self.secret(env))

    def default_environment_name(self) -> str:
        names = self.environments.names()
        return SANDBOX if SANDBOX in names else names[0]

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
        if self.sandbox is not None:
            await self.sandbox.stop()
            self.sandbox.close()
            self.sandbox = None
        if self.history is not None:
            self.history.close()
