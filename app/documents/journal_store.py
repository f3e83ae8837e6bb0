"""The autosave journal on disk: one JSON file per buffer with unsaved changes, per session.

Layout under the data directory (no Qt here, so it is testable and usable from any process):

    journal/<session id>/session.json      pid and process start time (for older versions)
    journal/<session id>/alive.lock        flock'ed by the live process (session_lock.py)
    journal/<session id>/<buffer id>.entry one entry per buffer with unsaved changes
    journal/<session id>/<buffer id>.<gen>.snap / .log   the text of an edit-log entry
    journal/<session id>/<buffer id>.sidecar.json        its sidecar (models/story/sidecar.py)
    journal-damaged/                      unreadable entries, set aside for manual rescue

A session whose lock is held (or, where locks do not work, whose marker names a live process)
belongs to a running Penwright and is left alone.
Every other session directory holding entries is what a crash (or SIGKILL) left behind: its
entries are offered for recovery at every start until the writer recovers or deletes them. A
clean exit removes its own entries and marker, so nothing is offered after it.

Every file is written with models.files.atomic.write_atomically (a temporary name, flushed to
disk, renamed over the old one), so a crash mid-write leaves either the previous entry or the
new one, never half of each. An entry is
one line of JSON metadata (including the text's length in bytes) followed by the raw UTF-8 text:
escaping a 5 MB text into JSON would cost the GUI thread several times more than writing it.

An edit-log entry (format 2, what the app writes) is only the metadata: the text is a base
(empty, the file as opened, or a snapshot `<gen>.snap`) plus the append-only logs `<gen>.log`
of edits made on it (edit_log.py). Recovery starts from the newest snapshot (or the base when
there is none yet) and replays the logs from its generation on; compaction writes snapshot
gen+1 from snapshot gen and log gen while new edits already go to log gen+1, so at every
moment some snapshot and the logs after it describe the text exactly. Every entry records the
file it was based on (size, mtime_ns, sha256), and a scan says whether that file changed since.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

from penwright.app.documents.edit_log import (
    CHUNK_CHARS,
    PieceTable,
    ReplayError,
    as_plain_text,
    replay_onto,
    utf16_bytes,
    utf16_chunks,
    utf16_length,
)
from penwright.app.documents.file_identity import (
    DiskChange,
    FileIdentity,
    compare_with_disk,
    sha256_of,
)
from penwright.app.documents.session_lock import LOCK_NAME, Liveness, SessionLock, probe
from penwright.models.files.atomic import sync_directory, write_atomically
from penwright.models.files.textfile import NotTextError, TextFormat, decode_text, read_file_bytes

logger = logging.getLogger(__name__)

_FORMAT_VERSION = 1  # header and full text in one file
_LOG_FORMAT_VERSION = 2  # header only; the text is a base plus edit logs beside it
_SNAPSHOT_SUFFIX = ".snap"
_LOG_SUFFIX = ".log"
BASE_EMPTY, BASE_FILE, BASE_SNAPSHOT = "empty", "file", "snapshot"
_MARKER_NAME = "session.json"
_ENTRY_SUFFIX = ".entry"
# The document's sidecar (story, banned phrases, provenance) while the document has unsaved
# changes; it goes wherever the entry goes (adopted, deleted, set aside) and is never offered
# on its own: without an entry there is nothing to recover it with.
_SIDECAR_SUFFIX = ".sidecar.json"
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
    based_on: FileIdentity | None = None  # the file at `path` as it was opened or last saved


@dataclass(frozen=True)
class LogEntryHeader:
    """The metadata of an edit-log entry; its text lies in snapshots and logs beside it."""

    buffer_id: str
    path: Path | None
    title: str
    fmt: TextFormat
    base: str  # BASE_EMPTY, BASE_FILE (the file at path, as based_on says) or BASE_SNAPSHOT
    based_on: FileIdentity | None
    base_units: int = -1  # the base's length in UTF-16 units (checks a file base), -1 unknown
    # Generations below this belong to an earlier entry of the same buffer (saved since, or
    # reset): a late snapshot of theirs must never be taken for this entry's.
    first_generation: int = 0


@dataclass(frozen=True)
class RecoverableEntry:
    """An entry a dead session left behind, the file it lies in, and whether the document file
    it belongs to changed on disk after the entry's text was based on it."""

    entry: JournalEntry
    file: Path
    disk_change: DiskChange = DiskChange.UNKNOWN


