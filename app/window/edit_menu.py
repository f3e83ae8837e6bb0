"""The Edit menu's editing entries, Find / Replace (each tab's bar above its text) and Go to line.

The undo, redo and clipboard entries call the editor's own slots and follow its undoAvailable,
redoAvailable and copyAvailable signals, so they are enabled exactly when the keys would act.
Preferences (window/dialogs.py) stays last in the menu, after a separator.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence, QTextCursor
from PySide6.QtWidgets import QInputDialog, QMainWindow, QMenu

from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.find_bar import FindBar
from penwright.app.window.document_tab import DocumentTab

StandardKey = QKeySequence.StandardKey


class EditMenu(QObject):
    """Puts the editing entries at the top of menu (before Preferences). Every entry acts on the
    current tab's editor and Find bar (`current`), and follows that editor's undo, redo and
    selection state; the window calls `follow` when another tab comes to the front."""

    def __init__(
        self, window: QMainWindow, menu: QMenu, current: Callable[[], DocumentTab]
    ) -> None:
        super().__init__(window)
        self._window = window
        self._current = current
        self._followed: Editor | None = None

        def on_editor(name: str) -> Callable[[], object]:
            return lambda: getattr(self._current().editor, name)()

        def on_bar(name: str) -> Callable[[], object]:
            return lambda: getattr(self._current().find_bar, name)()

        first = menu.actions()[0] if menu.actions() else None
        add = self._adder(menu, first)
        self.undo_action = add("&Undo", StandardKey.Undo, on_editor("undo"))
        self.redo_action = add("&Redo", StandardKey.Redo, on_editor("redo"))
        self._separator(menu, first)
        self.cut_action = add("Cu&t", StandardKey.Cut, on_editor("cut"))
        self.copy_action = add("&Copy", StandardKey.Copy, on_editor("copy"))
        self.paste_action = add("&Paste", StandardKey.Paste, on_editor("paste"))
        self.select_all_action = add("Select &All", StandardKey.SelectAll, on_editor("selectAll"))
        self._separator(menu, first)
        self.find_action = add("&Find…", StandardKey.Find, on_bar("open_find"))
        # F3 and Ctrl+H spelt out: the platforms' FindNext/Replace differ (GNOME's FindNext is
        # Ctrl+G, which is Go to line here).
        self.replace_action = add("R&eplace…", QKeySequence("Ctrl+H"), on_bar("open_replace"))
        self.find_next_action = add("Find &Next", QKeySequence("F3"), self._find_next)
        self.find_previous_action = add(
            "Find Pre&vious", QKeySequence("Shift+F3"), self._find_previous
        )
        self.go_to_line_action = add("&Go to Line…", QKeySequence("Ctrl+G"), self.go_to_line)
        if first is not None:  # Preferences: last, after a separator
            menu.insertSeparator(first)
        # Tests (and the window's owner) may replace this to answer without a dialog.
        self.ask_line = self._ask_line

    @property
    def find_bar(self) -> FindBar:
        """The current tab's Find bar."""
        return self._current().find_bar

    @property
    def _editor(self) -> Editor:
        return self._current().editor

    def follow(self, editor: Editor) -> None:
        """Enable the entries as editor's keys would act (the current tab's editor)."""
        if self._followed is editor:
            return
        self.forget(self._followed)
        self._followed = editor
        self.undo_action.setEnabled(editor.document().isUndoAvailable())
        self.redo_action.setEnabled(editor.document().isRedoAvailable())
        has_selection = editor.textCursor().hasSelection()
        self.cut_action.setEnabled(has_selection)
        self.copy_action.setEnabled(has_selection)
        editor.undoAvailable.connect(self.undo_action.setEnabled)
        editor.redoAvailable.connect(self.redo_action.setEnabled)
        editor.copyAvailable.connect(self.cut_action.setEnabled)
        editor.copyAvailable.connect(self.copy_action.setEnabled)

    def forget(self, editor: Editor | None) -> None:
        """Stop following editor (its tab is closing, or another came to the front)."""
        old = self._followed
        if old is not None and old is editor:
            self._followed = None
            old.undoAvailable.disconnect(self.undo_action.setEnabled)
            old.redoAvailable.disconnect(self.redo_action.setEnabled)
            old.copyAvailable.disconnect(self.cut_action.setEnabled)
            old.copyAvailable.disconnect(self.copy_action.setEnabled)

    def _adder(
        self, menu: QMenu, before: QAction | None
    ) -> Callable[[str, QKeySequence | StandardKey, Callable[[], object]], QAction]:
        def add(text: str, key: QKeySequence | StandardKey, slot: Callable[[], object]) -> QAction:
            action = QAction(text, self._window)
            action.setShortcut(key)
            action.triggered.connect(slot)
            if before is not None:
                menu.insertAction(before, action)
            else:
                menu.addAction(action)
            return action

        return add

    @staticmethod
    def _separator(menu: QMenu, before: QAction | None) -> None:
        if before is not None:
            menu.insertSeparator(before)
        else:
            menu.addSeparator()

    @Slot()
    def _find_next(self) -> None:
        if self.find_bar.isHidden() and not self.find_bar.find_field.text():
            self.find_bar.open_find()
        else:
            self.find_bar.find_next()

    @Slot()
    def _find_previous(self) -> None:
        if self.find_bar.isHidden() and not self.find_bar.find_field.text():
            self.find_bar.open_find()
        else:
            self.find_bar.find_previous()

    def _ask_line(self, current: int, last: int) -> int | None:
        line, ok = QInputDialog.getInt(
            self._window, "Go to Line", f"Line (1 to {last}):", current, 1, last
        )
        return line if ok else None

    @Slot()
    def go_to_line(self) -> None:
        editor = self._editor
        document = editor.document()
        current = editor.textCursor().blockNumber() + 1
        line = self.ask_line(current, document.blockCount())
        if line is None:
            return
        block = document.findBlockByNumber(max(0, min(line, document.blockCount()) - 1))
        cursor = QTextCursor(block)
        editor.setTextCursor(cursor)
        editor.centerCursor()
        editor.setFocus(Qt.FocusReason.OtherFocusReason)
