"""The edit-log journal: records replay to exactly the document; a cut log replays to an exact
earlier state; the real window's typing, pasting, undo and opened files are journalled as edits
and come back exactly as toPlainText gives them; compaction keeps the text and drops old logs."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QPlainTextEdit
from pytestqt.qtbot import QtBot

from penwright.app.documents import edit_log, journal_store, log_buffer
from penwright.app.documents.edit_log import (
    Edit,
    ReplayError,
    coalesce,
    decode_log,
    encode_edits,
    replay,
    utf16_length,
)
from penwright.app.documents.file_watch import FileWatcher
from penwright.app.documents.journal import Journal
from penwright.app.documents.journal_store import JournalStore
from penwright.app.documents.session import DocumentSession
from penwright.app.window.main_window import MainWindow

ALPHABET = "ab \n漢é🙂"


def _apply(text: str, edit: Edit) -> str:
    """The reference: the same edit on UTF-16 code units, the slow obvious way."""
    units = text.encode("utf-16-le", "surrogatepass")
    start, end = edit.position * 2, (edit.position + edit.removed) * 2
    return (units[:start] + edit.utf16 + units[end:]).decode("utf-16-le", "surrogatepass")


def _random_edits(rng: random.Random, base: str, count: int) -> tuple[list[Edit], list[str]]:
    edits, states, text = [], [], base
    for _ in range(count):
        length = utf16_length(text)
        position = rng.randint(0, length)
        removed = rng.randint(0, min(3, length - position))
        inserted = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 4)))
        candidate = Edit(position, removed, inserted)
        try:
            after = _apply(text, candidate)
        except UnicodeDecodeError:
            continue  # it would split an emoji's surrogate pair: Qt never does
        edits.append(candidate)
        text = after
        states.append(text)
    return edits, states


def test_replay_matches_applying_each_edit() -> None:
    rng = random.Random(7)
    base = "Il était une fois 🙂 漢字\nsecond line"
    edits, states = _random_edits(rng, base, 300)
    text, whole = replay(base, [encode_edits(edits[:150]), encode_edits(edits[150:])])
    assert whole
    assert text == states[-1]


def test_replay_in_small_chunks_keeps_emoji_whole(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Large texts are encoded and decoded in chunks (the GIL is given back between them);
    # chunks of 3 characters put piece and chunk boundaries between an emoji's two units.
    monkeypatch.setattr(edit_log, "CHUNK_CHARS", 3)
    monkeypatch.setattr(journal_store, "CHUNK_CHARS", 3)
    rng = random.Random(11)
    base = "🙂a🙂bc漢🙂🙂d" * 5
    edits, states = _random_edits(rng, base, 200)
    assert replay(base, [encode_edits(edits)]) == (states[-1], True)
    assert utf16_length(base) == len(base.encode("utf-16-le")) // 2
    store = JournalStore(tmp_path)
    store.begin_session()
    store.write_snapshot("b1", 1, states[-1])
    assert journal_store._read_snapshot(store.snapshot_file("b1", 1)) == states[-1]


def test_a_cut_log_replays_to_an_exact_earlier_state() -> None:
    rng = random.Random(3)
    base = "start"
    edits, states = _random_edits(rng, base, 12)
    data = encode_edits(edits)
    ends = [len(encode_edits(edits[: n + 1])) for n in range(len(edits))]
    for cut in range(len(data)):
        text, whole = replay(base, [data[:cut]])
        complete = sum(end <= cut for end in ends)
        assert text == (states[complete - 1] if complete else base)
        assert whole == (cut in ends or cut == 0)


def test_garbage_after_a_record_ends_the_replay_there() -> None:
    data = encode_edits([Edit(0, 0, "kept")])
    damaged = data + b"\xe1" + b"\x00" * 30
    assert replay("", [damaged, encode_edits([Edit(0, 0, "never")])]) == ("kept", False)
    assert decode_log(data[:-1]).complete is False


def test_an_edit_that_does_not_fit_its_base_is_refused() -> None:
    with pytest.raises(ReplayError):
        replay("abc", [encode_edits([Edit(2, 5, "")])])


def test_typing_coalesces_into_one_record() -> None:
    typed = [Edit(10 + i, 0, c) for i, c in enumerate("hello")]
    assert list(coalesce([*typed, Edit(0, 1, "")])) == [Edit(10, 0, "hello"), Edit(0, 1, "")]


# --- the real window -------------------------------------------------------------------------


def _type(editor: QPlainTextEdit, text: str) -> None:
    """Key events carrying the text, as an input method delivers them (QTest's keyClicks
    only knows ASCII)."""
    for character in text:
        key = Qt.Key.Key_Return if character == "\n" else Qt.Key.Key_unknown
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, character)
            QApplication.sendEvent(editor, event)


def _parts(window: MainWindow) -> tuple[Journal, DocumentSession]:
    journal, session = window.findChild(Journal), window.findChild(DocumentSession)
    assert journal is not None and session is not None
    return journal, session


@pytest.fixture
def make_quiet_window(make_window: Callable[..., MainWindow]) -> Callable[[], MainWindow]:
    """The real window, minus the Reload / Keep question when a test edits its file."""

    def make() -> MainWindow:
        window = make_window(load=False)
        watcher = window.findChild(FileWatcher)
        assert watcher is not None
        watcher.changed_on_disk.disconnect()
        return window

    return make


def _journalled(window: MainWindow) -> str | None:
    """Write what is pending, wait for the background, read the entry as recovery would."""
    journal, session = _parts(window)
    journal.flush()
    journal.drain()
    entry = journal.store.read_own(session.buffer_id)
    return None if entry is None else entry.text


def _files(window: MainWindow) -> list[str]:
    journal, _ = _parts(window)
    return sorted(p.name for p in journal.store.session_dir.iterdir() if p.suffix != ".json")


def test_typing_pasting_and_undo_in_the_window_are_journalled_exactly(
    qtbot: QtBot, make_quiet_window: Callable[[], MainWindow]
) -> None:
    window = make_quiet_window()
    editor = window.editor
    _type(editor, "Hello world\nsecond\u00a0line 🙂 漢字")
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    cursor = editor.textCursor()
    cursor.setPosition(2)
    cursor.setPosition(4, QTextCursor.MoveMode.KeepAnchor)
    cursor.insertText("LL\nmid")  # a replacement across a new line
    editor.undo()
    editor.redo()
    editor.moveCursor(QTextCursor.MoveOperation.Start)
    editor.insertPlainText("Title\n\n")

    assert _journalled(window) == editor.toPlainText()
    # an edit log, not a full copy: a header and one log, no snapshot for an untitled start
    assert sorted(name.split(".")[-1] for name in _files(window)) == ["entry", "lock", "log"]


def test_an_opened_file_is_the_base_and_copied_in_the_background(
    qtbot: QtBot, make_quiet_window: Callable[[], MainWindow], tmp_path: Path
) -> None:
    document = tmp_path / "chapter.txt"
    document.write_text("line one\r\nline two\r\n" * 1000, encoding="utf-8")
    window = make_quiet_window()
    assert window.open_file(document, ask=False)
    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(window.editor, "added at the end")

    assert _journalled(window) == window.editor.toPlainText()
    journal, session = _parts(window)
    entry = journal.store.read_own(session.buffer_id)
    assert entry is not None and entry.based_on is not None
    assert entry.based_on.size == document.stat().st_size and entry.based_on.sha256
    # the copy of the file means the edits still replay once another program changes it
    document.write_text("rewritten elsewhere", encoding="utf-8")
    assert _journalled(window) == window.editor.toPlainText()


def test_saving_removes_the_entry_and_later_edits_start_from_the_saved_file(
    qtbot: QtBot, make_quiet_window: Callable[[], MainWindow], tmp_path: Path
) -> None:
    window = make_quiet_window()
    qtbot.keyClicks(window.editor, "draft")
    assert _journalled(window) == "draft"
    assert window.save_to(tmp_path / "saved.txt")
    assert _journalled(window) is None
    qtbot.keyClicks(window.editor, " more")
    assert _journalled(window) == "draft more"


def test_replacing_the_whole_document_takes_a_snapshot(
    qtbot: QtBot, make_quiet_window: Callable[[], MainWindow]
) -> None:
    window = make_quiet_window()
    qtbot.keyClicks(window.editor, "typed")
    big = "pasted paragraph\n" * 300_000  # more than the recorder reads from the document
    window.editor.selectAll()
    window.editor.insertPlainText(big)
    qtbot.keyClicks(window.editor, "!")
    assert _journalled(window) == big + "!"
    assert any(name.endswith(".snap") for name in _files(window))


def test_compaction_keeps_the_text_and_drops_old_generations(
    qtbot: QtBot, make_quiet_window: Callable[[], MainWindow], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_buffer, "COMPACT_AFTER_RECORDS", 3)
    window = make_quiet_window()
    for word in ["one ", "two ", "three ", "four ", "five ", "six ", "seven "]:
        qtbot.keyClicks(window.editor, word)
        window.editor.moveCursor(QTextCursor.MoveOperation.Start)
        qtbot.keyClicks(window.editor, "<")  # not coalesced with the word: two records
        window.editor.moveCursor(QTextCursor.MoveOperation.End)
        assert _journalled(window) == window.editor.toPlainText()
    names = _files(window)
    snapshots = [n for n in names if n.endswith(".snap")]
    assert len(snapshots) == 1  # compacted, and the older generations are gone
    generation = int(snapshots[0].split(".")[1])
    assert generation > 1
    assert all(int(n.split(".")[1]) >= generation for n in names if n.endswith((".log", ".snap")))


def test_an_unusable_data_folder_is_reported_and_editing_goes_on(
    qtbot: QtBot, make_quiet_window: Callable[[], MainWindow], tmp_path: Path
) -> None:
    (tmp_path / "data").write_text("a file where the data folder should be")  # even root fails
    document = tmp_path / "chapter.txt"
    document.write_text("opened\n", encoding="utf-8")
    window = make_quiet_window()
    journal, _ = _parts(window)
    with qtbot.waitSignal(journal.autosave_failed, timeout=5000):
        assert window.open_file(document, ask=False)  # the copy of the file cannot be made
    qtbot.keyClicks(window.editor, "still typing")
    assert journal.flush() is False and journal.failing
    assert window.editor.toPlainText() == "still typingopened\n"
