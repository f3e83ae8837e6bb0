"""models.files.line_endings through textfile: a file mixing CRLF, LF and CR is written back byte
for byte after edits elsewhere; lines edited in place keep their ending, new lines take the
file's dominant one; a file with one kind of ending keeps no per-line record at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from penwright.models.files.line_endings import (
    count_newlines,
    record_line_endings,
    restore_line_endings,
)
from penwright.models.files.textfile import read_text_file, write_text_file

MIXED = b"Title\r\n\r\nFirst paragraph,\nwritten on Linux.\r\nSecond, on Windows.\r\nOld Mac\rend"


def _open(tmp_path: Path, data: bytes = MIXED) -> tuple[Path, str, object]:
    path = tmp_path / "mixed.txt"
    path.write_bytes(data)
    text, fmt = read_text_file(path)
    return path, text, fmt


def test_an_unedited_mixed_file_is_saved_byte_for_byte(tmp_path: Path) -> None:
    path, text, fmt = _open(tmp_path)
    write_text_file(path, text, fmt)  # type: ignore[arg-type]
    assert path.read_bytes() == MIXED


def test_an_edit_elsewhere_leaves_every_other_line_ending_as_it_was(tmp_path: Path) -> None:
    path, text, fmt = _open(tmp_path)
    write_text_file(path, text.replace("Second", "2nd"), fmt)  # type: ignore[arg-type]
    assert path.read_bytes() == MIXED.replace(b"Second", b"2nd")


def test_added_lines_take_the_dominant_ending_and_old_lines_keep_theirs(tmp_path: Path) -> None:
    path, text, fmt = _open(tmp_path)
    edited = text.replace("written on Linux.\n", "written on Linux.\nA new line.\nAnother.\n")
    write_text_file(path, edited, fmt)  # type: ignore[arg-type]
    assert path.read_bytes() == MIXED.replace(
        b"written on Linux.\r\n", b"written on Linux.\r\nA new line.\r\nAnother.\r\n"
    )


def test_deleted_lines_take_their_endings_with_them(tmp_path: Path) -> None:
    path, text, fmt = _open(tmp_path)
    write_text_file(path, text.replace("First paragraph,\n", ""), fmt)  # type: ignore[arg-type]
    assert path.read_bytes() == MIXED.replace(b"First paragraph,\n", b"")


def test_lines_moved_and_typed_in_the_middle_keep_their_endings(tmp_path: Path) -> None:
    lines = [f"line {n}".encode() for n in range(40)]
    data = b"".join(line + (b"\n" if n % 3 else b"\r\n") for n, line in enumerate(lines))
    path, text, fmt = _open(tmp_path, data)
    edited = text.replace("line 10\n", "").replace("line 30\n", "line 30\ninserted\nalso\n")
    saved = write_text_file(path, edited, fmt)  # type: ignore[arg-type]
    expected = data.replace(b"line 10\n", b"").replace(
        b"line 30\r\n", b"line 30\r\ninserted\n" + b"also\n"
    )
    assert path.read_bytes() == expected
    # The next save starts from what is on disk now: an untouched document stays the same.
    write_text_file(path, edited, saved)
    assert path.read_bytes() == expected


def test_a_file_with_one_kind_of_ending_keeps_no_record(tmp_path: Path) -> None:
    _, _, fmt = _open(tmp_path, b"a\r\nb\r\nc")
    assert fmt.line_endings is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("raw", ["a\r\nb\nc", "\n\r\n\r", "x\r\n\n", "only\rcr\nlf\r\n"])
def test_restoring_the_unchanged_text_gives_the_raw_text(raw: str) -> None:
    record = record_line_endings(raw, count_newlines(raw))
    assert record is not None
    normalised = raw.replace("\r\n", "\n").replace("\r", "\n")
    assert restore_line_endings(normalised, record, "\n") == raw