@dataclass(frozen=True)
class RecoveryScan:
    """The outcome of looking for what crashed sessions left."""

    entries: tuple[RecoverableEntry, ...]
    problems: tuple[str, ...]  # one message per damaged entry that was set aside


class _Keep:
    """adopt(path=_Keep): recover to the path the entry names."""


class JournalStore:
    """One session's journal directory, and the scan for what earlier sessions left behind.

    Methods raise OSError when the disk refuses; the caller decides how to tell the writer.
    """

    def __init__(self, data_dir: Path, session_id: str | None = None) -> None:
        self._root = data_dir / "journal"
        self._damaged_dir = data_dir / "journal-damaged"
        self.session_id = session_id or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.session_dir = self._root / self.session_id
        self._lock = SessionLock()

    def begin_session(self) -> None:
        """Create this session's directory with its "alive" marker and lock (idempotent)."""
        if (self.session_dir / _MARKER_NAME).exists():
            if not self._lock.held:
                self._lock.acquire(self.session_dir / LOCK_NAME)
            return
        # Build the directory under a hidden name and rename it into place, so a scan running
        # in another Penwright never sees a session directory without its marker and lock
        # (the lock belongs to the open file, so it survives the rename).
        staging = self._root / f".starting-{self.session_id}"
        staging.mkdir(parents=True, exist_ok=True)
        self._lock.release()
        self._lock.acquire(staging / LOCK_NAME)
        marker = {
            "pid": os.getpid(),
            "process_started": psutil.Process().create_time(),
            "started_at": time.time(),
        }
        write_atomically(staging / _MARKER_NAME, json.dumps(marker).encode())
        if self.session_dir.exists():  # only the marker was lost: keep the entries beside it
            os.replace(staging / _MARKER_NAME, self.session_dir / _MARKER_NAME)
            os.replace(staging / LOCK_NAME, self.session_dir / LOCK_NAME)
            staging.rmdir()
        else:
            os.replace(staging, self.session_dir)
        sync_directory(self._root)

    def write(self, entry: JournalEntry) -> None:
        """Store (or replace) the entry of entry.buffer_id in this session."""
        self.begin_session()  # cheap when done; repairs a directory removed or once unwritable
        write_atomically(self._entry_file(entry.buffer_id), _encode(entry))

    def remove(self, buffer_id: str) -> None:
        """Forget a buffer's entry (it was saved, or closed without saving).

        The entry goes first: a crash half-way leaves only snapshots and logs without an
        entry, which nothing offers."""
        with contextlib.suppress(FileNotFoundError):
            self._entry_file(buffer_id).unlink()
        with contextlib.suppress(FileNotFoundError):
            _sidecar_file(self.session_dir, buffer_id).unlink()
        for file in _companions(self.session_dir, buffer_id):
            with contextlib.suppress(FileNotFoundError):
                file.unlink()

    # -- sidecars ------------------------------------------------------------------------------

    def write_sidecar(self, buffer_id: str, data: bytes | None) -> None:
        """Keep the sidecar bytes of a buffer beside its entry (None: it has none any more)."""
        self._entry_file(buffer_id)  # checks the id
        file = _sidecar_file(self.session_dir, buffer_id)
        if data is None:
            with contextlib.suppress(FileNotFoundError):
                file.unlink()
            return
        self.begin_session()
        write_atomically(file, data)

    def read_sidecar(self, buffer_id: str) -> bytes | None:
        """The sidecar bytes this session keeps for a buffer (after adoption: the recovered
        one's), or None when there are none."""
        self._entry_file(buffer_id)
        try:
            return _sidecar_file(self.session_dir, buffer_id).read_bytes()
        except FileNotFoundError:
            return None

    # -- edit-log entries (the app's journal) -----------------------------------------------------

    def write_header(self, header: LogEntryHeader) -> None:
        """Store (or replace) the metadata of an edit-log entry; small, so atomic and cheap."""
        self.begin_session()
        write_atomically(self._entry_file(header.buffer_id), _encode_header(header))

    def write_header_quickly(self, header: LogEntryHeader) -> Callable[[], None]:
        """write_header without waiting for the disk on this thread: the header replaces the
        old one by a rename at once (a SIGKILL sees the old or the new), and the returned
        function, run on a background thread, makes it survive a power cut too."""
        self.begin_session()
        target = self._entry_file(header.buffer_id)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with open(temporary, "xb") as file:
                file.write(_encode_header(header))
            os.replace(temporary, target)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise

        def make_durable() -> None:
            with contextlib.suppress(OSError):
                descriptor = os.open(target, os.O_RDONLY)
                try:
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)
            sync_directory(target.parent)

        return make_durable

    def read_own(self, buffer_id: str) -> JournalEntry | None:
        """This session's entry for buffer_id as recovery would read it (None: no entry)."""
        file = self._entry_file(buffer_id)
        return _read_entry(file) if file.exists() else None

    def snapshot_file(self, buffer_id: str, generation: int) -> Path:
        return self._entry_file(buffer_id).with_name(f"{buffer_id}.{generation}{_SNAPSHOT_SUFFIX}")

    def log_file(self, buffer_id: str, generation: int) -> Path:
        return self._entry_file(buffer_id).with_name(f"{buffer_id}.{generation}{_LOG_SUFFIX}")

    def write_snapshot(self, buffer_id: str, generation: int, text: str) -> None:
        """The whole text as the base of log `generation`; any thread (it touches no state)."""
        pieces = (text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS))
        self._write_snapshot_pieces(buffer_id, generation, pieces)

    def compact(self, header: LogEntryHeader, old: int, new: int) -> None:
        """Snapshot `new` = snapshot (or base) plus the logs up to and including `old`, built
        and written piece by piece. Any thread."""
        table = _log_entry_table(self.session_dir, header, up_to=old)[0]
        self._write_snapshot_pieces(header.buffer_id, new, table.chunks())

    def _write_snapshot_pieces(
        self, buffer_id: str, generation: int, pieces: Iterable[str]
    ) -> None:
        # Encoded and written in chunks, so a worker thread never holds the GIL for long.
        target = self.snapshot_file(buffer_id, generation)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with open(temporary, "xb") as file:
                for piece in pieces:
                    file.write(piece.encode("utf-8", "surrogatepass"))
                file.flush()
                os.fsync(file.fileno())  # the rename must not reach the disk before the data
            os.replace(temporary, target)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        sync_directory(target.parent)

    def open_log(self, buffer_id: str, generation: int) -> int:
        """A descriptor appending to log `generation` (created empty if new)."""
        self.begin_session()
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        return os.open(self.log_file(buffer_id, generation), flags, 0o600)

    def drop_generations_below(self, buffer_id: str, generation: int) -> None:
        """Compaction is done: the snapshot `generation` replaces everything before it."""
        for file in _companions(self.session_dir, buffer_id):
            if _generation_of(file) < generation:
                with contextlib.suppress(FileNotFoundError):
                    file.unlink()

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
        self._lock.release()

    def close(self) -> None:
        """Stop holding this session without cleaning up (what a crash does): its entries are
        offered to the next Penwright. For signal exits after a flush, and for tests."""
        self._lock.release()

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
                    entry = _read_entry(file)
                    change = (
                        DiskChange.UNKNOWN
                        if entry.path is None
                        else compare_with_disk(entry.path, entry.based_on)
                    )
                    entries.append(RecoverableEntry(entry, file, change))
                except (OSError, ValueError, KeyError, TypeError, NotTextError) as exc:
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
        with contextlib.suppress(FileNotFoundError):
            _sidecar_file(item.file.parent, item.entry.buffer_id).unlink()
        for file in _companions(item.file.parent, item.entry.buffer_id):
            with contextlib.suppress(FileNotFoundError):
                file.unlink()
        if not self._entry_files(item.file.parent):
            _remove_session_dir(item.file.parent)

    def adopt(
        self,
        item: RecoverableEntry,
        buffer_id: str,
        *,
        path: Path | type[_Keep] | None = _Keep,
        title: str | None = None,
    ) -> JournalEntry:
        """Move a recovered entry into this session under buffer_id and return it; `path` and
        `title` recover it somewhere else (a file that changed on disk is never the target).

        It is written here (whole, in one file) before the old files are removed, so a crash
        in between can at worst offer the same text twice, never lose it.
        """
        old = item.entry
        new_path = old.path if path is _Keep else path
        assert new_path is None or isinstance(new_path, Path)
        based_on = old.based_on if new_path == old.path else None
        adopted = JournalEntry(
            buffer_id, new_path, title or old.title, old.text, old.fmt, old.saved_at, based_on
        )
        self.write(adopted)
        with contextlib.suppress(FileNotFoundError):
            sidecar = _sidecar_file(item.file.parent, old.buffer_id).read_bytes()
            write_atomically(_sidecar_file(self.session_dir, buffer_id), sidecar)
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
            sidecar = _sidecar_file(file.parent, file.stem)
            for companion in [*_companions(file.parent, file.stem), sidecar]:  # for a rescue
                if companion.exists():
                    target_name = f"{file.parent.name}-{companion.name}"
                    os.replace(companion, self._damaged_dir / target_name)
        except OSError:
            logger.warning("cannot set aside %s", file, exc_info=True)
            return f"A recovery journal entry is damaged and was skipped ({file}): {reason}"
        return f"A recovery journal entry is damaged and was skipped; kept as {target}: {reason}"


