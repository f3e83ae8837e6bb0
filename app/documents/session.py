"""Keeps the window's documents safe: autosave journal, outside changes, recovery after a crash.

Each tab's document only announces what happened to it (`document_replaced` after Open,
Reload or a recovery; `document_saved` after a successful save); this object turns that into
journal and file-watch bookkeeping, tab by tab, so document_window.py stays about files:

- each document gets a journal buffer id; every edit tells the journal, which writes the text
  within 2 s (the journal asks for the text only when it writes, so typing stays cheap);
- the open file is watched; a change by another program asks Reload / Keep My Version, a
  removal says so; either way the writer's text stays in the editor, marked unsaved;
- after a crash every recovered document the writer chose opens at once, one tab each;
- an autosave failure (read-only or full data directory) shows in the status bar until a write
  succeeds again, while editing goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QWidget

from penwright.app.documents.document_window import DocumentWindow
from penwright.app.documents.file_watch import FileWatcher
from penwright.app.documents.journal import BufferState, Journal
from penwright.app.documents.journal_store import JournalEntry, new_buffer_id
from penwright.app.documents.open_document import BACKGROUND_ABOVE_BYTES, OpenDocument
from penwright.app.documents.recovery_dialog import RecoveryDialog, RunDialog, offer_recovery
from penwright.app.documents.unsaved_prompt import ExternalChangeChoice, ask_external_change
from penwright.models.files.textfile import NotTextError, TextFormat, read_text_file

logger = logging.getLogger(__name__)

AskExternalChange = Callable[[QWidget | None, str, bool], ExternalChangeChoice]


@dataclass
class _Care:
    """One tab's bookkeeping: the journal buffer it holds and the file it watches."""

    document: OpenDocument
    buffer_id: str = ""
    watched: Path | None = None
    next_buffer_id: str | None = None  # set while a recovered entry is being shown
    loading: bool = False  # a large file is going in slice by slice: nothing to journal yet


