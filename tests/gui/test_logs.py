"""The window's log file: rotated at a size cap, repeats folded into one line with a count, escapes shown."""

from __future__ import annotations

import logging

import pytest

from yespo_console.gui import logs as gui_logs


@pytest.fixture
def log_to(tmp_path):
    """setup_logging on a temp folder (with a small cap); the handler it adds is removed afterwards."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level

    def setup(**caps: int):
        return gui_logs.setup_logging(tmp_path, **caps)

    yield setup
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


def test_the_log_rotates_at_its_cap_and_keeps_a_few_old_files(log_to, tmp_path):
    path = log_to(max_bytes=4_000, backups=2)
    log = logging.getLogger("yespo_console.gui.test")
    for number in range(400):  # ~30 KB of distinct lines (distinct texts: one template would be folded)
        text = f"line {number} of a busy session {'x' * 40}"
        log.info(text)
    files = sorted(p.name for p in tmp_path.glob("yespo-console.log*"))
    assert files == ["yespo-console.log", "yespo-console.log.1", "yespo-console.log.2"]
    assert all((tmp_path / name).stat().st_size <= 4_000 for name in files)
    assert "line 399 of a busy session" in path.read_text(encoding="utf-8")  # the newest is in the current file


def test_repeats_are_folded_into_one_line_with_a_count(log_to):
    path = log_to()
    log = logging.getLogger("yespo_console.gui.test_repeats")
    for attempt in range(500):
        log.warning("the history could not be written (attempt %d)", attempt)
    gui_logs.flush_repeats()
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if "could not be written" in line]
    assert len(lines) == 2, lines
    assert "(attempt 0)" in lines[0]
    assert lines[1].endswith("(attempt 499) [repeated 499 more times]")


def test_terminal_escapes_from_a_stranger_are_written_visibly(log_to):
    path = log_to()
    logging.getLogger("yespo_console.gui.test_escapes").warning("eventTypeKey %s", "\x1b]0;owned\x07\x1b[2J")
    text = path.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\x07" not in text
    assert "owned" in text
