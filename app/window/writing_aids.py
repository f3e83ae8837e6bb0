"""Markdown styling and spelling for the window's documents: each tab's editor is told which to do.

A Markdown file (.md and the like) is styled; every document is spell checked in the language
the Spelling setting names (off, the system's, or one chosen). One SpellChecker per language is
kept for the run, sharing the writer's word list. The first checker is made after the window
shows: reading a word list takes a moment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtWidgets import QMainWindow

from penwright.app.documents.export import is_markdown
from penwright.app.documents.open_document import OpenDocument
from penwright.app.documents.spelling import SpellChecker, UserWordList, resolve_language
from penwright.app.editor.editor_widget import Editor
from penwright.app.settings.store import Settings, SettingsStore

if TYPE_CHECKING:
    from penwright.app.window.main_window import MainWindow


class WritingAids(QObject):
    """Keeps every tab's editor styled and checked as its file and the settings change.

    documents() gives each tab's editor and file path."""

    def __init__(
        self,
        window: QMainWindow,
        store: SettingsStore,
        word_list_path: Path,
        documents: Callable[[], list[tuple[Editor, Path | None]]],
        notify: Callable[[str], None],
    ) -> None:
        super().__init__(window)
        self._documents = documents
        self._notify = notify
        self._word_list_path = word_list_path
        self._word_list: UserWordList | None = None
        self._checkers: dict[str, SpellChecker] = {}
        self._setting = store.current.spelling
        store.changed.connect(self._on_settings_changed)
        self.started = False  # the first refresh waits until the window shows
        QTimer.singleShot(0, self, self._start)  # not once the window is gone

    @Slot(object)
    def _on_settings_changed(self, settings: Settings) -> None:
        if settings.spelling != self._setting:
            self._setting = settings.spelling
            self.refresh()

    @Slot()
    def _start(self) -> None:
        self.started = True
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
        """Tell every tab's editor what to do for its file and the setting."""
        for editor, path in self._documents():
            self.refresh_one(editor, path)

    def refresh_one(self, editor: Editor, path: Path | None) -> None:
        """Tell one editor what to do for its file and the setting."""
        editor.word_list_failed = self._notify
        editor.set_writing_aids(markdown=is_markdown(path), checker=self.checker())


def add_writing_aids(window: MainWindow, store: SettingsStore, word_list_path: Path) -> WritingAids:
    """Styling and spelling for every tab's editor, following its file and the settings."""
    aids = WritingAids(
        window,
        store,
        word_list_path,
        lambda: [(tab.editor, tab.document.file_path) for tab in window.tabs],
        window.show_notice,
    )

    def follow(document: OpenDocument) -> None:
        editor = cast(Editor, document.editor)

        def refresh() -> None:
            aids.refresh_one(editor, document.file_path)

        document.document_replaced.connect(refresh)
        document.document_saved.connect(refresh)  # Save As may make it a Markdown file
        if aids.started:  # a tab opened later: styled and checked at once
            refresh()

    window.add_document_setup(follow)
    return aids
