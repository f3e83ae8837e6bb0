""" "Is this journal session alive?": a lock held by the live process, released by the kernel.

A pid says little across PID namespaces (a sandboxed launch sees other numbers) or on a data
folder shared between machines; a lock on a file in the session's folder is held exactly as
long as the process that took it lives, however it dies (SIGKILL included), because the kernel
drops it with the last open descriptor. fcntl.flock locks belong to the open file, so a second
open in the same process conflicts too, which keeps the check honest in tests. No Qt here.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
from enum import Enum
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; the pid check alone decides there
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

LOCK_NAME = "alive.lock"


class Liveness(Enum):
    ALIVE = "alive"  # another process holds the lock
    DEAD = "dead"  # the lock could be taken: its holder is gone
    UNKNOWN = "unknown"  # no lock file, or locks do not work here: ask the pid instead


class SessionLock:
    """The lock this process holds on its own session folder, for as long as it runs."""

    def __init__(self) -> None:
        self._descriptor: int | None = None

    @property
    def held(self) -> bool:
        return self._descriptor is not None

    def acquire(self, path: Path) -> bool:
        """Take the lock on path (idempotent); False where the file system has no working
        locks. The lock belongs to the file, not the name: renaming its folder keeps it."""
        if self._descriptor is not None or fcntl is None:
            return self._descriptor is not None
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(descriptor)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise OSError(exc.errno, "another process holds this session", str(path)) from exc
            logger.warning("file locks do not work in %s; the pid check decides", path)
            return False
        self._descriptor = descriptor
        return True

    def release(self) -> None:
        if self._descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(self._descriptor)  # closing drops the lock
            self._descriptor = None


def probe(session_dir: Path) -> Liveness:
    """Whether the process that owns session_dir is still running, by trying its lock."""
    path = session_dir / LOCK_NAME
    if fcntl is None:
        return Liveness.UNKNOWN
    try:
        descriptor = os.open(path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return Liveness.UNKNOWN
    except OSError:
        logger.warning("cannot open the session lock %s", path, exc_info=True)
        return Liveness.UNKNOWN
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            return Liveness.ALIVE
        return Liveness.UNKNOWN  # ENOLCK and friends: locks do not work on this file system
    finally:
        os.close(descriptor)  # also releases the lock if we got it
    return Liveness.DEAD