def _companions(session_dir: Path, buffer_id: str) -> list[Path]:
    """The snapshots and logs of one buffer."""
    try:
        return sorted(
            p
            for p in session_dir.glob(f"{buffer_id}.*")
            if p.suffix in (_SNAPSHOT_SUFFIX, _LOG_SUFFIX) and _generation_of(p) >= 0
        )
    except OSError:
        return []


def _sidecar_file(session_dir: Path, buffer_id: str) -> Path:
    return session_dir / f"{buffer_id}{_SIDECAR_SUFFIX}"


def _generation_of(file: Path) -> int:
    _, _, generation = file.stem.rpartition(".")
    return int(generation) if generation.isdigit() else -1


def _read_entry(file: Path) -> JournalEntry:
    data = file.read_bytes()
    header_line = data.partition(b"\n")[0]
    first = json.loads(header_line)
    if isinstance(first, dict) and first.get("format") == _LOG_FORMAT_VERSION:
        header = _decode_header(first)
        text, mtime = _log_entry_text(file.parent, header)
        saved_at = max(mtime, file.stat().st_mtime)
        return JournalEntry(
            header.buffer_id,
            header.path,
            header.title,
            text,
            header.fmt,
            saved_at,
            header.based_on,
        )
    return _decode(data)


def _encode_header(header: LogEntryHeader) -> bytes:
    record = {
        "format": _LOG_FORMAT_VERSION,
        "buffer_id": header.buffer_id,
        "path": None if header.path is None else str(header.path),
        "title": header.title,
        "encoding": header.fmt.encoding,
        "newline": header.fmt.newline,
        "base": header.base,
        "based_on": None if header.based_on is None else header.based_on.to_json(),
        "base_units": header.base_units,
        "first_generation": header.first_generation,
    }
    return json.dumps(record).encode("ascii") + b"\n"


