"""A main window that holds one text document: New, Open, Open As, Reopen with Encoding, Save,
Save As, Open Recent, the title, and the question before unsaved changes are lost.

Opening refuses what is not a regular file before reading it (models.files.textfile), asks the
writer before a file above ASK_ABOVE_BYTES, and reads a file above BACKGROUND_ABOVE_BYTES on a
worker thread with progress (file_loading.py), so the window keeps painting; ``open_finished``
says when such an opening is over. A file that is not UTF-8 but probably text in another
encoding is offered in that encoding ("Open As…").

The MainWindow is one (it adds the editor's surroundings and the inference). The document
signals drive autosave and file watching (session.py). Nothing here knows about suggestions.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox, QPlainTextEdit, QWidget

from penwright.app.documents import open_prompts
from penwright.app.documents.file_loading import (
    OpenProgress,
    insert_in_slices,
    read_in_background,
)
from penwright.app.documents.recent_files import RecentFiles
from penwright.app.documents.unsaved_prompt import UnsavedChoice, ask_unsaved_changes
from penwright.app.tasks import LatestTask
from penwright.models.files.textfile import (
    NotTextError,
    ReadCancelled,
    SaveError,
    TextFormat,
    check_regular_file,
    describe_size,
    read_text_file,
    write_text_file,
)
from penwright.resources import APP_NAME, is_shipped_sample

logger = logging.getLogger(__name__)

FILE_FILTER = "Text files (*.txt *.md);;All files (*)"
# Above this the writer is asked first: the editor is slow with text this large.
ASK_ABOVE_BYTES = 20 * 1024 * 1024
# Above this the file is read on a worker and shown in slices: reading it on the GUI thread
# would freeze the window for more than a moment (about 25 ms per MB all told).
BACKGROUND_ABOVE_BYTES = 2 * 1024 * 1024


class DocumentWindow(QMainWindow):
    document_replaced = Signal()  # New, Open, Reload or a recovery put another document here
    document_saved = Signal(object)  # Path: the document was written there and is that file now
    document_loading = Signal()  # a large file is going into the editor: its text is partial
    open_finished = Signal(bool)  # a background opening ended: True when the file is shown

    def __init__(
        self, editor: QPlainTextEdit, settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.editor = editor
        self.setCentralWidget(editor)
        self.file_path: Path | None = None
        self.file_format = TextFormat()
        self.last_notice = ""  # the last error shown to the writer (tests read it)
        # The text is a shipped sample shown as untitled (the welcome guide, first_launch.py).
        self.shows_sample = False
        self._notice: QMessageBox | None = None
        self._recent = RecentFiles(settings)
        self._opening = LatestTask()
        self._progress: OpenProgress | None = None  # the large file's opening that is running
        self._inserting = False  # its text is going in: the editor holds part of a file
        # The questions opening asks (open_prompts.py); tests put answers in their place.
        self.confirm_large_file = open_prompts.confirm_large_file
        self.offer_open_as = open_prompts.offer_open_as
        self.choose_encoding = open_prompts.choose_encoding
        self._build_file_menu()
        editor.document().modificationChanged.connect(self.setWindowModified)
        self._update_title()

    # -- construction -------------------------------------------------------------------------

    def _build_file_menu(self) -> None:
        menu = self.file_menu = self.menuBar().addMenu("&File")
        entries = (
            ("&New", QKeySequence.StandardKey.New, self.new_file),
            ("&Open…", QKeySequence.StandardKey.Open, self.open_file_dialog),
            ("Open &As…", QKeySequence(), self.open_as_dialog),
            ("Reopen with &Encoding…", QKeySequence(), self.reopen_with_encoding),
            ("&Save", QKeySequence.StandardKey.Save, self.save),
            ("Save &As…", QKeySequence.StandardKey.SaveAs, self.save_as_dialog),
        )
        for text, key, slot in entries:
            action = menu.addAction(text)
            action.setShortcut(key)
            action.triggered.connect(slot)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.recent_menu.triggered.connect(self._on_recent_chosen)
        menu.addMenu(self.recent_menu)
        menu.addSeparator()
        quit_action = self.quit_action = menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)

    # -- messages -----------------------------------------------------------------------------

    def show_notice(self, message: str) -> None:
        """Tell the writer without blocking: the status bar and a non-modal message box."""
        self.last_notice = message
        self.statusBar().showMessage(message, 10000)
        if self._notice is not None:
            self._notice.close()
        notice = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, message, parent=self)
        notice.setWindowModality(Qt.WindowModality.NonModal)
        notice.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        notice.finished.connect(self._on_notice_closed)
        self._notice = notice
        notice.show()

    @Slot()
    def _on_notice_closed(self) -> None:
        self._notice = None

    # -- files --------------------------------------------------------------------------------

    def _update_title(self) -> None:
        name = self.file_path.name if self.file_path else "Untitled"
        self.setWindowFilePath(str(self.file_path) if self.file_path else "")
        self.setWindowTitle(f"{name}[*] — {APP_NAME}")
        self.setWindowModified(self.editor.document().isModified())

    def ask_to_discard_changes(self) -> bool:
        """True if there are no unsaved changes, or the writer saved or chose to discard them."""
        if self._inserting or not self.editor.document().isModified():
            return True  # half an opened file is not the writer's work: nothing to lose
        name = self.file_path.name if self.file_path else "Untitled"
        if self.shows_sample or is_shipped_sample(self.file_path):
            answer = ask_unsaved_changes(self, name, sample=True)  # Cancel is its default
        else:
            answer = ask_unsaved_changes(self, name)
        if answer is UnsavedChoice.SAVE:
            return self.save()
        return answer is UnsavedChoice.DISCARD

    def show_document(
        self, text: str, path: Path | None, fmt: TextFormat, *, modified: bool = False
    ) -> None:
        """Put a document in the editor (new, opened, reloaded or recovered) and announce it."""
        self._opening.cancel()  # a large file still loading must not land on top of this one
        if self._progress is not None:
            self._end_opening(self._progress)
        self.editor.setPlainText(text)
        self._adopt(path, fmt, modified)

    def _adopt(self, path: Path | None, fmt: TextFormat, modified: bool) -> None:
        """The editor holds the document now: take its file and format, and announce it."""
        self.file_path = path
        self.file_format = fmt
        self.shows_sample = False
        self.editor.document().setModified(modified)
        self._update_title()
        self.document_replaced.emit()

    @property
    def opening(self) -> bool:
        """A large file is being read or shown (``open_finished`` follows)."""
        return self._opening.running

    @Slot()
    def new_file(self) -> None:
        if not self.ask_to_discard_changes():
            return
        self.show_document("", None, TextFormat())

    @Slot()
    def open_file_dialog(self) -> None:
        if not self.ask_to_discard_changes():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open", self._dialog_folder(), FILE_FILTER)
        if path:
            self.open_file(path, ask=False)

    @Slot()
    def open_as_dialog(self) -> None:
        """File > Open As…: pick a file, then the encoding to read it in."""
        if not self.ask_to_discard_changes():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open As", self._dialog_folder(), FILE_FILTER)
        if not path:
            return
        encoding = self.choose_encoding(self, Path(path).name, None)
        if encoding:
            self.open_file(path, ask=False, encoding=encoding)

    @Slot()
    def reopen_with_encoding(self) -> None:
        """File > Reopen with Encoding…: read the open file again in another encoding."""
        if self.file_path is None:
            self.show_notice("Reopen with Encoding needs a document that was opened from a file.")
            return
        if not self.ask_to_discard_changes():
            return
        encoding = self.choose_encoding(self, self.file_path.name, self.file_format.encoding)
        if encoding:
            self.open_file(self.file_path, ask=False, encoding=encoding)

    def open_file(self, path: str | Path, ask: bool = True, *, encoding: str | None = None) -> bool:
        """Load path into the editor (in ``encoding`` when given, else the detected one).

        Returns False when nothing will be opened; on failure the current text stays as it
        was. A file above BACKGROUND_ABOVE_BYTES returns True once its opening has started:
        the text arrives later, and ``open_finished`` says how it ended.
        """
        if ask and not self.ask_to_discard_changes():
            return False
        try:
            size = check_regular_file(path)
        except (NotTextError, OSError) as exc:
            return self._refused(Path(path), exc)
        if size > ASK_ABOVE_BYTES and not self.confirm_large_file(
            self, Path(path).name, describe_size(size)
        ):
            return False
        if size > BACKGROUND_ABOVE_BYTES:
            self._open_in_background(Path(path), encoding, size)
            return True
        try:
            text, fmt = read_text_file(path, encoding=encoding)
        except (NotTextError, OSError) as exc:
            return self._refused(Path(path), exc)
        self.show_document(text, Path(path).resolve(), fmt)
        self._remember_recent(Path(path).resolve())
        return True

    def _open_in_background(self, path: Path, encoding: str | None, size: int) -> None:
        if self._inserting:  # another large file was half shown: it must not stay behind
            self.show_document("", None, TextFormat())
        progress = self._progress = OpenProgress(self, path.name, size)
        self.editor.setReadOnly(True)  # the writer's text stays as it is until the file is read
        task = self._opening.start(self._read_and_show(path, encoding, progress))
        # Also when the task is cancelled before it ever ran (another file opened at once).
        task.add_done_callback(lambda _task: self._end_opening(progress))

    def _end_opening(self, progress: OpenProgress) -> None:
        progress.cancelled.set()  # a worker still reading a file nobody waits for stops early
        progress.close()
        if self._progress is progress:  # not when a newer opening already holds the editor
            self._progress = None
            self._inserting = False
            self.editor.setReadOnly(False)

    async def _read_and_show(
        self, path: Path, encoding: str | None, progress: OpenProgress
    ) -> None:
        # Every way out ends the opening before announcing it (the done callback comes later).
        try:
            text, fmt = await read_in_background(path, encoding, progress)
        except ReadCancelled:
            self._end_opening(progress)
            self.statusBar().showMessage(f"Opening {path.name} was cancelled.", 5000)
            self.open_finished.emit(False)
            return
        except (NotTextError, OSError) as exc:
            self._end_opening(progress)
            # The question may be modal: ask it after this task, not inside one of its steps.
            self.last_notice = str(exc)
            QTimer.singleShot(0, functools.partial(self._refused, path, exc))
            self.open_finished.emit(False)
            return
        progress.showing(len(text))
        self._inserting = True
        self.document_loading.emit()
        if self._progress is not progress:
            return  # a slot of document_loading put another document here: this one is over
        try:
            await insert_in_slices(self.editor, text, progress)
        except asyncio.CancelledError:
            # Only show_document cancels a running opening, and it replaces the text itself.
            self._end_opening(progress)
            raise
        self._end_opening(progress)
        self._adopt(path.resolve(), fmt, False)
        self._remember_recent(path.resolve())
        self.open_finished.emit(True)

    def _refused(self, path: Path, exc: NotTextError | OSError) -> bool:
        """Tell the writer why path was not opened; offer another encoding when one fits."""
        if isinstance(exc, OSError):
            logger.warning("cannot open %s", path, exc_info=True)
            self.show_notice(f"Could not open {path}: {exc.strerror or exc}")
            return False
        logger.warning("cannot open %s: %s", path, exc)
        if exc.guess is None:
            self.show_notice(str(exc))
            return False
        self.last_notice = str(exc)
        encoding = self.offer_open_as(self, str(exc), exc.guess)
        if encoding is None:
            return False
        return self.open_file(path, ask=False, encoding=encoding)

    @Slot()
    def save(self) -> bool:
        if self.file_path is None or is_shipped_sample(self.file_path):
            return self.save_as_dialog()  # a shipped sample is never overwritten
        return self.save_to(self.file_path)

    @Slot()
    def save_as_dialog(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save As", self._dialog_folder(), FILE_FILTER)
        return self.save_to(Path(path)) if path else False

    def save_to(self, path: Path) -> bool:
        """Write the document (never the ghost text) to path; on success it becomes the file."""
        if self._inserting:  # part of a file must never be saved over a file
            self.show_notice("Wait until the file has opened, then save.")
            return False
        try:
            self.file_format = write_text_file(path, self.editor.toPlainText(), self.file_format)
        except SaveError as exc:
            logger.warning("cannot save %s", path, exc_info=True)
            self.show_notice(str(exc))
            return False
        self.file_path = path.resolve()
        self.editor.document().setModified(False)
        self._remember_recent(self.file_path)
        self._update_title()
        self.statusBar().showMessage(f"Saved {self.file_path.name}", 3000)
        self.document_saved.emit(self.file_path)
        return True

    def _dialog_folder(self) -> str:
        return str(self.file_path.parent) if self.file_path else str(Path.home())

    def recent_files(self) -> list[str]:
        return self._recent.paths()

    def _remember_recent(self, path: Path) -> None:
        self._recent.remember(path)

    @Slot()
    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.recent_files():
            action = self.recent_menu.addAction(path)
            action.setData(path)
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("No recent files").setEnabled(False)

    @Slot(QAction)
    def _on_recent_chosen(self, action: QAction) -> None:
        path = action.data()
        if isinstance(path, str) and path:
            self.open_file(path)
