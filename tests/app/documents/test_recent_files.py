"""app.documents.recent_files: newest first, no duplicates, at most eight, only plain strings,
and never a stored object unpickled."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from penwright.app.documents.recent_files import (
    MAX_RECENT_FILES,
    MAX_RECENT_PATH_CHARS,
    MAX_STORED_RECENT_FILES,
    RECENT_FILES_KEY,
    RecentFiles,
)


def test_reopening_a_file_moves_it_to_the_top_without_a_duplicate(tmp_path: Path) -> None:
    recent = RecentFiles(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    for name in ("a.txt", "b.txt", "a.txt"):
        recent.remember(tmp_path / name)
    assert recent.paths() == [str(tmp_path / "a.txt"), str(tmp_path / "b.txt")]


def test_the_list_keeps_the_newest_eight(tmp_path: Path) -> None:
    recent = RecentFiles(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    for i in range(MAX_RECENT_FILES + 3):
        recent.remember(tmp_path / f"{i}.txt")
    assert len(recent.paths()) == MAX_RECENT_FILES
    assert recent.paths()[0] == str(tmp_path / f"{MAX_RECENT_FILES + 2}.txt")


def test_values_that_are_not_text_are_ignored(tmp_path: Path) -> None:
    settings_file = tmp_path / "s.ini"
    settings_file.write_text(
        f"[General]\n{RECENT_FILES_KEY}=@Variant(\\0\\0\\0\\x2\\0\\0\\0\\x5)\n"
    )
    recent = RecentFiles(QSettings(str(settings_file), QSettings.Format.IniFormat))
    assert recent.paths() == []


class _CreatesFile:
    """Unpickling this creates the file: the harmless stand-in for os.system."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "x"))


def test_a_stored_python_object_is_never_unpickled(tmp_path: Path) -> None:
    written, marker = tmp_path / "written.ini", tmp_path / "created-by-pickle"
    writer = QSettings(str(written), QSettings.Format.IniFormat)
    writer.setValue(RECENT_FILES_KEY, _CreatesFile(marker))  # PySide6 pickles it into the file
    writer.sync()
    # A copy: QSettings objects of one file share what it holds, here the live object.
    settings_file = tmp_path / "s.ini"
    settings_file.write_bytes(written.read_bytes())
    assert b"PyObjectWrapper" in settings_file.read_bytes()

    recent = RecentFiles(QSettings(str(settings_file), QSettings.Format.IniFormat))
    assert recent.paths() == []
    recent.remember(tmp_path / "a.txt")  # writing parses the whole file: nothing left to run

    assert not marker.exists()
    assert recent.paths() == [str(tmp_path / "a.txt")]


def test_a_one_item_list_is_read_back(tmp_path: Path) -> None:
    settings_file = tmp_path / "s.ini"
    RecentFiles(QSettings(str(settings_file), QSettings.Format.IniFormat)).remember(
        tmp_path / "only.txt"
    )
    recent = RecentFiles(QSettings(str(settings_file), QSettings.Format.IniFormat))
    assert recent.paths() == [str(tmp_path / "only.txt")]


@pytest.mark.parametrize(
    "stored",
    [
        [f"/d/{i}.txt" for i in range(MAX_STORED_RECENT_FILES + 1)],
        ["/d/a.txt", "/" + "d" * MAX_RECENT_PATH_CHARS],
    ],
    ids=["too many files", "a path too long"],
)
def test_an_oversized_list_is_ignored(tmp_path: Path, stored: list[str]) -> None:
    settings_file = tmp_path / "s.ini"
    writer = QSettings(str(settings_file), QSettings.Format.IniFormat)
    writer.setValue(RECENT_FILES_KEY, stored)
    writer.sync()
    assert RecentFiles(QSettings(str(settings_file), QSettings.Format.IniFormat)).paths() == []


def test_a_stored_list_within_the_bounds_offers_the_newest_eight(tmp_path: Path) -> None:
    settings_file = tmp_path / "s.ini"
    writer = QSettings(str(settings_file), QSettings.Format.IniFormat)
    writer.setValue(RECENT_FILES_KEY, [f"/d/{i}.txt" for i in range(MAX_STORED_RECENT_FILES)])
    writer.sync()
    paths = RecentFiles(QSettings(str(settings_file), QSettings.Format.IniFormat)).paths()
    assert paths == [f"/d/{i}.txt" for i in range(MAX_RECENT_FILES)]
