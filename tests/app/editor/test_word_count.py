"""app.editor.word_count: the per-paragraph count always equals counting the whole text."""

from __future__ import annotations

import random

from PySide6.QtGui import QTextCursor, QTextDocument
from PySide6.QtWidgets import QPlainTextDocumentLayout
from pytestqt.qtbot import QtBot

from penwright.app.editor.word_count import WordCounter
from penwright.models.prose import count_words

PIECES = ["word", " ", "\n", "two words", "--", " 漢字", "\n\n", "x\ny z", "", "é3"]


def _document(text: str) -> QTextDocument:
    # As in the editor: Qt reports edits with positions (contentsChange) only to a document
    # that has a layout.
    document = QTextDocument()
    document.setDocumentLayout(QPlainTextDocumentLayout(document))
    document.setPlainText(text)
    return document


def _settled_count(counter: WordCounter) -> int:
    if counter._full_pass.isActive():  # a merge is waiting for its full pass: run it now
        counter.recount()
    return counter.words


def test_random_edits_keep_the_count_exact(qtbot: QtBot) -> None:
    rng = random.Random(5)
    document = _document("Some opening words.\nA second paragraph here.")
    counter = WordCounter(document)
    cursor = QTextCursor(document)
    for _ in range(400):
        length = document.characterCount() - 1
        cursor.setPosition(rng.randint(0, length))
        roll = rng.random()
        if roll < 0.15:
            document.undo()
        elif roll < 0.45 and length:
            cursor.setPosition(
                min(length, cursor.position() + rng.randint(1, 12)), QTextCursor.MoveMode.KeepAnchor
            )
            cursor.insertText(rng.choice(PIECES) if rng.random() < 0.5 else "")
        else:
            cursor.insertText(rng.choice(PIECES))
        assert _settled_count(counter) == count_words(document.toPlainText())


def test_typing_in_one_paragraph_is_counted_at_once_without_a_full_pass(qtbot: QtBot) -> None:
    document = _document("one two\nthree four\n" * 1000)
    counter = WordCounter(document)
    assert counter.words == 4000
    cursor = QTextCursor(document)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    with qtbot.waitSignal(counter.changed, timeout=1000) as changed:
        cursor.insertText("five six")
    assert changed.args == [4002]
    assert not counter._full_pass.isActive()
    cursor.insertText("\nseven")  # a new paragraph: still no full pass
    assert counter.words == 4003 and not counter._full_pass.isActive()


def test_a_merge_of_paragraphs_is_counted_after_a_pause(qtbot: QtBot) -> None:
    document = _document("alpha\nbeta")
    counter = WordCounter(document)
    cursor = QTextCursor(document)
    cursor.setPosition(6)
    with qtbot.waitSignal(counter.changed, timeout=2000) as changed:
        cursor.deletePreviousChar()  # "alphabeta": two words became one
    assert changed.args == [1]
