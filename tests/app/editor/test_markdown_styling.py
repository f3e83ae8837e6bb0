"""Markdown's light styling in the editor: headings larger and bold, *emphasis* italic, **strong**
bold, `code` fixed pitch, markers muted; the text stays plain, and with styling and spelling on
the ghost preview still stands exactly where the accepted text will."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from layout_probe import layout_lines, units
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor, QTextLayout
from pytestqt.qtbot import QtBot
from shown_editor import shown_editor

from penwright.app.documents.spelling import SpellChecker, UserWordList
from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.ghost_drawing import muted_colour
from penwright.app.editor.keymap import Action

TEXT = (
    "# The Lighthouse\n"
    "She climbed *slowly*, and **never** looked back.\n"
    "Run `make all` twice.\n"
    "## Part two ##\n"
    "A plain line with 2 * 3 and snake_case_name.\n"
)


@pytest.fixture
def editor(qtbot: QtBot) -> Editor:
    return shown_editor(qtbot, 360, 720)


def format_at(editor: Editor, line: int, text: str, offset: int = 0) -> QTextCharFormat:
    """The extra format on the character at text (+ offset) of block line."""
    block = editor.document().findBlockByNumber(line)
    position = block.text().index(text) + offset
    merged = QTextCharFormat()
    for r in block.layout().formats():
        if r.start <= position < r.start + r.length:
            merged.merge(r.format)
    return merged


def test_markdown_is_styled_and_the_text_stays_plain(editor: Editor) -> None:
    editor.setPlainText(TEXT)
    editor.set_writing_aids(markdown=True, checker=None)
    muted = muted_colour(editor.palette())
    size = editor.font().pointSizeF()

    title = format_at(editor, 0, "Lighthouse")
    assert title.fontWeight() == QFont.Weight.Bold and title.fontPointSize() > size
    assert format_at(editor, 0, "#").foreground().color() == muted
    assert not format_at(editor, 0, "#").hasProperty(QTextCharFormat.Property.FontPointSize)
    part = format_at(editor, 3, "Part")
    assert part.fontWeight() == QFont.Weight.Bold
    assert size < part.fontPointSize() < title.fontPointSize()
    assert format_at(editor, 3, "##", 12).foreground().color() == muted  # the closing ##

    assert format_at(editor, 1, "slowly").fontItalic()
    assert format_at(editor, 1, "*slowly").foreground().color() == muted
    assert format_at(editor, 1, "never").fontWeight() == QFont.Weight.Bold
    assert not format_at(editor, 1, "climbed").fontItalic()
    assert format_at(editor, 2, "make").fontFixedPitch()
    assert format_at(editor, 2, "`make").foreground().color() == muted
    plain = format_at(editor, 4, "2 * 3")
    assert not plain.fontItalic() and plain.fontWeight() != QFont.Weight.Bold
    assert not format_at(editor, 4, "case").fontItalic()  # snake_case is no emphasis

    assert editor.toPlainText() == TEXT
    assert not editor.document().isUndoAvailable()  # styling is no edit


def test_a_plain_text_document_is_not_styled(editor: Editor) -> None:
    editor.setPlainText(TEXT)
    editor.set_writing_aids(markdown=False, checker=None)
    block = editor.document().firstBlock()
    while block.isValid():
        assert block.layout().formats() == []
        block = block.next()


def test_the_heading_size_follows_the_font(editor: Editor) -> None:
    editor.setPlainText(TEXT)
    editor.set_writing_aids(markdown=True, checker=None)
    before = format_at(editor, 0, "Lighthouse").fontPointSize()
    bigger = QFont(editor.font())
    bigger.setPointSize(20)
    editor.setFont(bigger)
    assert format_at(editor, 0, "Lighthouse").fontPointSize() > before


@dataclass(frozen=True)
class Case:
    before: str
    suggestion: str
    after: str = ""


CASES = {
    "in a heading": Case("# The Ligh", "thouse Keeper", "\nNext."),
    "after a heading, paragraphs": Case(
        "# Chapter One", "\n\nIt was late when she came home.\nThe lamps were lit.", ""
    ),
    "after emphasis": Case("It was *late*", " and dark.\nShe waited.", "\nEnd."),
    "after a misspelt word": Case("A quiet mornng", " came over the hills.\nThen more.", ""),
    "after code": Case("Run `make`", " twice.\nThen rest.", "\nDone."),
    "inside strong": Case("It was **very", " very", " late** then."),
}


@pytest.mark.parametrize("name", list(CASES))
def test_the_preview_stays_exact_with_styling_and_spelling(
    editor: Editor, name: str, tmp_path: Path
) -> None:
    checker = SpellChecker("en", UserWordList(tmp_path / "words.txt"))
    editor.set_writing_aids(markdown=True, checker=checker)
    case = CASES[name]
    editor.setPlainText(case.before + case.after)
    cursor = editor.textCursor()
    cursor.setPosition(len(units(case.before)))
    editor.setTextCursor(cursor)
    assert editor.start_suggestion(1)
    editor.append_suggestion(1, 0, case.suggestion)
    editor.finish_suggestion(1)
    editor.viewport().repaint()
    preview = layout_lines(editor)
    ghost_block = editor.textCursor().block()
    ghost_ranges = [
        r
        for r in ghost_block.layout().formats()
        if r.start >= len(units(case.before)) - ghost_block.position()
    ]
    assert ghost_ranges  # the suggestion has its muted format with the highlighter's around it

    assert editor.accept(Action.ACCEPT_ALL)
    assert editor.toPlainText() == case.before + case.suggestion + case.after
    editor.viewport().repaint()
    assert preview == layout_lines(editor)


def test_the_ghost_keeps_its_colour_over_a_heading(editor: Editor) -> None:
    editor.set_writing_aids(markdown=True, checker=None)
    editor.setPlainText("# Title")
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    editor.start_suggestion(1)
    editor.append_suggestion(1, 0, " of the book")
    layout = editor.textCursor().block().layout()
    inside: list[QTextLayout.FormatRange] = [r for r in layout.formats() if r.start >= 7]
    merged = QTextCharFormat()
    for r in layout.formats():
        if r.start <= 8 < r.start + r.length:
            merged.merge(r.format)
    assert inside and merged.foreground().color() == muted_colour(editor.palette())
    assert merged.fontWeight() == QFont.Weight.Bold  # as it will be once accepted
    editor.dismiss_suggestion()
    assert format_at(editor, 0, "Title").fontWeight() == QFont.Weight.Bold  # styling stays


def test_switching_markdown_off_restyles_near_blocks_now_and_far_ones_when_seen(
    qtbot: QtBot, editor: Editor
) -> None:
    editor.setPlainText("# Top\n" + "plain line\n" * 2000 + "# Bottom\n")
    editor.set_writing_aids(markdown=True, checker=None)
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.waitUntil(lambda: format_at(editor, 2001, "Bottom").fontWeight() == QFont.Weight.Bold)
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    qtbot.waitUntil(lambda: format_at(editor, 0, "Top").fontWeight() == QFont.Weight.Bold)
    editor.set_writing_aids(markdown=False, checker=checker_for_nothing())
    assert format_at(editor, 0, "Top").fontWeight() != QFont.Weight.Bold  # near: at once
    # Far: not in a pass over every block (seconds on a 100 MB document), but once seen.
    assert format_at(editor, 2001, "Bottom").fontWeight() == QFont.Weight.Bold
    editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.waitUntil(lambda: format_at(editor, 2001, "Bottom").fontWeight() != QFont.Weight.Bold)


class _KnowsEverything:
    def is_known(self, word: str) -> bool:
        return True

    def suggestions(self, word: str, limit: int = 5) -> list[str]:
        return []

    def add(self, word: str) -> None:
        pass

    def ignore(self, word: str) -> None:
        pass


def checker_for_nothing() -> _KnowsEverything:
    """A checker that flags nothing: the highlighter stays attached, Markdown off."""
    return _KnowsEverything()
