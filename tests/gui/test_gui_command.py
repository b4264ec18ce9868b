"""`yespo-console gui` as a user starts it: with no display (a clear line, exit 2, no Qt abort) and with a
body file loaded before the screenshot (a bad file is a clear line and exit 2, before any window)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from yespo_console.cli.gui_cmd import BODY_FILE_MAX_BYTES, display_missing


def _clean_env(home: Path, **extra: str) -> dict[str, str]:
    """What a login shell without a desktop has: no DISPLAY, no WAYLAND_DISPLAY, no QT_QPA_PLATFORM."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "YESPO_CONSOLE_HOME": str(home),
           "PYTHONPATH": os.environ.get("PYTHONPATH", ""), "LANG": "C.UTF-8",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    env.update(extra)
    return env


def _console(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yespo_console", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a display server is a Linux/BSD matter")
@pytest.mark.parametrize("args", [(), ("gui",), ("gui", "--event", "cartUpdated")])
def test_without_a_display_it_says_so_in_one_line_and_exits_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = _console(*args, env=_clean_env(tmp_path))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "no display found" in lines[0] and "xvfb-run yespo-console" in lines[0] and "--screenshot" in lines[0]
    assert "qt.qpa" not in done.stderr and "Aborted" not in done.stderr
    assert not (tmp_path / "settings.ini").exists()  # stopped before anything was opened


def test_what_counts_as_a_display() -> None:
    assert display_missing({}, "linux")
    assert display_missing({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert display_missing({"QT_QPA_PLATFORM": "wayland;xcb"}, "linux")
    assert not display_missing({"DISPLAY": ":0"}, "linux")
    assert not display_missing({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert not display_missing({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert not display_missing({"QT_QPA_PLATFORM": "vnc:size=800x600"}, "linux")
    assert not display_missing({"QT_QPA_PLATFORM": "xcb;minimal"}, "linux")  # a headless fallback listed
    assert not display_missing({}, "win32")
    assert not display_missing({}, "darwin")


def test_a_screenshot_needs_no_display_and_shows_the_body_file(tmp_path: Path) -> None:
    body = {"eventTypeKey": "cartUpdated", "keyValue": "body-file@example.org",
            "params": [{"name": "email", "value": "body-file@example.org"}]}
    body_file = tmp_path / "body.json"
    body_file.write_text(json.dumps(body), encoding="utf-8")
    shot = tmp_path / "shot.png"
    done = _console("gui", "--screenshot", str(shot), "--body", str(body_file), "--size", "1280x720",
                    env=_clean_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert shot.stat().st_size > 10_000
    # The draft the window closed with is the body file's: it was in the form when the PNG was taken.
    settings = (tmp_path / "settings.ini").read_text(encoding="utf-8")
    assert "body-file@example.org" in settings


@pytest.mark.parametrize("content, expected", [
    (None, "no such file"),
    (b"\xff\xfe not text", "not UTF-8"),
    (b" " * (BODY_FILE_MAX_BYTES + 1), "larger than 1 MB"),
])
def test_a_bad_body_file_is_one_clear_line_and_exit_2(tmp_path: Path, content: bytes | None, expected: str) -> None:
    body_file = tmp_path / "body.json"
    if content is not None:
        body_file.write_bytes(content)
    done = _console("gui", "--screenshot", str(tmp_path / "shot.png"), "--body", str(body_file),
                    env=_clean_env(tmp_path))
    assert done.returncode == 2
    assert expected in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "shot.png").exists()
