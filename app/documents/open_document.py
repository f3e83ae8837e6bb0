"""One document of the window (one tab): its editor, its file and format, opening and saving.

Opening refuses what is not a regular file before reading it (models.files.textfile), asks the
writer before a file above ASK_ABOVE_BYTES, and reads a file above BACKGROUND_ABOVE_BYTES on a
worker thread with progress (file_loading.py), so the window keeps painting; ``open_finished``
says when such an opening is over. A file that is not UTF-8 but probably text in another
encoding is offered in that encoding ("Open As…").

Each tab's document opens and saves on its own: a large file still loading in one tab never
lands in another. The window (document_window.py) holds the documents, the menu and the
notices; this module asks it only to tell the writer something and to remember recent files.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from penwright.app.documents.file_loading import (
    OpenProgress,
    insert_in_slices,
    read_in_background,
)
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
from penwright.resources import is_shipped_sample

if TYPE_CHECKING:
    from penwright.app.documents.document_window import DocumentWindow

logger = logging.getLogger(__name__)

# Above this the writer is asked first: the editor is slow with text this large.
ASK_ABOVE_BYTES = 20 * 1024 * 1024
# Above this the file is read on a worker and shown in slices: reading it on the GUI thread
# would freeze the window for more than a moment (about 25 ms per MB all told).
BACKGROUND_ABOVE_BYTES = 2 * 1024 * 1024


class OpenDocument(QObject):
    """One editor and the file it shows. ``page`` is the tab's widget: the editor, with room
    above it for bars the window adds (Find)."""

    document_replaced = Signal()  # New, Open, Reload or a recovery put another document here
    document_saved = Signal(object)  # Path: the document was written there and is that file now
    document_loading = Signal()  # a large file is going into the editor: its text is partial
    open_finished = Signal(bool)  # a background opening ended: True when the file is shown
    title_changed = Signal()  # the file name or the modified mark changed

    def __init__(self, editor: QPlainTextEdit, window: DocumentWindow) -> None:
        super().__init__(window)
        self.editor = editor
        self.window = window
        self.page = QWidget()
        self.page_layout = QVBoxLayout(self.page)
        self.page_layout.setContentsMargins(0, 0, 0, 0)
        self.page_layout.setSpacing(0)
        self.page_layout.addWidget(editor)
        self.page.setFocusProxy(editor)
        self.file_path: Path | None = None
        self.file_format = TextFormat()
        # The text is a shipped sample shown as untitled (the welcome guide, first_launch.py).
        self.shows_sample = False
        self._opening = LatestTask()
        self._progress: OpenProgress | None = None  # the large file's opening that is running
        self._inserting = False  # its text is going in: the editor holds part of a file
        editor.document().modificationChanged.connect(self._on_modification_changed)

    # -- what the tab shows -------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.file_path.name if self.file_path else "Untitled"

    @property
    def modified(self) -> bool:
        return self.editor.document().isModified()

    @property
    def inserting(self) -> bool:
        """Part of a large file is in the editor (it is still going in)."""
        return self._inserting

    @property
    def blank(self) -> bool:
        """An empty untitled tab nobody wrote in: Open may put a file here instead of a new tab."""
        return (
            self.file_path is None
            and not self.modified
            and not self.shows_sample
            and self._progress is None  # no file is being read into it
            and self.editor.document().characterCount() <= 1  # no text at all
        )

    def _on_modification_changed(self, _modified: bool) -> None:
        self.title_changed.emit()

    # -- the writer's changes -----------------------------------------------------------------

    def ask_to_discard_changes(self) -> bool:
        """True if there are no unsaved changes, or the writer saved or chose to discard them."""
        if self._inserting or not self.modified:
            return True  # half an opened file is not the writer's work: nothing to lose
        if self.shows_sample or is_shipped_sample(self.file_path):
            answer = ask_unsaved_changes(self.window, self.name, sample=True)  # Cancel: default
        else:
            answer = ask_unsaved_changes(self.window, self.name)
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
        self.title_changed.emit()
        self.document_replaced.emit()

    @property
    def opening(self) -> bool:
        """A large file is being read or shown (``open_finished`` follows)."""
        return self._opening.running

    # -- opening ------------------------------------------------------------------------------

    def open_file(self, path: str | Path, ask: bool = True, *, encoding: str | None = None) -> bool:
        """Load path into this editor (in ``encoding`` when given, else the detected one).

        Returns False when nothing will be opened; on failure the current text stays as it
        was. A file above BACKGROUND_ABOVE_BYTES returns True once its opening has started:
        the text arrives later, and ``open_finished`` says how it ended.
        """
        if ask and not self.ask_to_discard_changes():
            return False
        window = self.window
        try:
            size = check_regular_file(path)
        except (NotTextError, OSError) as exc:
            return self._refused(Path(path), exc)
        if size > ASK_ABOVE_BYTES and not window.confirm_large_file(
            window, Path(path).name, describe_size(size)
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
        window.remember_recent(Path(path).resolve())
        return True

    def _open_in_background(self, path: Path, encoding: str | None, size: int) -> None:
        if self._inserting:  # another large file was half shown: it must not stay behind
            self.show_document("", None, TextFormat())
        progress = self._progress = OpenProgress(self.window, path.name, size)
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
            self.window.statusBar().showMessage(f"Opening {path.name} was cancelled.", 5000)
            self.open_finished.emit(False)
            return
        except (NotTextError, OSError) as exc:
            self._end_opening(progress)
            # The question may be modal: ask it after this task, not inside one of its steps.
            self.window.last_notice = str(exc)
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
        self.window.remember_recent(path.resolve())
        self.open_finished.emit(True)

    def _refused(self, path: Path, exc: NotTextError | OSError) -> bool:
        """Tell the writer why path was not opened; offer another encoding when one fits."""
        window = self.window
        if isinstance(exc, OSError):
            logger.warning("cannot open %s", path, exc_info=True)
            window.show_notice(f"Could not open {path}: {exc.strerror or exc}")
            return False
        logger.warning("cannot open %s: %s", path, exc)
        if exc.guess is None:
            window.show_notice(str(exc))
            return False
        window.last_notice = str(exc)
        encoding = window.offer_open_as(window, str(exc), exc.guess)
        if encoding is None:
            return False
        return self.open_file(path, ask=False, encoding=encoding)

    # -- saving -------------------------------------------------------------------------------

    def save(self) -> bool:
        if self._inserting:  # no file dialog for a document that is not all there yet
            return self.save_to(self.file_path or Path())
        if self.file_path is None or is_shipped_sample(self.file_path):
            return self.window.save_document_as(self)  # a shipped sample is never overwritten
        return self.save_to(self.file_path)

    def save_to(self, path: Path) -> bool:
        """Write the document (never the ghost text) to path; on success it becomes the file."""
        window = self.window
        if self._inserting:  # part of a file must never be saved over a file
            window.show_notice("Wait until the file has opened, then save.")
            return False
        try:
            self.file_format = write_text_file(path, self.editor.toPlainText(), self.file_format)
        except SaveError as exc:
            logger.warning("cannot save %s", path, exc_info=True)
            window.show_notice(str(exc))
            return False
        self.file_path = path.resolve()
        self.editor.document().setModified(False)
        window.remember_recent(self.file_path)
        self.title_changed.emit()
        window.statusBar().showMessage(f"Saved {self.file_path.name}", 3000)
        self.document_saved.emit(self.file_path)
        return True
