"""The provenance tracker on a real Editor: typing, accepting (all and by word), editing
inside an accepted span, undo and redo."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.documents.provenance import Origin, Span, SuggestionSource
from penwright.app.documents.provenance_tracker import ProvenanceTracker
from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.keymap import Action

GEMMA = SuggestionSource("Gemma 3 270M", 0.7, 32)


def setup(qtbot: QtBot) -> tuple[Editor, ProvenanceTracker]:
    editor = Editor()
    qtbot.addWidget(editor)
    tracker = ProvenanceTracker(editor.document(), lambda: GEMMA)
    editor.suggestion_accepted.connect(tracker.accepted)
    editor.show()
    editor.setFocus()
    return editor, tracker


def suggest(editor: Editor, text: str, request_id: int = 1) -> None:
    assert editor.start_suggestion(request_id)
    editor.append_suggestion(request_id, 0, text)
    editor.finish_suggestion(request_id)


def test_typing_then_accepting_then_editing(qtbot: QtBot) -> None:
    editor, tracker = setup(qtbot)
    qtbot.keyClicks(editor, "The keeper")
    assert tracker.provenance.spans == ()
    suggest(editor, " climbed the stairs.")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText() == "The keeper climbed the stairs."
    assert tracker.provenance.spans == (Span(10, 30, Origin.SUGGESTED, GEMMA),)
    counts = tracker.provenance.words_by_origin(editor.toPlainText())
    assert (counts[Origin.TYPED], counts[Origin.SUGGESTED]) == (2, 3)
    # The writer types inside the accepted text: it becomes "accepted, then edited".
    cursor = editor.textCursor()
    cursor.setPosition(22)  # after "climbed the"
    editor.setTextCursor(cursor)
    qtbot.keyClicks(editor, " old")
    assert editor.toPlainText() == "The keeper climbed the old stairs."
    assert [s.origin for s in tracker.provenance.spans] == [Origin.EDITED, Origin.EDITED]
    assert tracker.provenance.origin_at(24) is Origin.TYPED


def test_accepting_word_by_word_makes_one_span(qtbot: QtBot) -> None:
    editor, tracker = setup(qtbot)
    qtbot.keyClicks(editor, "Fog")
    suggest(editor, " rolled in fast")
    editor.accept(Action.ACCEPT_WORD)
    editor.accept(Action.ACCEPT_WORD)
    assert editor.toPlainText() == "Fog rolled in"
    assert tracker.provenance.spans == (Span(3, 13, Origin.SUGGESTED, GEMMA),)


def test_typing_through_a_suggestion_counts_as_typed(qtbot: QtBot) -> None:
    editor, tracker = setup(qtbot)
    qtbot.keyClicks(editor, "Fog")
    suggest(editor, " rolled")
    qtbot.keyClicks(editor, " ro")
    assert editor.ghost_text == "lled"
    assert tracker.provenance.spans == ()


def test_undo_and_redo_bring_back_the_provenance(qtbot: QtBot) -> None:
    editor, tracker = setup(qtbot)
    qtbot.keyClicks(editor, "Night")
    suggest(editor, " fell.")
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    accepted = (Span(5, 11, Origin.SUGGESTED, GEMMA),)
    assert tracker.provenance.spans == accepted
    # Delete the suggested text with the keyboard, then undo the deletion.
    editor.moveCursor(QTextCursor.MoveOperation.End)
    for _ in range(6):
        qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert editor.toPlainText() == "Night"
    assert tracker.provenance.spans == ()
    editor.undo()
    assert editor.toPlainText() == "Night fell."
    assert tracker.provenance.spans == accepted
    # Undo the accept itself: the text and its span go; redo brings both back.
    editor.undo()
    assert editor.toPlainText() == "Night"
    assert tracker.provenance.spans == ()
    editor.redo()
    assert editor.toPlainText() == "Night fell."
    assert tracker.provenance.spans == accepted


def test_restore_refuses_provenance_of_another_text(qtbot: QtBot) -> None:
    editor, tracker = setup(qtbot)
    editor.setPlainText("Twelve chars")
    stored = {"version": 1, "length": 5, "spans": []}
    assert "changed outside" in (tracker.restore(stored) or "")
    assert tracker.provenance.spans == ()
    good = {
        "version": 1,
        "length": 12,
        "spans": [Span(7, 12, Origin.SUGGESTED, GEMMA).to_dict()],
    }
    assert tracker.restore(good) is None
    assert tracker.provenance.origin_at(8) is Origin.SUGGESTED
