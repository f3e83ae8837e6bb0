"""Noticing that another program changed (or removed) a file the writer has open.

QFileSystemWatcher alone is not enough: many editors save by writing a new file and renaming it
over the old one (or deleting and recreating it), after which the watch on the old inode is
gone. So this watches each file *and* its directory, lets a burst of events settle, then
compares the file with what the editor last knew: first its stat, then, if that moved, a hash of
its content. A touch that changes no byte is not reported; a change is reported once. The
editor's own saves are announced with `note_saved` so they are not reported either.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Fingerprint:
    stat: tuple[int, int, int]  # mtime_ns, size, inode: cheap to compare on every event
    digest: bytes  # sha256 of the content: decides whether anything really changed


class FileWatcher(QObject):
    """Reports external changes to watched files. Lives in, and is called from, the GUI thread."""

    changed_on_disk = Signal(str)  # path: the content on disk differs from what was last known
    removed_from_disk = Signal(str)  # path: the file is gone (deleted, or moved away)

    def __init__(self, parent: QObject | None = None, *, settle_ms: int = 100) -> None:
        super().__init__(parent)
        self._known: dict[str, _Fingerprint | None] = {}  # None: missing when last looked
        self._directories: dict[str, int] = {}  # watched directory -> number of files in it
        self._forced: set[str] = set()  # files whose own watch fired: hash even if stat equal
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_file_event)
        self._watcher.directoryChanged.connect(self._on_directory_event)
        # Editors save in several steps (write temp, rename, chmod...); checking once they are
        # done avoids reporting a half-finished save or a short-lived missing file.
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(settle_ms)
        self._settle.timeout.connect(self._check_all)

    def watch(self, path: str | Path) -> None:
        """Start watching a file the editor has just opened or saved (its content is known)."""
        key = _key(path)
        if key not in self._known:
            directory = os.path.dirname(key)
            self._directories[directory] = self._directories.get(directory, 0) + 1
            if self._directories[directory] == 1 and os.path.isdir(directory):
                self._watcher.addPath(directory)
        self._known[key] = _readable_fingerprint(key)
        self._arm(key, inode_changed=True)

    def unwatch(self, path: str | Path) -> None:
        """Stop watching (the buffer was closed or saved under another name)."""
        key = _key(path)
        if self._known.pop(key, _MISSING) is _MISSING:
            return
        self._forced.discard(key)
        if key in self._watcher.files():
            self._watcher.removePath(key)
        directory = os.path.dirname(key)
        self._directories[directory] -= 1
        if self._directories[directory] == 0:
            del self._directories[directory]
            if directory in self._watcher.directories():
                self._watcher.removePath(directory)

    def note_saved(self, path: str | Path) -> None:
        """The editor itself just wrote this file: take the new content as known, report nothing.

        Call right after a successful save, before returning to the event loop.
        """
        key = _key(path)
        if key not in self._known:
            self.watch(key)
            return
        self._known[key] = _readable_fingerprint(key)
        self._forced.discard(key)
        self._arm(key, inode_changed=True)  # a QSaveFile commit renames a new inode into place

    def watched_paths(self) -> list[str]:
        return sorted(self._known)

    @Slot(str)
    def _on_file_event(self, path: str) -> None:
        self._forced.add(path)
        self._settle.start()

    @Slot(str)
    def _on_directory_event(self, _directory: str) -> None:
        self._settle.start()

    @Slot()
    def _check_all(self) -> None:
        for key in list(self._known):
            self._check(key)
        self._forced.clear()

    def _check(self, key: str) -> None:
        known = self._known[key]
        try:
            stat = _stat_of(key)
        except FileNotFoundError:
            if known is not None:
                self._known[key] = None
                self.removed_from_disk.emit(key)
            return
        except OSError:
            logger.warning("cannot look at %s for now", key, exc_info=True)
            return  # unreadable for now (permissions flux): look again on the next event
        self._arm(key, inode_changed=known is None or known.stat[2] != stat[2])
        if known is not None and known.stat == stat and key not in self._forced:
            return
        try:
            current = _fingerprint(key)
        except OSError:
            logger.warning("cannot read %s for now", key, exc_info=True)
            return
        self._known[key] = current
        if current is not None and (known is None or current.digest != known.digest):
            self.changed_on_disk.emit(key)

    def _arm(self, key: str, *, inode_changed: bool) -> None:
        """Make sure the file's own watch exists, on its current inode.

        A rename-over replaces the inode; the old watch may be dropped by Qt or may linger on
        the orphaned inode, so it is re-added whenever the inode may have changed.
        """
        watched = key in self._watcher.files()
        if watched and not inode_changed:
            return
        if watched:
            self._watcher.removePath(key)
        if os.path.exists(key):
            self._watcher.addPath(key)


_MISSING = object()


def _key(path: str | Path) -> str:
    # Absolute but not resolved: a symlink is watched under the name the writer opened.
    return os.path.abspath(os.fspath(path))


def _stat_of(key: str) -> tuple[int, int, int]:
    stat = os.stat(key)
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _readable_fingerprint(key: str) -> _Fingerprint | None:
    """The fingerprint, or None if the file cannot be read now (checked again on events)."""
    try:
        return _fingerprint(key)
    except OSError:
        logger.warning("cannot read %s for now", key, exc_info=True)
        return None


def _fingerprint(key: str) -> _Fingerprint | None:
    """The file's stat and content hash, or None if it does not exist."""
    try:
        stat = _stat_of(key)
        digest = hashlib.sha256()
        with open(key, "rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return _Fingerprint(stat, digest.digest())
