"""The reproduction of issue 15's slow-client attack, against `yespo-console sandbox` as a user runs it.

Then: 1,100 half-open connections under the usual 1,024 open-file limit stopped it answering and wrote
137 MB of "Too many open files" to stderr in 30 s. Now it holds at most its cap of connections (256, fewer
under a low open-file limit), makes room by closing the one waiting longest for a request, keeps
answering, and writes a handful of lines. The fast version scales the limit down (256 files, 400
connections); `make soak` runs the original numbers.
"""

from __future__ import annotations

import resource
import signal
import socket
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.reliability.helpers import SCALES
from tests.sandbox.helpers import body, start_sandbox_process

HALF_A_HEAD = b"POST /api/v2/event HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@pytest.mark.skipif(sys.platform == "win32", reason="open-file limits are a POSIX matter")
@pytest.mark.parametrize("scale", SCALES)
def test_half_open_connections_beyond_the_open_file_limit(tmp_path: Path, scale: str) -> None:
    open_files, connections = (1024, 1100) if scale == "soak" else (256, 400)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < connections + 64:
        if hard != resource.RLIM_INFINITY and hard < connections + 64:
            pytest.skip(f"this test needs {connections + 64} open files; the limit here is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (connections + 64, hard))
    process, base = start_sandbox_process(tmp_path, "--quiet", open_files=open_files)
    port = int(base.rsplit(":", 1)[1])
    sockets: list[socket.socket] = []
    try:
        for _ in range(connections):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(HALF_A_HEAD)
            sockets.append(sock)
        started = time.monotonic()
        with httpx.Client(trust_env=False, timeout=10) as client:
            answer = client.post(base + "/api/v2/event", content=body(), auth=("", "k"))
            assert answer.status_code == 200
            assert client.get(base + "/_sandbox/health").status_code == 200
        assert time.monotonic() - started < 10
        assert process.poll() is None
    finally:
        for sock in sockets:
            sock.close()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err[-2000:]
    assert "Too many open files" not in err
    assert len(err.splitlines()) < 20, err[-2000:]  # folded: one line per kind, plus its count at the end
    assert "closed the connection waiting longest" in err
