"""Bodies and small helpers shared by the sandbox and client tests, and `SandboxThread`."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from yespo_console.sandbox import Sandbox

VALID_EVENT = {
    "eventTypeKey": "pageViewed",
    "keyValue": "ann@example.com",
    "params": [
        {"name": "email", "value": "ann@example.com"},
        {"name": "page", "value": '{"location":"https://example.com/shoes"}'},
    ],
}
MISSING_PAGE_EVENT = {"eventTypeKey": "pageViewed", "keyValue": "ann@example.com", "params": []}


def body(obj: object = VALID_EVENT) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def free_port() -> int:
    """A port nothing listens on (bound and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def skip_unless_lookups_fail(host: str) -> None:
    """Skip the test unless this machine's resolver says at once that `host` does not exist: with no resolver
    to ask (or one that resolves everything), a failed lookup cannot be told from a slow or a found one."""
    try:
        socket.getaddrinfo(host, 80)
    except socket.gaierror:
        return
    except OSError as exc:
        pytest.skip(f"the resolver cannot be asked here: {exc}")
    pytest.skip(f"the resolver here finds {host!r}")


def start_sandbox_process(data: Path, *extra: str, open_files: int | None = None) -> tuple[subprocess.Popen[str], str]:
    """`yespo-console sandbox --port 0` as a process of its own (with `open_files`, under that open-file
    limit): the process, once it listens, and its base URL."""

    def limit_files() -> None:
        import resource

        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    process = subprocess.Popen(
        [sys.executable, "-m", "yespo_console", "--data-dir", str(data), "sandbox", "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=limit_files if open_files is not None else None,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("Yespo sandbox listening on "), first + (process.stderr.read() if process.poll() else "")
    return process, first.split()[-1]


class SandboxThread:
    """A sandbox on its own asyncio loop in a daemon thread, for synchronous tests and child processes:
    `start()` returns the running `Sandbox`, `stop()` stops it and its loop. Listeners run on its thread."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._sandbox: Sandbox | None = None

    def start(self, timeout: float = 10.0) -> Sandbox:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="yespo-sandbox", daemon=True)
        self._thread.start()

        async def _start() -> Sandbox:
            sandbox = Sandbox(**self._kwargs)
            try:
                await sandbox.start()
            except BaseException:
                sandbox.close()
                raise
            return sandbox

        try:
            self._sandbox = asyncio.run_coroutine_threadsafe(_start(), loop).result(timeout)
        except BaseException:
            self._shutdown_loop()
            raise
        return self._sandbox

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is None:
            return
        sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            try:
                asyncio.run_coroutine_threadsafe(sandbox.stop(), self._loop).result(timeout)
            finally:
                sandbox.close()
        self._shutdown_loop()

    def _shutdown_loop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None
        if not loop.is_running():
            loop.close()


# A one-step scenario and its expectation, shared by the `run`/`history replay` tests and the Scenarios dock's.
SEARCH_SCENARIO = """\
name: Quick
variables:
  email: default@example.com
steps:
  - event: searchRequest
    keyValue: "{{email}}"
    locators: {email: "{{email}}"}
    values: {search: "{{query}}", isFound: 0}
  - expect: 200
"""
