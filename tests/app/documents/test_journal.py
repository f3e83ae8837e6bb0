"""app.documents.journal_store and app.documents.journal: entries written atomically per buffer,
kept after a crash,
gone after a clean exit, damaged ones reported and skipped, disk failures reported not fatal."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from penwright.app.documents.journal import BufferState, Journal
from penwright.app.documents.journal_store import (
    JournalEntry,
    JournalStore,
    new_buffer_id,
)
from penwright.models.files.textfile import TextFormat

CRLF_UTF16 = TextFormat("utf-16-le", "\r\n")


def _entry(
    buffer_id: str = "b1", text: str = "unsaved words", path: Path | None = None
) -> JournalEntry:
    return JournalEntry(buffer_id, path, "Untitled 1", text, CRLF_UTF16, 1_700_000_000.5)


def _simulate_crash(store: JournalStore) -> None:
    """Make the store's session look like a dead process: its lock released (as the kernel does
    when a process dies) and, for the pid check, same pid, different start time (this is also
    what a pid reused by an unrelated process looks like)."""
    store.close()
    marker = store.session_dir / "session.json"
    record = json.loads(marker.read_text())
    record["process_started"] = 12.0
    marker.write_text(json.dumps(record))


def _crashed_store_with(data_dir: Path, *entries: JournalEntry) -> JournalStore:
    store = JournalStore(data_dir)
    store.begin_session()
    for entry in entries:
        store.write(entry)
    _simulate_crash(store)
    return store


# --- the store: what is offered, when ---------------------------------------------------------


def test_entries_of_a_running_session_are_not_offered(tmp_path: Path) -> None:
    running = JournalStore(tmp_path)
    running.write(_entry())
    assert JournalStore(tmp_path).scan_recoverable().entries == ()


def test_entries_of_a_crashed_session_are_offered_whole(tmp_path: Path) -> None:
    document = tmp_path / "notes.txt"
    written = _entry(path=document, text="Il était une fois 漢字 🙂\nsecond line")
    _crashed_store_with(tmp_path, written)

    scan = JournalStore(tmp_path).scan_recoverable()

    assert scan.problems == ()
    assert [item.entry for item in scan.entries] == [written]


def test_clean_exit_leaves_nothing_to_offer(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    store.write(_entry("a"))
    store.write(_entry("b"))
    store.end_session()
    assert JournalStore(tmp_path).scan_recoverable().entries == ()
    assert list((tmp_path / "journal").iterdir()) == []


def test_declined_recovery_is_offered_again(tmp_path: Path) -> None:
    _crashed_store_with(tmp_path, _entry())
    first = JournalStore(tmp_path)
    assert len(first.scan_recoverable().entries) == 1
    first.end_session()  # the next session exited cleanly without deciding
    assert len(JournalStore(tmp_path).scan_recoverable().entries) == 1


def test_missing_marker_with_entries_counts_as_crash(tmp_path: Path) -> None:
    store = _crashed_store_with(tmp_path, _entry())
    (store.session_dir / "session.json").unlink()
    assert len(JournalStore(tmp_path).scan_recoverable().entries) == 1


def test_dead_session_without_entries_is_cleaned_up(tmp_path: Path) -> None:
    store = _crashed_store_with(tmp_path)
    JournalStore(tmp_path).scan_recoverable()
    assert not store.session_dir.exists()


def test_one_entry_per_buffer_latest_wins(tmp_path: Path) -> None:
    _crashed_store_with(tmp_path, _entry("b1", "first"), _entry("b1", "second"), _entry("b2"))
    texts = sorted(item.entry.text for item in JournalStore(tmp_path).scan_recoverable().entries)
    assert texts == ["second", "unsaved words"]


def test_damaged_entry_is_reported_set_aside_and_others_still_offered(tmp_path: Path) -> None:
    store = _crashed_store_with(tmp_path, _entry("good"))
    header, _, text = (store.session_dir / "good.entry").read_bytes().partition(b"\n")
    (store.session_dir / "truncated.entry").write_bytes(header + b"\n" + text[:-3])
    wrong_type = {**json.loads(header), "title": 5}
    (store.session_dir / "wrongtype.entry").write_text(json.dumps(wrong_type) + "\n" + "text")
    (store.session_dir / "garbage.entry").write_bytes(b"\x00\xff not an entry")

    scan = JournalStore(tmp_path).scan_recoverable()

    assert [item.entry.buffer_id for item in scan.entries] == ["good"]
    assert len(scan.problems) == 3
    assert all("damaged" in problem for problem in scan.problems)
    kept = sorted(p.name for p in (tmp_path / "journal-damaged").iterdir())
    assert kept == [
        f"{store.session_id}-{name}.entry" for name in ("garbage", "truncated", "wrongtype")
    ]
    assert JournalStore(tmp_path).scan_recoverable().problems == ()  # reported once


def test_delete_removes_the_entry_for_good(tmp_path: Path) -> None:
    _crashed_store_with(tmp_path, _entry())
    store = JournalStore(tmp_path)
    (item,) = store.scan_recoverable().entries
    store.delete_recoverable(item)
    assert JournalStore(tmp_path).scan_recoverable().entries == ()


def test_adopt_moves_the_entry_into_the_running_session(tmp_path: Path) -> None:
    _crashed_store_with(tmp_path, _entry("old", "recovered text"))
    store = JournalStore(tmp_path)
    (item,) = store.scan_recoverable().entries

    adopted = store.adopt(item, "new")

    assert adopted.text == "recovered text" and adopted.buffer_id == "new"
    assert not item.file.exists()
    assert (store.session_dir / "new.entry").exists()
    _simulate_crash(store)  # and if this session crashes too, the text is offered again
    assert [i.entry.text for i in JournalStore(tmp_path).scan_recoverable().entries] == [
        "recovered text"
    ]


def test_lone_surrogate_from_qt_does_not_break_the_journal(tmp_path: Path) -> None:
    _crashed_store_with(tmp_path, _entry(text="broken \ud800 pair"))
    (item,) = JournalStore(tmp_path).scan_recoverable().entries
    assert item.entry.text == "broken \ud800 pair"


def test_unsafe_buffer_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a safe file name"):
        JournalStore(tmp_path).write(_entry("../escape"))


def test_no_temporary_files_are_left_after_writes(tmp_path: Path) -> None:
    store = JournalStore(tmp_path)
    for n in range(3):
        store.write(_entry(text=f"version {n}"))
    assert sorted(p.name for p in store.session_dir.iterdir()) == [
        "alive.lock",
        "b1.entry",
        "session.json",
    ]


@pytest.mark.skipif(os.name != "posix", reason="directories are synced on POSIX only")
def test_a_write_syncs_the_entry_then_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = JournalStore(tmp_path)
    store.begin_session()
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    store.write(_entry(text="kept through a power cut"))
    assert synced == ["file", "folder"]  # the data before the rename, the rename after


def test_new_buffer_ids_are_unique_file_names(tmp_path: Path) -> None:
    ids = {new_buffer_id() for _ in range(100)}
    assert len(ids) == 100
    JournalStore(tmp_path).write(_entry(ids.pop()))


# --- the Qt journal: when it writes -----------------------------------------------------------


class FakeBuffer:
    """Stands in for the window's document: the journal only ever calls state()."""

    def __init__(self, text: str = "", path: Path | None = None) -> None:
        self.text = text
        self.path = path
        self.modified = True
        self.state_calls = 0

    def state(self) -> BufferState:
        self.state_calls += 1
        return BufferState(self.path, "Untitled 1", self.text, TextFormat(), self.modified)


