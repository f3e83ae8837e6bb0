"""One buffer journalled as an append-only edit log: what the GUI thread does is append.

The GUI thread's part of an autosave is encoding the edits made since the last one and one
os.write to the open log: microseconds, whatever the document's size. Everything that is
proportional to the document runs on the background writer:

- the base of a new entry: an empty document needs none; a document opened from (or saved to)
  a file has that file, copied into snapshot 0 in the background (checked against the size and
  time seen at open, hashed for recovery's "did it change" question); recovered text is known
  already. Only when none of these holds (a document replaced wholesale) does the GUI thread
  read the whole text once;
- compaction: once a log grows long, new edits go to the next generation's log while snapshot
  gen+1 is built from snapshot gen and log gen, then the old generation is deleted.

Until a snapshot a new generation depends on is on disk, that generation's edits wait in memory
(there is nothing on disk they could be replayed onto), so what is on disk is always a valid,
exact earlier state of the document.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from penwright.app.documents.background_writer import BackgroundWriter
from penwright.app.documents.edit_log import (
    Edit,
    as_plain_text,
    coalesce,
    encode_edits,
    utf16_length,
)
from penwright.app.documents.file_identity import FileIdentity, sha256_of
from penwright.app.documents.journal_store import (
    BASE_EMPTY,
    BASE_FILE,
    BASE_SNAPSHOT,
    JournalStore,
    LogEntryHeader,
)
from penwright.models.files.textfile import TextFormat, decode_text, read_file_bytes

logger = logging.getLogger(__name__)

# Compact once a generation's log holds this many records or bytes: replay stays quick and the
# log small, while compaction (a whole-document write in the background) stays rare.
COMPACT_AFTER_RECORDS = 400
COMPACT_AFTER_BYTES = 8 << 20


@dataclass(frozen=True)
class BufferMeta:
    """What the journal needs to know about a buffer cheaply (never its whole text)."""

    path: Path | None
    title: str
    fmt: TextFormat
    modified: bool
    units: int = -1  # the text's length in UTF-16 units (the journal fills it in)


class Base(Enum):
    EMPTY = "empty"
    FILE = "file"  # the file at path, as `identity` describes it
    KNOWN = "known"  # `known_text` (recovered text)
    UNKNOWN = "unknown"  # only the whole text will do


FullText = Callable[[], str]


class LogBuffer:
    """The journal state of one buffer in edit-log mode. GUI thread, except the jobs."""

    def __init__(
        self,
        buffer_id: str,
        store: JournalStore,
        writer: BackgroundWriter,
        full_text: FullText,
        on_failure: Callable[[OSError], None],
    ) -> None:
        self.buffer_id = buffer_id
        self._store = store
        self._writer = writer
        self._full_text = full_text
        self._on_failure = on_failure
        self.base = Base.UNKNOWN
        self.identity: FileIdentity | None = None
        self.base_units = -1
        self.known_text = ""
        self.header: LogEntryHeader | None = None  # what is on disk; None: no entry
        self.generation = 0
        self._next_generation = 0
        self._fd: int | None = None
        self.pending: list[Edit] = []
        self.broken = False  # an edit could not be recorded: the next write is a snapshot
        self._waiting_for_snapshot = False  # edits stay in memory until it is on disk
        self._compacting = False
        self._records = 0
        self._bytes = 0
        self._sync_due = False
        self._file_generation = -1  # the generation whose snapshot is the copy of the file

    # -- what the document did ---------------------------------------------------------------

    def set_base(self, meta: BufferMeta, identity: FileIdentity | None = None) -> None:
        """The document as it is now needs no log to be rebuilt: empty, the file, or known."""
        self.identity = identity if identity is not None else self.identity
        if meta.units == 0:
            self.base = Base.EMPTY
        elif meta.path is not None and not meta.modified and self.identity is not None:
            self.base = Base.FILE
            self.base_units = meta.units
            # Copy the file now, while it is surely what the document was read from (or
            # saved as): by the first keystroke's write the copy is usually on disk, so a crash
            # followed by another program's edit of the file still leaves a base to replay on.
            self._file_generation = self._allocate_generation()
            self._copy_file_base(meta.path, self._file_generation)
        else:
            self.base = Base.UNKNOWN

    def set_known_base(self, text: str) -> None:
        self.base, self.known_text = Base.KNOWN, text

    def record(self, edit: Edit | None) -> None:
        if edit is None:
            self.broken = True
            self.pending.clear()
        elif not self.broken:
            self.pending.append(edit)

    # -- writing -----------------------------------------------------------------------------

    def write(self, meta: BufferMeta) -> None:
        """Bring the disk up to date with the document (raises OSError when the disk refuses)."""
        if not meta.modified:
            self.forget()
            self.set_base(meta)
            return
        if self._waiting_for_snapshot and not self.broken:
            return  # the edits are appended once the snapshot they follow is on disk
        if self.header is None or self.broken:
            self._start_entry(meta)
            return
        self._update_header(meta)
        self._append()
        self._maybe_compact()

    def forget(self) -> None:
        """No entry any more (saved, unmodified or closed): remove it from disk."""
        self._close_log()
        self.pending.clear()
        self.broken = False
        self.header = None
        self._waiting_for_snapshot = False
        self._compacting = False
        self._file_generation = -1
        self._store.remove(self.buffer_id)

    def close(self) -> None:
        self._close_log()

    def _allocate_generation(self) -> int:
        self._next_generation += 1
        return self._next_generation

    def _start_entry(self, meta: BufferMeta) -> None:
        """A new entry, or a fresh snapshot after an edit that could not be recorded."""
        self._close_log()
        base = Base.UNKNOWN if self.broken else self.base
        if base is Base.FILE and self.header is None and self._file_generation >= 0:
            generation = self._file_generation  # its snapshot is (being) copied from the file
        else:
            generation = self._allocate_generation()
        first = generation if self.header is None else self.header.first_generation
        self.generation = generation
        self._records = self._bytes = 0
        self.broken = False
        if base is Base.EMPTY or base is Base.FILE:
            self.pending = list(self.pending)
            kind = BASE_EMPTY if base is Base.EMPTY else BASE_FILE
            based_on = self.identity if meta.path is not None else None
            self.header = self._header(meta, kind, based_on, first)
            self._write_header(self.header)
            self._append()
            return
        # A snapshot: the recovered text, or (the costly case) the whole document read now.
        if base is Base.KNOWN:
            text = self.known_text  # as it was when tracked: the edits since follow it
        else:
            text = self._full_text()
            self.pending.clear()  # the snapshot holds them
        self.known_text = ""
        header = self._header(meta, BASE_SNAPSHOT, self._based_on(meta), first)
        self._store.begin_session()  # the folder the snapshot goes to (cheap when done)
        self._waiting_for_snapshot = True
        store, buffer_id = self._store, self.buffer_id

        def done(_result: object, error: BaseException | None) -> None:
            if generation != self.generation or not self._waiting_for_snapshot:
                return  # forgotten or replaced meanwhile
            self._waiting_for_snapshot = False
            if isinstance(error, OSError):
                self.broken = True
                self._on_failure(error)
                return
            try:
                self.header = header
                self._write_header(header)
                self._store.drop_generations_below(buffer_id, generation)
                self._append()
            except OSError as exc:
                self.broken = True
                self._on_failure(exc)

        self._writer.submit(lambda: store.write_snapshot(buffer_id, generation, text), done)

    def _write_header(self, header: LogEntryHeader) -> None:
        """The header on disk now (a rename; SIGKILL-safe), made durable in the background."""
        self._writer.submit(self._store.write_header_quickly(header))

    def _based_on(self, meta: BufferMeta) -> FileIdentity | None:
        return self.identity if meta.path is not None else None

    def _header(
        self, meta: BufferMeta, kind: str, based_on: FileIdentity | None, first: int
    ) -> LogEntryHeader:
        units = self.base_units if kind == BASE_FILE else -1
        return LogEntryHeader(
            self.buffer_id, meta.path, meta.title, meta.fmt, kind, based_on, units, first
        )

    def _update_header(self, meta: BufferMeta) -> None:
        assert self.header is not None
        based_on = self._based_on(meta)
        current = (self.header.path, self.header.title, self.header.fmt, self.header.based_on)
        if current != (meta.path, meta.title, meta.fmt, based_on):
            self.header = replace(
                self.header, path=meta.path, title=meta.title, fmt=meta.fmt, based_on=based_on
            )
            self._write_header(self.header)

    def _append(self) -> None:
        if not self.pending:
            return
        data = encode_edits(coalesce(self.pending))
        if self._fd is None:
            self._fd = self._store.open_log(self.buffer_id, self.generation)
        try:
            written = os.write(self._fd, data)
        except OSError:
            self.broken = True  # a part may be on disk: start over from a snapshot
            raise
        if written != len(data):
            self.broken = True
            raise OSError(28, "short write to the journal", str(self._store.session_dir))
        self._records += len(self.pending)
        self._bytes += len(data)
        self.pending.clear()
        self._schedule_sync()

    def _schedule_sync(self) -> None:
        """fdatasync off the GUI thread: a SIGKILL loses nothing that os.write returned (the
        kernel has it); the sync is for a power cut."""
        if self._sync_due or self._fd is None:
            return
        self._sync_due = True
        fd = self._fd

        def sync() -> None:
            with contextlib.suppress(OSError):
                os.fdatasync(fd)

        def done(_result: object, _error: BaseException | None) -> None:
            self._sync_due = False

        self._writer.submit(sync, done)

    def _close_log(self) -> None:
        if self._fd is not None:
            if self._sync_due:
                self._writer.drain()  # the pending fdatasync uses this descriptor
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    # -- background work ---------------------------------------------------------------------

    def _copy_file_base(self, path: Path, generation: int) -> None:
        """Snapshot `generation` from the file the document was read from (or saved as), so
        its edits can still be replayed once another program changes the file; and its hash,
        for recovery's "did the file change" check."""
        identity, units = self.identity, self.base_units
        assert identity is not None
        store, buffer_id = self._store, self.buffer_id
        try:
            store.begin_session()  # the folder the copy goes to (cheap when done)
        except OSError as exc:  # an unwritable data folder: reported, and editing goes on
            self._file_generation = -1
            self.base = Base.UNKNOWN
            self._on_failure(exc)
            return

        def copy() -> str:
            data = read_file_bytes(path)
            status = os.stat(path)
            if (len(data), status.st_mtime_ns) != (identity.size, identity.mtime_ns):
                raise ValueError(f"{path} changed since it was opened")
            text = as_plain_text(decode_text(data, path)[0])
            if utf16_length(text) != units:
                raise ValueError(f"{path} does not read back as the document's text")
            store.write_snapshot(buffer_id, generation, text)
            return sha256_of(data)

        def done(sha: object, error: BaseException | None) -> None:
            if generation != self._file_generation:
                return  # the document was saved or replaced since: another copy is due
            if error is not None or not isinstance(sha, str):
                logger.info("no copy of %s kept, taking a snapshot instead: %s", path, error)
                self._file_generation = -1
                if self.header is None:
                    self.base = Base.UNKNOWN  # the first write takes the document's text
                else:
                    self.broken = True  # the next write: a snapshot from the document
                return
            self.identity = replace(identity, sha256=sha)
            if self.header is not None and self.header.based_on == identity:
                self.header = replace(self.header, based_on=self.identity)
                try:
                    self._write_header(self.header)
                except OSError as exc:
                    self._on_failure(exc)

        self._writer.submit(copy, done)

    def _maybe_compact(self) -> None:
        if self._compacting or self._waiting_for_snapshot or self.header is None:
            return
        if self._records < COMPACT_AFTER_RECORDS and self._bytes < COMPACT_AFTER_BYTES:
            return
        self._compacting = True
        old, new = self.generation, self._allocate_generation()
        self._close_log()
        self.generation = new  # new edits go to the next log from here on
        self._records = self._bytes = 0
        store, buffer_id, header = self._store, self.buffer_id, self.header

        def compact() -> None:
            store.compact(header, old, new)

        def done(_result: object, error: BaseException | None) -> None:
            if not self._compacting or self.header is None:
                return
            self._compacting = False
            if error is not None:
                # Harmless: snapshot `old` (or the base) and both logs still describe the text.
                logger.warning("journal compaction failed: %s", error)
                return
            with contextlib.suppress(OSError):
                store.drop_generations_below(buffer_id, new)

        self._writer.submit(compact, done)
