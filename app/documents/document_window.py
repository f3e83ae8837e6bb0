"""A main window that holds several text documents, one per tab: New Tab, Open, Open As, Reopen
with Encoding, Save, Save As, Close Tab, Open Recent, the title, and the question before unsaved
changes are lost.

Each tab is an OpenDocument (open_document.py: its editor, file, opening and saving). The File
menu acts on the current tab; Open puts the file in a new tab, or in the current tab while that
is blank (empty, untitled, unmodified), and a file already open switches to its tab. Closing a
tab with unsaved changes asks first; closing the window asks for each such tab.

Whatever a tab needs besides its document (suggestions, autosave, file watching, spelling...)
is installed by the callbacks given to ``add_document_setup``: the one place a new tab's editor
gets its extras, for the first tab and every later one alike. Nothing here knows about them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QTabWidget,
    QWidget,
)

from penwright.app.documents import open_prompts
from penwright.app.documents.open_document import OpenDocument
from penwright.app.documents.recent_files import RecentFiles
from penwright.models.files.textfile import TextFormat
from penwright.resources import APP_NAME

logger = logging.getLogger(__name__)

FILE_FILTER = "Text files (*.txt *.md);;All files (*)"

DocumentSetup = Callable[[OpenDocument], None]


class DocumentWindow(QMainWindow):
    # Re-emitted from whichever tab's document it happened in.
    document_replaced = Signal()  # New, Open, Reload or a recovery put another document there
    document_saved = Signal(object)  # Path: a document was written there and is that file now
    document_loading = Signal()  # a large file is going into an editor: its text is partial
    open_finished = Signal(bool)  # a background opening ended: True when the file is shown
    # The tabs themselves.
    document_closed = Signal(object)  # OpenDocument: its tab is gone (after its setups' undo)
    current_changed = Signal(object)  # OpenDocument: the tab now in front
    documents_changed = Signal()  # a tab opened, closed, moved, or changed its file

    def __init__(
        self,
        make_editor: Callable[[], QPlainTextEdit],
        settings: QSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._make_editor = make_editor
        self._documents: dict[QWidget, OpenDocument] = {}  # tab page -> its document
        self._setups: list[DocumentSetup] = []
        self.last_notice = ""  # the last error shown to the writer (tests read it)
        self._notice: QMessageBox | None = None
        self._recent = RecentFiles(settings)
        # The questions opening asks (open_prompts.py); tests put answers in their place.
        self.confirm_large_file = open_prompts.confirm_large_file
        self.offer_open_as = open_prompts.offer_open_as
        self.choose_encoding = open_prompts.choose_encoding
        tabs = self.tab_widget = QTabWidget(self)
        tabs.setTabsClosable(True)
        tabs.setMovable(True)
        tabs.setDocumentMode(True)  # the page, not a framed panel
        tabs.tabCloseRequested.connect(self._on_tab_close_requested)
        tabs.currentChanged.connect(self._on_current_changed)
        tabs.tabBar().tabMoved.connect(lambda _from, _to: self.documents_changed.emit())
        self.setCentralWidget(tabs)
        self._build_file_menu()
        self.add_document()  # the window always shows a document

    # -- construction -------------------------------------------------------------------------

    def _build_file_menu(self) -> None:
        menu = self.file_menu = self.menuBar().addMenu("&File")
        std = QKeySequence.keyBindings  # a standard key's sequences on this platform
        key = QKeySequence
        keys = QKeySequence.StandardKey
        entries: tuple[tuple[str, list[QKeySequence], Callable[[], object]], ...] = (
            ("&New Tab", [*std(keys.New), key("Ctrl+T")], self.new_file),
            ("&Open…", std(keys.Open), self.open_file_dialog),
            ("Open &As…", [], self.open_as_dialog),
            ("Reopen with &Encoding…", [], self.reopen_with_encoding),
            ("&Save", std(keys.Save), self.save),
            ("Save &As…", std(keys.SaveAs), self.save_as_dialog),
            ("&Close Tab", [key("Ctrl+W")], self.close_current_tab),
        )
        for text, shortcuts, slot in entries:
            action = menu.addAction(text)
            action.setShortcuts(shortcuts)
            action.triggered.connect(slot)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.recent_menu.triggered.connect(self._on_recent_chosen)
        menu.addMenu(self.recent_menu)
        menu.addSeparator()
        quit_action = self.quit_action = menu.addAction("&Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        # Ctrl+Tab and Ctrl+PgDown: the next tab; with Shift / PgUp the previous one. Window
        # actions, so they work while the editor has the focus.
        for names, step in (
            (("Ctrl+Tab", "Ctrl+PgDown"), 1),
            (("Ctrl+Shift+Tab", "Ctrl+Backtab", "Ctrl+PgUp"), -1),
        ):
            action = QAction("Next Tab" if step > 0 else "Previous Tab", self)
            action.setShortcuts([QKeySequence(name) for name in names])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, step=step: self.step_tab(step))
            self.addAction(action)
            if step > 0:
                self.next_tab_action = action
            else:
                self.previous_tab_action = action

    # -- the tabs -----------------------------------------------------------------------------

    def add_document_setup(self, setup: DocumentSetup) -> None:
        """Install setup on every tab's document, now and for each tab opened later."""
        self._setups.append(setup)
        for document in self.documents:
            setup(document)

    @property
    def documents(self) -> list[OpenDocument]:
        """The open documents in tab order."""
        tabs = self.tab_widget
        return [self._documents[page] for i in range(tabs.count()) if (page := tabs.widget(i))]

    @property
    def current_document(self) -> OpenDocument:
        page = self.tab_widget.currentWidget()
        assert page is not None  # there is always a tab
        return self._documents[page]

    def add_document(self) -> OpenDocument:
        """A new, empty, untitled tab, made current."""
        document = OpenDocument(self._make_editor(), self)
        self._documents[document.page] = document
        document.document_replaced.connect(self.document_replaced)
        document.document_saved.connect(self.document_saved)
        document.document_loading.connect(self.document_loading)
        document.open_finished.connect(self.open_finished)
        document.title_changed.connect(lambda: self._show_title(document))
        document.document_replaced.connect(self.documents_changed)
        document.document_saved.connect(self.documents_changed)
        for setup in self._setups:
            setup(document)
        index = self.tab_widget.addTab(document.page, "")
        self._show_title(document)
        self.tab_widget.setCurrentIndex(index)
        self.documents_changed.emit()
        return document

    def document_for(self, path: Path) -> OpenDocument | None:
        """The open document that is the file at path, if one is."""
        wanted = path.resolve()
        for document in self.documents:
            if document.file_path is not None and document.file_path == wanted:
                return document
        return None

    def show_tab(self, document: OpenDocument) -> None:
        self.tab_widget.setCurrentWidget(document.page)

    def step_tab(self, step: int) -> None:
        """Go to the next (1) or previous (-1) tab, round from the last to the first."""
        count = self.tab_widget.count()
        self.tab_widget.setCurrentIndex((self.tab_widget.currentIndex() + step) % count)

    @Slot()
    def close_current_tab(self) -> bool:
        return self.close_document(self.current_document)

    def _on_tab_close_requested(self, index: int) -> None:
        page = self.tab_widget.widget(index)
        if page in self._documents:
            self.close_document(self._documents[page])

    def close_document(self, document: OpenDocument) -> bool:
        """Close one tab, asking first when it has unsaved changes; the last tab closed leaves
        an empty one, so there is always a document to write in. False when the writer kept it."""
        self.show_tab(document)
        if not document.ask_to_discard_changes():
            return False
        self._remove(document)
        if not self._documents:
            self.add_document()
        return True

    def _remove(self, document: OpenDocument) -> None:
        index = self.tab_widget.indexOf(document.page)
        self.document_closed.emit(document)  # setups stop watching and journalling it first
        del self._documents[document.page]
        self.tab_widget.removeTab(index)
        document.page.deleteLater()
        document.deleteLater()
        self.documents_changed.emit()

    def ask_to_discard_changes(self) -> bool:
        """Before the window closes: True when no tab has unsaved changes, or the writer saved
        or discarded each one (asked tab by tab, each shown first)."""
        current = self.current_document
        for document in self.documents:
            if document.modified and not document.inserting:
                self.show_tab(document)
                if not document.ask_to_discard_changes():
                    return False
        if current.page in self._documents:
            self.show_tab(current)
        return True

    def _on_current_changed(self, index: int) -> None:
        page = self.tab_widget.widget(index)
        if page is None or page not in self._documents:
            return  # the last tab is going; the next one added becomes current
        document = self._documents[page]
        self._update_title()
        self.tab_widget.setFocusProxy(document.editor)  # focusing the window focuses the text
        document.editor.setFocus(Qt.FocusReason.TabFocusReason)
        self.current_changed.emit(document)
        self.documents_changed.emit()

    def _show_title(self, document: OpenDocument) -> None:
        index = self.tab_widget.indexOf(document.page)
        if index >= 0:
            mark = " •" if document.modified else ""
            self.tab_widget.setTabText(index, f"{document.name}{mark}")
            self.tab_widget.setTabToolTip(index, str(document.file_path or document.name))
        if self.tab_widget.currentWidget() is document.page:
            self._update_title()

    def _update_title(self) -> None:
        document = self.current_document
        path = document.file_path
        self.setWindowFilePath(str(path) if path else "")
        self.setWindowTitle(f"{document.name}[*] — {APP_NAME}")
        self.setWindowModified(document.modified)

    # -- the current tab ----------------------------------------------------------------------

    @property
    def editor(self) -> QPlainTextEdit:
        return self.current_document.editor

    @property
    def file_path(self) -> Path | None:
        return self.current_document.file_path

    @property
    def file_format(self) -> TextFormat:
        return self.current_document.file_format

    @property
    def shows_sample(self) -> bool:
        """The current tab shows a shipped sample as untitled (the welcome guide)."""
        return self.current_document.shows_sample

    @shows_sample.setter
    def shows_sample(self, value: bool) -> None:
        self.current_document.shows_sample = value

    @property
    def opening(self) -> bool:
        """A large file is being read or shown in some tab (``open_finished`` follows)."""
        return any(document.opening for document in self.documents)

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

    def show_document(
        self, text: str, path: Path | None, fmt: TextFormat, *, modified: bool = False
    ) -> None:
        """Put a document in the current tab (reloaded or recovered) and announce it."""
        self.current_document.show_document(text, path, fmt, modified=modified)

    def document_to_fill(self) -> OpenDocument:
        """Where the next opened or recovered document goes: the current tab while it is
        blank, else a new tab."""
        current = self.current_document
        return current if current.blank else self.add_document()

    @Slot()
    def new_file(self) -> None:
        """File > New Tab (Ctrl+N, Ctrl+T): an empty untitled tab."""
        self.add_document()

    @Slot()
    def open_file_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open", self._dialog_folder(), FILE_FILTER)
        if path:
            self.open_file(path, ask=False)

    @Slot()
    def open_as_dialog(self) -> None:
        """File > Open As…: pick a file, then the encoding to read it in."""
        path, _ = QFileDialog.getOpenFileName(self, "Open As", self._dialog_folder(), FILE_FILTER)
        if not path:
            return
        encoding = self.choose_encoding(self, Path(path).name, None)
        if encoding:
            # A file open already is read again in its tab: its unsaved changes are asked about.
            self.open_file(path, encoding=encoding, reopen=True)

    @Slot()
    def reopen_with_encoding(self) -> None:
        """File > Reopen with Encoding…: read the current tab's file again in another encoding."""
        document = self.current_document
        if document.file_path is None:
            self.show_notice("Reopen with Encoding needs a document that was opened from a file.")
            return
        if not document.ask_to_discard_changes():
            return
        encoding = self.choose_encoding(
            self, document.file_path.name, document.file_format.encoding
        )
        if encoding:
            document.open_file(document.file_path, ask=False, encoding=encoding)

    def open_file(
        self,
        path: str | Path,
        ask: bool = True,
        *,
        encoding: str | None = None,
        reopen: bool = False,
    ) -> bool:
        """Open path in a tab: the tab that already shows it (made current; read again only
        when ``reopen``, in ``encoding``), else the current tab while it is blank, else a new
        one. ``ask``: ask before the unsaved changes of a tab that is read again are lost.

        Returns False when nothing will be opened (a new tab made for it closes again); a file
        above the background size returns True once its opening has started (``open_finished``
        follows).
        """
        open_already = self.document_for(Path(path))
        if open_already is not None:
            self.show_tab(open_already)
            if not reopen:
                self.remember_recent(open_already.file_path or Path(path))
                return True
            return open_already.open_file(path, ask=ask, encoding=encoding)
        before = self.current_document
        document = self.document_to_fill()
        made_new = document is not before
        if not document.open_file(path, ask=False, encoding=encoding):
            if made_new:
                self._drop_unused(document, before)
            return False
        if made_new and document.opening:  # a large file: its reading may still fail

            def after(shown: bool) -> None:
                document.open_finished.disconnect(after)
                if not shown:
                    self._drop_unused(document, before)

            document.open_finished.connect(after)
        return True

    def _drop_unused(self, document: OpenDocument, before: OpenDocument) -> None:
        """A tab made for a file that did not open (refused, declined, cancelled) goes again,
        and the tab the writer was in comes back to the front."""
        if document.page not in self._documents or not document.blank:
            return
        self._remove(document)
        if before.page in self._documents:
            self.show_tab(before)

    @Slot()
    def save(self) -> bool:
        return self.current_document.save()

    @Slot()
    def save_as_dialog(self) -> bool:
        return self.save_document_as(self.current_document)

    def save_document_as(self, document: OpenDocument) -> bool:
        """Ask where to save document, then save it there."""
        folder = str(document.file_path.parent) if document.file_path else self._dialog_folder()
        path, _ = QFileDialog.getSaveFileName(self, "Save As", folder, FILE_FILTER)
        return document.save_to(Path(path)) if path else False

    def save_to(self, path: Path) -> bool:
        """Write the current tab's document to path; on success it becomes that file."""
        return self.current_document.save_to(path)

    def _dialog_folder(self) -> str:
        path = self.file_path
        return str(path.parent) if path else str(Path.home())

    def recent_files(self) -> list[str]:
        return self._recent.paths()

    def remember_recent(self, path: Path) -> None:
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

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.ask_to_discard_changes():
            event.ignore()
            return
        event.accept()
