"""The writer's page: a centred column of a set number of characters, wider line spacing, and
the ghost-text preview still exactly what Tab inserts inside it."""

from __future__ import annotations

import itertools

import pytest
from layout_probe import layout_lines, units
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont, QImage, QPalette, QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.editor import ghost_drawing
from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.keymap import Action
from penwright.app.editor.page_layout import FULL_WIDTH
from penwright.app.editor.typography import Typeface, column_width, font_families, page_font

LONG = (
    "She walked along the river for a long time, thinking about nothing in particular and "
    "everything at once, until the light went and the lamps came on along the far bank."
)


@pytest.fixture
def page(qtbot: QtBot) -> Editor:
    editor = Editor()
    qtbot.addWidget(editor)
    font = QFont("DejaVu Serif")
    font.setPointSize(12)
    editor.setFont(font)
    editor.setCursorWidth(0)  # the caret blinks on its own timer: keep it out of the pixels
    editor.resize(1000, 720)
    editor.page.set_column(40)
    editor.page.set_line_spacing(1.5)
    editor.show()
    qtbot.waitExposed(editor)
    return editor


def _margins(editor: Editor) -> tuple[int, int]:
    margins = editor.viewportMargins()
    return margins.left(), margins.right()


def test_the_column_is_as_wide_as_the_setting_and_centred(page: Editor) -> None:
    wanted = column_width(page.font(), 40)
    assert abs(page.page.column_pixels() - wanted) <= 1
    left, right = _margins(page)
    assert left == right > 100  # a 1000 px editor: the 40-character column stands in the middle

    page.page.set_column(70)
    assert abs(page.page.column_pixels() - column_width(page.font(), 70)) <= 1
    assert page.page.column_pixels() > wanted

    page.page.set_column(FULL_WIDTH)
    assert _margins(page) == (0, 0)


def test_the_column_follows_a_font_change_and_a_resize(page: Editor, qtbot: QtBot) -> None:
    before = page.page.column_pixels()
    bigger = page.font()
    bigger.setPointSize(18)
    page.setFont(bigger)
    assert page.page.column_pixels() > before  # 40 characters of a bigger font
    assert abs(page.page.column_pixels() - column_width(bigger, 40)) <= 1

    page.resize(500, 720)  # narrower than the column: small margins, the text wraps inside
    qtbot.waitUntil(lambda: _margins(page)[0] <= 12)
    assert page.viewport().width() > 400


def test_a_line_of_text_wraps_at_the_column(page: Editor) -> None:
    page.setPlainText(LONG)
    layout = page.document().firstBlock().layout()
    assert layout.lineCount() > 3  # wrapped at 40 characters, not at the 1000 px of the editor
    longest = max(layout.lineAt(i).naturalTextWidth() for i in range(layout.lineCount()))
    assert longest <= page.page.column_pixels()


def test_cjk_characters_count_as_two(page: Editor) -> None:
    # 40 characters: 20 ideographs fit on one line, as 40 Latin characters would.
    page.setPlainText("中" * 20)
    assert page.document().firstBlock().layout().lineCount() == 1
    page.setPlainText("中" * 44)
    assert page.document().firstBlock().layout().lineCount() == 3


def test_a_cjk_face_of_the_same_style_is_in_the_fallback_list() -> None:
    serif = font_families(Typeface.SERIF)
    sans = font_families(Typeface.SANS)
    assert "Noto Serif CJK SC" in serif and "Noto Sans CJK SC" in sans
    assert serif.index("Noto Serif CJK SC") < serif.index("Noto Sans CJK SC")
    assert sans.index("Noto Sans CJK SC") < sans.index("Noto Serif CJK SC")
    chosen = page_font(Typeface.SANS, "DejaVu Serif", 14)
    assert chosen.family() == "DejaVu Serif" and chosen.pointSize() == 14
    assert "Noto Sans CJK SC" in chosen.families()


def _bottoms(editor: Editor) -> list[float]:
    """The bottom of every laid-out line: each line takes one pitch, whatever its face."""
    editor.viewport().repaint()
    bottoms = []
    block = editor.document().firstBlock()
    while block.isValid():
        top = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top()
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            bottoms.append(top + line.y() + line.height())
        block = block.next()
    return bottoms


CHINESE = "灯一盏一盏地亮了起来，她沿着河慢慢地走回家，心里什么也没想，又好像什么都想到了。"  # noqa: RUF001


def test_lines_are_spaced_alike_within_and_between_paragraphs(page: Editor) -> None:
    page.setPlainText(LONG + "\n" + CHINESE + "\n" + LONG)
    bottoms = _bottoms(page)
    spacing = page.fontMetrics().lineSpacing()
    pitch = spacing + round(0.5 * spacing)
    assert page.page.spacing.line_pitch() == pitch
    gaps = {round(b - a, 2) for a, b in itertools.pairwise(bottoms)}
    assert gaps == {round(pitch, 2)}  # a wrapped line, a new paragraph, Chinese alike

    page.page.set_line_spacing(1.0)  # Qt's own stacking: a CJK line is taller there
    page.setPlainText(LONG + "\n" + LONG)
    bottoms = _bottoms(page)
    gaps = {round(b - a, 2) for a, b in itertools.pairwise(bottoms)}
    assert gaps == {round(spacing, 2)}


