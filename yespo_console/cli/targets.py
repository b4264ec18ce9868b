"""What `send`, `run`, `history replay` and `past-events` share: where to send (a temporary sandbox
when the Sandbox environment has none running) and the history to record in."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from yespo_console.core.errors import InputError, YespoConsoleError
from yespo_console.core.history import HistoryStore
from yespo_console.core.http.environments import Environment, is_loopback_url
from yespo_console.core.http.probe import Holder, held_by_a_stranger, probe_sandbox


def _not_a_sandbox(env: Environment, found: Holder) -> str:
    return (f"{held_by_a_stranger(env, found)}, so nothing was sent (it would have received the event). Stop what "
            "holds that port, or start a sandbox on another (`yespo-console sandbox --port N`) and send with --url.")


@contextlib.asynccontextmanager
async def reachable(env: Environment, *, explicit_url: bool, data_dir: str | None,
                    what: str = "run", time_scale: float = 1.0) -> AsyncIterator[Environment]:
    """The environment to send to. For a sandbox environment on a loopback address, what listens there
    is asked whether it is a Yespo Console sandbox: when nothing does, a temporary sandbox is started
    for the duration and the environment points at it; when something else does, InputError (nothing
    is sent) — unless the URL was given with --url, which is then sent to as the stranger it is (a
    remote environment, told in those words, still with the sandbox's placeholder key). A temporary sandbox runs
    its workflows at `time_scale` (run's --wait-scale)."""
    if not (env.is_sandbox and is_loopback_url(env.url)):
        yield env
        return
    from yespo_console.sandbox.endpoints import SERVICE

    found = await probe_sandbox(env.url, SERVICE)
    if found == "sandbox" or (found == "refused" and explicit_url):
        yield env
        return
    if found != "refused":
        if not explicit_url:
            raise InputError(_not_a_sandbox(env, found))
        yield env.model_copy(update={"kind": "remote"})
        return
    from yespo_console.sandbox.server import Sandbox, SandboxError
    from yespo_console.sandbox.settings import MIN_TIME_SCALE, AccountSettings

    try:
        sandbox = Sandbox(host="127.0.0.1", port=0, data_dir=data_dir,
                          account=AccountSettings(time_scale=max(time_scale, MIN_TIME_SCALE)))
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
