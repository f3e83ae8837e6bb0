"""Who is converting into the model cache, so leftovers of a killed conversion can be removed.

A conversion writes into ``.partial`` staging folders (up to 1.3 GB for the default model) and
renames them into place when complete. A SIGKILL leaves them behind. Every process that writes
staging holds a shared ``fcntl.flock`` on LOCK_NAME for as long as it does; the kernel releases
it when the process dies, however it dies. At the next load, an exclusive lock taken without
waiting proves nobody is converting, and every ``.partial`` folder is removed. Without fcntl
(Windows) only staging older than a day is removed, as before.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

LOCK_NAME = ".converting.lock"
STALE_STAGING_S = 24 * 3600
"""Without a lock to ask (no fcntl), staging older than this is a leftover."""


def _open_lock(root: Path) -> IO[bytes]:
    root.mkdir(parents=True, exist_ok=True)
    return (root / LOCK_NAME).open("a+b")


@contextlib.contextmanager
def converting(root: Path) -> Iterator[None]:
    """Hold the shared "a conversion is writing under root" lock for the block."""
    if fcntl is None:
        yield
        return
    try:
        lock = _open_lock(root)
    except OSError:  # a read-only cache: the writing that follows reports the real problem
        logger.warning("cannot open the conversion lock in %s", root, exc_info=True)
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_SH)  # waits only while a cleanup runs (milliseconds)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def remove_leftovers(root: Path, patterns: tuple[str, ...]) -> list[Path]:
    """Remove the staging folders matching ``patterns`` (globs relative to root) that no live
    process is writing; return those removed."""
    if not root.is_dir():
        return []
    if fcntl is None:
        return _remove(root, patterns, older_than=time.time() - STALE_STAGING_S)
    try:
        lock = _open_lock(root)
    except OSError:
        logger.warning("cannot open the conversion lock in %s", root, exc_info=True)
        return []
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return []  # another process is converting: its staging is live
        try:
            return _remove(root, patterns, older_than=None)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _remove(root: Path, patterns: tuple[str, ...], older_than: float | None) -> list[Path]:
    removed = []
    for pattern in patterns:
        for leftover in root.glob(pattern):
            try:
                if older_than is not None and leftover.stat().st_mtime > older_than:
                    continue
                if leftover.is_dir():
                    shutil.rmtree(leftover)
                else:
                    leftover.unlink()
            except OSError:
                logger.warning("cannot remove the leftover %s", leftover, exc_info=True)
                continue
            logger.info("removed %s, left by an interrupted conversion", leftover)
            removed.append(leftover)
    return removed
