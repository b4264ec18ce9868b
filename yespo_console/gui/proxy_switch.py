"""Request → Recording proxy: the `yespo-console proxy` relay (yespo_console.relay) run inside the window, on its
qasync loop. A small dialog asks where to relay (yespo, tracker or a base URL) and on which port; relaying
to production is confirmed once, when the proxy starts. While it runs the status bar says "Proxy :PORT →
target", and each exchange lands in the history (kind proxied) as it happens, as the CLI's proxy records it.
The relay and its server stack, and the dialogs (gui.proxy_dialog), load only when the proxy is first started."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel

from yespo_console.core.errors import InputError
from yespo_console.gui.dialogs import confirm_relay
from yespo_console.gui.send_flow import _report_crash

if TYPE_CHECKING:
    import asyncio

    from yespo_console.gui.main_window import MainWindow
    from yespo_console.relay import ProxiedExchange, Relay
    from yespo_console.sandbox.store import SandboxEvent

PROXY_PORT = 8760  # the CLI proxy's default port too: an integration pointed at one works with the other
REFRESH_MS = 250


class ProxySwitch(QObject):
    """The checkable action, the status-bar indicator, and the relay while it runs."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.relay: Relay | None = None
        self.task: asyncio.Task[None] | None = None  # starting or stopping
        self._last = ("yespo", PROXY_PORT)
        self.action = QAction("Recording proxy…", window)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.action.setToolTip("Relay an integration's requests to Yespo, recording each exchange (Ctrl+Shift+P)")
        self.action.triggered.connect(self._triggered)
        # A busy integration sends many exchanges a second: the history dock reads them once per burst.
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(window.history_dock.refresh)
        self.indicator = QLabel(window)
        self.indicator.setObjectName("proxyIndicator")
        self.indicator.hide()
        window.statusBar().addPermanentWidget(self.indicator)

    @property
    def running(self) -> bool:
        return self.relay is not None and self.relay.running

    def _triggered(self, checked: bool) -> None:
        if not checked:
            self.stop()
            return
        from PySide6.QtWidgets import QDialog

        from yespo_console.gui.proxy_dialog import ProxyDialog

        dialog = ProxyDialog(self.window, target=self._last[0], port=self._last[1])
        if dialog.exec() != QDialog.DialogCode.Accepted or self.start(*dialog.chosen()) is None:
            self.action.setChecked(False)

    # Dialogs are asked here, in a plain slot, before the coroutine starts (see gui.send_flow).
    def start(self, to: str, port: int) -> asyncio.Task[None] | None:
        """Start relaying to TO on PORT; the task that starts it, or None (the reason is shown)."""
        from yespo_console.relay import Relay, RelayError, upstream_for

        if self.relay is not None or (self.task is not None and not self.task.done()):
            self._say("The proxy is already running (or stopping): stop it first.")
            return None
        if self.window.session.history_wait:  # what it relayed now would not be recorded
            self._say(f"Proxy not started: {self.window.session.history_wait}.")
            return None
        try:
            upstream = upstream_for(to)
        except InputError as exc:
            self._say(f"Proxy not started: {exc}")
            return None
        if upstream.production and not confirm_relay(self.window, upstream):
            self._say("Proxy not started.")
            return None
        session = self.window.session
        try:
            relay = Relay(upstream, port=port, store=session.history, profile=self.window.form.profile)
        except RelayError as exc:
            self._say(f"Proxy not started: {exc}")
            return None
        self._last = (to, port)
        self.relay = relay
        self.action.setChecked(True)
        import asyncio  # loaded with the event loop, after the window's first paint

        self.task = asyncio.ensure_future(self._start(relay))
        self.task.add_done_callback(_report_crash)
        return self.task

    async def _start(self, relay: Relay) -> None:
        from yespo_console.relay import RelayError

        try:
            await relay.start()
        except RelayError as exc:
            self.relay = None
            self.action.setChecked(False)
            self._say(f"Proxy not started: {exc}")
            return
        switched_off = self.relay is not relay  # while it was starting
        if switched_off:
            await relay.stop()
            return
        relay.add_listener(self._exchanged)
        where = relay.upstream.shown
        self.indicator.setText(f"Proxy :{relay.port} → {where}")
        self.indicator.setToolTip(f"Recording proxy at {relay.base_url}, relaying to {where}; exchanges are in the "
                                  "history (kind proxied). Request → Recording proxy stops it.")
        self.indicator.show()
        self._say(f"Proxy listening at {relay.base_url}, relaying to {where}."
                  + ("" if self.window.session.history is not None else " History is off: nothing is recorded."))

    def stop(self) -> asyncio.Task[None] | None:
        """Stop relaying (the exchanges in flight finish and are recorded); the task, or None if none ran."""
        relay, self.relay = self.relay, None
        self.action.setChecked(False)
        self.indicator.hide()
        if relay is None:
            return None
        import asyncio

        self.task = asyncio.ensure_future(self._stop(relay))
        self.task.add_done_callback(_report_crash)
        return self.task

    async def _stop(self, relay: Relay) -> None:
        await relay.stop()
        self._refresh.stop()
        self.window.history_dock.refresh()  # the exchanges that finished while it stopped
        self._say("Proxy stopped.")

    def _exchanged(self, exchange: ProxiedExchange) -> None:
        if not self._refresh.isActive():
            self._refresh.start()
        self.window.statusBar().showMessage(f"Proxied: {exchange.line()}", 8000)
        shown = inbox_event(exchange)
        if shown is not None:
            self.window.inbox.add_event(shown)

    def _say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 10000)


def inbox_event(exchange: ProxiedExchange) -> SandboxEvent | None:
    """A relayed exchange as an inbox row (None without its request): the upstream's answer in place of the
    sandbox's, the console's own judgement of the body, everything as masked as in the history."""
    from yespo_console.sandbox.store import SandboxEvent

    request, result = exchange.request, exchange.result
    if request is None or result is None:
        return None
    notes = [f"Relayed by the recording proxy; the answer is the upstream's (HTTP {exchange.upstream_status})"
             if exchange.upstream_status is not None else "Relayed by the recording proxy; the upstream did not answer"]
    notes += [line for line in (exchange.error, exchange.history_error) if line]
    return SandboxEvent(
        id=exchange.id or 0, received_at=exchange.at, endpoint=f"proxy {exchange.path}", method=exchange.method,
        path=exchange.path, remote=exchange.client, headers=request.headers, body=request.body,
        status=exchange.status, response=result.body.decode("utf-8", "replace"),
        valid=None if exchange.errors is None else exchange.errors == 0, event_type=exchange.event_type,
        key_value=exchange.key_value, diagnostics=request.diagnostics, notes=tuple(notes),
        duration_ms=exchange.duration_ms,
    )
