"""The desktop app in a process of its own, for the crash and concurrency tests.

    gui_driver.py HOME TAG COUNT LATENCY_MS [STOP_FILE]

Starts the app as `yespo-console gui` does (the log file, the exception hook, the qasync loop, the
session on HOME, the real MainWindow, the embedded sandbox), gives the sandbox LATENCY_MS of latency,
then sends COUNT events (0: until killed, or until STOP_FILE exists) from the raw editor, one after
another, each with the keyValue "TAG-N", then closes the window and ends. It prints, flushed, one line
per step:

    ready SANDBOX_EVENT_URL
    start N                         just before Send is triggered
    done N EXCHANGE_ID OUTCOME      when the window reports the result
    finished ROWS                   after the last send: the history rows the window lists
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtWidgets import QApplication

from yespo_console.core.paths import data_dir
from yespo_console.gui.app import make_application, settings_for
from yespo_console.gui.logs import install_excepthook, setup_logging


def say(*parts: object) -> None:
    print(*parts, flush=True)


def body(marker: str) -> str:
    return json.dumps({"eventTypeKey": "pageViewed", "keyValue": marker, "params": [
        {"name": "email", "value": "ann@example.com"},
        {"name": "page", "value": '{"location":"https://example.com/shoes"}'}]})


async def drive(home: Path, tag: str, count: int, latency_ms: int, stop: Path | None) -> int:
    from yespo_console.gui.main_window import MainWindow
    from yespo_console.gui.preview import PayloadPanel
    from yespo_console.gui.session import Session

    session = Session.open(home)
    window = MainWindow(session, settings_for(home))
    window.show()
    await session.start_sandbox()
    window.sandbox_ready()
    if session.sandbox is None:
        say("error", session.sandbox_error)
        return 1
    session.sandbox.set_faults(latency_ms=latency_ms)
    results: asyncio.Queue[object] = asyncio.Queue()
    window.send_finished.connect(results.put_nowait)
    window.payload.setCurrentIndex(PayloadPanel.RAW)
    say("ready", session.sandbox.event_url)
    number = 0
    while (count == 0 or number < count) and not (stop is not None and stop.exists()):
        window.payload.raw.setPlainText(body(f"{tag}-{number}"))
        say("start", number)
        window.send_action.trigger()
        result = await results.get()
        exchange_id = getattr(result, "exchange_id", None)
        outcome = getattr(getattr(result, "outcome", None), "value", None)
        say("done", number, exchange_id, outcome)
        number += 1
    window.history_dock.refresh()
    await asyncio.sleep(0.2)
    say("finished", window.history_dock.model.rowCount())
    window.close()
    await session.aclose()
    return 0


def main(argv: list[str]) -> int:
    home, tag, count, latency_ms = data_dir(argv[0]), argv[1], int(argv[2]), int(argv[3])
    stop = Path(argv[4]) if len(argv) > 4 else None
    log_path = setup_logging(home)
    app = make_application()
    install_excepthook(log_path)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        code = int(loop.run_until_complete(drive(home, tag, count, latency_ms, stop)))
    QApplication.processEvents()
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
