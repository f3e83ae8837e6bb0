"""Autosave journal: every buffer with unsaved changes is on disk soon after each keystroke
(the window's document within 250 ms, any other buffer within 2 s).

The window tells the journal which buffers exist (`track`) and when one changes
(`buffer_changed`); the journal asks the buffer for its state only when it writes, so typing
costs nothing but a timer restart. A write happens once typing pauses (`quiet_ms`) and, during
uninterrupted typing, no later than `max_delay_ms` after the first unwritten keystroke, and at
once when the application loses focus. A buffer without unsaved changes has no entry.

Writing never interrupts editing: a disk error (read-only or full data directory) is reported
through `autosave_failed` for the status bar, and retried on the next change or flush.

The window's documents (one per tab) are journalled as edit logs (`watch_document`, one call
per document, log_buffer.py): every
change is recorded as it happens and appended to the log `log_delay_ms` (250 ms) after the
first unwritten one, which costs the GUI thread only the size of the change, so a SIGKILL loses
at most a quarter of a second of typing even in a 100 MB document. Buffers the journal cannot
watch are written whole, on the timers above.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace as replaced
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QTextDocument

from penwright.app.documents.background_writer import BackgroundWriter
from penwright.app.documents.edit_log import Edit
from penwright.app.documents.edit_recorder import EditRecorder
from penwright.app.documents.file_identity import stat_identity
from penwright.app.documents.journal_store import (
    JournalEntry,
    JournalStore,
    RecoverableEntry,
    RecoveryScan,
)
from penwright.app.documents.log_buffer import BufferMeta, LogBuffer
from penwright.models.files.textfile import TextFormat

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BufferState:
    """What the window reports about one buffer when the journal is about to write it."""

    path: Path | None  # None while untitled
    title: str
    text: str
    fmt: TextFormat
    modified: bool  # False: nothing to protect, the entry is removed


BufferStateProvider = Callable[[], BufferState]
# Path, title, format and "modified" of the watched document, without its text (cheap).
DescribeDocument = Callable[[], BufferMeta]


@dataclass
class _WatchedDocument:
    """One editor document journalled as an edit log: which buffer it holds now, what it is."""

    recorder: EditRecorder
    current_buffer: Callable[[], str]
    describe: DescribeDocument

    def meta(self) -> BufferMeta:
        return replaced(self.describe(), units=self.recorder.units)


class Journal(QObject):
    """One running Penwright's autosave journal. Lives in, and is called from, the GUI thread."""

    autosave_failed = Signal(str)  # a message naming the problem, for the status bar
    autosave_ok = Signal()  # the first successful write after a failure
    flushed = Signal(bool)  # after each flush (timer, focus loss or explicit): True if all written

    def __init__(
        self,
        store: JournalStore,
        parent: QObject | None = None,
        *,
        quiet_ms: int = 1000,
        max_delay_ms: int = 2000,
        log_delay_ms: int = 250,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._providers: dict[str, BufferStateProvider] = {}
        self._logs: dict[str, LogBuffer] = {}
        self._adopted: dict[str, JournalEntry] = {}  # recovered, until tracked
        self._writer = BackgroundWriter(self)
        self._watched: list[_WatchedDocument] = []  # one per tab, in no particular order
        self._pending: set[str] = set()
        self._failing = False
        # Two timers: the quiet one writes when typing pauses; the deadline one bounds what a
        # crash can cost during uninterrupted typing, which would keep restarting the first.
        self._quiet = self._single_shot_timer(quiet_ms)
        self._deadline = self._single_shot_timer(max_delay_ms)
        # Edit logs: not restarted by typing, so a write follows every edit within the delay.
        self._log_timer = self._single_shot_timer(log_delay_ms)

    @property
    def store(self) -> JournalStore:
        return self._store

    @property
    def failing(self) -> bool:
        """True while the last write attempt failed."""
        return self._failing

    def start(self) -> bool:
        """Mark this session alive on disk; False (and autosave_failed) when the disk refuses."""
        try:
            self._store.begin_session()
        except OSError as exc:
            logger.warning("cannot start the recovery journal", exc_info=True)
            self._report_failure(exc)
            return False
        return True

    def watch_application(self, app: QGuiApplication) -> None:
        """Write everything pending as soon as the application stops being the active one."""
        app.applicationStateChanged.connect(self._on_application_state_changed)

    def watch_document(
        self,
        document: QTextDocument,
        current_buffer: Callable[[], str],
        describe: DescribeDocument,
    ) -> None:
        """Journal the buffer shown in `document` as an edit log: `current_buffer` names the
        buffer id it holds at any moment, `describe` what it is (never its text). Each of the
        window's documents (tabs) is watched by its own call."""
        recorder = EditRecorder(document, partial(self._on_edit, current_buffer))
        self._watched.append(_WatchedDocument(recorder, current_buffer, describe))
        current = current_buffer()
        if current in self._providers and current not in self._logs:
            self.track(current, self._providers[current])

    def unwatch_document(self, document: QTextDocument) -> None:
        """The document's tab is closing: its edits are no longer recorded (untrack its buffer)."""
        for watched in list(self._watched):
            if watched.recorder.parent() is document:
                self._watched.remove(watched)
                watched.recorder.deleteLater()  # its connection to the document goes with it

    def _watching(self, buffer_id: str) -> _WatchedDocument | None:
        """The watched document that holds buffer_id now, if one does."""
        for watched in self._watched:
            if watched.current_buffer() == buffer_id:
                return watched
        return None

    def track(self, buffer_id: str, state: BufferStateProvider) -> None:
        """Start journalling a buffer (new, opened or recovered); ask `state` when writing."""
        self._providers[buffer_id] = state
        watched = self._watching(buffer_id)
        if watched is None:
            return
        old = self._logs.pop(buffer_id, None)
        if old is not None:
            old.close()
        log = LogBuffer(
            buffer_id,
            self._store,
            self._writer,
            lambda: state().text,
            self._report_failure,
        )
        meta = watched.meta()
        if buffer_id in self._adopted:
            adopted = self._adopted.pop(buffer_id)
            # The file it was based on stays the reference: a second crash must still notice
            # another program's edit made before the first one.
            log.identity = adopted.based_on
            log.set_known_base(adopted.text)
        else:
            # The file as it is now is what the document was just read from (or saved to).
            opened = meta.path is not None and not meta.modified
            log.set_base(meta, stat_identity(meta.path) if opened and meta.path else None)
        self._logs[buffer_id] = log

    def untrack(self, buffer_id: str) -> None:
        """The buffer is closed (saved or discarded by the writer): forget it and its entry."""
        self._providers.pop(buffer_id, None)
        self._pending.discard(buffer_id)
        log = self._logs.pop(buffer_id, None)
        if log is not None:
            self._attempt(log.forget)
        else:
            self._attempt(lambda: self._store.remove(buffer_id))

    def buffer_changed(self, buffer_id: str) -> None:
        """Call on every change of the buffer's text (a keystroke, paste, accepted suggestion)."""
        if buffer_id not in self._providers:
            return
        self._pending.add(buffer_id)
        if buffer_id in self._logs:
            if not self._log_timer.isActive():
                self._log_timer.start()
            return
        self._quiet.start()  # restarts: wait for a pause in typing
        if not self._deadline.isActive():
            self._deadline.start()

    def keep_sidecar(self, buffer_id: str, data: bytes | None) -> bool:
        """Store a buffer's sidecar bytes beside its entry (None removes them); False (and
        autosave_failed) when the disk refuses. Removed with the entry when it goes."""
        return self._attempt(lambda: self._store.write_sidecar(buffer_id, data))

    def kept_sidecar(self, buffer_id: str) -> bytes | None:
        """The sidecar bytes kept for a buffer of this session (a recovered one's after adopt)."""
        try:
            return self._store.read_sidecar(buffer_id)
        except OSError:
            logger.warning("cannot read the journal's sidecar of %s", buffer_id, exc_info=True)
            return None

    def buffer_saved(self, buffer_id: str) -> None:
        """The buffer was saved to its file: its entry is no longer needed."""
        log = self._logs.get(buffer_id)
        watched = self._watching(buffer_id)
        if log is not None and watched is not None:
            path = watched.meta().path
            log.identity = None if path is None else stat_identity(path)
        self._pending.add(buffer_id)
        self._write_pending({buffer_id})

    @property
    def busy(self) -> bool:
        """True while background writes (snapshots, compaction, syncs) are under way."""
        return self._writer.busy

    def drain(self) -> None:
        """Wait until every background write (snapshots, compaction) is done."""
        self._writer.drain()

    def flush_and_leave(self) -> bool:
        """A signal ends the process: write everything, wait for the background, and let go
        of the session with its entries kept, so the next start offers the unsaved text."""
        self._quiet.stop()
        self._deadline.stop()
        self._log_timer.stop()
        ok = self.flush()
        self._writer.drain()
        ok = self.flush() and ok  # what waited for a snapshot that has just been written
        self._writer.shutdown()
        for log in self._logs.values():
            log.close()
        self._store.close()
        return ok

    def flush(self) -> bool:
        """Write every pending change now; False if any write failed."""
        ok = self._write_pending(set(self._pending))
        self.flushed.emit(ok)
        return ok

    def recoverable(self) -> RecoveryScan:
        """What crashed sessions left behind (damaged entries reported in `problems`)."""
        try:
            return self._store.scan_recoverable()
        except OSError as exc:
            logger.warning("cannot look for recoverable text", exc_info=True)
            return RecoveryScan((), (f"Could not look for recoverable text: {exc}",))

    def adopt(
        self,
        item: RecoverableEntry,
        buffer_id: str,
        *,
        elsewhere: tuple[Path | None, str] | None = None,
    ) -> JournalEntry:
        """Take a recovered entry over as this session's buffer_id (call `track` next);
        `elsewhere` (path, title) recovers it under another name than the file it names.

        If the disk refuses, the entry stays where it was (offered again next time) and the
        text is still returned, so the window can open it regardless.
        """
        try:
            if elsewhere is None:
                adopted = self._store.adopt(item, buffer_id)
            else:
                adopted = self._store.adopt(item, buffer_id, path=elsewhere[0], title=elsewhere[1])
        except OSError as exc:
            logger.warning("cannot adopt a recovered entry", exc_info=True)
            self._report_failure(exc)
            if elsewhere is None:
                return item.entry
            path, title = elsewhere
            return replaced(item.entry, path=path, title=title, based_on=None)
        self._adopted[buffer_id] = adopted
        return adopted

    def delete(self, item: RecoverableEntry) -> bool:
        """The writer chose to discard recovered text; False if it could not be removed."""
        return self._attempt(lambda: self._store.delete_recoverable(item))

    def end_session(self) -> bool:
        """Clean exit (after the writer saved or discarded everything): leave nothing to recover.

        Call only once no buffer has changes the writer wants: entries are deleted.
        """
        self._quiet.stop()
        self._deadline.stop()
        self._log_timer.stop()
        self._pending.clear()
        self._providers.clear()
        self._writer.shutdown()  # no snapshot may land after the session is gone
        for log in self._logs.values():
            log.close()
        self._logs.clear()
        return self._attempt(self._store.end_session)

    def _single_shot_timer(self, interval_ms: int) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(interval_ms)
        timer.timeout.connect(self._on_timer)
        return timer

    @Slot()
    def _on_timer(self) -> None:
        self.flush()

    def _on_edit(self, current_buffer: Callable[[], str], edit: Edit | None) -> None:
        log = self._logs.get(current_buffer())
        if log is not None:
            log.record(edit)

    @Slot(Qt.ApplicationState)
    def _on_application_state_changed(self, state: Qt.ApplicationState) -> None:
        if state != Qt.ApplicationState.ApplicationActive:
            self.flush()

    def _write_pending(self, buffer_ids: set[str]) -> bool:
        if self._pending <= buffer_ids:
            self._quiet.stop()
            self._deadline.stop()
            self._log_timer.stop()
        ok = True
        for buffer_id in sorted(buffer_ids):
            provider = self._providers.get(buffer_id)
            if provider is None:
                self._pending.discard(buffer_id)
                continue
            if self._attempt(partial(self._write_one, buffer_id, provider)):
                self._pending.discard(buffer_id)
            else:
                ok = False  # stays pending: retried on the next change or flush
        return ok

    def _write_one(self, buffer_id: str, provider: BufferStateProvider) -> None:
        log = self._logs.get(buffer_id)
        watched = self._watching(buffer_id)
        if log is not None and watched is not None:
            log.write(watched.meta())
            return
        state = provider()
        if not state.modified:
            self._store.remove(buffer_id)
            return
        self._store.write(
            JournalEntry(buffer_id, state.path, state.title, state.text, state.fmt, time.time())
        )

    def _attempt(self, operation: Callable[[], None]) -> bool:
        try:
            operation()
        except OSError as exc:
            logger.warning("autosave to the journal failed", exc_info=True)
            self._report_failure(exc)
            return False
        if self._failing:
            self._failing = False
            self.autosave_ok.emit()
        return True

    def _report_failure(self, error: OSError) -> None:
        self._failing = True
        where = error.filename or self._store.session_dir
        self.autosave_failed.emit(
            f"Autosave failed: cannot write to {where} ({error.strerror or error}). "
            "Your text is still in the editor; save it to a file.",
        )
