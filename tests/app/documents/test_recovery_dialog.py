"""app.documents.recovery_dialog: what a crash left is shown before it is restored; nothing is
deleted
without the writer asking (and confirming); whatever is not decided stays for next time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from penwright.app.documents.file_identity import (
    DiskChange,
    FileIdentity,
    sha256_of_file,
    stat_identity,
)
from penwright.app.documents.journal import Journal
from penwright.app.documents.journal_store import JournalEntry, JournalStore, RecoverableEntry
from penwright.app.documents.recovery_dialog import (
    PREVIEW_LIMIT_CHARS,
    RecoveryDialog,
    describe,
    offer_recovery,
    preview_text,
    recovered_sibling,
)
from penwright.models.files.textfile import TextFormat


def _entry(buffer_id: str, title: str, text: str, path: Path | None = None) -> JournalEntry:
    return JournalEntry(buffer_id, path, title, text, TextFormat(), 1_700_000_000.0)


def _items(tmp_path: Path) -> list[RecoverableEntry]:
    return [
        RecoverableEntry(_entry("a", "Untitled 1", "An untitled draft."), tmp_path / "a.entry"),
        RecoverableEntry(
            _entry("b", "notes.txt", "Notes in progress.", tmp_path / "notes.txt"),
            tmp_path / "b.entry",
        ),
    ]


def _never(_parent: QWidget, _count: int) -> bool:
    raise AssertionError("deletion must not be confirmed in this test")


def _yes(_parent: QWidget, _count: int) -> bool:
    return True


def _no(_parent: QWidget, _count: int) -> bool:
    return False


@pytest.fixture
def dialog(qtbot: QtBot, tmp_path: Path) -> RecoveryDialog:
    dialog = RecoveryDialog(_items(tmp_path), confirm_delete=_never)
    qtbot.addWidget(dialog)
    return dialog


def test_every_entry_is_listed_ticked_and_the_first_previewed(dialog: RecoveryDialog) -> None:
    rows = [dialog.entry_list.item(i) for i in range(dialog.entry_list.count())]
    assert [row.checkState() for row in rows] == [Qt.CheckState.Checked] * 2
    assert "Untitled 1" in rows[0].text() and "untitled, never saved" in rows[0].text()
    assert "notes.txt" in rows[1].text()
    assert dialog.preview.toPlainText() == "An untitled draft."
    assert dialog.preview.isReadOnly()


def test_selecting_an_entry_shows_the_text_it_would_restore(dialog: RecoveryDialog) -> None:
    dialog.entry_list.setCurrentRow(1)
    assert dialog.preview.toPlainText() == "Notes in progress."


def test_recover_takes_only_the_ticked_entries(dialog: RecoveryDialog, tmp_path: Path) -> None:
    dialog.entry_list.item(0).setCheckState(Qt.CheckState.Unchecked)
    dialog.recover_button.click()
    assert dialog.result() == RecoveryDialog.DialogCode.Accepted
    assert [item.entry.buffer_id for item in dialog.decision.to_recover] == ["b"]
    assert dialog.decision.to_delete == []


def test_nothing_ticked_disables_recover_and_delete(dialog: RecoveryDialog) -> None:
    for i in range(dialog.entry_list.count()):
        dialog.entry_list.item(i).setCheckState(Qt.CheckState.Unchecked)
    assert not dialog.recover_button.isEnabled()
    assert not dialog.delete_button.isEnabled()
    assert dialog.later_button.isEnabled()


def test_decide_later_decides_nothing(dialog: RecoveryDialog) -> None:
    dialog.later_button.click()
    assert dialog.result() == RecoveryDialog.DialogCode.Rejected
    assert dialog.decision.to_recover == [] and dialog.decision.to_delete == []


def test_delete_needs_confirmation(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = RecoveryDialog(_items(tmp_path), confirm_delete=_no)
    qtbot.addWidget(dialog)
    dialog.delete_button.click()
    assert dialog.decision.to_delete == []
    assert dialog.entry_list.count() == 2


def test_confirmed_delete_removes_the_ticked_and_keeps_the_rest(
    qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = RecoveryDialog(_items(tmp_path), confirm_delete=_yes)
    qtbot.addWidget(dialog)
    dialog.entry_list.item(1).setCheckState(Qt.CheckState.Unchecked)
    dialog.delete_button.click()
    assert [item.entry.buffer_id for item in dialog.decision.to_delete] == ["a"]
    assert dialog.entry_list.count() == 1
    assert dialog.preview.toPlainText() == "Notes in progress."  # the remaining one
    assert not dialog.recover_button.isEnabled()  # the remaining one is unticked


def test_damaged_entries_are_mentioned(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = RecoveryDialog(_items(tmp_path), ["A recovery journal entry is damaged"])
    qtbot.addWidget(dialog)
    assert not dialog.problems_label.isHidden()
    assert "damaged" in dialog.problems_label.text()


def test_huge_text_preview_is_cut_and_says_so() -> None:
    entry = _entry("h", "big", "x" * (PREVIEW_LIMIT_CHARS + 5))
    assert preview_text(entry).endswith("[… 5 more characters recovered]")
    assert describe(entry).startswith("big  (untitled, never saved)")


# --- offer_recovery: the start-up step, on a real journal ---------------------------------------


def _crash(data_dir: Path, *entries: JournalEntry) -> None:
    store = JournalStore(data_dir)
    for entry in entries:
        store.write(entry)
    store.close()  # the kernel releases a dead process's lock
    marker = store.session_dir / "session.json"
    marker.write_text(json.dumps({**json.loads(marker.read_text()), "process_started": 1.0}))


def _tick_only(dialog: RecoveryDialog, title: str) -> None:
    for i in range(dialog.entry_list.count()):
        row = dialog.entry_list.item(i)
        ticked = row.data(Qt.ItemDataRole.UserRole).entry.title == title
        row.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)


def test_offer_recovery_recovers_deletes_and_keeps(qtbot: QtBot, tmp_path: Path) -> None:
    _crash(
        tmp_path,
        _entry("r", "to recover", "recover me"),
        _entry("d", "to delete", "delete me"),
        _entry("k", "to keep", "keep me"),
    )
    journal = Journal(JournalStore(tmp_path))

    def writer_decides(dialog: RecoveryDialog) -> None:
        _tick_only(dialog, "to delete")
        dialog.delete_button.click()
        _tick_only(dialog, "to recover")
        dialog.recover_button.click()

    outcome = offer_recovery(journal, run_dialog=writer_decides, confirm_delete=_yes)

    assert [entry.text for entry in outcome.recovered] == ["recover me"]
    assert outcome.recovered[0].buffer_id != "r"  # a fresh id in this session
    left = JournalStore(tmp_path).scan_recoverable().entries  # what the next start would see
    assert [item.entry.text for item in left] == ["keep me"]


def test_offer_recovery_without_a_crash_shows_nothing(tmp_path: Path) -> None:
    def must_not_run(_dialog: RecoveryDialog) -> None:
        raise AssertionError("no dialog after a clean exit")

    outcome = offer_recovery(Journal(JournalStore(tmp_path)), run_dialog=must_not_run)
    assert outcome.recovered == () and outcome.problems == ()


def test_offer_recovery_runs_the_modal_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    _crash(tmp_path, _entry("r", "Untitled 1", "typed before the crash"))
    seen: list[str] = []

    def click_recover() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, RecoveryDialog)
        seen.append(dialog.preview.toPlainText())
        dialog.recover_button.click()

    QTimer.singleShot(0, click_recover)
    outcome = offer_recovery(Journal(JournalStore(tmp_path)), confirm_delete=_never)

    assert seen == ["typed before the crash"]
    assert [entry.text for entry in outcome.recovered] == ["typed before the crash"]


def test_deleting_everything_closes_the_dialog(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = RecoveryDialog(_items(tmp_path), confirm_delete=_yes)
    qtbot.addWidget(dialog)
    dialog.delete_button.click()
    assert dialog.result() == RecoveryDialog.DialogCode.Accepted
    assert len(dialog.decision.to_delete) == 2 and dialog.decision.to_recover == []
    assert dialog.preview.toPlainText() == ""


# --- a file another program changed after the crash -------------------------------------------


def _crash_on_a_file_that_then_changes(tmp_path: Path) -> Path:
    document = tmp_path / "chapter.txt"
    document.write_text("as opened\n", encoding="utf-8")
    based_on = stat_identity(document)
    assert based_on is not None
    based_on = FileIdentity(based_on.size, based_on.mtime_ns, sha256_of_file(document))
    entry = JournalEntry(
        "c", document, "chapter.txt", "as opened\nplus unsaved typing", TextFormat(), 1.0, based_on
    )
    _crash(tmp_path / "data", entry)
    document.write_text("another program's version\n", encoding="utf-8")
    return document


def test_a_changed_file_is_named_in_the_dialog_with_the_choice_where_to_recover(
    qtbot: QtBot, tmp_path: Path
) -> None:
    _crash_on_a_file_that_then_changes(tmp_path)
    (item,) = JournalStore(tmp_path / "data").scan_recoverable().entries
    assert item.disk_change is DiskChange.CHANGED
    dialog = RecoveryDialog([item], confirm_delete=_never)
    qtbot.addWidget(dialog)
    assert "changed on disk" in dialog.entry_list.item(0).text()
    assert not dialog.changed_label.isHidden() and dialog.beside_button.isChecked()
    assert "“chapter (recovered).txt”" in dialog.beside_button.text()  # the name it will get
    # an unchanged file does not get the question
    plain = RecoveryDialog(_items(tmp_path), confirm_delete=_never)
    qtbot.addWidget(plain)
    assert plain.changed_label.isHidden() and plain.untitled_button.isHidden()


def test_a_changed_file_is_recovered_beside_it_and_left_alone(tmp_path: Path) -> None:
    document = _crash_on_a_file_that_then_changes(tmp_path)
    (tmp_path / "chapter (recovered).txt").write_text("an earlier rescue", encoding="utf-8")
    journal = Journal(JournalStore(tmp_path / "data"))

    outcome = offer_recovery(journal, run_dialog=lambda d: d.recover_button.click())

    (entry,) = outcome.recovered
    assert entry.path == tmp_path / "chapter (recovered 2).txt"  # never over another file
    assert entry.title == "chapter (recovered 2).txt"
    assert entry.text == "as opened\nplus unsaved typing"
    assert any("changed by another program" in note for note in outcome.problems)
    assert document.read_text(encoding="utf-8") == "another program's version\n"


def test_a_changed_file_can_be_recovered_as_an_untitled_document(tmp_path: Path) -> None:
    _crash_on_a_file_that_then_changes(tmp_path)
    journal = Journal(JournalStore(tmp_path / "data"))

    def choose_untitled(dialog: RecoveryDialog) -> None:
        dialog.untitled_button.setChecked(True)
        dialog.recover_button.click()

    (entry,) = offer_recovery(journal, run_dialog=choose_untitled).recovered
    assert entry.path is None and entry.title == "chapter (recovered)"
    assert entry.text == "as opened\nplus unsaved typing"


def test_describe_says_when_the_file_changed_or_went_away(tmp_path: Path) -> None:
    entry = _entry("b", "notes.txt", "text", tmp_path / "notes.txt")
    assert "changed on disk" in describe(entry, DiskChange.CHANGED)
    assert "no longer there" in describe(entry, DiskChange.MISSING)
    assert "changed" not in describe(entry, DiskChange.UNCHANGED)
    assert recovered_sibling(tmp_path / "notes.txt") == tmp_path / "notes (recovered).txt"