def _journal_entry_text(store: JournalStore, buffer_id: str) -> str | None:
    entry = store.read_own(buffer_id)
    return None if entry is None else entry.text


@pytest.fixture
def store(tmp_path: Path) -> JournalStore:
    return JournalStore(tmp_path / "data")


def test_default_timing_meets_the_two_second_promise(store: JournalStore) -> None:
    journal = Journal(store)
    assert journal._quiet.interval() <= 2000
    assert journal._deadline.interval() <= 2000


def test_pause_in_typing_writes_the_buffer(qtbot: QtBot, store: JournalStore) -> None:
    journal = Journal(store, quiet_ms=20, max_delay_ms=10_000)
    buffer = FakeBuffer("Once upon")
    journal.track("b1", buffer.state)
    journal.buffer_changed("b1")
    assert buffer.state_calls == 0  # a keystroke alone costs no text copy

    with qtbot.waitSignal(journal.flushed, timeout=5000) as flushed:
        pass
    assert flushed.args == [True]
    assert _journal_entry_text(store, "b1") == "Once upon"


def test_uninterrupted_typing_is_written_by_the_deadline(qtbot: QtBot, store: JournalStore) -> None:
    journal = Journal(store, quiet_ms=60_000, max_delay_ms=20)
    buffer = FakeBuffer()
    journal.track("b1", buffer.state)
    with qtbot.waitSignal(journal.flushed, timeout=5000):
        for char in "typing on":
            buffer.text += char
            journal.buffer_changed("b1")  # keeps restarting the quiet timer
    assert _journal_entry_text(store, "b1") == "typing on"


