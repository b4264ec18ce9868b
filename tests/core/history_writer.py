"""A separate process writing to a history file, for the crash and concurrency tests.

    history_writer.py pending PATH N        begin N exchanges, print their ids, then wait: a line
                                            "complete" on stdin completes them; a kill leaves them pending
    history_writer.py write PATH N TAG GO PAUSE
                                            wait until the file GO exists, then begin+complete N
                                            exchanges tagged TAG, PAUSE seconds apart (0: flat out)
    history_writer.py loop PATH TAG         begin+complete exchanges with large bodies until killed,
                                            printing each completed id
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from yespo_console.core.history import HistoryStore
from yespo_console.core.http.exchange import ExchangeRequest, ExchangeResult
from yespo_console.core.http.outcome import Outcome


def _request(tag: str, number: int, padding: int = 0) -> ExchangeRequest:
    body = {"eventTypeKey": tag, "keyValue": f"{tag}-{number}", "params": [{"name": "pad", "value": "x" * padding}]}
    return ExchangeRequest(url="http://127.0.0.1:9/api/v2/event", body=json.dumps(body).encode(),
                           event_type=tag, key_value=f"{tag}-{number}", environment="sandbox")


def _accepted(number: int) -> ExchangeResult:
    return ExchangeResult(Outcome.ACCEPTED, 200, (("Content-Type", "application/json"),),
                          f'{{"n": {number}}}'.encode(), 1.5)


def main(argv: list[str]) -> int:
    mode, path = argv[0], Path(argv[1])
    if mode == "pending":
        with HistoryStore(path) as store:
            ids = [store.begin(_request("pendingWriter", n)) for n in range(int(argv[2]))]
            print(json.dumps(ids), flush=True)
            for line in sys.stdin:
                if line.strip() == "complete":
                    for n, exchange_id in enumerate(ids):
                        store.complete(exchange_id, _accepted(n))
                    print("done", flush=True)
                    return 0
        return 1
    if mode == "write":
        count, tag, go, pause = int(argv[2]), argv[3], Path(argv[4]), float(argv[5])
        with HistoryStore(path) as store:
            print("ready", flush=True)
            while not go.exists():
                time.sleep(0.001)
            for n in range(count):
                exchange_id = store.begin(_request(tag, n, padding=300))
                if pause:
                    time.sleep(pause)  # the request on its way: the other writer's moment
                store.complete(exchange_id, _accepted(n))
        print(f"ok {count}", flush=True)
        return 0
    if mode == "loop":
        tag = argv[2]
        with HistoryStore(path) as store:
            n = 0
            while True:
                exchange_id = store.begin(_request(tag, n, padding=20_000))
                store.complete(exchange_id, _accepted(n))
                print(exchange_id, flush=True)
                n += 1
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
