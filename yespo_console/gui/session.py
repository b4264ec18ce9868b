"""What the window works with, none of it Qt: environments, secrets, history, clients, the sandbox.

Created before the window and handed to it, so tests can build a session on a temp folder and a
window over it, and the app can close everything on the loop that opened it.

The embedded sandbox listens at the Sandbox environment's address (127.0.0.1:8750 unless edited), so the
CLI, scripts and the README's curl reach the window's inbox. When that port is held (another window, a
`yespo-console sandbox`, or a stranger) it listens on a free port instead and says why: this window then
sends to its own sandbox, and what others send to the environment's address goes to whatever holds it.
When the embedded sandbox does not run at all, the environment's address is asked whether it is a console
sandbox (core.http.probe, as the CLI asks) and sends there are refused unless it is.
"""

from __future__ import annotations

import errno
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from yespo_console.core.errors import InputError, StoreError
from yespo_console.core.events.profiles import BUILTIN, Profile
from yespo_console.core.http.addresses import SANDBOX, SANDBOX_DEFAULT_URL, is_loopback_url
from yespo_console.core.paths import data_dir

if TYPE_CHECKING:  # loaded when used: none of them is needed for the window's first paint
    import asyncio

    from yespo_console.core.history.store import HistoryStore
    from yespo_console.core.http.client import ClientPool, EventClient
    from yespo_console.core.http.environments import Environment, EnvironmentStore
    from yespo_console.core.http.probe import Holder
    from yespo_console.core.http.secrets import Secret, SecretStore
    from yespo_console.sandbox.server import Sandbox
    from yespo_console.sandbox.settings import AccountSettings

log = logging.getLogger(__name__)


