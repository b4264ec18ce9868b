"""The recording proxy under load (issue 16): 200 concurrent clients, round after round, through one proxy to
a local upstream: every request answered by the upstream, every exchange in the history, none left pending.
The fast version is one round; the soak one 25 (5,000 exchanges)."""

from __future__ import annotations

import asyncio

import pytest

from tests.relay.conftest import LocalUpstream, hammer, history, upstream  # noqa: F401 (fixtures)
from tests.reliability.helpers import SCALES
from yespo_console.core.history import HistoryFilter, HistoryStore
from yespo_console.core.http.outcome import Outcome
from yespo_console.relay import Relay, upstream_for

ROUNDS = {"fast": 1, "soak": 25}


@pytest.mark.parametrize("scale", SCALES)
def test_no_exchange_is_lost_under_200_concurrent_clients(upstream: LocalUpstream,  # noqa: F811
                                                          history: HistoryStore, scale: str) -> None:  # noqa: F811
    rounds = ROUNDS[scale]

    async def run() -> list[int]:
        async with Relay(upstream_for(upstream.url), port=0, store=history) as relay:
            return await hammer(relay.base_url, 200, rounds)

    statuses = asyncio.run(run())
    total = 200 * rounds
    assert statuses == [200] * total
    assert len(upstream.log.received) == total
    assert history.count(HistoryFilter(kind="proxied")) == total
    assert history.count(HistoryFilter(kind="proxied", outcome=Outcome.ACCEPTED)) == total
