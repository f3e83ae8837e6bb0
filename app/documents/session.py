"""Keeps the window's document safe: autosave journal, outside changes, recovery after a crash.

The window only announces what happened to its document (`document_replaced` after New, Open,
Reload or a recovery; `document_saved` after a successful save); this object turns that into
journal and file-watch bookkeeping, so document_window.py stays about files:

- each document gets a journal buffer id; every edit tells the journal, which writes the text
  within 2 s (the journal asks for the text only when it writes, so typing stays cheap);
- the open file is watched; a change by another program asks Reload / Keep My Version, a
  removal says so; either way the writer's text stays in the editor, marked unsaved;
- an autosave failure (read-only or full data directory) shows in the status bar until a write
  succeeds again, while editing goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QWidget

from penwright.app.documents.document_window import BACKGROUND_ABOVE_BYTES, DocumentWindow
from penwright.app.documents.file_watch import FileWatcher
from penwright.app.documents.journal import BufferState, Journal
from penwright.app.documents.journal_store import JournalEntry, new_buffer_id
from penwright.app.documents.recovery_dialog import RecoveryDialog, RunDialog, offer_recovery
from penwright.app.documents.unsaved_prompt import ExternalChangeChoice, ask_external_change
from penwright.models.files.textfile import NotTextError, TextFormat, read_text_file

logger = logging.getLogger(__name__)

AskExternalChange = Callable[[QWidget | None, str, bool], ExternalChangeChoice]


class DocumentSession(QObject):
    """Journal and file-watch bookkeeping for one MainWindow. GUI thread only."""

    def __init__(
        self,
        window: DocumentWindow,
        journal: Journal,
        watcher: FileWatcher,
        *,
        ask_external: AskExternalChange = ask_external_change,
        run_recovery_dialog: RunDialog = RecoveryDialog.exec,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._journal = journal
        self._watcher = watcher
        self._ask_external = ask_external
        self._run_recovery_dialog = run_recovery_dialog
        self._buffer_id = ""
        self._watched: Path | None = None
        self._next_buffer_id: str | None = None  # set while a recovered entry is being shown
        self._loading = False  # a large file is going in slice by slice: nothing to journal yet
        self.left_in_journal = 0  # recovered entries this window could not open (kept on disk)

        # Hidden until an autosave fails; a permanent widget, so "Saved" messages do not hide it.
        self.autosave_label = QLabel("")
        self.autosave_label.setObjectName("autosave_warning")
        self.autosave_label.setStyleSheet("color: #b00020;")
        self.autosave_label.hide()
        window.statusBar().addPermanentWidget(self.autosave_label)

        journal.autosave_failed.connect(self._on_autosave_failed)
        journal.autosave_ok.connect(self._on_autosave_ok)
        watcher.changed_on_disk.connect(self._on_changed_on_disk)
        watcher.removed_from_disk.connect(self._on_removed_from_disk)
        window.document_loading.connect(self._on_document_loading)
        window.document_replaced.connect(self._on_document_replaced)
        window.document_saved.connect(self._on_document_saved)
        window.editor.document().contentsChanged.connect(self._on_contents_changed)
        self.recover_action = QAction("Recover &Unsaved Text…", self)
        self.recover_action.triggered.connect(self._on_recover_requested)
        window.file_menu.insertAction(window.quit_action, self.recover_action)
        self._on_document_replaced()  # the document the window starts with

    @property
    def buffer_id(self) -> str:
        return self._buffer_id

    # -- start-up recovery --------------------------------------------------------------------

    def recover(self) -> str:
        """Offer what a crash left; open the first recovered text here; tell the writer.

        Returns what the writer was told ("" when nothing was offered or reported).

        The window holds one document, so when the writer ticks several only the first is
        recovered now; the others are left untouched in the journal and offered again by
        File > Recover Unsaved Text… and at the next start. Nothing is ever dropped.
        """
        extra: list[int] = []

        def run_and_keep_one(dialog: RecoveryDialog) -> object:
            result = self._run_recovery_dialog(dialog)
            ticked = dialog.decision.to_recover
            extra.append(max(0, len(ticked) - 1))
            dialog.decision.to_recover = ticked[:1]
            return result

        outcome = offer_recovery(self._journal, self._window, run_dialog=run_and_keep_one)
        self.left_in_journal = sum(extra)
        messages = list(outcome.problems)
        if outcome.recovered:
            entry = outcome.recovered[0]
            self.show_recovered(entry)
            messages.insert(0, f"Recovered “{entry.title}”: unsaved, save it to keep it.")
        if self.left_in_journal:
            count = self.left_in_journal
            documents = "document is" if count == 1 else "documents are"
            messages.append(
                f"{count} more recovered {documents} kept for later: "
                "File > Recover Unsaved Text… opens them."
            )
        message = " ".join(messages)
        if outcome.problems or self.left_in_journal:
            self._window.show_notice(message)  # too important for a status line that scrolls away
        elif message:
            self._window.statusBar().showMessage(message, 20000)
        return message

    @Slot()
    def _on_recover_requested(self) -> None:
        if not self._window.ask_to_discard_changes():
            return
        if not self.recover():
            self._window.statusBar().showMessage("There is no unsaved text to recover.", 10000)

    def show_recovered(self, entry: JournalEntry) -> None:
        """Put a recovered (already adopted) entry in the window, unsaved, under its buffer id."""
        self._next_buffer_id = entry.buffer_id
        self._window.show_document(entry.text, entry.path, entry.fmt, modified=True)

    # -- the window's document ----------------------------------------------------------------

    def _state(self) -> BufferState:
        window = self._window
        path = window.file_path
        return BufferState(
            path,
            path.name if path is not None else "Untitled",
            window.editor.toPlainText(),
            window.file_format,
            window.editor.document().isModified(),
        )

    @Slot()
    def _on_document_loading(self) -> None:
        # The previous document was saved or discarded; the partial text coming in is the
        # file's own, so it is neither journalled nor watched until it is all there.
        self._loading = True
        if self._buffer_id:
            self._journal.untrack(self._buffer_id)
            self._buffer_id = ""

    @Slot()
    def _on_document_replaced(self) -> None:
        self._loading = False
        # The previous document was saved or discarded by the writer before it was replaced.
        if self._buffer_id:
            self._journal.untrack(self._buffer_id)
        self._buffer_id = self._next_buffer_id or new_buffer_id()
        self._next_buffer_id = None
        self._journal.track(self._buffer_id, self._state)
        if self._window.editor.document().isModified():
            self._journal.buffer_changed(self._buffer_id)
        self._watch(self._window.file_path)

    @Slot(object)
    def _on_document_saved(self, path: Path) -> None:
        self._watch(path)
        self._watcher.note_saved(path)
        self._journal.buffer_saved(self._buffer_id)

    @Slot()
    def _on_contents_changed(self) -> None:
        if not self._loading and self._buffer_id:
            self._journal.buffer_changed(self._buffer_id)

    def _watch(self, path: Path | None) -> None:
        if path == self._watched:
            if path is not None:
                self._watcher.watch(path)  # reopened or reloaded: its content is known again
            return
        if self._watched is not None:
            self._watcher.unwatch(self._watched)
        self._watched = path
        if path is not None:
            self._watcher.watch(path)

    # -- outside changes ----------------------------------------------------------------------

    def _is_ours(self, path: str) -> bool:
        return self._watched is not None and Path(path) == self._watched

    @Slot(str)
    def _on_changed_on_disk(self, path: str) -> None:
        if not self._is_ours(path):
            return
        window = self._window
        modified = window.editor.document().isModified()
        choice = self._ask_external(window, Path(path).name, modified)
        if choice is ExternalChangeChoice.RELOAD:
            if _is_large(path):
                # Read in the background like an opening; until it has succeeded the editor's
                # text differs from the file, so it stays marked unsaved.
                window.editor.document().setModified(True)
                window.open_file(path, ask=False, encoding=_reload_encoding(window.file_format))
                return
            try:
                text, fmt = read_text_file(path, encoding=_reload_encoding(window.file_format))
            except (NotTextError, OSError) as exc:
                logger.warning("cannot reload %s", path, exc_info=True)
                window.editor.document().setModified(True)
                window.show_notice(f"Could not reload {path}; your version is kept: {exc}")
                return
            window.show_document(text, Path(path), fmt)
            window.statusBar().showMessage(f"Reloaded {Path(path).name} from disk", 5000)
        else:
            # The editor's text now differs from the file: it is unsaved work to protect.
            window.editor.document().setModified(True)

    @Slot(str)
    def _on_removed_from_disk(self, path: str) -> None:
        if not self._is_ours(path):
            return
        self._window.editor.document().setModified(True)
        self._window.show_notice(
            f"“{Path(path).name}” was deleted or moved by another program. "
            "Your text is still here; save it to keep it."
        )

    # -- autosave health ----------------------------------------------------------------------

    @Slot(str)
    def _on_autosave_failed(self, message: str) -> None:
        self.autosave_label.setText("Autosave failed")
        self.autosave_label.setToolTip(message)
        self.autosave_label.show()
        self._window.statusBar().showMessage(message)

    @Slot()
    def _on_autosave_ok(self) -> None:
        self.autosave_label.hide()
        self._window.statusBar().showMessage("Autosave works again", 4000)


def _is_large(path: str) -> bool:
    try:
        return Path(path).stat().st_size > BACKGROUND_ABOVE_BYTES
    except OSError:
        return False  # the synchronous read below reports why it cannot be read


def _reload_encoding(fmt: TextFormat) -> str | None:
    """Reload in the encoding the writer chose with Open As (a file without a byte-order mark
    would otherwise be refused again); a detected one is detected again."""
    return None if fmt.encoding in _DETECTED_ENCODINGS and fmt.bom else fmt.encoding


_DETECTED_ENCODINGS = ("utf-8", "utf-8-sig", "utf-16-le", "utf-16-be")
