"""The context menu's spelling entries for a flagged word: corrections, Add to dictionary, Ignore.

The corrections are computed only here, for the one word under the pointer, when the menu opens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QFont, QTextCursor
from PySide6.QtWidgets import QMenu

from penwright.app.editor.spell_words import SpellCheck, checkable_words, utf16_offsets

SUGGESTIONS = 5


@dataclass(frozen=True)
class MisspeltWord:
    """A word the checker does not know, at document positions start to end (UTF-16 units)."""

    start: int
    end: int
    text: str


def misspelt_word_at(cursor: QTextCursor, checker: SpellCheck) -> MisspeltWord | None:
    """The unknown word at cursor's position (its start, middle or end), or None."""
    block = cursor.block()
    text = block.text()
    units = utf16_offsets(text)
    at = cursor.positionInBlock()
    for start, end, word in checkable_words(text):
        first, last = (start, end) if units is None else (units[start], units[end])
        if first <= at <= last and not checker.is_known(word):
            # The document's own text, with a typographic apostrophe if it has one.
            return MisspeltWord(block.position() + first, block.position() + last, text[start:end])
    return None


def add_spelling_entries(
    menu: QMenu,
    word: MisspeltWord,
    checker: SpellCheck,
    replace: Callable[[MisspeltWord, str], None],
    became_known: Callable[[str | None], None],
) -> None:
    """Put the entries for word at the top of menu. became_known(problem) follows Add and
    Ignore; problem says why the word list could not be saved (None when it was)."""
    first = menu.actions()[0] if menu.actions() else None
    entries: list[QAction] = []
    for suggestion in checker.suggestions(word.text, SUGGESTIONS):
        action = QAction(suggestion, menu)
        bold = action.font()
        bold.setWeight(QFont.Weight.Bold)
        action.setFont(bold)
        action.triggered.connect(lambda _=False, s=suggestion: replace(word, s))
        entries.append(action)
    if not entries:
        none = QAction("No suggestions", menu)
        none.setEnabled(False)
        entries.append(none)

    def add() -> None:
        try:
            checker.add(word.text)
        except OSError as exc:
            became_known(f"\u201c{word.text}\u201d could not be saved in your word list: {exc}")
            return
        became_known(None)

    def ignore() -> None:
        checker.ignore(word.text)
        became_known(None)

    add_action = QAction("Add to &dictionary", menu)
    add_action.triggered.connect(add)
    ignore_action = QAction("&Ignore", menu)
    ignore_action.triggered.connect(ignore)
    entries += [add_action, ignore_action]
    separator = QAction(menu)
    separator.setSeparator(True)
    entries.append(separator)
    menu.insertActions(first, entries)  # type: ignore[arg-type]  # None appends (Qt allows it)