@dataclass
class Session:
    home: Path
    history: HistoryStore | None
    history_error: str = ""
    sandbox: Sandbox | None = None
    sandbox_error: str = ""
    # Why the embedded sandbox is not at the Sandbox environment's address, when it is not ("" when it is).
    sandbox_moved: str = ""
    # When the embedded sandbox does not run: what answers at each sandbox address asked ("host:port" -> it).
    sandbox_holders: dict[str, Holder] = field(default_factory=dict)
    history_pending: bool = False  # not opened yet: `open_history` comes after the window's first paint
    _pool: ClientPool | None = field(default=None, repr=False)
    _environments: EnvironmentStore | None = field(default=None, repr=False)
    _secrets: SecretStore | None = field(default=None, repr=False)
    _asking: set[asyncio.Task[None]] = field(default_factory=set, repr=False)

    @classmethod
    def open(cls, home: str | Path | None = None, *, history: bool = True) -> Session:
        """HISTORY False: the history is opened later, by `open_history` (the window does it after its first
        paint, so that opening, and upgrading, the file never holds up the window)."""
        folder = data_dir(home)
        session = cls(folder, None, history_pending=not history)
        if history:
            session.open_history()
        return session

    def open_history(self) -> None:
        self.adopt_history(*self.load_history())

    def load_history(self) -> tuple[HistoryStore | None, str]:
        """The history store, upgraded if due, and "", or None and why not. Touches nothing of the session's, so
        it may run on a worker thread (the window upgrades an old history there: `adopt_history` after)."""
        from yespo_console.core.history.store import HistoryStore

        try:
            # Checkpoints on a worker thread: the WAL copy (an fsync) never stalls a send or a repaint.
            return HistoryStore.open(self.home, background_checkpoints=True), ""
        except StoreError as exc:  # the window still works; it says why nothing is kept
            return None, str(exc)

    def adopt_history(self, store: HistoryStore | None, error: str) -> None:
        self.history, self.history_error = store, error
        self.history_pending = False

    @property
    def history_wait(self) -> str:
        """Why a send, a run or the proxy must wait: the history is not open yet (its one-time search index
        rebuild can take minutes), and what went out now would not be recorded. "" once it is open (or off)."""
        if not self.history_pending:
            return ""
        return ("the history is rebuilding its search index (once, after an upgrade); sends, runs and the proxy "
                "wait until it is ready, so that each is recorded")

    @property
    def environments(self) -> EnvironmentStore:
        """Read at first use: the environment models (pydantic) stay out of the window's first paint."""
        if self._environments is None:
            from yespo_console.core.http.environments import EnvironmentStore

            self._environments = EnvironmentStore.open(self.home)
        return self._environments

    @property
    def secrets(self) -> SecretStore:
        """Made at first use, as the environments are: its module is built on theirs."""
        if self._secrets is None:
            from yespo_console.core.http.secrets import SecretStore

            self._secrets = SecretStore()
        return self._secrets

    @property
    def pool(self) -> ClientPool:
        """The HTTP clients, created at the first send: httpx stays out of the window's start-up."""
        if self._pool is None:
            from yespo_console.core.http.client import ClientPool

            self._pool = ClientPool(recorder=self.history)
        return self._pool

    def sandbox_address(self) -> tuple[str, int]:
        """The Sandbox environment's host and port (the default one's when it is not a loopback URL)."""
        url = self.environments.get(SANDBOX).url
        parts = urlsplit(url)
        if not is_loopback_url(url) or parts.port is None:
            parts = urlsplit(SANDBOX_DEFAULT_URL)
        assert parts.hostname is not None and parts.port is not None
        return parts.hostname, parts.port

    async def start_sandbox(self, port: int | None = 0) -> None:
        """Start the embedded sandbox on this loop, on PORT (0: any free one; None: the Sandbox environment's,
        or any free one when that is held, saying by what). On failure the window shows why."""
        # The server stack loads here, after the window: it is not needed for the first paint.
        import sqlite3

        from yespo_console.sandbox.server import Sandbox, SandboxError
        from yespo_console.sandbox.store import SANDBOX_FILE

        host, wanted = self.sandbox_address() if port is None else ("127.0.0.1", port)
        try:
            sandbox = Sandbox(host=host, port=wanted, data_dir=self.home, account=_window_account())
        except (SandboxError, sqlite3.Error) as exc:  # its record file (sqlite3's errors are not all wrapped)
            await self._sandbox_failed(f"its record file {self.home / SANDBOX_FILE} cannot be used: {exc}")
            return
        try:
            await sandbox.start()
        except (SandboxError, OSError) as exc:
            if not wanted:
                sandbox.close()
                await self._sandbox_failed(str(exc))
                return
            self.sandbox_moved = await self._port_held(host, wanted) if _in_use(exc) else str(exc)
            try:
                sandbox = Sandbox(host=host, port=0, store=sandbox.store, account=sandbox.account)
                await sandbox.start()
            except (SandboxError, OSError) as again:
                sandbox.close()
                await self._sandbox_failed(str(again))
                return
        self.sandbox = sandbox

    async def _port_held(self, host: str, port: int) -> str:
        found = await self._probe(self.environments.get(SANDBOX).with_url(f"http://{host}:{port}/api/v2/event"))
        if found == "sandbox":
            holder = ("another console sandbox (another window, or `yespo-console sandbox`), which gets what is "
                      "sent there")
        elif found == "refused":
            holder = "nothing any more, but it was taken a moment ago"
        else:
            holder = "something that is not a Yespo Console sandbox"
        log.warning("the sandbox port %s:%s is held by %s", host, port, holder)
        return f"port {port} is held by {holder}"

    async def _probe(self, env: Environment) -> Holder:
        from yespo_console.core.http.probe import probe_sandbox
        from yespo_console.sandbox.endpoints import SERVICE

        return await probe_sandbox(env.url, SERVICE)

    async def _sandbox_failed(self, error: str) -> None:
        self.sandbox_error = error
        log.warning("embedded sandbox not started: %s", error)
        await self.check_sandbox_address(self.environments.get(SANDBOX))

    async def check_sandbox_address(self, env: Environment) -> None:
        """Without an embedded sandbox: ask what holds a sandbox environment's loopback address (sends go there
        only once it said it is a console sandbox)."""
        if is_loopback_url(env.url):
            self.sandbox_holders[_address(env)] = await self._probe(env)

    def sandbox_status(self) -> str:
        """Where the Sandbox environment's sends go, and why there, for the status bar."""
        if self.sandbox is not None:
            moved = f" ({self.sandbox_moved})" if self.sandbox_moved else ""
            return f"Sandbox listening at {self.sandbox.base_url}{moved}"
        if not self.sandbox_error:
            return ""
        status = f"Embedded sandbox not running: {self.sandbox_error}"
        env = self.environments.get(SANDBOX)
        found = self.sandbox_holders.get(_address(env))
        if found is None:
            return status
        if found == "sandbox":
            return f"{status}. Sends go to the console sandbox at {env.url}."
        return f"{status}. {_refusal(env, found)}"

    def environment(self, name: str) -> Environment:
        env = self.environments.get(name)
        if env.is_sandbox and self.sandbox is not None and self.sandbox.running:
            # The embedded one, wherever it listens, on the environment's own route (events, or the tracker's).
            return env.with_url(self.sandbox.base_url + (urlsplit(env.url).path or "/api/v2/event"))
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
        """ENV's client; InputError when ENV is a sandbox environment on a loopback address, the embedded
        sandbox does not run, and what holds that address has not said it is a console sandbox (it is asked
        again for the next send)."""
        if env.is_sandbox and self.sandbox is None and is_loopback_url(env.url):
            found = self.sandbox_holders.get(_address(env))
            if found != "sandbox":
                self._ask_again(env)
                raise InputError(_refusal(env, found))
        return self.pool.client(env, self.secret(env))

    def _ask_again(self, env: Environment) -> None:
        """Ask ENV's address again in the background, for the next send: a sandbox may have started there."""
        import asyncio

        try:
            task = asyncio.get_running_loop().create_task(self.check_sandbox_address(env))
        except RuntimeError:  # no loop runs (a script, a test): the next send asks nothing new
            return
        self._asking.add(task)
        task.add_done_callback(self._asking.discard)

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


# The window is where a person watches the loop (event → workflow → message): its sandbox runs workflow delays
# 100 times faster (an abandoned cart's 30 minutes take 18 s); the inbox's choice changes it, `yespo-console
# sandbox` keeps real time unless --time-scale says otherwise.
WINDOW_TIME_SCALE = 0.01


def _window_account() -> AccountSettings:
    from yespo_console.sandbox.settings import AccountSettings

    return AccountSettings(time_scale=WINDOW_TIME_SCALE)


def _in_use(error: BaseException) -> bool:
    """Whether ERROR (or anything down the chain it was raised from) says the address is already in use."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno in (errno.EADDRINUSE, 10048):  # 10048: WSAEADDRINUSE
            return True
        cause = cause.__cause__
    return False


def _address(env: Environment) -> str:
    parts = urlsplit(env.url)
    return f"{parts.hostname}:{parts.port}"


def _refusal(env: Environment, found: Holder | None) -> str:
    """Why nothing is sent to a sandbox address that has not said it is a console sandbox."""
    if found is None:
        return (f"{env.url} has not said yet whether it is a Yespo Console sandbox (it is being asked): send again "
                "in a moment.")
    if found == "refused":
        return (f"Nothing listens at {env.url}: start `yespo-console sandbox` there (or restart the window), then "
                "send again.")
    from yespo_console.core.http.probe import held_by_a_stranger

    return (f"Sends there are refused: {held_by_a_stranger(env, found)}, and it would receive the event. Stop "
            "what holds that port, or point the environment at another (Environments…).")