def _decode_header(record: dict[str, object]) -> LogEntryHeader:
    path, title, buffer_id = record["path"], record["title"], record["buffer_id"]
    encoding, newline, base = record["encoding"], record["newline"], record["base"]
    base_units = record.get("base_units", -1)
    first_generation = record.get("first_generation", 0)
    if not (
        (path is None or isinstance(path, str))
        and isinstance(title, str)
        and isinstance(buffer_id, str)
        and isinstance(encoding, str)
        and isinstance(newline, str)
        and base in (BASE_EMPTY, BASE_FILE, BASE_SNAPSHOT)
        and isinstance(base_units, int)
        and isinstance(first_generation, int)
    ):
        raise TypeError("a journal entry field has the wrong type")
    if not _SAFE_ID.fullmatch(buffer_id):
        raise ValueError(f"buffer id {buffer_id!r} is not a safe file name")
    return LogEntryHeader(
        buffer_id,
        None if path is None else Path(path),
        title,
        TextFormat(encoding, newline),
        str(base),
        FileIdentity.from_json(record.get("based_on")),
        base_units,
        first_generation,
    )


def _log_entry_text(
    session_dir: Path, header: LogEntryHeader, up_to: int | None = None
) -> tuple[str, float]:
    """The text of an edit-log entry (and the newest mtime among its files): the newest
    snapshot, or the base, plus the whole records of the logs from its generation on."""
    table, mtime = _log_entry_table(session_dir, header, up_to)
    return table.text(), mtime