CASES = {
    "long wrapped lines": (
        "She walked",
        " along the river for a long time, thinking about nothing in particular and everything "
        "at once, until the light went.\nThen she turned back towards the town.",
        "\nMorning came.",
    ),
    "blank lines": ("It ended", " there.\n\nA new paragraph.\n\n\nTwo blank lines.", "\nLast."),
    "CJK": (
        "他说：",  # noqa: RUF001
        "「好。」\n然后他转过身，慢慢地走向门口，没有回头看一眼，外面的雨还在下个不停。",  # noqa: RUF001
        "\n结束。",
    ),
}


def _snapshot(editor: Editor) -> tuple[list[tuple[float, list[tuple[str, float]]]], QImage]:
    editor.viewport().repaint()
    return layout_lines(editor), editor.viewport().grab().toImage()


@pytest.mark.parametrize("name", list(CASES))
def test_the_preview_wraps_like_the_accepted_text_in_the_column(
    page: Editor, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In the text's colour, so the two renderings can be compared pixel for pixel.
    monkeypatch.setattr(
        ghost_drawing, "muted_colour", lambda palette: palette.color(QPalette.ColorRole.Text)
    )
    before, suggestion, after = CASES[name]
    page.setPlainText(before + after)
    cursor = page.textCursor()
    cursor.setPosition(len(units(before)))
    page.setTextCursor(cursor)
    assert page.start_suggestion(1)
    page.append_suggestion(1, 0, suggestion)
    page.finish_suggestion(1)
    preview_lines, preview_image = _snapshot(page)

    assert page.accept(Action.ACCEPT_ALL)
    assert page.toPlainText() == before + suggestion + after
    accepted_lines, accepted_image = _snapshot(page)
    assert preview_lines == accepted_lines
    assert preview_image == accepted_image


def test_a_growing_suggestion_keeps_the_caret_visible_with_wide_lines(
    page: Editor, qtbot: QtBot
) -> None:
    page.resize(1000, 240)
    qtbot.waitUntil(lambda: page.viewport().height() < 240)
    page.setPlainText("\n".join(f"line {i}" for i in range(30)))
    page.moveCursor(QTextCursor.MoveOperation.End)
    page.ensureCursorVisible()
    page.start_suggestion(1)
    viewport = page.viewport().rect()
    for i in range(30):
        page.append_suggestion(1, 0, f"\nsuggested {i}")
        page.viewport().repaint()
        assert viewport.contains(page.cursorRect())


def test_a_click_beside_the_column_puts_the_caret_on_that_line(page: Editor, qtbot: QtBot) -> None:
    page.setPlainText("first line\nsecond line\nthird line")
    page.viewport().repaint()
    second = page.document().findBlockByNumber(1)
    page.setTextCursor(QTextCursor(second))
    line_y = page.cursorRect().center().y()
    page.moveCursor(QTextCursor.MoveOperation.Start)
    left, _ = _margins(page)
    in_margin = QPoint(left // 2, page.viewport().y() + line_y)
    qtbot.mouseClick(page, Qt.MouseButton.LeftButton, pos=in_margin)
    assert page.textCursor().blockNumber() == 1
    assert page.textCursor().positionInBlock() == 0  # left of the text: the line's start


MARKDOWN_CASES = {
    "in a heading": ("# The Ligh", "thouse Keeper", "\nNext."),
    "after a heading, paragraphs": (
        "# Chapter One",
        "\n\nIt was late when she came home, and the lamps along the river were lit.\nThe end.",
        "",
    ),
}


@pytest.mark.parametrize("name", list(MARKDOWN_CASES))
def test_the_preview_stays_exact_on_the_page_with_markdown_headings(
    page: Editor, name: str
) -> None:
    """A heading's larger font makes a taller line: spaced by the same rule in the preview and
    once accepted."""
    page.set_writing_aids(markdown=True, checker=None)
    before, suggestion, after = MARKDOWN_CASES[name]
    page.setPlainText(before + after)
    cursor = page.textCursor()
    cursor.setPosition(len(units(before)))
    page.setTextCursor(cursor)
    assert page.start_suggestion(1)
    page.append_suggestion(1, 0, suggestion)
    page.finish_suggestion(1)
    page.viewport().repaint()
    preview = layout_lines(page)
    assert page.accept(Action.ACCEPT_ALL)
    page.viewport().repaint()
    assert preview == layout_lines(page)
    heading_line = page.document().firstBlock().layout().lineAt(0)
    assert heading_line.height() > page.fontMetrics().lineSpacing()  # a larger font
    assert heading_line.y() >= round(page.page.spacing.extra / 3)  # with room above it
