"""The View menu: Full Screen (F11), Focus Mode (Ctrl+Shift+F) and Typewriter Scrolling.

Focus mode hides the window's chrome (menu bar, toolbars, status bar) and dims every paragraph
but the caret's (editor/focus_mode.py). The menu bar's shortcuts keep working while it is hidden:
its actions are added to the window itself for that time. Esc leaves focus mode (and then full
screen), but only an Esc nothing else took: the editor's Esc dismisses a suggestion first, and
the Find bar's closes the bar.

Focus mode is the window's: every tab's page dims, a tab opened meanwhile too.

Typewriter scrolling is a setting: the entry saves it, and follows it when Preferences change it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar, QWidget

from penwright.app.documents.open_document import OpenDocument
from penwright.app.settings.store import Settings, SettingsStore

if TYPE_CHECKING:
    from penwright.app.window.main_window import MainWindow

FULL_SCREEN_KEY = "F11"
FOCUS_MODE_KEY = "Ctrl+Shift+F"


class ViewMenu(QObject):
    """Adds the View menu to window (before Help) and carries out its entries."""

    def __init__(self, window: MainWindow, store: SettingsStore) -> None:
        super().__init__(window)
        self._window = window
        self._store = store
        self._hidden: list[QWidget] = []  # the chrome focus mode hid, to show again
        self._borrowed: list[QAction] = []  # menu actions added to the window meanwhile
        menu = self.menu = QMenu("&View", window)
        self.full_screen_action = self._add("&Full Screen", FULL_SCREEN_KEY, self.set_full_screen)
        self.focus_action = self._add("F&ocus Mode", FOCUS_MODE_KEY, self.set_focus_mode)
        menu.addSeparator()
        self.typewriter_action = self._add("&Typewriter Scrolling", "", self._save_typewriter)
        self._show_settings(store.current)
        store.changed.connect(self._show_settings)
        bar = window.menuBar()
        help_menu = next((a for a in bar.actions() if a.text() == "&Help"), None)
        if help_menu is not None:
            bar.insertMenu(help_menu, menu)
        else:
            bar.addMenu(menu)
        window.installEventFilter(self)
        window.add_document_setup(self._on_document_added)

    def _on_document_added(self, document: OpenDocument) -> None:
        """A tab opened in focus mode dims like the others."""
        if self.focus_mode:
            self._window.tab(document).editor.paragraph_focus.set_enabled(True)

    def _add(self, text: str, key: str, slot: Callable[[bool], None]) -> QAction:
        action = self.menu.addAction(text)
        action.setCheckable(True)
        if key:
            action.setShortcut(QKeySequence(key))
        action.toggled.connect(slot)
        return action

    # -- full screen --------------------------------------------------------------------------

    @Slot(bool)
    def set_full_screen(self, on: bool) -> None:
        window = self._window
        if on == window.isFullScreen():
            return
        # Toggling the flag keeps "maximised" underneath, so leaving comes back to it.
        window.setWindowState(window.windowState() ^ Qt.WindowState.WindowFullScreen)

    # -- focus mode ---------------------------------------------------------------------------

    @property
    def focus_mode(self) -> bool:
        return self.focus_action.isChecked()

    @Slot(bool)
    def set_focus_mode(self, on: bool) -> None:
        if self.focus_action.isChecked() != on:
            self.focus_action.setChecked(on)  # comes back here through toggled
            return
        window = self._window
        for tab in window.tabs:  # every tab's page: switching tabs keeps the mode
            tab.editor.paragraph_focus.set_enabled(on)
        if on:
            chrome: list[QWidget] = [window.menuBar(), window.statusBar()]
            chrome += window.findChildren(QToolBar)
            self._hidden = [w for w in chrome if w.isVisible()]
            self._borrowed = [a for a in _menu_actions(window.menuBar()) if a.shortcuts()]
            window.addActions(self._borrowed)  # their shortcuts, with the menu bar hidden
            for widget in self._hidden:
                widget.hide()
        else:
            for widget in self._hidden:
                widget.show()
            for action in self._borrowed:
                window.removeAction(action)
            self._hidden, self._borrowed = [], []
        window.editor.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- typewriter scrolling -----------------------------------------------------------------

    @Slot(bool)
    def _save_typewriter(self, on: bool) -> None:
        current = self._store.current
        if current.page.typewriter != on:
            self._store.save(replace(current, page=replace(current.page, typewriter=on)))

    @Slot(object)
    def _show_settings(self, settings: Settings) -> None:
        action = self.typewriter_action
        action.blockSignals(True)
        action.setChecked(settings.page.typewriter)
        action.blockSignals(False)

    # -- the window's state and Esc -----------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.WindowStateChange:
            action = self.full_screen_action
            action.blockSignals(True)
            action.setChecked(self._window.isFullScreen())
            action.blockSignals(False)
        elif (
            kind == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            # An Esc that reached the window: no suggestion, no Find bar took it.
            if self.focus_mode:
                self.set_focus_mode(False)
                return True
            if self._window.isFullScreen():
                self.set_full_screen(False)
                return True
        return False


def _menu_actions(bar: QWidget) -> list[QAction]:
    """Every action in bar's menus and their submenus."""
    found: list[QAction] = []
    pending = [a.menu() for a in bar.actions() if a.menu() is not None]
    while pending:
        menu = pending.pop()
        if not isinstance(menu, QMenu):
            continue
        for action in menu.actions():
            sub = action.menu()
            if isinstance(sub, QMenu):
                pending.append(sub)
            elif not action.isSeparator():
                found.append(action)
    return found
