"""Shared by the command-line tests: the command run in this process, or as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.sandbox.helpers import SEARCH_SCENARIO as SCENARIO
from yespo_console.cli.main import main

__all__ = ["SCENARIO", "cli", "run_process"]


def cli(data: Path, *args: str) -> int:
    """`yespo-console --data-dir DATA ARGS...` in this process (the same code as the installed command)."""
    return main(["--data-dir", str(data), *args])


def run_process(*args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    """`python -m yespo_console ARGS...` in a process of its own: (exit code, stdout, stderr)."""
    result = subprocess.run([sys.executable, "-m", "yespo_console", *args], input=stdin, capture_output=True,
                            timeout=60, check=False)
    return result.returncode, result.stdout.decode(), result.stderr.decode()
