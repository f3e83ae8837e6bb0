"""app.documents.file_watch: external changes are noticed however the other program saves; the
editor's own
saves and content-free touches are not reported."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from penwright.app.documents.file_watch import FileWatcher
from penwright.models.files.textfile import write_text_file

QUIET_MS = 400  # how long "nothing is reported" is watched for


@pytest.fixture
def watcher(qtbot: QtBot) -> Iterator[FileWatcher]:
    watcher = FileWatcher(settle_ms=20)
    yield watcher
    watcher.deleteLater()


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "chapter.txt"
    path.write_text("Original chapter.\n")
    return path


def test_in_place_write_is_reported(qtbot: QtBot, watcher: FileWatcher, document: Path) -> None:
    watcher.watch(document)
    with qtbot.waitSignal(watcher.changed_on_disk, timeout=5000) as changed:
        document.write_text("Rewritten by another program.\n")
    assert changed.args == [str(document)]


def test_save_by_rename_is_reported_and_watching_continues(
    qtbot: QtBot, watcher: FileWatcher, document: Path
) -> None:
    watcher.watch(document)
    replacement = document.with_name(".chapter.txt.swp")
    replacement.write_text("Saved by rename.\n")
    with qtbot.waitSignal(watcher.changed_on_disk, timeout=5000) as changed:
        os.replace(replacement, document)
    assert changed.args == [str(document)]
    # An in-place write raises no directory event: only a watch on the new inode sees it.
    with (
        qtbot.waitSignal(watcher.changed_on_disk, timeout=5000) as changed,
        open(document, "r+") as stream,
    ):
        stream.write("Then edited in place.")
    assert changed.args == [str(document)]


def test_vim_style_backup_then_write_is_reported_once(
    qtbot: QtBot, watcher: FileWatcher, document: Path
) -> None:
    reports: list[str] = []
    watcher.changed_on_disk.connect(reports.append)
    watcher.watch(document)
    backup = document.with_name("chapter.txt~")
    with qtbot.waitSignal(watcher.changed_on_disk, timeout=5000):
        os.rename(document, backup)
        document.write_text("Written fresh after moving the original away.\n")
        backup.unlink()
    with qtbot.assertNotEmitted(watcher.changed_on_disk, wait=QUIET_MS):
        pass
    assert reports == [str(document)]


def test_own_save_is_not_reported(qtbot: QtBot, watcher: FileWatcher, document: Path) -> None:
    watcher.watch(document)
    with qtbot.assertNotEmitted(watcher.changed_on_disk, wait=QUIET_MS):
        write_text_file(document, "Saved by Penwright itself.\n")
        watcher.note_saved(document)
    with qtbot.waitSignal(watcher.changed_on_disk, timeout=5000):  # still watching afterwards
        document.write_text("Then changed elsewhere.\n")


def test_touch_without_new_content_is_not_reported(
    qtbot: QtBot, watcher: FileWatcher, document: Path
) -> None:
    watcher.watch(document)
    with qtbot.assertNotEmitted(watcher.changed_on_disk, wait=QUIET_MS):
        document.write_text(document.read_text())
        os.utime(document, ns=(1, 1))


def test_deletion_is_reported_and_recreation_too(
    qtbot: QtBot, watcher: FileWatcher, document: Path
) -> None:
    watcher.watch(document)
    with qtbot.waitSignal(watcher.removed_from_disk, timeout=5000) as removed:
        document.unlink()
    assert removed.args == [str(document)]
    with qtbot.waitSignal(watcher.changed_on_disk, timeout=5000):
        document.write_text("Back again.\n")


def test_unwatched_file_is_not_reported(
    qtbot: QtBot, watcher: FileWatcher, document: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.txt"
    other.write_text("other")
    watcher.watch(document)
    watcher.watch(other)
    watcher.unwatch(document)
    assert watcher.watched_paths() == [str(other)]
    with qtbot.waitSignal(watcher.changed_on_disk, timeout=5000) as changed:
        document.write_text("Not watched any more.\n")
        other.write_text("Still watched.\n")
    assert changed.args == [str(other)]


def test_unwatching_everything_releases_the_directory(watcher: FileWatcher, document: Path) -> None:
    watcher.watch(document)
    watcher.watch(document)  # watching twice is harmless
    watcher.unwatch(document)
    watcher.unwatch(document)
    assert watcher.watched_paths() == []
    assert watcher._watcher.files() == [] and watcher._watcher.directories() == []


def test_two_files_in_one_directory_are_told_apart(
    qtbot: QtBot, watcher: FileWatcher, document: Path, tmp_path: Path
) -> None:
    sibling = tmp_path / "notes.md"
    sibling.write_text("notes")
    watcher.watch(document)
    watcher.watch(sibling)
    with qtbot.waitSignal(watcher.changed_on_disk, timeout=5000) as changed:
        sibling.write_text("new notes")
    assert changed.args == [str(sibling)]
