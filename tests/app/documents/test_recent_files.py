"""app.documents.recent_files: newest first, no duplicates, at most eight, only plain strings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from penwright.app.documents.recent_files import MAX_RECENT_FILES, RECENT_FILES_KEY, RecentFiles


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
    settings_file.write_text(f"[General]\n{RECENT_FILES_KEY}=@Variant(\\0\\0\\0\\x2\\0\\0\\0\\x5)\n")
    recent = RecentFiles(QSettings(str(settings_file), QSettings.Format.IniFormat))
    assert recent.paths() == []
