"""Spelling in the editor with a real pyspellchecker word list: unknown words get the red wave,
known words, CJK, acronyms, numbers and URLs do not; the context menu corrects, adds and ignores."""

from __future__ import annotations

from pathlib import Path

import pytest
from format_probe import underlined
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from penwright.app.documents.spelling import SpellChecker, UserWordList
from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.keymap import Action
from penwright.app.editor.word_count import WordCounter


@pytest.fixture
def word_list(tmp_path: Path) -> Path:
    return tmp_path / "data" / "spelling" / "words.txt"


@pytest.fixture
def checker(word_list: Path) -> SpellChecker:
    return SpellChecker("en", UserWordList(word_list))


@pytest.fixture
def editor(qtbot: QtBot, checker: SpellChecker) -> Editor:
    widget = Editor()
    qtbot.addWidget(widget)
    widget.resize(700, 400)
    widget.show()
    widget.set_writing_aids(markdown=False, checker=checker)
    return widget


def test_a_misspelt_word_is_underlined_and_correct_words_and_chinese_are_not(
    qtbot: QtBot, editor: Editor
) -> None:
    editor.setPlainText(
        "The lighthouse keeper climbd the stairs.\n"
        "他慢慢地走向门口，没有回头。\n"  # noqa: RUF001
        "NASA sent 3D images to https://exampel.org/wrod and the writer's desk.\n"
        "日本語のテキストと한국어 문장.\n"
    )
    qtbot.waitUntil(lambda: underlined(editor) == ["climbd"])


def test_typing_a_wrong_word_underlines_it_once_the_caret_leaves_it(
    qtbot: QtBot, editor: Editor
) -> None:
    editor.setPlainText("")
    qtbot.keyClicks(editor, "A quiet mornng")
    assert underlined(editor) == []  # still being typed
    qtbot.keyClicks(editor, " came")
    assert underlined(editor) == ["mornng"]
    qtbot.keyClicks(editor, " ovr")
    editor.moveCursor(QTextCursor.MoveOperation.Start)  # leaving it by moving away
    assert underlined(editor) == ["mornng", "ovr"]


def _menu_for(editor: Editor, word: str) -> QMenu:
    index = editor.toPlainText().index(word) + 1
    cursor = editor.textCursor()
    cursor.setPosition(index)
    point = editor.cursorRect(cursor).center()
    return editor.context_menu(point)


def _entries(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def test_the_menu_offers_corrections_that_replace_the_word(qtbot: QtBot, editor: Editor) -> None:
    editor.setPlainText("She walkd home.")
    qtbot.waitUntil(lambda: underlined(editor) == ["walkd"])
    menu = _menu_for(editor, "walkd")
    entries = _entries(menu)
    suggestions = entries[: entries.index("Add to &dictionary")]
    assert "walked" in suggestions and 1 <= len(suggestions) <= 5
    assert entries[len(suggestions) + 1] == "&Ignore"
    assert "Continue &here" in "".join(entries)  # the editor's own entries follow
    next(a for a in menu.actions() if a.text() == "walked").trigger()
    assert editor.toPlainText() == "She walked home."
    assert underlined(editor) == []
    editor.undo()
    assert editor.toPlainText() == "She walkd home."


def test_a_correct_word_gets_no_spelling_entries(qtbot: QtBot, editor: Editor) -> None:
    editor.setPlainText("She walked home. 他走了。")
    assert "Add to &dictionary" not in _entries(_menu_for(editor, "walked"))
    assert "Add to &dictionary" not in _entries(_menu_for(editor, "他走了"))


def test_add_to_dictionary_saves_the_word_for_the_next_checker(
    qtbot: QtBot, editor: Editor, word_list: Path
) -> None:
    editor.setPlainText("Zarathine rode north. Zarathine rode back.\nVelmorra waited.")
    qtbot.waitUntil(lambda: underlined(editor) == ["Zarathine", "Zarathine", "Velmorra"])
    menu = _menu_for(editor, "Zarathine")
    next(a for a in menu.actions() if a.text() == "Add to &dictionary").trigger()
    assert underlined(editor) == ["Velmorra"]
    assert word_list.read_text("utf-8") == "Zarathine\n"
    again = SpellChecker("en", UserWordList(word_list))
    assert again.is_known("Zarathine") and again.is_known("zarathine")
    assert not again.is_known("Velmorra")
    menu = _menu_for(editor, "Velmorra")
    next(a for a in menu.actions() if a.text() == "&Ignore").trigger()
    assert underlined(editor) == []
    assert word_list.read_text("utf-8") == "Zarathine\n"  # ignoring lasts for this run only


def test_turning_spelling_off_takes_the_underlines_away(qtbot: QtBot, editor: Editor) -> None:
    editor.setPlainText("A wrold of words.")
    qtbot.waitUntil(lambda: underlined(editor) == ["wrold"])
    editor.set_writing_aids(markdown=False, checker=None)
    assert editor.highlighter is None
    assert underlined(editor) == []
    assert editor.toPlainText() == "A wrold of words."
    assert not editor.document().isModified()


def test_far_blocks_are_checked_when_scrolled_to(qtbot: QtBot, editor: Editor) -> None:
    lines = ["A line of plain words."] * 3000 + ["The last line has a mistaek."]
    editor.setPlainText("\n".join(lines))
    qtbot.wait(100)
    assert underlined(editor) == []  # far from the view: not checked yet
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.waitUntil(lambda: underlined(editor) == ["mistaek"])


def test_the_word_count_stays_right_with_spelling_on(qtbot: QtBot, editor: Editor) -> None:
    counter = WordCounter(editor.document())
    editor.setPlainText("One twoo three.\nFour five.")
    qtbot.keyClicks(editor, "Six sevn ")
    qtbot.waitUntil(lambda: underlined(editor) == ["sevn", "twoo"])
    assert counter.words == 7


def test_a_word_held_back_under_a_suggestion_shows_once_it_is_accepted(
    qtbot: QtBot, editor: Editor
) -> None:
    editor.setPlainText("A quiet mornng")
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.waitUntil(lambda: underlined(editor) == ["mornng"])
    assert editor.start_suggestion(1)
    editor.append_suggestion(1, 0, " came.")
    editor.finish_suggestion(1)
    assert underlined(editor) == []  # its underline would stretch over the suggestion
    assert editor.accept(Action.ACCEPT_ALL)
    assert editor.toPlainText() == "A quiet mornng came."
    assert underlined(editor) == ["mornng"]
