"""The sandbox: a local Yespo-compatible HTTP endpoint on 127.0.0.1, served by uvicorn.

What it answers is `endpoints` (Yespo's endpoints and the control ones), how it judges `judge`, how it
misbehaves on purpose `faults`, and what it keeps `store`. This module runs it and is its Python API.

Embedding: `sandbox = Sandbox(port=0, data_dir=...)`; `await sandbox.start()` returns once it listens
(on the running loop: asyncio or qasync); `sandbox.port`, `sandbox.base_url`, `sandbox.event_url`;
`sandbox.add_listener(callback)` is called on that loop with each `SandboxEvent`; `await
sandbox.stop()`; `sandbox.close()` closes the record file.

It answers programs on this machine only (`guard`: Host and Origin checks; `allowed_hosts` names more
hosts it may be addressed as), holds at most `max_connections` connections and closes one whose request
headers take over `header_timeout_s` (`connections`) or whose body takes over `body_timeout_s` (408).

It is also an account double (`automation`): contacts, the `workflows` (the bundled defaults unless given)
started by accepted events and run on its loop at `account.time_scale`, and optionally a `webhook`
(`WebhookSender`) that receives each delivery's activity as Yespo's data-export webhook would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from yespo_console import __version__
from yespo_console.sandbox.accountdb import AccountDB
from yespo_console.sandbox.automation import Automation, activity_of
from yespo_console.sandbox.connections import DEFAULT_HEADER_TIMEOUT_S
from yespo_console.sandbox.endpoints import SERVICE, Endpoints
from yespo_console.sandbox.faults import Faults
from yespo_console.sandbox.guard import Gate
from yespo_console.sandbox.intake import BODY_TIMEOUT_S
from yespo_console.sandbox.logs import FOLDED, fold_own_loggers
from yespo_console.sandbox.serving import ListenError, Served, Serving
from yespo_console.sandbox.settings import AccountSettings
from yespo_console.sandbox.store import NewEvent, SandboxEvent, SandboxStore
from yespo_console.sandbox.webhook import WebhookSender
from yespo_console.sandbox.workflows import Workflow, load_workflows

log = logging.getLogger(__name__)

Listener = Callable[[SandboxEvent], None]


class SandboxError(RuntimeError):
    """The sandbox cannot start (port in use, bad host) or its record file cannot be used."""


class Sandbox(Served):
    """A Yespo-compatible endpoint. Create it anywhere; start and stop it on the loop that runs it."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        data_dir: str | os.PathLike[str] | None = None,
        store: SandboxStore | None = None,
        faults: Faults | None = None,
        account: AccountSettings | None = None,
        seed: int | None = None,
        graceful_shutdown_s: float = 1.0,
        allowed_hosts: Iterable[str] = (),
        max_connections: int | None = None,
        header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S,
        body_timeout_s: float = BODY_TIMEOUT_S,
        workflows: Sequence[Workflow] | None = None,
        webhook: WebhookSender | None = None,
    ) -> None:
        try:
            self._serving = Serving.guarded(host, port, max_connections=max_connections,
                                            header_timeout_s=header_timeout_s, body_timeout_s=body_timeout_s)
        except ListenError as exc:
            raise SandboxError(str(exc)) from exc
        self.host = host
        self.api_key = api_key or None
        try:
            self.store = store if store is not None else SandboxStore.open(data_dir)
        except (OSError, RuntimeError) as exc:
            raise SandboxError(str(exc)) from exc
        self._faults = faults or Faults()
        self.account = account or AccountSettings()
        self.automation = Automation(AccountDB(self.store), load_workflows() if workflows is None else workflows,
                                     lambda: self.account)
        self.webhook = webhook
        if webhook is not None:
            self.automation.add_listener(
                lambda kind, item: webhook.send([activity_of(item)]) if kind == "delivery" else None)
        self._listeners: list[Listener] = []
        self._graceful_shutdown_s = graceful_shutdown_s
        self._endpoints = Endpoints(self, Gate(host, allowed_hosts), seed, body_timeout_s=body_timeout_s)

    # -- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen; return once connections are accepted. SandboxError when it cannot."""
        if self._serving.running:
            raise SandboxError("The sandbox is already running.")
        fold_own_loggers()
        self._endpoints.stopping = asyncio.Event()
        try:
            await self._serving.start(
                self._endpoints, name="yespo-sandbox-ticks", graceful_s=self._graceful_shutdown_s,
                server_header=False, headers=[("server", f"{SERVICE}/{__version__}")],
            )
        except ListenError as exc:
            raise SandboxError(str(exc)) from exc
        self.automation.attach(asyncio.get_running_loop())
        if self.webhook is not None:
            self.webhook.start()

    async def stop(self) -> None:
        """Stop listening and close connections. Answers in flight (e.g. under latency) are dropped."""
        if not self._serving.running:
            return
        if self._endpoints.stopping is not None:
            self._endpoints.stopping.set()
        self.automation.detach()
        if self.webhook is not None:
            await self.webhook.stop()
        await self._serving.stop()
        FOLDED.flush(log)

    def close(self) -> None:
        """Close the record file (after `stop`)."""
        self.store.close()

    async def __aexit__(self, *exc_info: object) -> None:
        await super().__aexit__(*exc_info)
        self.close()

    @property
    def event_url(self) -> str:
        return f"{self.base_url}/api/v2/event"

    @property
    def past_events_url(self) -> str:
        return f"{self.base_url}/api/v2/past_events"

    # -- Python API ------------------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self._faults

    def set_faults(self, faults: Faults | None = None, /, **changes: Any) -> Faults:
        """Replace the faults, or change some settings: `set_faults(status=429, retry_after=2)`.
        ValueError with a plain message when a value is invalid. Safe from any thread."""
        base = faults if faults is not None else self._faults
        self._faults = base.changed(**changes) if changes else base
        return self._faults

    def reset_faults(self) -> Faults:
        self._faults = Faults()
        return self._faults

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` with each recorded event, on the sandbox's loop. Returns a function
        that removes it. A listener that raises is logged and kept."""
        self._listeners.append(listener)
        return lambda: self.remove_listener(listener)

    def remove_listener(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def events(self, limit: int = 50, *, since_id: int | None = None) -> list[SandboxEvent]:
        """Recorded events, newest first."""
        return self.store.list(limit, since_id=since_id)

    def event(self, event_id: int) -> SandboxEvent | None:
        return self.store.get(event_id)

    def clear(self) -> int:
        return self.store.clear()

    def record(self, record: NewEvent, respond: Callable[[int], str] | None = None) -> SandboxEvent | None:
        """Keep what a request brought and tell the listeners; None (logged) when it cannot be kept, as the
        answer matters more than its record. `respond(id)` may write the answer once the id is known."""
        try:
            self.automation.before_record(record)
        except Exception:  # the record is still kept, without its contact
            log.exception("the sandbox could not match an event to a contact")
        try:
            event = self.store.add(record, respond)
        except Exception:
            log.exception("the sandbox could not record an event")
            return None
        try:
            self.automation.after_record(event)
        except Exception:
            log.exception("the sandbox could not run the workflows of an event")
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("a sandbox listener failed")
        return event
