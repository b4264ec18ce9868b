"""The proxy's upstream pool: requests in flight are spread over small httpx pools, the least busy first."""

from __future__ import annotations

import pytest

from yespo_console.relay.pool import SHARD_CONNECTIONS, UpstreamPool


@pytest.mark.asyncio
async def test_a_request_takes_the_least_busy_client_and_gives_it_back() -> None:
    pool = UpstreamPool(3 * SHARD_CONNECTIONS)
    try:
        with pool.lease() as first, pool.lease() as second, pool.lease() as third:
            assert len({id(first), id(second), id(third)}) == 3
            with pool.lease() as fourth:
                assert fourth is first  # all equally busy: the first again
        with pool.lease() as again:
            assert again is first
    finally:
        await pool.aclose()
