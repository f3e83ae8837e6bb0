"""The writer's hints around the editor: the empty page's hint, the key-hint strip beside a
suggestion, and the session's and today's words in the status bar. They follow the settings
live (key bindings, Preferences > Writing) and never touch the text. Every tab's editor gets
its own strip and hint; the session's words count the writing in all tabs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Slot

from penwright.app.documents.open_document import OpenDocument
from penwright.app.editor.editor_widget import Editor
from penwright.app.settings.store import Settings, SettingsStore
from penwright.app.window.first_launch import add_welcome_entry, placeholder_hint
from penwright.app.window.key_hint_strip import KeyHintStrip
from penwright.app.window.session_words import SessionWords
from penwright.app.window.word_tally import Clock

if TYPE_CHECKING:
    from penwright.app.window.main_window import MainWindow

DAY_CHECK_MS = 60_000
"""How often the day's progress is looked at without typing, so it starts again at midnight."""


class WritingHints(QObject):
    def __init__(
        self, window: MainWindow, store: SettingsStore, clock: Clock = datetime.now
    ) -> None:
        super().__init__(window)
        self._window = window
        self._store = store
        self._strips: dict[OpenDocument, KeyHintStrip] = {}
        self._settings = settings = store.current
        self.session_words = SessionWords(store.qsettings, clock, self)
        self.session_words.changed.connect(self.show_words)
        window.document_closed.connect(self._strips.pop)
        window.add_document_setup(self._attach)
        self._day_check = QTimer(self)
        self._day_check.setInterval(DAY_CHECK_MS)
        self._day_check.timeout.connect(self.show_words)
        self._day_check.start()
        self.welcome_action = add_welcome_entry(window, lambda: store.current.key_bindings)
        self.apply(settings)
        store.changed.connect(self.apply)

    def _attach(self, document: OpenDocument) -> None:
        """One tab's editor: its strip, its hint, its words counted."""
        tab = self._window.tab(document)
        strip = self._strips[document] = KeyHintStrip(tab.editor, self._settings.key_bindings)
        strip.hide_requested.connect(self.turn_key_hints_off)
        self.session_words.watch(tab.editor, tab.word_counter)
        self._apply_to(tab.editor, strip, self._settings)

    @property
    def key_strip(self) -> KeyHintStrip:
        """The current tab's key-hint strip."""
        return self._strips[self._window.current_document]

    @staticmethod
    def _apply_to(editor: Editor, strip: KeyHintStrip, settings: Settings) -> None:
        editor.setPlaceholderText(placeholder_hint(settings.key_bindings))
        strip.set_bindings(settings.key_bindings)
        strip.set_enabled(settings.writing.key_hints)

    @Slot(object)
    def apply(self, settings: Settings) -> None:
        self._settings = settings
        for document, strip in self._strips.items():
            self._apply_to(self._window.tab(document).editor, strip, settings)
        self._goal = settings.writing.daily_word_goal
        self.show_words()

    @Slot()
    def show_words(self) -> None:
        tally = self.session_words.tally
        self._window.status_panel.show_writing(tally.session, tally.today, self._goal)

    @Slot()
    def turn_key_hints_off(self) -> None:
        current = self._store.current
        self._store.save(replace(current, writing=replace(current.writing, key_hints=False)))
        self._window.statusBar().showMessage(
            "Key hints are off; Preferences > Writing turns them back on.", 8000
        )
