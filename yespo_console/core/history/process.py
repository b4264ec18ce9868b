"""Who wrote a pending history row, and whether that writer still runs.

A row is written as pending before its request leaves and completed when the answer arrives. A row
still pending when its writer is gone was cut short by a crash and becomes `interrupted`. The GUI and
a CLI may use one history file at the same time, so "gone" must never be guessed: each row keeps the
writer's pid and a token naming that process instance (its start time where the OS tells it, so a
recycled pid is not mistaken for the original writer).
"""

from __future__ import annotations

import os
import sys
import uuid
from functools import cache
from pathlib import Path


@cache
def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "?"


def _linux_probe(pid: int) -> tuple[bool, str | None]:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False, None
    # The command name (field 2) may hold spaces and parentheses: count fields from the last ")".
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):  # a zombie has ended; only its exit status is left to collect
        return False, None
    return True, f"linux:{_boot_id()}:{fields[19]}"


def _windows_probe(pid: int) -> tuple[bool, str | None]:
    if sys.platform != "win32":  # keeps mypy (run on Linux) from checking the Windows-only calls
        raise NotImplementedError
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        # Access denied means it exists but belongs to someone else: alive, identity unknown.
        return (True, None) if ctypes.get_last_error() == 5 else (False, None)
    try:
        code = wintypes.DWORD()
        if kernel32.GetExitCodeProcess(handle, ctypes.byref(code)) and code.value != 259:  # STILL_ACTIVE
            return False, None
        times = [wintypes.FILETIME() for _ in range(4)]
        if not kernel32.GetProcessTimes(handle, *(ctypes.byref(t) for t in times)):
            return True, None
        created = (times[0].dwHighDateTime << 32) | times[0].dwLowDateTime
        return True, f"windows:{created}"
    finally:
        kernel32.CloseHandle(handle)


def _posix_probe(pid: int) -> tuple[bool, str | None]:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False, None
    except PermissionError:
        return True, None
    except OSError:
        return False, None
    return True, None


def probe(pid: int) -> tuple[bool, str | None]:
    """(whether a process with this pid runs, its identity token if the OS can tell one)."""
    if pid <= 0:
        return False, None
    if sys.platform.startswith("linux"):
        return _linux_probe(pid)
    if sys.platform == "win32":
        # Never os.kill here: on Windows signal 0 is CTRL_C_EVENT and other values terminate.
        return _windows_probe(pid)
    return _posix_probe(pid)


_tokens: dict[int, str] = {}


def current_token() -> str:
    """The token of this process, computed per pid so that a forked child gets its own."""
    pid = os.getpid()
    token = _tokens.get(pid)
    if token is None:
        _alive, identity = probe(pid)
        token = identity or f"uuid:{uuid.uuid4().hex}"
        _tokens[pid] = token
    return token


def writer_alive(pid: int | None, token: str | None) -> bool:
    """Whether the process that wrote a pending row may still complete it.

    When in doubt (a running pid whose identity the OS does not tell) the answer is yes: marking a
    live writer's row interrupted would lose its answer, leaving a stale row pending costs nothing."""
    if pid is None:
        return False
    if pid == os.getpid():
        return token == current_token()
    running, identity = probe(pid)
    if not running:
        return False
    return identity is None or identity == token
