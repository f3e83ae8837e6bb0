"""The preview is exact: the suggestion stands on the same lines, at the same places, as the text
does after Tab. Compared twice: as laid-out lines and glyph positions, and as rendered pixels."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from layout_probe import Line, layout_lines, units
from PySide6.QtGui import QImage, QPalette, QTextCursor
from pytestqt.qtbot import QtBot
from shown_editor import shown_editor

from penwright.app.editor import ghost_drawing
from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.keymap import Action


@dataclass(frozen=True)
class Case:
    before: str  # the document's text before the caret
    suggestion: str
    after: str = ""  # the document's text after the caret


CASES = {
    "line breaks": Case("Hello", " she said.\nThe words came\nslowly.", "\nNext paragraph."),
    "blank lines": Case(
        "It ended",
        " there.\n\nA new paragraph, after one blank line.\n\n\nTwo blank lines.",
        "\nThe last one.",
    ),
    "long wrapped lines": Case(
        "She walked",
        " along the river for a long time, thinking about nothing in particular and "
        "everything at once, until the light went.\nThen she turned back towards the town "
        "where the lamps were being lit one by one.",
        "\nMorning came.",
    ),
    "CJK": Case(  # full-width punctuation is meant
        "他说：",  # noqa: RUF001
        "「好。」\n然后他转过身，慢慢地走向门口，没有回头看一眼，外面的雨还在下个不停。\n第二天早上，"  # noqa: RUF001
        "天终于晴了。",
        "\n结束。",
    ),
    "text after the caret in the same block": Case(
        "The door", " creaked open\nand slowly", " swung back against the wall.\nAfter."
    ),
}


@pytest.fixture
def editor(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> Editor:
    # The suggestion in the text's own colour, so the two renderings can be compared pixel for
    # pixel: only the colour is meant to differ. No caret, which blinks on its own timer.
    monkeypatch.setattr(
        ghost_drawing, "muted_colour", lambda palette: palette.color(QPalette.ColorRole.Text)
    )
    return shown_editor(qtbot, 320, 720)  # tall enough that neither state scrolls


def _show(editor: Editor, case: Case) -> None:
    editor.setPlainText(case.before + case.after)
    cursor = editor.textCursor()
    cursor.setPosition(len(units(case.before)))
    editor.setTextCursor(cursor)
    assert editor.start_suggestion(1)
    editor.append_suggestion(1, 0, case.suggestion)
    editor.finish_suggestion(1)
    assert editor.ghost_text == case.suggestion


def _snapshot(editor: Editor) -> tuple[list[Line], QImage]:
    editor.viewport().repaint()
    return layout_lines(editor), editor.viewport().grab().toImage()


@pytest.mark.parametrize("name", list(CASES))
def test_the_preview_stands_where_the_accepted_text_will(editor: Editor, name: str) -> None:
    case = CASES[name]
    _show(editor, case)
    preview_lines, preview_image = _snapshot(editor)
    assert editor.toPlainText() == case.before + case.after  # the preview is not the text

    assert editor.accept(Action.ACCEPT_ALL)
    assert editor.toPlainText() == case.before + case.suggestion + case.after
    accepted_lines, accepted_image = _snapshot(editor)

    assert preview_lines == accepted_lines
    assert preview_image == accepted_image


@pytest.mark.parametrize("name", ["line breaks", "blank lines", "long wrapped lines", "CJK"])
def test_a_line_break_in_the_suggestion_is_a_line_on_screen(editor: Editor, name: str) -> None:
    """Not just equal to the accepted text: each suggested line really is a line of its own
    (the preview once read "she said.The words")."""
    case = CASES[name]
    _show(editor, case)
    layout = editor.textCursor().block().layout()
    breaks = case.suggestion.count("\n")
    assert layout.lineCount() > breaks
    starts = [units(text)[0] for text in case.suggestion.split("\n")[1:] if text]
    firsts = [glyphs[0][0] for _, glyphs in layout_lines(editor) if glyphs]
    for start in starts:
        assert start in firsts


def test_the_following_paragraph_moves_down_by_the_suggested_lines(editor: Editor) -> None:
    editor.setPlainText("Hello\nNext paragraph.")
    next_block = editor.document().findBlockByNumber(1)

    def next_top() -> float:
        return editor.blockBoundingGeometry(next_block).translated(editor.contentOffset()).top()

    before = next_top()
    cursor = editor.textCursor()
    cursor.setPosition(5)
    editor.setTextCursor(cursor)
    editor.start_suggestion(1)
    editor.append_suggestion(1, 0, " one\ntwo\nthree")
    line_height = editor.textCursor().block().layout().lineAt(0).height()
    assert next_top() == pytest.approx(before + 2 * line_height)
    editor.dismiss_suggestion()
    assert next_top() == before  # and back when it goes


def test_a_growing_suggestion_scrolls_into_view_but_keeps_the_caret_visible(
    qtbot: QtBot,
) -> None:
    editor = Editor()
    qtbot.addWidget(editor)
    editor.resize(320, 200)
    editor.show()
    qtbot.waitExposed(editor)
    editor.setPlainText("\n".join(f"line {i}" for i in range(30)))
    editor.moveCursor(QTextCursor.MoveOperation.End)
    editor.ensureCursorVisible()
    editor.start_suggestion(1)
    viewport = editor.viewport().rect()
    block = editor.textCursor().block()
    for i in range(40):  # more lines than fit: the caret must stay on screen
        editor.append_suggestion(1, 0, f"\nsuggested {i}")
        assert viewport.contains(editor.cursorRect())
    assert editor.cursorRect().top() < editor.fontMetrics().lineSpacing()  # scrolled to the top
    editor.dismiss_suggestion()

    editor.moveCursor(QTextCursor.MoveOperation.Start)
    editor.moveCursor(QTextCursor.MoveOperation.End)
    editor.start_suggestion(2)
    editor.append_suggestion(2, 0, "\nfirst\nsecond")  # fits: all of it shows
    layout = block.layout()
    top = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top()
    last = layout.lineAt(layout.lineCount() - 1)
    assert top + last.y() + last.height() <= viewport.height()
    assert viewport.contains(editor.cursorRect())
