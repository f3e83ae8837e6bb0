"""Focus mode's dimming of every paragraph but the caret's, and typewriter scrolling."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QTextCursor
from PySide6.QtWidgets import QTextEdit
from pytestqt.qtbot import QtBot
from shown_editor import shown_editor

from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.focus_mode import DIMMED_PROPERTY
from penwright.app.editor.keymap import Action

PARAGRAPHS = ["The first paragraph.", "The second paragraph.", "The third paragraph."]


@pytest.fixture
def editor(qtbot: QtBot) -> Editor:
    return shown_editor(qtbot, 600, 400)


def _darkest_in_line(image: QImage, top: int, height: int) -> int:
    """The lowest lightness of any pixel in the band of rows: the ink of that line."""
    darkest = 255
    for y in range(max(top, 0), min(top + height, image.height())):
        for x in range(0, image.width(), 1):
            darkest = min(darkest, QColor(image.pixel(x, y)).lightness())
    return darkest


def _ink_per_paragraph(editor: Editor) -> list[int]:
    editor.viewport().repaint()
    image = editor.viewport().grab().toImage()
    inks = []
    for number in range(editor.document().blockCount()):
        block = editor.document().findBlockByNumber(number)
        top = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top()
        inks.append(_darkest_in_line(image, int(top), editor.fontMetrics().height()))
    return inks


def _move_to(editor: Editor, number: int) -> None:
    editor.setTextCursor(QTextCursor(editor.document().findBlockByNumber(number)))


def test_focus_mode_dims_every_paragraph_but_the_caret_s(editor: Editor) -> None:
    editor.setPlainText("\n".join(PARAGRAPHS))
    _move_to(editor, 1)
    plain = _ink_per_paragraph(editor)
    assert len(set(plain)) == 1  # all in the text's colour

    editor.paragraph_focus.set_enabled(True)
    first, lit, last = _ink_per_paragraph(editor)
    assert lit == plain[1]
    assert first > lit + 60 and last > lit + 60  # visibly lighter: dimmed

    _move_to(editor, 2)  # the light follows the caret
    first, second, third = _ink_per_paragraph(editor)
    assert third == plain[2] and second > third + 60

    editor.paragraph_focus.set_enabled(False)
    assert _ink_per_paragraph(editor) == plain


def test_typing_in_focus_mode_keeps_the_new_text_lit(editor: Editor, qtbot: QtBot) -> None:
    editor.setPlainText("\n".join(PARAGRAPHS))
    editor.paragraph_focus.set_enabled(True)
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "A fourth one")
    inks = _ink_per_paragraph(editor)
    assert inks[3] < min(inks[:3]) - 60
    assert editor.paragraph_focus.lit_paragraph() == 3


def test_dimming_keeps_other_extra_selections(editor: Editor) -> None:
    editor.setPlainText("\n".join(PARAGRAPHS))
    mark = QTextEdit.ExtraSelection()
    mark.cursor = QTextCursor(editor.document())
    editor.setExtraSelections([mark])
    editor.paragraph_focus.set_enabled(True)
    selections = editor.extraSelections()
    assert len([s for s in selections if not s.format.hasProperty(DIMMED_PROPERTY)]) == 1
    editor.paragraph_focus.set_enabled(False)
    assert len(editor.extraSelections()) == 1


def test_a_suggestion_in_focus_mode_still_accepts_exactly(editor: Editor) -> None:
    editor.setPlainText("\n".join(PARAGRAPHS))
    editor.paragraph_focus.set_enabled(True)
    _move_to(editor, 1)
    editor.moveCursor(QTextCursor.MoveOperation.EndOfBlock)
    assert editor.start_suggestion(1)
    editor.append_suggestion(1, 0, " It went on.")
    assert editor.accept(Action.ACCEPT_ALL)
    assert editor.document().findBlockByNumber(1).text() == "The second paragraph. It went on."


def test_typewriter_scrolling_keeps_the_caret_line_at_one_height(
    editor: Editor, qtbot: QtBot
) -> None:
    editor.page.set_line_spacing(1.5)
    editor.setPlainText("\n".join(f"An earlier line {i}." for i in range(60)))
    editor.moveCursor(QTextCursor.MoveOperation.End)
    editor.typewriter.set_enabled(True)
    middle = editor.viewport().height() / 2
    heights = []
    for i in range(12):
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.keyClicks(editor, f"New line {i} of the draft")
        heights.append(editor.cursorRect().center().y())
    assert len(set(heights)) == 1  # the page moved, the caret's line did not
    assert abs(heights[0] - middle) <= editor.page.spacing.line_pitch()

    editor.typewriter.set_enabled(False)
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    for _ in range(6):
        qtbot.keyClick(editor, Qt.Key.Key_Down)
    assert editor.cursorRect().center().y() != heights[0]  # without it, the caret moves


def test_another_document_in_focus_mode_is_dimmed_too(editor: Editor) -> None:
    editor.setPlainText("\n".join(PARAGRAPHS))
    editor.paragraph_focus.set_enabled(True)  # the caret in the first paragraph
    editor.setPlainText("Another first.\nAnother second.\nAnother third.")
    first, second, third = _ink_per_paragraph(editor)
    assert second > first + 60 and third > first + 60
