"""Slow clients cannot take the sandbox down (issue 15): half-open connections over the cap, a header that
trickles in. Short versions; tests/reliability/test_sandbox_slow_clients.py runs them as the reproduction did,
against the command under a lowered open-file limit."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
import pytest

from tests.sandbox.helpers import body
from yespo_console.sandbox import Sandbox

AUTH = ("", "any-key")
HALF_A_HEAD = b"POST /api/v2/event HTTP/1.1\r\nHost: 127.0.0.1\r\n"


async def _half_open(port: int, count: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    opened = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(HALF_A_HEAD)
        await writer.drain()
        opened.append((reader, writer))
    return opened


async def _closed_by_server(reader: asyncio.StreamReader, within_s: float) -> bool:
    try:
        return await asyncio.wait_for(reader.read(), within_s) == b""
    except (ConnectionError, TimeoutError):
        return False


async def _trickle_until_cut_off(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> bool:
    for byte in data:
        writer.write(bytes([byte]))
        try:
            await writer.drain()
        except ConnectionError:
            return True
        if reader.at_eof() or await _closed_by_server(reader, 0.05):
            return True
    return False


@pytest.mark.asyncio
async def test_half_open_connections_over_the_cap_do_not_lock_out_a_client(tmp_path: Path) -> None:
    async with Sandbox(port=0, data_dir=tmp_path, max_connections=20, header_timeout_s=60) as sb:
        opened = await _half_open(sb.port, 40)
        try:
            async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
                answer = await client.post(sb.event_url, content=body(), auth=AUTH)
            assert answer.status_code == 200
            # The oldest waiting connections made room, and the sandbox holds no more than its cap.
            closed = [await _closed_by_server(reader, 2) for reader, _ in opened[:21]]
            assert all(closed)
            assert not await _closed_by_server(opened[-1][0], 0.05)
        finally:
            for _, writer in opened:
                writer.close()
        assert [e.status for e in sb.events()] == [200]


@pytest.mark.asyncio
async def test_a_header_that_trickles_in_is_cut_off(tmp_path: Path) -> None:
    """uvicorn's keep-alive timer restarts with every byte; the header deadline does not."""
    async with Sandbox(port=0, data_dir=tmp_path, header_timeout_s=0.5) as sb:
        reader, writer = await asyncio.open_connection("127.0.0.1", sb.port)
        silent_reader, silent_writer = await asyncio.open_connection("127.0.0.1", sb.port)
        try:
            assert await _trickle_until_cut_off(reader, writer, HALF_A_HEAD * 10)
            assert await _closed_by_server(silent_reader, 2)
        finally:
            writer.close()
            silent_writer.close()
        async with httpx.AsyncClient(trust_env=False) as client:  # and it still serves
            assert (await client.post(sb.event_url, content=body(), auth=AUTH)).status_code == 200


@pytest.mark.asyncio
async def test_a_kept_alive_connection_has_the_same_header_deadline(tmp_path: Path) -> None:
    async with Sandbox(port=0, data_dir=tmp_path, header_timeout_s=0.5) as sb:
        reader, writer = await asyncio.open_connection("127.0.0.1", sb.port)
        try:
            writer.write(b"GET /_sandbox/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
            await reader.read(1024)  # the small JSON body
            assert await _trickle_until_cut_off(reader, writer, HALF_A_HEAD * 10)
        finally:
            writer.close()


@pytest.mark.asyncio
async def test_a_body_that_never_ends_or_crawls_is_cut_off(tmp_path: Path) -> None:
    """An endless chunked upload was read (and dropped) for as long as it lasted; a crawling one held the
    request open for ever."""
    async with Sandbox(port=0, data_dir=tmp_path, body_timeout_s=0.5) as sb:
        reader, writer = await asyncio.open_connection("127.0.0.1", sb.port)
        head = b"POST /api/v2/event HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer k\r\n"
        try:
            writer.write(head + b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"%x\r\n%s\r\n" % (64 * 1024, b" " * 64 * 1024)
            with contextlib.suppress(ConnectionError):
                for _ in range(24):  # 1.5 MiB, and the body is still not finished
                    writer.write(chunk)
                    await writer.drain()
            for _ in range(100):
                if sb.events():
                    break
                await asyncio.sleep(0.05)
            [endless] = sb.events()
            assert endless.status == 413 and len(endless.body) <= 4096
        finally:
            writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", sb.port)
        try:
            writer.write(head + b"Content-Length: 100\r\n\r\n{")
            answer = await asyncio.wait_for(reader.read(), 5)
            assert answer.startswith(b"HTTP/1.1 408") and b"connection: close" in answer.lower()
        finally:
            writer.close()
        assert [e.status for e in sb.events()] == [408, 413]
