"""The autosave journal on disk: one JSON file per buffer with unsaved changes, per session.

Layout under the data directory (no Qt here, so it is testable and usable from any process):

    journal/<session id>/session.json      "session alive" marker: pid and process start time
    journal/<session id>/<buffer id>.entry one entry per buffer with unsaved changes
    journal-damaged/                      unreadable entries, set aside for manual rescue

A session whose marker names a live process belongs to a running Penwright and is left alone.
Every other session directory holding entries is what a crash (or SIGKILL) left behind: its
entries are offered for recovery at every start until the writer recovers or deletes them. A
clean exit removes its own entries and marker, so nothing is offered after it.

Every file is written with models.files.atomic.write_atomically (a temporary name, flushed to
disk, renamed over the old one), so a crash mid-write leaves either the previous entry or the
new one, never half of each. An entry is
one line of JSON metadata (including the text's length in bytes) followed by the raw UTF-8 text:
escaping a 5 MB text into JSON would cost the GUI thread several times more than writing it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

from penwright.models.files.atomic import sync_directory, write_atomically
from penwright.models.files.textfile import TextFormat

logger = logging.getLogger(__name__)

_FORMAT_VERSION = 1
_MARKER_NAME = "session.json"
_ENTRY_SUFFIX = ".entry"
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# The recorded start time of a process is compared with a tolerance, as its value is derived
# from clock ticks since boot and can differ in the last digits between two readings.
_START_TIME_TOLERANCE_S = 1.0


def new_buffer_id() -> str:
    """A fresh id for a buffer, safe to use as a file name."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class JournalEntry:
    """What the journal keeps of one buffer: enough to reopen it as the writer left it."""

    buffer_id: str
    path: Path | None  # None for an untitled buffer
    title: str
    text: str
    fmt: TextFormat  # how to save it back to `path`
    saved_at: float  # time.time() when the entry was written


@dataclass(frozen=True)
class RecoverableEntry:
    """An entry a dead session left behind, and the file it lies in."""

    entry: JournalEntry
    file: Path


@dataclass(frozen=True)
class RecoveryScan:
    """The outcome of looking for what crashed sessions left."""

    entries: tuple[RecoverableEntry, ...]
    problems: tuple[str, ...]  # one message per damaged entry that was set aside


class JournalStore:
    """One session's journal directory, and the scan for what earlier sessions left behind.

    Methods raise OSError when the disk refuses; the caller decides how to tell the writer.
    """

    def __init__(self, data_dir: Path, session_id: str | None = None) -> None:
        self._root = data_dir / "journal"
        self._damaged_dir = data_dir / "journal-damaged"
        self.session_id = session_id or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.session_dir = self._root / self.session_id

    def begin_session(self) -> None:
        """Create this session's directory with its "alive" marker (idempotent)."""
        if (self.session_dir / _MARKER_NAME).exists():
            return
        # Build the directory under a hidden name and rename it into place, so a scan running
        # in another Penwright never sees a session directory without its marker.
        staging = self._root / f".starting-{self.session_id}"
        staging.mkdir(parents=True, exist_ok=True)
        marker = {
            "pid": os.getpid(),
            "process_started": psutil.Process().create_time(),
            "started_at": time.time(),
        }
        write_atomically(staging / _MARKER_NAME, json.dumps(marker).encode())
        if self.session_dir.exists():  # only the marker was lost: keep the entries beside it
            os.replace(staging / _MARKER_NAME, self.session_dir / _MARKER_NAME)
            staging.rmdir()
        else:
            os.replace(staging, self.session_dir)
        sync_directory(self._root)

    def write(self, entry: JournalEntry) -> None:
        """Store (or replace) the entry of entry.buffer_id in this session."""
        self.begin_session()  # cheap when done; repairs a directory removed or once unwritable
        write_atomically(self._entry_file(entry.buffer_id), _encode(entry))

    def remove(self, buffer_id: str) -> None:
        """Forget a buffer's entry (it was saved, or closed without saving)."""
        with contextlib.suppress(FileNotFoundError):
            self._entry_file(buffer_id).unlink()

    def end_session(self) -> None:
        """Clean exit: remove this session's entries, then its marker, then the directory.

        In that order, a crash half-way leaves at worst a marker or an empty directory behind,
        never entries that would be offered for recovery after a clean exit.
        """
        if not self.session_dir.exists():
            return
        for file in self._entry_files(self.session_dir):
            file.unlink()
        _remove_session_dir(self.session_dir)

    def scan_recoverable(self) -> RecoveryScan:
        """Entries left by sessions that are no longer running; damaged ones are set aside."""
        entries: list[RecoverableEntry] = []
        problems: list[str] = []
        if not self._root.is_dir():
            return RecoveryScan((), ())
        for session_dir in sorted(self._root.iterdir()):
            if (
                session_dir.name.startswith(".")
                or session_dir == self.session_dir
                or not session_dir.is_dir()
                or _session_is_alive(session_dir / _MARKER_NAME)
            ):
                continue
            files = self._entry_files(session_dir)
            for file in files:
                try:
                    entries.append(RecoverableEntry(_decode(file.read_bytes()), file))
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    logger.warning("damaged journal entry %s", file, exc_info=True)
                    problems.append(self._set_aside(file, exc))
            if not files:
                _remove_session_dir(session_dir)
        entries.sort(key=lambda item: item.entry.saved_at)
        return RecoveryScan(tuple(entries), tuple(problems))

    def delete_recoverable(self, item: RecoverableEntry) -> None:
        """The writer chose to throw this recovered text away."""
        with contextlib.suppress(FileNotFoundError):
            item.file.unlink()
        if not self._entry_files(item.file.parent):
            _remove_session_dir(item.file.parent)

    def adopt(self, item: RecoverableEntry, buffer_id: str) -> JournalEntry:
        """Move a recovered entry into this session under buffer_id and return it.

        It is written here before the old file is removed, so a crash in between can at worst
        offer the same text twice, never lose it.
        """
        old = item.entry
        adopted = JournalEntry(buffer_id, old.path, old.title, old.text, old.fmt, old.saved_at)
        self.write(adopted)
        self.delete_recoverable(item)
        return adopted

    def _entry_file(self, buffer_id: str) -> Path:
        if not _SAFE_ID.fullmatch(buffer_id):
            raise ValueError(f"buffer id {buffer_id!r} is not a safe file name")
        return self.session_dir / f"{buffer_id}{_ENTRY_SUFFIX}"

    @staticmethod
    def _entry_files(session_dir: Path) -> list[Path]:
        try:
            return sorted(p for p in session_dir.glob(f"*{_ENTRY_SUFFIX}") if p.is_file())
        except OSError:
            logger.warning("cannot list journal entries in %s", session_dir, exc_info=True)
            return []

    def _set_aside(self, file: Path, error: Exception) -> str:
        """Move a damaged entry out of the way so it is reported once, not at every start."""
        reason = f"{type(error).__name__}: {error}"
        target = self._damaged_dir / f"{file.parent.name}-{file.name}"
        try:
            self._damaged_dir.mkdir(parents=True, exist_ok=True)
            os.replace(file, target)
        except OSError:
            logger.warning("cannot set aside %s", file, exc_info=True)
            return f"A recovery journal entry is damaged and was skipped ({file}): {reason}"
        return f"A recovery journal entry is damaged and was skipped; kept as {target}: {reason}"


