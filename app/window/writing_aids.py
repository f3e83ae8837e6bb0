"""Markdown styling and spelling for the window's document: the editor is told which to do.

A Markdown file (.md and the like) is styled; every document is spell checked in the language
the Spelling setting names (off, the system's, or one chosen). One SpellChecker per language is
kept for the run, sharing the writer's word list. The first checker is made after the window
shows: reading a word list takes a moment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QMainWindow

from penwright.app.documents.export import is_markdown
from penwright.app.documents.spelling import SpellChecker, UserWordList, resolve_language
from penwright.app.editor.editor_widget import Editor
from penwright.app.settings.store import Settings, SettingsStore

if TYPE_CHECKING:
    from penwright.app.window.main_window import MainWindow


class WritingAids(QObject):
    """Keeps document()'s editor styled and checked as the file and the settings change.

    document() gives the editor and file path shown now (tabs pass the current tab's)."""

    def __init__(
        self,
        window: QMainWindow,
        store: SettingsStore,
        word_list_path: Path,
        document: Callable[[], tuple[Editor, Path | None]],
        notify: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self._document = document
        self._notify = notify
        self._word_list_path = word_list_path
        self._word_list: UserWordList | None = None
        self._checkers: dict[str, SpellChecker] = {}
        self._setting = store.current.spelling
        store.changed.connect(self._on_settings_changed)
        QTimer.singleShot(0, self, self.refresh)  # not once the window is gone

    @Slot(object)
    def _on_settings_changed(self, settings: Settings) -> None:
        if settings.spelling != self._setting:
            self._setting = settings.spelling
            self.refresh()

    def checker(self) -> SpellChecker | None:
        """The checker the setting asks for (None when spelling is off)."""
        language = resolve_language(self._setting)
        if language is None:
            return None
        if language not in self._checkers:
            if self._word_list is None:
                self._word_list = UserWordList(self._word_list_path)
            self._checkers[language] = SpellChecker(language, self._word_list)
        return self._checkers[language]

    @Slot()
    def refresh(self) -> None:
        """Tell the current editor what to do for its file and the setting."""
        editor, path = self._document()
        editor.word_list_failed = self._notify
        editor.set_writing_aids(markdown=is_markdown(path), checker=self.checker())


def add_writing_aids(window: MainWindow, store: SettingsStore, word_list_path: Path) -> WritingAids:
    """Styling and spelling for window's one editor, following its file and the settings."""
    aids = WritingAids(
        window,
        store,
        word_list_path,
        lambda: (window.editor, window.file_path),
        window.show_notice,
    )
    window.document_replaced.connect(aids.refresh)
    window.document_saved.connect(aids.refresh)  # Save As may make it a Markdown file
    return aids