def _log_entry_table(
    session_dir: Path, header: LogEntryHeader, up_to: int | None = None
) -> tuple[PieceTable, float]:
    files = [
        f
        for f in _companions(session_dir, header.buffer_id)
        if _generation_of(f) >= header.first_generation
    ]
    snapshots = {_generation_of(f): f for f in files if f.suffix == _SNAPSHOT_SUFFIX}
    logs = {_generation_of(f): f for f in files if f.suffix == _LOG_SUFFIX}
    if up_to is not None:
        snapshots = {g: f for g, f in snapshots.items() if g <= up_to}
    mtimes = [0.0]
    if snapshots:
        start = max(snapshots)
        base = _read_snapshot_utf16(snapshots[start])
        mtimes.append(snapshots[start].stat().st_mtime)
    else:
        start = header.first_generation
        base = utf16_chunks(_base_text(header))
    chunks: list[bytes] = []
    generation = start
    while generation in logs and (up_to is None or generation <= up_to):
        chunks.append(logs[generation].read_bytes())
        mtimes.append(logs[generation].stat().st_mtime)
        generation += 1
    try:
        table, _whole = replay_onto(base, chunks)  # a cut tail is what a crash leaves: a prefix
    except ReplayError as exc:
        raise ValueError(f"the edit log does not fit its base: {exc}") from exc
    return table, max(mtimes)


def _read_snapshot_utf16(file: Path) -> list[bytes]:
    """A snapshot's text as UTF-16-LE chunks, decoded piece by piece (see write_snapshot)."""
    decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")
    parts: list[bytes] = []
    with open(file, "rb") as stream:
        while chunk := stream.read(CHUNK_CHARS):
            parts.append(utf16_bytes(decoder.decode(chunk)))
    parts.append(utf16_bytes(decoder.decode(b"", final=True)))
    return parts


def _read_snapshot(file: Path) -> str:
    """A snapshot's text."""
    return PieceTable(_read_snapshot_utf16(file)).text()


def _base_text(header: LogEntryHeader) -> str:
    if header.base == BASE_EMPTY:
        return ""
    if header.base == BASE_SNAPSHOT or header.path is None or header.based_on is None:
        raise ValueError("the snapshot this entry is based on is missing")
    data = read_file_bytes(header.path)
    identity = header.based_on
    same = (
        sha256_of(data) == identity.sha256
        if identity.sha256
        else len(data) == identity.size and os.stat(header.path).st_mtime_ns == identity.mtime_ns
    )
    if not same:
        raise ValueError(
            f"{header.path} changed before a copy of it was kept, so the edits made on it "
            "cannot be replayed"
        )
    text = as_plain_text(decode_text(data, header.path)[0])
    if header.base_units >= 0 and utf16_length(text) != header.base_units:
        raise ValueError(f"{header.path} does not read back as the text the edits were made on")
    return text


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
        "based_on": None if entry.based_on is None else entry.based_on.to_json(),
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
        based_on=FileIdentity.from_json(header.get("based_on")),
    )


def _session_is_alive(marker: Path) -> bool:
    """True when the session's lock is held; where there is no lock file (an older version)
    or locks do not work, when the marker names a running process: the same pid *and* the
    same start time, so a pid reused by an unrelated process does not hide a crash."""
    if not marker.exists():  # a live session always has one (every write repairs it)
        return False
    liveness = probe(marker.parent)
    if liveness is not Liveness.UNKNOWN:
        return liveness is Liveness.ALIVE
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
            # snapshots and logs whose entry is gone: nothing offers them any more
            orphan = child.suffix in (_SNAPSHOT_SUFFIX, _LOG_SUFFIX) and _generation_of(child) >= 0
            orphan = orphan or child.name.endswith(_SIDECAR_SUFFIX)
            if child.name in (_MARKER_NAME, LOCK_NAME) or stray_temporary or orphan:
                child.unlink()
        session_dir.rmdir()