def _encode(entry: JournalEntry) -> bytes:
    # surrogatepass: a lone surrogate typed or pasted into Qt must not make the journal fail.
    text = entry.text.encode("utf-8", "surrogatepass")
    header = {
        "format": _FORMAT_VERSION,
        "buffer_id": entry.buffer_id,
        "path": None if entry.path is None else str(entry.path),
        "title": entry.title,
        "encoding": entry.fmt.encoding,
        "newline": entry.fmt.newline,
        "saved_at": entry.saved_at,
        "text_bytes": len(text),
    }
    # json.dumps escapes any newline inside the values, so the header is exactly one line.
    return json.dumps(header).encode("ascii") + b"\n" + text


def _decode(data: bytes) -> JournalEntry:
    header_line, separator, text = data.partition(b"\n")
    header = json.loads(header_line)
    if not separator or not isinstance(header, dict) or header.get("format") != _FORMAT_VERSION:
        raise ValueError("not a journal entry of a known format")
    if header["text_bytes"] != len(text):
        raise ValueError(f"text is {len(text)} bytes long, the entry says {header['text_bytes']}")
    path, title, buffer_id = header["path"], header["title"], header["buffer_id"]
    encoding, newline, saved_at = header["encoding"], header["newline"], header["saved_at"]
    if not (
        (path is None or isinstance(path, str))
        and all(isinstance(v, str) for v in (title, encoding, newline, buffer_id))
        and isinstance(saved_at, int | float)
    ):
        raise TypeError("a journal entry field has the wrong type")
    return JournalEntry(
        buffer_id=buffer_id,
        path=None if path is None else Path(path),
        title=title,
        text=text.decode("utf-8", "surrogatepass"),
        fmt=TextFormat(encoding, newline),
        saved_at=float(saved_at),
    )


def _session_is_alive(marker: Path) -> bool:
    """True when the marker names a running process: the same pid *and* the same start time,
    so a pid reused by an unrelated process does not hide a crash."""
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
        pid, started = int(record["pid"]), float(record["process_started"])
    except (OSError, ValueError, KeyError, TypeError):
        logger.warning("unreadable session marker %s", marker, exc_info=True)
        return False
    try:
        process = psutil.Process(pid)
        # A killed child its parent has not reaped yet is a zombie: it is dead.
        return (
            abs(process.create_time() - started) < _START_TIME_TOLERANCE_S
            and process.status() != psutil.STATUS_ZOMBIE
        )
    except psutil.Error:
        logger.debug("process of %s is gone", marker, exc_info=True)
        return False


def _remove_session_dir(session_dir: Path) -> None:
    """Remove a session directory whose entries are gone: its marker, stray temporaries, itself.

    Deliberately not rmtree: whatever else is inside (an entry written meanwhile) stays.
    """
    with contextlib.suppress(OSError):
        for child in session_dir.iterdir():
            stray_temporary = child.name.startswith(".") and child.suffix == ".tmp"
            if child.name == _MARKER_NAME or stray_temporary:
                child.unlink()
        session_dir.rmdir()
