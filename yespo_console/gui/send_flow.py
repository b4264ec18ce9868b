"""Sending from the window: one batch of sends in flight at a time on the qasync loop, the production
guard before it starts, cancelling it, and re-sending history exchanges, each to its own environment.

The flow shows nothing itself: it says what happens through its signals, and the window routes them to
the response pane, the status bar and its Send/Cancel actions.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from yespo_console.core.errors import InputError
from yespo_console.gui.dialogs import confirm_production
from yespo_console.gui.response_pane import outcome_line
from yespo_console.gui.session import Session

if TYPE_CHECKING:  # asyncio: with the event loop, which starts after the window's first paint
    import asyncio

    from yespo_console.core.events.findings import Report
    from yespo_console.core.history import Exchange
    from yespo_console.core.http.client import EventClient
    from yespo_console.core.http.environments import Environment
    from yespo_console.core.http.sending import SendResult

    # One send of a batch: the client (its environment), the URL shown while it goes, the body, and the
    # note kept with the exchange in history.
    Job = tuple[EventClient, str, bytes, str]


def _report_crash(task: asyncio.Future[Any]) -> None:
    """Route an unexpected error of a send task to the app's exception hook (a dialog and the log)."""
    if not task.cancelled() and task.exception() is not None:
        error = task.exception()
        assert error is not None
        sys.excepthook(type(error), error, error.__traceback__)


class SendFlow(QObject):
    """Sends with SESSION's clients; the production question is asked over PARENT."""

    busy_changed = Signal(bool)  # a batch started (True) or ended (False)
    sending = Signal(str)  # where the next body goes: its URL, with "(2 of 3)" within a batch
    not_sent = Signal(str)  # why nothing was sent (a key that cannot go into a header, say)
    cancelled = Signal(bool)  # the batch was cancelled; True when it had more than one send
    answered = Signal(object, str)  # the last send's SendResult, and a note to show with it (or "")
    status = Signal(str, int)  # for the status bar: the text, and for how many ms it shows
    finished = Signal(object)  # the last SendResult, or None when cancelled or refused

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._dialog_parent = parent
        self._task: asyncio.Task[None] | None = None

    @property
    def in_flight(self) -> bool:
        return self._task is not None and not self._task.done()

    # Dialogs run here, in plain slots, before any coroutine starts: a modal dialog's nested event loop
    # inside a running asyncio task makes qasync step other tasks re-entrantly ("Cannot enter into task").
    def send(self, env: Environment, body: bytes, report: Report | None = None) -> asyncio.Task[None] | None:
        """Send BODY to ENV; returns the task (None when it did not start: the reason is signalled)."""
        clients = self._clients_after_checks([env])
        if clients is None:
            return None
        return self._start([(clients[0], env.url, body, "")], report)

    def resend(self, exchanges: Sequence[Exchange], fallback: str) -> asyncio.Task[None] | None:
        """Send the exact bytes again, each to its own environment (FALLBACK, a name, if that one is gone)."""
        names = set(self.session.environments.names())
        envs = [self.session.environment(e.environment if e.environment in names else fallback) for e in exchanges]
        clients = self._clients_after_checks(envs)
        if clients is None:
            return None
        return self._start([(client, env.url, exchange.request_body, f"re-sent from #{exchange.id}")
                            for client, env, exchange in zip(clients, envs, exchanges, strict=True)])

    def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def _clients_after_checks(self, envs: list[Environment]) -> list[EventClient] | None:
        """The clients to send with, once nothing is in flight and production sends are confirmed."""
        if self.in_flight:
            self.status.emit("A request is already in flight: Esc cancels it.", 4000)
            return None
        guarded = [env for env in envs if env.needs_confirmation]
        if guarded and not confirm_production(self._dialog_parent, guarded[0], len(guarded),
                                              title="Send to production?", question="Send it?"):
            self.status.emit("Not sent.", 4000)
            self.finished.emit(None)
            return None
        try:
            return [self.session.client(env) for env in envs]
        except InputError as exc:  # a secret that cannot go into a header (a pasted line break, say)
            self.not_sent.emit(str(exc))
            self.finished.emit(None)
            return None

    def _start(self, jobs: list[Job], report: Report | None = None) -> asyncio.Task[None]:
        self.busy_changed.emit(True)
        import asyncio

        task = asyncio.ensure_future(self._send_all(jobs, report))
        task.add_done_callback(_report_crash)
        self._task = task
        return task

    async def _send_all(self, jobs: list[Job], report: Report | None) -> None:
        result: SendResult | None = None
        client: EventClient | None = None
        from asyncio import CancelledError

        try:
            for number, (client, url, body, note) in enumerate(jobs, start=1):
                self.sending.emit(url if len(jobs) == 1 else f"{url} ({number} of {len(jobs)})")
                result = await client.send(body, report=report, note=note)
        except CancelledError:
            result = None
            self.cancelled.emit(len(jobs) > 1)
        finally:
            self._task = None
            self.busy_changed.emit(False)
        if result is not None and client is not None:
            # Sent without a key: say where a key comes from (keyring, or $YESPO_API_KEY) next to the 401.
            missing = client.secret is None and result.status in (401, 403)
            self.answered.emit(result, self.session.secrets.missing_message(client.environment) if missing else "")
            self.status.emit(outcome_line(result.outcome, result.status, result.duration_ms), 8000)
        self.finished.emit(result)
