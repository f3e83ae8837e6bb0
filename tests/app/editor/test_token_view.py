"""The model's view of a suggestion in the editor: the confidence tint changes colours only (the
preview keeps its exact layout), and swapping a word keeps the suggestion up to it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from layout_probe import layout_lines
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPalette
from pytestqt.qtbot import QtBot
from shown_editor import shown_editor

from penwright.app.editor.confidence import WARM, tint, word_confidence
from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.ghost_drawing import muted_colour
from penwright.app.editor.ghost_text import GhostText, PlacedToken
from penwright.app.editor.keymap import Action
from penwright.models.results import TokenChoice, TokenInfo

SUGGESTION = [
    TokenInfo(" The", 0.95, (TokenChoice(" The", 0.95), TokenChoice(" A", 0.03))),
    TokenInfo(" fog", 0.2, (TokenChoice(" mist", 0.5), TokenChoice(" fog", 0.2))),
    TokenInfo(" rolled", 0.6, (TokenChoice(" rolled", 0.6), TokenChoice(" came", 0.3))),
    TokenInfo(" in", 0.9, (TokenChoice(" in", 0.9),)),
    TokenInfo(".\n", 0.5, (TokenChoice(".\n", 0.5), TokenChoice(",", 0.4))),
    TokenInfo("It", 0.05, (TokenChoice("The", 0.6), TokenChoice("It", 0.05))),
    TokenInfo(" stayed", 0.4, (TokenChoice(" stayed", 0.4),)),
]
TEXT = "".join(t.text for t in SUGGESTION)


@pytest.fixture(autouse=True)
def popup_warnings_ignored(qtlog: Any) -> Iterator[None]:
    """The offscreen platform warns that it cannot raise a popup menu or grab the keyboard for
    it: about the platform, not our code."""
    with qtlog.disabled():
        yield


@pytest.fixture
def editor(qtbot: QtBot) -> Editor:
    widget = shown_editor(qtbot, 360, 400)
    widget.setPlainText("Night came")
    widget.moveCursor(widget.textCursor().MoveOperation.End)
    return widget


def stream(editor: Editor, request_id: int = 1, tokens: list[TokenInfo] = SUGGESTION) -> None:
    assert editor.start_suggestion(request_id)
    for token in tokens:  # text first, its tokens after, as the controller sends them
        editor.append_suggestion(request_id, 0, token.text)
        editor.append_tokens(request_id, 0, (token,))


def ghost_colours(editor: Editor) -> dict[str, tuple[int, int, int]]:
    """Each character of the drawn suggestion and the colour the layout's formats give it."""
    layout = editor.textCursor().block().layout()
    start = layout.preeditAreaPosition()
    shown = layout.preeditAreaText()
    colours = {}
    for index, char in enumerate(shown):
        colour = None
        for r in layout.formats():
            if r.start <= start + index < r.start + r.length and r.format.hasProperty(
                r.format.Property.ForegroundBrush
            ):
                colour = r.format.foreground().color()
        assert colour is not None
        colours[f"{index}:{char}"] = (colour.red(), colour.green(), colour.blue())
    return colours


def test_words_take_their_least_likely_tokens_probability() -> None:
    tokens = [
        PlacedToken(0, 4, SUGGESTION[0].__class__(" The", 0.9)),
        PlacedToken(4, 7, SUGGESTION[0].__class__(" fo", 0.5)),
        PlacedToken(7, 9, SUGGESTION[0].__class__("gs", 0.1)),
    ]
    words = word_confidence(" The fogs", tokens)
    assert [(w.start, w.end, w.probability) for w in words] == [(1, 4, 0.9), (5, 9, 0.1)]


def test_tint_goes_from_muted_to_warm() -> None:
    palette = QPalette()
    muted = muted_colour(palette)
    assert tint(muted, 0.95) == muted
    assert tint(muted, 0.0) == WARM
    halfway = tint(muted, 0.45)
    assert halfway not in (muted, WARM)