class DocumentSession(QObject):
    """Journal and file-watch bookkeeping for one window's documents. GUI thread only."""

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
        self._cares: dict[OpenDocument, _Care] = {}

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
        self.recover_action = QAction("Recover &Unsaved Text…", self)
        self.recover_action.triggered.connect(self._on_recover_requested)
        window.file_menu.insertAction(window.quit_action, self.recover_action)
        window.document_closed.connect(self._on_document_closed)
        window.add_document_setup(self._take_care_of)  # the tabs open now and every later one

    def _take_care_of(self, document: OpenDocument) -> None:
        care = self._cares[document] = _Care(document)
        document.document_loading.connect(partial(self._on_document_loading, care))
        document.document_replaced.connect(partial(self._on_document_replaced, care))
        document.document_saved.connect(partial(self._on_document_saved, care))
        document.editor.document().contentsChanged.connect(partial(self._on_contents_changed, care))
        self._on_document_replaced(care)  # the document the tab starts with

    @property
    def buffer_id(self) -> str:
        """The journal buffer of the current tab."""
        return self.buffer_id_of(self._window.current_document)

    def buffer_id_of(self, document: OpenDocument) -> str:
        care = self._cares.get(document)
        return care.buffer_id if care is not None else ""

    @Slot(object)
    def _on_document_closed(self, document: OpenDocument) -> None:
        # The writer saved or discarded it before its tab closed: nothing left to protect.
        care = self._cares.pop(document, None)
        if care is None:
            return
        if care.buffer_id:
            self._journal.untrack(care.buffer_id)
        self._watch(care, None)

    # -- start-up recovery --------------------------------------------------------------------

    def recover(self) -> str:
        """Offer what a crash left; open every recovered text the writer chose, one tab each;
        tell the writer. Returns what the writer was told ("" when nothing was offered).

        A recovered file that is open already and unchanged (reopened by the last session's
        restore) shows the recovered text in its own tab rather than in a second one.
        """
        outcome = offer_recovery(self._journal, self._window, run_dialog=self._run_recovery_dialog)
        messages = list(outcome.problems)
        for entry in outcome.recovered:
            self.show_recovered(entry, self._tab_for(entry))
        if outcome.recovered:
            names = ", ".join(f"“{entry.title}”" for entry in outcome.recovered)
            save = "save it to keep it" if len(outcome.recovered) == 1 else "save them to keep them"
            messages.insert(0, f"Recovered {names}: unsaved, {save}.")
            self._window.show_tab(self._window.documents[-1])
        message = " ".join(messages)
        if outcome.problems:
            self._window.show_notice(message)  # too important for a status line that scrolls away
        elif message:
            self._window.statusBar().showMessage(message, 20000)
        return message

    def _tab_for(self, entry: JournalEntry) -> OpenDocument:
        if entry.path is not None:
            document = self._window.document_for(entry.path)
            if document is not None and not document.modified and not document.opening:
                return document
        return self._window.document_to_fill()

    @Slot()
    def _on_recover_requested(self) -> None:
        if not self.recover():
            self._window.statusBar().showMessage("There is no unsaved text to recover.", 10000)

    def show_recovered(self, entry: JournalEntry, document: OpenDocument | None = None) -> None:
        """Put a recovered (already adopted) entry in a tab (the current one unless given),
        unsaved, under its buffer id."""
        document = document or self._window.current_document
        self._cares[document].next_buffer_id = entry.buffer_id
        document.show_document(entry.text, entry.path, entry.fmt, modified=True)

    # -- each tab's document ------------------------------------------------------------------

    @staticmethod
    def _state(document: OpenDocument) -> BufferState:
        return BufferState(
            document.file_path,
            document.name,
            document.editor.toPlainText(),
            document.file_format,
            document.modified,
        )

    def _on_document_loading(self, care: _Care) -> None:
        # The previous document was saved or discarded; the partial text coming in is the
        # file's own, so it is neither journalled nor watched until it is all there.
        care.loading = True
        if care.buffer_id:
            self._journal.untrack(care.buffer_id)
            care.buffer_id = ""

    def _on_document_replaced(self, care: _Care) -> None:
        care.loading = False
        # The previous document was saved or discarded by the writer before it was replaced.
        if care.buffer_id:
            self._journal.untrack(care.buffer_id)
        care.buffer_id = care.next_buffer_id or new_buffer_id()
        care.next_buffer_id = None
        self._journal.track(care.buffer_id, partial(self._state, care.document))
        if care.document.modified:
            self._journal.buffer_changed(care.buffer_id)
        self._watch(care, care.document.file_path)

    def _on_document_saved(self, care: _Care, path: Path) -> None:
        self._watch(care, path)
        self._watcher.note_saved(path)
        self._journal.buffer_saved(care.buffer_id)

    def _on_contents_changed(self, care: _Care) -> None:
        if not care.loading and care.buffer_id:
            self._journal.buffer_changed(care.buffer_id)

    def _watch(self, care: _Care, path: Path | None) -> None:
        if path == care.watched:
            if path is not None:
                self._watcher.watch(path)  # reopened or reloaded: its content is known again
            return
        old, care.watched = care.watched, path
        # Two tabs may name one file (Save As onto another tab's file): the watch stays
        # while either does.
        if old is not None and not any(c.watched == old for c in self._cares.values()):
            self._watcher.unwatch(old)
        if path is not None:
            self._watcher.watch(path)

    # -- outside changes ----------------------------------------------------------------------

    def _cares_watching(self, path: str) -> list[_Care]:
        return [care for care in self._cares.values() if care.watched == Path(path)]

    @Slot(str)
    def _on_changed_on_disk(self, path: str) -> None:
        for care in self._cares_watching(path):
            self._window.show_tab(care.document)  # the question is about what the writer sees
            self._ask_about_change(care.document, path)

    def _ask_about_change(self, document: OpenDocument, path: str) -> None:
        window = self._window
        choice = self._ask_external(window, Path(path).name, document.modified)
        if choice is ExternalChangeChoice.RELOAD:
            if _is_large(path):
                # Read in the background like an opening; until it has succeeded the editor's
                # text differs from the file, so it stays marked unsaved.
                document.editor.document().setModified(True)
                document.open_file(path, ask=False, encoding=_reload_encoding(document.file_format))
                return
            try:
                text, fmt = read_text_file(path, encoding=_reload_encoding(document.file_format))
            except (NotTextError, OSError) as exc:
                logger.warning("cannot reload %s", path, exc_info=True)
                document.editor.document().setModified(True)
                window.show_notice(f"Could not reload {path}; your version is kept: {exc}")
                return
            document.show_document(text, Path(path), fmt)
            window.statusBar().showMessage(f"Reloaded {Path(path).name} from disk", 5000)
        else:
            # The editor's text now differs from the file: it is unsaved work to protect.
            document.editor.document().setModified(True)

    @Slot(str)
    def _on_removed_from_disk(self, path: str) -> None:
        cares = self._cares_watching(path)
        for care in cares:
            care.document.editor.document().setModified(True)
        if cares:
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
