"""Every sandbox fault mode, sent from the window: a plain message, the right history row, and an event
loop that keeps turning all through the exchange (a QTimer counts its ticks and the longest gap).

tests/gui/test_send.py checks some of these words; here every mode is checked the same way, with the
exchange made slow on purpose so that a freeze would show.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from tests.reliability.helpers import plain
from yespo_console.core.http.outcome import Outcome
from yespo_console.gui.main_window import MainWindow
from yespo_console.gui.session import Session

LATENCY_MS = 600  # every exchange takes at least this long, so the loop has to keep turning meanwhile
TICK_MS = 20


@dataclass(frozen=True)
class Mode:
    name: str
    faults: dict[str, Any]
    outcome: Outcome
    status: int | None
    words: tuple[str, ...]  # all of them in the response pane, case-insensitive
    timeout_s: float | None = None
    api_key: str | None = None


MODES = [
    Mode("429 with Retry-After", {"status": 429, "retry_after": 7}, Outcome.RATE_LIMITED, 429,
         ("Rate limited", "HTTP 429", "too many requests", "retry after 7 s")),
    Mode("500", {"status": 500}, Outcome.SERVER_ERROR, 500, ("Server error (500)", "HTTP 500", "server's side")),
    Mode("503", {"status": 503, "retry_after": 3}, Outcome.SERVER_ERROR, 503,
         ("Server error (503)", "HTTP 503", "retry after 3 s")),
    Mode("latency beyond the timeout", {"latency_ms": 3000}, Outcome.TIMEOUT, None,
         ("Timed out", "no HTTP answer", "No complete answer", "within 1 s", "raise the environment's timeout"),
         timeout_s=1.0),
    Mode("dropped connection", {"drop_rate": 1.0}, Outcome.CONNECTION_ERROR, None,
         ("Connection failed", "no HTTP answer", "closed the connection without answering")),
    Mode("garbage answer", {"garbage_rate": 1.0}, Outcome.CONNECTION_ERROR, None,
         ("Connection failed", "no HTTP answer", "not valid HTTP")),
    Mode("wrong key (401)", {}, Outcome.REJECTED, 401,
         ("HTTP 401", "Not authorised", "API key or token was not accepted", "the sandbox default key"),
         api_key="the-right-key-0123456789"),
]
# What a person should never have to read in the response pane.
NOT_PLAIN = re.compile(r"Traceback|Exception|Error\(|httpx\.|httpcore|h11|\bNone\b|object at 0x|<class |"
                       r"bytearray\(|\bb'|\\x[0-9a-f]{2}")


def _set_timeout(session: Session, seconds: float) -> None:
    env = session.environments.get("sandbox")
    session.environments.save(env.model_copy(update={"timeout_s": seconds, "connect_timeout_s": seconds}))


@pytest.mark.parametrize("mode", [pytest.param(m, id=m.name) for m in MODES])
def test_each_fault_is_told_plainly_while_the_window_keeps_turning(mode: Mode, window: MainWindow,
                                                                    session: Session, qtbot: Any) -> None:
    assert session.sandbox is not None and session.history is not None
    if mode.timeout_s is not None:
        _set_timeout(session, mode.timeout_s)
    if mode.api_key is not None:
        session.sandbox.api_key = mode.api_key
    session.sandbox.set_faults(**{"latency_ms": LATENCY_MS, **mode.faults})

    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start(TICK_MS)
    try:
        started = time.perf_counter()
        with qtbot.waitSignal(window.send_finished, timeout=20_000) as blocker:
            window.send_action.trigger()
            # The exchange takes LATENCY_MS at least, so it cannot be over yet: the window says it is busy.
            assert not blocker.signal_triggered
            assert window.busy.isVisible()
        elapsed = time.perf_counter() - started
    finally:
        timer.stop()
    result = blocker.args[0]

    # The loop kept turning: ticks all along, and never a long gap (a blocked loop shows as one).
    during = [t for t in ticks if started <= t <= started + elapsed]
    gaps = [b - a for a, b in zip([started, *during], [*during, started + elapsed], strict=True)]
    assert elapsed >= LATENCY_MS / 1000 * 0.9
    assert len(during) >= elapsed / (TICK_MS / 1000) * 0.4, f"{len(during)} ticks in {elapsed:.2f} s"
    assert max(gaps) < 0.25, f"the event loop stood still for {max(gaps) * 1000:.0f} ms"

    # Told in words, with the status (or its absence), and kept in history as such.
    assert result is not None and result.outcome is mode.outcome and result.status == mode.status
    shown = plain(window.response.summary.text())
    for words in mode.words:
        assert words.lower() in shown.lower(), f"{words!r} not in {shown!r}"
    assert not NOT_PLAIN.search(shown), shown
    assert f"Saved in history as #{result.exchange_id}" in shown
    kept = session.history.get(result.exchange_id)
    assert kept is not None and kept.outcome is mode.outcome and kept.status == mode.status
    assert mode.outcome.label.lower() in window.statusBar().currentMessage().lower()

    # And the window is usable straight away: the next send, without the fault, is accepted.
    session.sandbox.reset_faults()
    session.sandbox.api_key = None
    with qtbot.waitSignal(window.send_finished, timeout=20_000) as again:
        window.send_action.trigger()
    assert again.args[0].outcome is Outcome.ACCEPTED
    assert "Accepted" in window.response.summary.text()
