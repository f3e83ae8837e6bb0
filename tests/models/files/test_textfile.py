"""models.files.textfile: encodings and line endings survive a round trip; non-text is refused
with a message naming the file; a save that cannot be made leaves the old file unchanged."""

from __future__ import annotations

import codecs
import errno
import os
from pathlib import Path

import pytest
from original_file import only_original_left

from penwright.models.files.textfile import (
    NotTextError,
    SaveError,
    TextFormat,
    decode_text,
    encode_text,
    read_text_file,
    write_text_file,
)

SAMPLE = "Première ligne — «café»\nsecond line 漢字 🙂\n\nlast line"


@pytest.mark.parametrize(
    ("encoding", "bom", "newline"),
    [
        ("utf-8", b"", "\n"),
        ("utf-8", b"", "\r\n"),
        ("utf-8", b"", "\r"),
        ("utf-8-sig", b"", "\r\n"),  # the codec itself writes the BOM
        ("utf-16-le", codecs.BOM_UTF16_LE, "\n"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "\r\n"),
    ],
)
def test_round_trip_keeps_every_byte(
    tmp_path: Path, encoding: str, bom: bytes, newline: str
) -> None:
    original = bom + SAMPLE.replace("\n", newline).encode(encoding)
    path = tmp_path / "doc.txt"
    path.write_bytes(original)

    text, fmt = read_text_file(path)

    assert text == SAMPLE  # newlines normalised, no BOM character in the text
    assert fmt == TextFormat(encoding, newline)
    assert encode_text(text, fmt) == original
    write_text_file(path, text, fmt)
    assert path.read_bytes() == original


def test_utf8_bom_is_reported_as_utf8_sig(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(codecs.BOM_UTF8 + b"hello\r\nworld")
    text, fmt = read_text_file(path)
    assert text == "hello\nworld"
    assert fmt == TextFormat("utf-8-sig", "\r\n")


def test_bytes_in_memory_decode_like_a_file() -> None:
    data = codecs.BOM_UTF16_LE + "Line one\r\nLine two".encode("utf-16-le")
    assert decode_text(data) == ("Line one\nLine two", TextFormat("utf-16-le", "\r\n"))


def test_old_mac_line_ends_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "mac.txt"
    path.write_bytes(codecs.BOM_UTF8 + b"Hello\rworld")
    assert read_text_file(path) == ("Hello\nworld", TextFormat("utf-8-sig", "\r"))


def test_edited_crlf_text_is_saved_with_crlf(tmp_path: Path) -> None:
    path = tmp_path / "dos.txt"
    path.write_bytes(b"one\r\ntwo\r\n")
    text, fmt = read_text_file(path)
    write_text_file(path, text + "three\n", fmt)
    assert path.read_bytes() == b"one\r\ntwo\r\nthree\r\n"


def test_mixed_line_endings_take_the_most_frequent(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes(b"a\r\nb\r\nc\nd")
    text, fmt = read_text_file(path)
    assert text == "a\nb\nc\nd"
    assert fmt.newline == "\r\n"
    write_text_file(path, text + "\ne", fmt)
    assert path.read_bytes() == b"a\r\nb\r\nc\nd\r\ne"  # each line's own, the new one CRLF


def test_file_without_line_breaks_defaults_to_lf(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_bytes(b"single line")
    assert read_text_file(path) == ("single line", TextFormat("utf-8", "\n"))


def test_empty_file_is_empty_utf8_text(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert read_text_file(path) == ("", TextFormat())


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"caf\xe9 au lait", "not a UTF-8"),  # Latin-1, not UTF-8
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "not a UTF-16-LE"),  # lone surrogate half
        (b"text with a \x00 inside", "binary"),
        (codecs.BOM_UTF32_LE + "hi".encode("utf-32-le"), "binary"),  # UTF-32 is not misread
    ],
)
def test_non_text_is_refused_with_a_clear_message(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "thing.bin"
    path.write_bytes(content)
    with pytest.raises(NotTextError, match=reason) as caught:
        read_text_file(path)
    assert str(path) in str(caught.value)
    assert path.read_bytes() == content


def test_utf16_without_bom_is_refused_not_misread(tmp_path: Path) -> None:
    path = tmp_path / "nobom16.txt"
    path.write_bytes("hello".encode("utf-16-le"))
    with pytest.raises(NotTextError) as caught:
        read_text_file(path)
    assert caught.value.guess == "utf-16-le"
    assert "binary" not in str(caught.value)


def test_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_text_file(tmp_path / "absent.txt")


def test_new_file_is_created(tmp_path: Path) -> None:
    path = tmp_path / "new.md"
    write_text_file(path, "# Title\n")
    assert path.read_bytes() == b"# Title\n"


def test_a_disk_failure_is_a_save_error_and_the_old_file_stays(
    existing_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(
        SaveError, match=r"Could not save .*draft\.txt: the disk is full\."
    ) as caught:
        write_text_file(existing_file, "A completely different text\n" * 100)
    assert "Saving needs 3 KB free" in str(caught.value)
    only_original_left(existing_file)


def test_unopenable_target_raises_save_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_bytes(b"")
    with pytest.raises(SaveError, match="Could not save"):
        write_text_file(blocker / "draft.txt", "text")


def test_unencodable_text_raises_before_touching_the_file(existing_file: Path) -> None:
    with pytest.raises(SaveError, match="cannot be written as utf-8"):
        write_text_file(existing_file, "half a surrogate \ud800", TextFormat("utf-8", "\r\n"))
    only_original_left(existing_file)


@pytest.mark.parametrize(
    ("fmt", "reason"),
    [(TextFormat("klingon-8", "\n"), "unknown encoding"), (TextFormat("utf-8", "\n\r"), "line")],
)
def test_an_unknown_format_raises_save_error(
    existing_file: Path, fmt: TextFormat, reason: str
) -> None:
    with pytest.raises(SaveError, match=reason):
        write_text_file(existing_file, "x", fmt)
    only_original_left(existing_file)


def test_saving_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write_text_file(link, "new")
    assert link.is_symlink()
    assert target.read_bytes() == b"new"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saving_keeps_the_file_permissions(existing_file: Path) -> None:
    existing_file.chmod(0o640)
    write_text_file(existing_file, "new")
    assert existing_file.stat().st_mode & 0o777 == 0o640