def test_losing_focus_writes_at_once(qapp: QApplication, store: JournalStore) -> None:
    journal = Journal(store, quiet_ms=60_000, max_delay_ms=60_000)
    journal.watch_application(qapp)
    buffer = FakeBuffer("draft")
    journal.track("b1", buffer.state)
    journal.buffer_changed("b1")

    qapp.applicationStateChanged.emit(Qt.ApplicationState.ApplicationInactive)

    assert _journal_entry_text(store, "b1") == "draft"


def test_unmodified_or_saved_buffers_have_no_entry(store: JournalStore) -> None:
    journal = Journal(store, quiet_ms=60_000, max_delay_ms=60_000)
    buffer = FakeBuffer("text")
    journal.track("b1", buffer.state)
    journal.buffer_changed("b1")
    journal.flush()
    assert _journal_entry_text(store, "b1") == "text"

    buffer.modified = False
    journal.buffer_saved("b1")
    assert _journal_entry_text(store, "b1") is None

    buffer.modified = True
    journal.buffer_changed("b1")
    journal.flush()
    buffer.modified = False  # undo back to the saved text
    journal.buffer_changed("b1")
    journal.flush()
    assert _journal_entry_text(store, "b1") is None


def test_untrack_forgets_the_entry(store: JournalStore) -> None:
    journal = Journal(store)
    journal.track("b1", FakeBuffer("x").state)
    journal.buffer_changed("b1")
    journal.flush()
    journal.untrack("b1")
    assert _journal_entry_text(store, "b1") is None
    journal.buffer_changed("b1")  # a late signal from a closing editor is harmless
    assert journal.flush()


def test_end_session_leaves_nothing_to_recover(tmp_path: Path, store: JournalStore) -> None:
    journal = Journal(store)
    assert journal.start()
    journal.track("b1", FakeBuffer("x").state)
    journal.buffer_changed("b1")
    journal.flush()
    assert journal.end_session()
    assert JournalStore(tmp_path / "data").scan_recoverable().entries == ()


def test_unwritable_data_dir_is_reported_and_editing_goes_on(qtbot: QtBot, tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data directory should be")
    store = JournalStore(blocker)
    journal = Journal(store, quiet_ms=60_000, max_delay_ms=60_000)
    buffer = FakeBuffer("precious")

    with qtbot.waitSignal(journal.autosave_failed) as failure:
        assert not journal.start()
    assert "Autosave failed" in failure.args[0] and "save it to a file" in failure.args[0]

    journal.track("b1", buffer.state)
    journal.buffer_changed("b1")
    with qtbot.waitSignal(journal.autosave_failed):
        assert not journal.flush()
    assert journal.failing

    blocker.unlink()  # the disk becomes writable again: the pending change is retried
    with qtbot.waitSignal(journal.autosave_ok):
        assert journal.flush()
    assert _journal_entry_text(store, "b1") == "precious"


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_data_dir_is_reported(qtbot: QtBot, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o500)
    try:
        journal = Journal(JournalStore(data))
        with qtbot.waitSignal(journal.autosave_failed):
            assert not journal.start()
    finally:
        data.chmod(0o700)


def test_journal_recoverable_and_adopt_and_delete(tmp_path: Path, store: JournalStore) -> None:
    _crashed_store_with(tmp_path / "data", _entry("x", "one"), _entry("y", "two"))
    journal = Journal(store)
    first, second = journal.recoverable().entries
    assert journal.adopt(first, "mine").text == "one"
    assert journal.delete(second)
    assert journal.recoverable().entries == ()
    assert _journal_entry_text(store, "mine") == "one"
