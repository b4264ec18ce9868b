"""The sandbox's log: a rotating file with a size cap, repeats folded into one line with a count, and
every line escaped for a terminal (a request's text may hold escape sequences).

A flood of the same error (a client hammering it, the process out of file handles) must not fill the disk
or the terminal: the first of a kind is written, the next ones within `window_s` are counted, and the count
is written with the next one after the window (or by `flush` when the sandbox stops).
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from yespo_console.core.terminal import printable

LOG_FILE = "sandbox.log"
LOG_MAX_BYTES = 1024 * 1024
LOG_BACKUPS = 3
_DECIDED = "yespo_sandbox_repeat_decided"
_MAX_KINDS = 512


class RepeatFilter(logging.Filter):
    """Folds repeated records (same logger, level and message template). One instance may sit on several
    handlers: each record is decided once."""

    def __init__(self, window_s: float = 60.0) -> None:
        super().__init__()
        self.window_s = window_s
        self._lock = threading.Lock()
        # (logger, level, template) -> (last written at, records skipped since, the last one skipped)
        self._seen: dict[tuple[str, int, str], tuple[float, int, str]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        decided = getattr(record, _DECIDED, None)
        if decided is not None:
            return bool(decided)
        key = (record.name, record.levelno, str(record.msg)[:200])
        now = time.monotonic()
        with self._lock:
            if key not in self._seen and len(self._seen) >= _MAX_KINDS:  # texts that vary: forget the settled
                self._seen = {k: v for k, v in self._seen.items() if v[1]}
            written_at, skipped, _ = self._seen.get(key, (float("-inf"), 0, ""))
            keep = now - written_at >= self.window_s
            self._seen[key] = (now, 0, "") if keep else (written_at, skipped + 1, record.getMessage())
        if keep and skipped:
            record.msg = f"{record.getMessage()} [and {skipped:,} more like this before]"
            record.args = None
        setattr(record, _DECIDED, keep)
        return keep

    def flush(self, logger: logging.Logger) -> None:
        """Write the counts still pending (when the sandbox stops), with the last message of each kind."""
        with self._lock:
            pending = [(key, skipped, last) for key, (_, skipped, last) in self._seen.items() if skipped]
            self._seen.clear()
        for (name, level, _), skipped, last in pending:
            logger.log(level, "%s: %s [repeated %s more times]", name, last, f"{skipped:,}")


# The sandbox's own loggers fold their repeats wherever they are written (the window's log file too).
FOLDED = RepeatFilter()
_OWN_LOGGERS = ("yespo_console.sandbox.endpoints", "yespo_console.sandbox.connections")


def fold_own_loggers() -> None:
    for name in _OWN_LOGGERS:
        logger = logging.getLogger(name)
        if FOLDED not in logger.filters:
            logger.addFilter(FOLDED)


class EscapingFormatter(logging.Formatter):
    """Control characters from a request (ESC, BEL, CR…) written as visible escapes."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record), multiline=True)


@contextlib.contextmanager
def logging_to(
    folder: Path, *, stderr_level: int = logging.WARNING, file_name: str = LOG_FILE
) -> Iterator[RepeatFilter]:
    """While open: log to `folder/file_name` (sandbox.log; rotated at LOG_MAX_BYTES, LOG_BACKUPS old files
    kept) and warnings to stderr, both folded and escaped. For the `sandbox` and `proxy` commands, which own
    their process; on closing, the pending counts are written and the handlers removed."""
    folder.mkdir(parents=True, exist_ok=True)
    repeats = RepeatFilter()
    formatter = EscapingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    to_file = logging.handlers.RotatingFileHandler(
        folder / file_name, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8", delay=True
    )
    to_file.setLevel(logging.INFO)
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setLevel(stderr_level)
    root = logging.getLogger()
    previous_level = root.level
    for handler in (to_file, to_stderr):
        handler.setFormatter(formatter)
        handler.addFilter(repeats)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield repeats
    finally:
        repeats.flush(logging.getLogger(__name__))
        for handler in (to_file, to_stderr):
            root.removeHandler(handler)
            handler.close()
        root.setLevel(previous_level)
