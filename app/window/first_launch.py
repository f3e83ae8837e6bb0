"""First launch: the welcome guide, once, and the hint an empty page shows.

The guide (resources/samples/welcome-guide*.md, English or Chinese by QLocale.system()) teaches
the keys by having the writer press them; its key names come from the current bindings. It opens
on the very first start only (a plain "first_run/welcome_shown" value in the settings file), and
always as an untitled copy: Save asks for a new file, so the shipped guide is never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, QSettings
from PySide6.QtGui import QAction, QKeySequence, QTextCursor
from PySide6.QtWidgets import QMenu

from penwright.app.editor.keymap import Action
from penwright.app.settings.plain_values import plain_value, writable
from penwright.models.files.textfile import TextFormat
from penwright.resources import samples_dir

if TYPE_CHECKING:
    from penwright.app.window.main_window import MainWindow

WELCOME_SHOWN_KEY = "first_run/welcome_shown"
_GUIDES = {"en": "welcome-guide.md", "zh": "welcome-guide-zh.md"}


def native_key(portable: str) -> str:
    """A binding as the platform writes it ("Ctrl+Return")."""
    sequence = QKeySequence(portable, QKeySequence.SequenceFormat.PortableText)
    return sequence.toString(QKeySequence.SequenceFormat.NativeText)


def guide_language(locale: QLocale) -> str:
    return "zh" if locale.language() == QLocale.Language.Chinese else "en"


def welcome_text(bindings: Mapping[Action, str], language: str = "en") -> str:
    """The guide with each {action} replaced by the key bound to it now. It ends with its story's
    last sentence (no line break), where the cursor waits for the first suggestion."""
    text = (samples_dir() / _GUIDES.get(language, _GUIDES["en"])).read_text(encoding="utf-8")
    for action in Action:
        text = text.replace("{" + action.value + "}", native_key(bindings.get(action, "")))
    return text.rstrip()


def placeholder_hint(bindings: Mapping[Action, str]) -> str:
    """What an empty document shows (QPlainTextEdit's placeholder, drawn only while empty)."""
    key = native_key(bindings.get(Action.CONTINUE, ""))
    return f"Start writing. {key} asks Penwright to continue."


def open_welcome(window: MainWindow, bindings: Mapping[Action, str], locale: QLocale) -> None:
    """Show the guide as an untitled, unmodified document, the cursor at its end."""
    window.show_document(welcome_text(bindings, guide_language(locale)), None, TextFormat())
    window.shows_sample = True  # after show_document, which forgets it for any new document
    cursor = window.editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)


def welcome_on_first_run(
    window: MainWindow,
    qsettings: QSettings,
    bindings: Mapping[Action, str],
    *,
    opened_files: bool,
    locale: QLocale | None = None,
) -> bool:
    """On the very first start, show the guide (unless files were opened) and remember that it
    was offered; on every later start do nothing. True when the guide was shown."""
    if str(plain_value(qsettings, WELCOME_SHOWN_KEY) or "").lower() == "true":
        return False
    if not writable(qsettings):
        return False  # a settings file we cannot write would show the guide at every start
    qsettings.setValue(WELCOME_SHOWN_KEY, "true")
    qsettings.sync()
    if opened_files or window.editor.document().characterCount() > 1:
        return False  # the writer came with work of their own: do not replace it
    open_welcome(window, bindings, locale or QLocale.system())
    return True


def add_welcome_entry(window: MainWindow, bindings: Callable[[], Mapping[Action, str]]) -> QAction:
    """Help > Welcome Guide: the guide again, any time, in a tab of its own."""
    entry = QAction("&Welcome Guide", window)

    def open_guide() -> None:
        # In a tab of its own (the current one while blank): no other tab's text is at stake.
        window.show_tab(window.document_to_fill())
        open_welcome(window, bindings(), QLocale.system())

    entry.triggered.connect(open_guide)
    help_menu = next(
        (
            action.menu()
            for action in window.menuBar().actions()
            if isinstance(action.menu(), QMenu) and action.text().replace("&", "") == "Help"
        ),
        None,
    )
    if isinstance(help_menu, QMenu):
        entries = help_menu.actions()
        if entries:
            help_menu.insertAction(entries[0], entry)  # first: the guide is where help begins
        else:
            help_menu.addAction(entry)
    return entry
