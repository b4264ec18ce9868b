"""The Verification dock: for the exchange just sent, or the send selected in the history, find the contact
the event resolves to and follow what happened next (core.followup.verify) — the contact's id, name and
channels or "Contact not found", then the activity and messages linked to the event, with the workflow's name,
channel, status and time.

It polls on the window's qasync loop for the chosen time (default 2 minutes) with a countdown; Stop cancels
it and keeps what was found. The result is kept with the exchange in the history (`history show` prints it),
and shown again when that send is selected later. Every call it makes is a lookup in the history.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from yespo_console.core.errors import YespoConsoleError
from yespo_console.gui.later_dock import LaterDock
from yespo_console.gui.session import Session

if TYPE_CHECKING:  # the history's modules load with it, after the window's first paint (hmac, secrets)
    import asyncio

    from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton, QSpinBox

    from yespo_console.core.followup.verify import Progress, Verification
    from yespo_console.core.history.models import Exchange
    from yespo_console.core.http.environments import Environment
    from yespo_console.core.http.sending import SendResult
    from yespo_console.gui.elided import ElidedLabel

IDLE_TEXT = "Send an event, or select a send in the history, then Verify to see what followed it."


class VerifyDock(LaterDock):
    finished = Signal(object)  # the Verification, when one ends (found, nothing, stopped or failed)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("Verification", parent)
        self.setObjectName("verifyDock")
        self.session = session
        self.exchange: Exchange | None = None
        self._task: asyncio.Task[None] | None = None
        # Its contents come a turn after the window's first paint, or when first needed: Qt makes a widget
        # class's enum types on its first use, here a spin box's and others.

    def _make_contents(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSpinBox, QVBoxLayout

        from yespo_console.gui.elided import ElidedLabel

        # One line, elided in the middle (the event type and the environment stay), whole on hover: a
        # 300-character keyValue wrapped over three lines took the results' room.
        self.target: ElidedLabel = ElidedLabel(self, Qt.TextElideMode.ElideMiddle)
        self.target.set_full_text(IDLE_TEXT)
        self.wait: QSpinBox = QSpinBox(self)
        self.wait.setRange(1, 30)
        self.wait.setValue(2)
        self.wait.setSuffix(" min")
        self.wait.setToolTip("How long to keep polling for activity or a message linked to the event")
        self.button: QPushButton = QPushButton("Verify", self)
        self.button.setEnabled(False)
        self.button.clicked.connect(self._toggle)
        self.status: QLabel = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)  # an error's words, however long, never widen the window
        self.results: QPlainTextEdit = QPlainTextEdit(self)
        self.results.setReadOnly(True)
        self.results.setAccessibleName("What followed the event")

        row = QHBoxLayout()
        row.addWidget(self.target, 1)
        row.addWidget(QLabel("Wait", self))
        row.addWidget(self.wait)
        row.addWidget(self.button)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.results, 1)
        self.setWidget(body)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # -- what to verify ------------------------------------------------------------------------------

    def follow_send(self, result: SendResult | None) -> None:
        """The window's send just finished: it becomes the exchange to verify."""
        if result is None or result.exchange_id is None or self.session.history is None:
            return
        self.build_contents()
        try:
            self.set_exchange(self.session.history.get(result.exchange_id))
        except YespoConsoleError as exc:  # the history file busy or gone: say so, the window goes on
            self.status.setText(f"The send could not be read back from the history: {exc}")

    def set_exchange(self, exchange: Exchange | None) -> None:
        """Verify EXCHANGE next (None: keep the current one); while polling, the current one stays."""
        if exchange is None or self.running:
            return
        self.build_contents()
        self.exchange = exchange
        if exchange.kind != "send" or not exchange.event_type:
            self.target.set_full_text(f"#{exchange.id} is not an event send: nothing to verify.")
            self.button.setEnabled(False)
            return
        self.target.set_full_text(f"#{exchange.id}: {exchange.event_type} for {exchange.key_value or '-'} "
                            f"({exchange.environment})")
        self.button.setEnabled(True)
        self.status.clear()
        self.results.setPlainText(self._stored(exchange.id))

    def _stored(self, exchange_id: int) -> str:
        """What an earlier verification of the exchange found, if it was verified."""
        if self.session.history is None:
            return ""
        try:
            stored = self.session.history.verifications([exchange_id]).get(exchange_id)
        except YespoConsoleError as exc:
            return f"An earlier verification could not be read: {exc}"
        return "" if stored is None else f"Verified before ({stored.status}): {stored.summary}"

    # -- polling -------------------------------------------------------------------------------------

    def _toggle(self) -> None:
        if self.running:
            self.stop()
        else:
            self.start()

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def start(self) -> asyncio.Task[None] | None:
        """Start verifying the current exchange (its task; None when it cannot: the reason is shown)."""
        self.build_contents()
        exchange = self.exchange
        if exchange is None or self.running:
            return None
        env = self._environment(exchange)
        if env is None:
            return None
        self.button.setText("Stop")
        self.wait.setEnabled(False)
        self.results.clear()
        import asyncio  # loaded with the event loop, after the window's first paint

        self._task = asyncio.ensure_future(self._verify(exchange, env))
        return self._task

    def _environment(self, exchange: Exchange) -> Environment | None:
        if self.session.environments.find(exchange.environment) is None:
            self.status.setText(f"The environment {exchange.environment!r} of #{exchange.id} is gone (a send to a "
                                "URL has none): verify it with `yespo-console verify` and --url.")
            return None
        return self.session.environment(exchange.environment)

    async def _verify(self, exchange: Exchange, env: Environment) -> None:
        # httpx and the follow-up client load when first used, not with the window.
        from yespo_console.core.followup.client import AccountClient
        from yespo_console.core.followup.verify import PollPlan, SentEvent, result_lines, verify

        event = SentEvent(exchange.event_type, exchange.key_value, exchange.key_value_source, exchange.started_at)
        # What polling allocates brings on full garbage collections, each a pause of the whole window over every
        # object it holds (bench_verify_gui: its longest stalls). Frozen, the objects that were there before are
        # not walked again; they are handed back when polling ends. A freeze made elsewhere is left as it is.
        freezing = gc.get_freeze_count() == 0
        if freezing:
            gc.freeze()
        try:
            async with AccountClient(env, secret=self.session.secret(env), recorder=self.session.history,
                                     missing_key=self.session.secrets.missing_message(env)) as client:
                result = await verify(client, event, PollPlan(wait_s=self.wait.value() * 60.0),
                                      progress=self._progress)
                detail = client.masker.value(result.as_dict())
        finally:
            if freezing:
                gc.unfreeze()
            self.button.setText("Verify")
            self.wait.setEnabled(True)
        self.status.setText(self._kept(exchange, result, detail))
        self.results.setPlainText("\n".join(result_lines(result)))
        self.finished.emit(result)

    def _kept(self, exchange: Exchange, result: Verification, detail: dict[str, object]) -> str:
        from yespo_console.core.history.verifications import VerificationRecord

        done = f"{result.polls} poll(s) in {result.waited_s:.0f} s"
        if self.session.history is None:
            return done
        try:
            self.session.history.set_verification(VerificationRecord(exchange.id, result.finished_at, result.status,
                                                                     result.summary, detail))
        except YespoConsoleError as exc:
            return f"{done}; not kept in the history: {exc}"
        return f"{done}; kept with #{exchange.id} in the history."

    def _progress(self, progress: Progress) -> None:
        left = int(progress.remaining_s)
        what = "Finding the contact" if progress.stage == "contact" else f"Poll {progress.polls}"
        self.status.setText(f"{what}… {left // 60}:{left % 60:02d} left")
