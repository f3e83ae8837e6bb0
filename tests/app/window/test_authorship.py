"""Who wrote what in the real window (fake engine): the AI-written colours, the words by origin,
Document Statistics, provenance kept in the sidecar across save and reopen, the confidence tint
from streamed tokens, and the offer to ban a phrase dismissed three times."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from app_fakes import WAIT_MS, EngineScript
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from penwright.app.documents.provenance import Origin
from penwright.app.window.authorship import AUTHORSHIP_PROPERTY, SUGGESTED_BACKGROUND
from penwright.app.window.main_window import MainWindow
from penwright.models.results import Delta, TokenChoice, TokenInfo
from penwright.models.story.sidecar import sidecar_path

CTRL = Qt.KeyboardModifier.ControlModifier
TOKENS = (
    TokenInfo(" the", 0.9, (TokenChoice(" the", 0.9), TokenChoice(" a", 0.05))),
    TokenInfo(" fog", 0.1, (TokenChoice(" mist", 0.6), TokenChoice(" fog", 0.1))),
    TokenInfo(" lifted.", 0.7, (TokenChoice(" lifted.", 0.7),)),
)
SUGGESTION = "".join(t.text for t in TOKENS)


def write(window: MainWindow, text: str) -> None:
    window.editor.setPlainText(text)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)


def suggest(qtbot: QtBot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.controller.suggestion_finished, timeout=WAIT_MS):
        qtbot.keyClick(window.editor, Qt.Key.Key_Return, CTRL)


def ai_selections(window: MainWindow) -> list[tuple[int, int]]:
    return [
        (s.cursor.selectionStart(), s.cursor.selectionEnd())
        for s in window.editor.extraSelections()
        if s.format.hasProperty(AUTHORSHIP_PROPERTY)
    ]


def test_accepted_text_is_coloured_counted_and_kept_across_save_and_reopen(
    qtbot: QtBot, window: MainWindow, script: EngineScript, tmp_path: Path
) -> None:
    script.deltas = [Delta(0, SUGGESTION, TOKENS)]
    write(window, "At dawn")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert window.editor.toPlainText() == "At dawn" + SUGGESTION
    authorship = window.authorship
    spans = authorship.tracker.provenance.spans
    assert [(s.start, s.end, s.origin) for s in spans] == [(7, 23, Origin.SUGGESTED)]
    assert spans[0].source.model == "Fake 1M"
    # The request asked for token alternatives, and its params are what the span records.
    assert script.params[-1].top_alternatives > 0
    assert spans[0].source.temperature == script.params[-1].temperature

    assert ai_selections(window) == []  # off until asked
    authorship.show_ai_action.trigger()
    assert ai_selections(window) == [(7, 23)]
    selection = next(
        s for s in window.editor.extraSelections() if s.format.hasProperty(AUTHORSHIP_PROPERTY)
    )
    assert selection.format.background().color() == SUGGESTED_BACKGROUND
    assert authorship.origin_label.isVisible()
    assert "3 suggested, 0 edited, 2 typed words" in authorship.origin_label.text()

    authorship.statistics_action.trigger()
    dialog = authorship.statistics
    assert dialog is not None and dialog.isVisible()
    cells = [
        [dialog.table.item(r, c).text() for c in range(3)] for r in range(dialog.table.rowCount())
    ]
    assert cells[0] == ["Typed by you", "2", "40%"]
    assert cells[1] == ["Accepted from suggestions", "3", "60%"]
    assert "Fake 1M" in dialog.models.text()
    dialog.close()

    path = tmp_path / "dawn.txt"
    assert window.save_to(path)
    stored = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    assert stored["sections"]["provenance"]["spans"][0]["start"] == 7

    window.new_file()
    assert authorship.tracker.provenance.spans == ()
    assert ai_selections(window) == []
    assert window.open_file(path)
    qtbot.waitUntil(lambda: window.editor.toPlainText() == "At dawn" + SUGGESTION)
    assert [(s.start, s.end) for s in authorship.tracker.provenance.spans] == [(7, 23)]
    assert ai_selections(window) == [(7, 23)]


def test_the_span_records_the_settings_its_suggestion_was_made_with(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, SUGGESTION, TOKENS)]
    window.toolbar.temperature_box.setValue(0.3)
    write(window, "At dawn")
    suggest(qtbot, window)
    sent = script.params[-1]
    assert sent.temperature == 0.3
    window.toolbar.temperature_box.setValue(1.4)  # changed while the suggestion shows
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    (span,) = window.authorship.tracker.provenance.spans
    assert span.source.temperature == 0.3
    assert span.source.max_new_tokens == sent.max_new_tokens
    assert span.source.model == "Fake 1M"
    # The next suggestion is made with the new setting, and its span says so.
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    assert [s.source.temperature for s in window.authorship.tracker.provenance.spans] == [
        0.3,
        1.4,
    ]


def test_the_view_switches_are_kept_for_the_next_start(
    make_window: Callable[..., MainWindow], settings: QSettings
) -> None:
    first = make_window()
    assert not first.authorship.tint_action.isChecked()
    assert not first.authorship.show_ai_action.isChecked()
    first.authorship.tint_action.trigger()
    first.authorship.show_ai_action.trigger()
    settings.sync()
    stored = Path(settings.fileName()).read_text(encoding="utf-8")  # plain text in the file
    assert "[view]\nconfidence_tint=true\nshow_ai_text=true\n" in stored

    second = make_window()  # the next start
    authorship = second.authorship
    assert authorship.tint_action.isChecked() and second.editor.confidence_tint
    assert authorship.show_ai_action.isChecked() and not authorship.origin_label.isHidden()
    authorship.show_ai_action.trigger()  # off again: kept off
    third = make_window()
    assert third.authorship.tint_action.isChecked()
    assert not third.authorship.show_ai_action.isChecked()
    assert third.authorship.origin_label.isHidden()


def test_a_file_changed_elsewhere_loses_only_its_provenance(
    qtbot: QtBot, window: MainWindow, script: EngineScript, tmp_path: Path
) -> None:
    script.deltas = [Delta(0, SUGGESTION, TOKENS)]
    write(window, "At dawn")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    path = tmp_path / "dawn.txt"
    assert window.save_to(path)
    # Another program rewrites a copy of the file and its sidecar (the open one is watched).
    other = tmp_path / "other.txt"
    other.write_text("Rewritten by another program.", encoding="utf-8")
    sidecar_path(other).write_bytes(sidecar_path(path).read_bytes())
    window.new_file()
    assert window.open_file(other)
    qtbot.waitUntil(lambda: window.editor.toPlainText().startswith("Rewritten"))
    assert window.authorship.tracker.provenance.spans == ()
    assert "changed outside Penwright" in window.statusBar().currentMessage()


def test_the_tint_follows_the_streamed_tokens(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, SUGGESTION, TOKENS)]
    write(window, "At dawn")
    window.authorship.tint_action.trigger()
    assert window.editor.confidence_tint
    suggest(qtbot, window)
    ghost = window.editor.ghost
    assert ghost is not None
    assert [p.token.text for p in ghost.visible_tokens()] == [t.text for t in TOKENS]


def test_a_phrase_dismissed_three_times_is_offered_for_the_ban_list(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, " The fog rolled in.")]
    banned: list[str] = []
    window.authorship.ban_phrase = banned.append
    write(window, "Morning.")
    for _ in range(2):
        suggest(qtbot, window)
        qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    assert window.authorship.ban_offer is None
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    offer = window.authorship.ban_offer
    assert isinstance(offer, QMessageBox) and offer.isVisible()
    assert not offer.isModal()
    assert "the fog rolled" in offer.text()
    ban = next(b for b in offer.findChildren(QPushButton) if b.text() == "Ban It")
    qtbot.mouseClick(ban, Qt.MouseButton.LeftButton)
    assert banned == ["the fog rolled"]


def test_each_tab_has_its_own_provenance(
    qtbot: QtBot, window: MainWindow, script: EngineScript
) -> None:
    script.deltas = [Delta(0, SUGGESTION, TOKENS)]
    write(window, "At dawn")
    suggest(qtbot, window)
    qtbot.keyClick(window.editor, Qt.Key.Key_Tab)
    first = window.current_document
    window.authorship.show_ai_action.trigger()
    window.new_file()  # a tab of its own
    assert window.current_document is not first
    write(window, "Typed only.")
    assert window.authorship.tracker.provenance.spans == ()
    assert ai_selections(window) == []
    window.tab_widget.setCurrentWidget(first.page)
    assert [(s.start, s.end) for s in window.authorship.tracker.provenance.spans] == [(7, 23)]
    assert ai_selections(window) == [(7, 23)]