def test_the_tint_changes_colours_not_layout(editor: Editor) -> None:
    stream(editor)
    plain_lines = layout_lines(editor)
    plain_colours = ghost_colours(editor)
    editor.set_confidence_tint(True)
    tinted_lines = layout_lines(editor)
    tinted_colours = ghost_colours(editor)
    assert tinted_lines == plain_lines
    assert editor.ghost_text == TEXT
    # The sure word keeps the muted colour; the doubtful "It" is the warmest.
    muted = muted_colour(editor.palette())
    muted_rgb = (muted.red(), muted.green(), muted.blue())
    assert len(set(plain_colours.values())) == 1
    assert tinted_colours["1:T"] == muted_rgb
    it = tinted_colours[f"{TEXT.index('It')}:I"]
    fog = tinted_colours[f"{TEXT.index('fog')}:f"]
    assert it != fog and muted_rgb not in (it, fog)
    assert abs(it[0] - WARM.red()) < abs(fog[0] - WARM.red()) or it[2] < fog[2]
    # And what Tab inserts is still what showed.
    assert editor.accept(Action.ACCEPT_ALL)
    assert editor.toPlainText() == "Night came" + TEXT


def test_alt_down_offers_the_next_words_alternatives(editor: Editor, qtbot: QtBot) -> None:
    stream(editor)
    editor.accept(Action.ACCEPT_WORD)  # " The"
    assert editor.ghost_text.startswith(" fog")
    swaps: list[tuple[PlacedToken, TokenChoice]] = []
    editor.swap_requested.connect(lambda placed, choice: swaps.append((placed, choice)))
    qtbot.keyClick(editor, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    menu = editor.token_menu
    assert menu is not None and menu.isVisible()
    entries = [a.text() for a in menu.actions()]
    assert entries == ["\u2423mist\t50%", "\u2423fog\t20%"]
    assert [a.isChecked() for a in menu.actions()] == [False, True]
    menu.actions()[0].trigger()
    menu.close()
    ((placed, choice),) = swaps
    assert (placed.start, placed.end, choice.text) == (0, 4, " mist")
    assert editor.swap_text(placed, choice) == " mist"
    # The window's request for the rest streams in after the kept text and the chosen token.
    editor.swap_suggestion(7, placed, choice)
    assert editor.ghost_text == " mist"
    editor.append_suggestion(7, 0, " hung low.")
    assert editor.ghost_text == " mist hung low."
    editor.accept(Action.ACCEPT_ALL)
    assert editor.toPlainText() == "Night came The mist hung low."


def test_clicking_a_ghost_word_offers_its_alternatives(editor: Editor, qtbot: QtBot) -> None:
    stream(editor)
    offset = TEXT.index("rolled") + 2
    point = editor._painter.point_below(offset)
    assert point is not None
    line_height = editor.fontMetrics().height()
    qtbot.mouseClick(
        editor.viewport(), Qt.MouseButton.LeftButton, pos=point - QPoint(0, line_height // 2)
    )
    menu = editor.token_menu
    assert menu is not None and menu.isVisible()
    assert [a.text() for a in menu.actions()] == ["\u2423rolled\t60%", "\u2423came\t30%"]
    assert editor.ghost_text == TEXT  # the click did not move the caret or dismiss it
    menu.close()


def test_a_swap_keeps_the_tokens_before_the_word() -> None:
    ghost = GhostText(1, 0)
    for token in SUGGESTION:
        ghost.append(0, token.text)
        ghost.append_tokens(0, (token,))
    placed = ghost.token_at(TEXT.index("It"))
    assert placed is not None and placed.token.text == "It"
    assert ghost.swap(2, placed, TokenChoice("The", 0.6)) == TEXT[: TEXT.index("It")] + "The"
    assert not ghost.owns(1) and ghost.owns(2)
    texts = [p.token.text for p in ghost.visible_tokens()]
    assert texts == [t.text for t in SUGGESTION[:5]] + ["The"]
    ghost.append(0, " lingered", 2)
    assert ghost.visible.endswith("The lingered")
    ghost.finish(2)
    # The original suggestion is still an alternative to cycle back to.
    assert ghost.cycle(1) and ghost.visible == TEXT


def test_dismiss_reports_the_rejected_text(editor: Editor, qtbot: QtBot) -> None:
    stream(editor)
    rejected: list[str] = []
    editor.suggestion_rejected.connect(rejected.append)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert rejected == [TEXT]
    assert editor.ghost is None
