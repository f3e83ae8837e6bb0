"""A main window that holds one text document: New, Open, Save, Save As, Open Recent, the title,
and the question before unsaved changes are lost.

The MainWindow is one (it adds the editor's surroundings and the inference). The document
signals drive autosave and file watching (session.py). Nothing here knows about suggestions.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox, QPlainTextEdit, QWidget

from penwright.app.documents.recent_files import RecentFiles
from penwright.app.documents.unsaved_prompt import UnsavedChoice, ask_unsaved_changes
from penwright.models.files.textfile import (
    NotTextError,
    SaveError,
    TextFormat,
    read_text_file,
    write_text_file,
)
from penwright.resources import APP_NAME

logger = logging.getLogger(__name__)

FILE_FILTER = "Text files (*.txt *.md);;All files (*)"


class DocumentWindow(QMainWindow):
    document_replaced = Signal()  # New, Open, Reload or a recovery put another document here
    document_saved = Signal(object)  # Path: the document was written there and is that file now

    def __init__(
        self, editor: QPlainTextEdit, settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.editor = editor
        self.setCentralWidget(editor)
        self.file_path: Path | None = None
        self.file_format = TextFormat()
        self.last_notice = ""  # the last error shown to the writer (tests read it)
        self._notice: QMessageBox | None = None
        self._recent = RecentFiles(settings)
        self._build_file_menu()
        editor.document().modificationChanged.connect(self.setWindowModified)
        self._update_title()

    # -- construction -------------------------------------------------------------------------

    def _build_file_menu(self) -> None:
        menu = self.file_menu = self.menuBar().addMenu("&File")
        entries = (
            ("&New", QKeySequence.StandardKey.New, self.new_file),
            ("&Open…", QKeySequence.StandardKey.Open, self.open_file_dialog),
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
        if not self.editor.document().isModified():
            return True
        name = self.file_path.name if self.file_path else "Untitled"
        answer = ask_unsaved_changes(self, name)
        if answer is UnsavedChoice.SAVE:
            return self.save()
        return answer is UnsavedChoice.DISCARD

    def show_document(
        self, text: str, path: Path | None, fmt: TextFormat, *, modified: bool = False
    ) -> None:
        """Put a document in the editor (new, opened, reloaded or recovered) and announce it."""
        self.editor.setPlainText(text)
        self.file_path = path
        self.file_format = fmt
        self.editor.document().setModified(modified)
        self._update_title()
        self.document_replaced.emit()

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

    def open_file(self, path: str | Path, ask: bool = True) -> bool:
        """Load path into the editor. On failure the current text stays as it was."""
        if ask and not self.ask_to_discard_changes():
            return False
        try:
            text, fmt = read_text_file(path)
        except NotTextError as exc:
            logger.warning("cannot open %s: %s", path, exc)
            self.show_notice(str(exc))
            return False
        except OSError as exc:
            logger.warning("cannot open %s", path, exc_info=True)
            self.show_notice(f"Could not open {path}: {exc.strerror or exc}")
            return False
        self.show_document(text, Path(path).resolve(), fmt)
        self._remember_recent(Path(path).resolve())
        return True

    @Slot()
    def save(self) -> bool:
        if self.file_path is None:
            return self.save_as_dialog()
        return self.save_to(self.file_path)

    @Slot()
    def save_as_dialog(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save As", self._dialog_folder(), FILE_FILTER)
        return self.save_to(Path(path)) if path else False

    def save_to(self, path: Path) -> bool:
        """Write the document (never the ghost text) to path; on success it becomes the file."""
        try:
            write_text_file(path, self.editor.toPlainText(), self.file_format)
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

