"""Penwright's log: the standard library's logging, to a file in the user log folder.

``configure_logging`` is called once at start-up by the app and the command line. Records of
level INFO and above from Penwright's own loggers (``logging.getLogger(__name__)`` in every
module), and WARNING and above from libraries, go to ``penwright.log`` in folders.log_root()
(the platform's user log folder, or $PENWRIGHT_LOG_DIR). The file is rotated at start-up once it
is over 1 MB (three old files kept), never while running: several Penwright processes (one per
open document, the command line) append to the same file, and a rename under a running one
would send its records to the old file, or fail on Windows. Warnings also go to stderr, as
they did before logging was configured. When the folder cannot be written, logging goes on to
stderr alone and nothing fails.

No Qt here: the command line and the engine use it too.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from penwright.models.files.folders import log_root

LOG_FILE_NAME = "penwright.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
_OWN_LOGGER = "penwright"

logger = logging.getLogger(__name__)

# The handlers configure_logging added to the root logger, so a second call (a test, the app
# started twice in one process) replaces them instead of writing every record twice.
_installed: list[logging.Handler] = []
_log_file: Path | None = None


def configure_logging(level: int = logging.INFO) -> Path:
    """Send log records to the rotating log file (and warnings to stderr). Returns the file's path.

    Safe to call again: the handlers of an earlier call are replaced. If the log folder cannot be
    created or written, the returned path is where the file would be; records then go to stderr
    only, and a warning there says why.
    """
    global _log_file
    stop_logging()
    path = log_root() / LOG_FILE_NAME
    formatter = logging.Formatter(_FORMAT)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.WARNING)
    stderr.setFormatter(formatter)
    handlers: list[logging.Handler] = [stderr]
    problem: OSError | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file = _file_rotated_at_start(path)
    except OSError as err:  # read-only home, full disk, a file where the folder should be
        problem = err
    else:
        file.setFormatter(formatter)
        handlers.append(file)
        _log_file = path
    root = logging.getLogger()
    for handler in handlers:
        root.addHandler(handler)
    _installed.extend(handlers)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    logging.getLogger(_OWN_LOGGER).setLevel(level)
    if problem is not None:
        logger.warning("the log file %s cannot be written (%s); logging to stderr only", path,
                       problem)
    return path


def _file_rotated_at_start(path: Path) -> logging.handlers.RotatingFileHandler:
    file = logging.handlers.RotatingFileHandler(
        path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
    )
    try:
        if path.stat().st_size > MAX_BYTES:
            file.doRollover()
    except OSError:  # another process holds it (Windows): rotate at a later start
        logger.debug("could not rotate %s now", path, exc_info=True)
    file.maxBytes = 0  # no rotation while running (see the module docstring)
    return file


def stop_logging() -> None:
    """Remove and close the handlers configure_logging added (tests, a second configure)."""
    global _log_file
    root = logging.getLogger()
    for handler in _installed:
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
    _log_file = None


def log_file() -> Path | None:
    """The file records are written to now; None before configure_logging or when it failed."""
    return _log_file


def last_log_lines(n: int = 40) -> list[str]:
    """The last n lines of the log file (oldest first); empty when there is no log file.

    Reads only the end of the file, so it stays quick however large the file has grown.
    """
    path = _log_file
    if path is None or n <= 0:
        return []
    for handler in _installed:
        handler.flush()
    try:
        with path.open("rb") as stream:
            stream.seek(0, os.SEEK_END)
            size = stream.tell()
            chunk = min(size, max(4096, n * 400))
            stream.seek(size - chunk)
            tail = stream.read(chunk)
    except OSError:
        logger.warning("could not read the log file %s", path, exc_info=True)
        return []
    lines = tail.decode("utf-8", errors="replace").splitlines()
    if chunk < size and lines:
        lines = lines[1:]  # the first line read is probably cut
    return lines[-n:]
