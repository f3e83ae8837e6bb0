"""Saving from the real window: a file mixing CRLF and LF lines comes back byte for byte after an
edit elsewhere; a full disk (a real 1 MB tmpfs) is named with the space needed, and the writer's
text and the old file both stay."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from penwright.app.window.main_window import MainWindow

MIXED = (
    b"Chapter One\r\n\r\nWritten on Windows,\r\nthen edited on Linux.\nA pasted line\n"
    b"and the last one\r\n"
)


def test_mixed_line_endings_survive_an_edit_byte_for_byte(
    qtbot: QtBot, make_window: Callable[..., MainWindow], tmp_path: Path
) -> None:
    window = make_window(load=False)
    path = tmp_path / "mixed.txt"
    path.write_bytes(MIXED)
    assert window.open_file(path, ask=False)
    cursor = window.editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Start)
    cursor.movePosition(QTextCursor.MoveOperation.EndOfLine)
    window.editor.setTextCursor(cursor)
    qtbot.keyClicks(window.editor, ", revised")  # an edit on the first line only
    assert window.save()
    assert path.read_bytes() == MIXED.replace(b"Chapter One", b"Chapter One, revised")

    window.editor.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(window.editor, "A new line")  # typed after the last CRLF
    assert window.save()
    assert path.read_bytes() == MIXED.replace(b"Chapter One", b"Chapter One, revised") + (
        b"A new line"
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB file system (tmpfs), so the save meets ENOSPC from the kernel itself."""
    if os.name != "posix":
        pytest.skip("tmpfs is Linux")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace')}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_saving_onto_a_full_disk_says_so_and_keeps_everything(
    make_window: Callable[..., MainWindow], small_disk: Path
) -> None:
    window = make_window(load=False)
    path = small_disk / "novel.txt"
    path.write_bytes(b"the old text\n")
    assert window.open_file(path, ask=False)
    text = "a much longer text\n" * 100_000  # 1.9 MB on a 1 MB disk
    window.editor.selectAll()
    window.editor.insertPlainText(text)  # an edit, as typing or pasting would make
    assert not window.save()
    assert "novel.txt: the disk is full. Saving needs 1.8 MB free on" in window.last_notice
    assert "or save elsewhere with Save As" in window.last_notice
    assert path.read_bytes() == b"the old text\n"
    assert window.editor.document().isModified()  # still unsaved work, still in the editor
    assert window.editor.toPlainText() == text
