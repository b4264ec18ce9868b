"""What `send`, `run`, `history replay` and `past-events` share: where to send (a temporary sandbox
when the Sandbox environment has none running) and the history to record in."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx

from yespo_console.core.errors import InputError, YespoConsoleError
from yespo_console.core.history import HistoryStore
from yespo_console.core.http.environments import Environment, is_loopback_url


async def probe_sandbox(url: str) -> str:
    """'sandbox' when a Yespo Console sandbox answers at the URL's host, 'refused' when nothing
    listens there, 'other' when something else does."""
    from yespo_console.sandbox.endpoints import SERVICE

    health = httpx.URL(url).copy_with(path="/_sandbox/health", query=None)
    try:
        async with httpx.AsyncClient(timeout=1.0, trust_env=False) as client:
            response = await client.get(health)
    except httpx.ConnectError:
        return "refused"
    except httpx.HTTPError:
        return "other"
    try:
        ok = response.status_code == 200 and response.json().get("service") == SERVICE
    except (ValueError, AttributeError):
        ok = False
    return "sandbox" if ok else "other"


@contextlib.asynccontextmanager
async def reachable(env: Environment, *, explicit_url: bool, data_dir: str | None,
                    what: str = "run") -> AsyncIterator[Environment]:
    """The environment to send to: for the Sandbox with nothing listening on its port, a temporary
    sandbox is started for the duration and the environment points at it."""
    if not (env.is_sandbox and is_loopback_url(env.url) and not explicit_url) or \
            await probe_sandbox(env.url) != "refused":
        yield env
        return
    from yespo_console.sandbox.server import Sandbox, SandboxError

    try:
        sandbox = Sandbox(host="127.0.0.1", port=0, data_dir=data_dir)
        await sandbox.start()
    except SandboxError as exc:
        raise InputError(f"no sandbox is running at {env.url} and a temporary one could not start: {exc}") from None
    wanted = urlsplit(env.url)
    print(f"yespo-console: no sandbox is listening at {wanted.hostname}:{wanted.port}, so a temporary one was "
          f"started at {sandbox.base_url} for this {what} (recorded in {sandbox.store.path}). Run "
          "`yespo-console sandbox` to keep one running.", file=sys.stderr)
    try:
        yield env.with_url(sandbox.base_url + wanted.path)
    finally:
        await sandbox.stop()
        sandbox.close()


def open_history(data_dir: str | None, enabled: bool = True, what: str = "run") -> HistoryStore | None:
    """The history store, or None (with a warning) when it is off or cannot be opened: the send goes on."""
    if not enabled:
        return None
    try:
        return HistoryStore.open(data_dir)
    except (YespoConsoleError, OSError) as exc:
        print(f"yespo-console: warning: not recording this {what} in the history: {exc}", file=sys.stderr)
        return None
