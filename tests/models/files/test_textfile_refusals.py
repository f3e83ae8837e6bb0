"""models.files.textfile: what is not a regular text file is refused before it is read, with a
message that says what it is (and, for text in another encoding, what it probably is); reading
reports progress and stops when cancelled; a full disk is named with the space a save needs."""

from __future__ import annotations

import codecs
import os
import re
import socket
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from penwright.models.files import textfile
from penwright.models.files.textfile import (
    NotTextError,
    ReadCancelled,
    SaveError,
    SpecialFileError,
    TextFormat,
    read_text_file,
    write_text_file,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX special files")


@posix_only
def test_a_named_pipe_is_refused_at_once_instead_of_waiting_for_a_writer(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    with pytest.raises(SpecialFileError, match=r"pipe\.txt is a named pipe, not a regular file"):
        read_text_file(pipe)


@posix_only
def test_dev_zero_is_refused_instead_of_read_forever() -> None:
    with pytest.raises(SpecialFileError, match="/dev/zero is a device"):
        read_text_file("/dev/zero")


@posix_only
def test_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(SpecialFileError, match="is a socket"):
            read_text_file(path)
    finally:
        server.close()


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecialFileError, match="is a folder"):
        read_text_file(tmp_path)


@posix_only
def test_a_link_to_a_pipe_is_refused_too(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    link = tmp_path / "innocent.txt"
    link.symlink_to(pipe)
    with pytest.raises(SpecialFileError, match="named pipe"):
        read_text_file(link)


@posix_only
def test_a_pipe_swapped_in_after_the_check_is_refused_without_blocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race the non-blocking open is for: the path checked was a file, the one opened a FIFO.
    path = tmp_path / "swapped.txt"
    os.mkfifo(path)
    real_stat = os.stat
    fake = os.stat_result((stat.S_IFREG | 0o644, 0, 0, 1, 0, 0, 5, 0, 0, 0))
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: fake if Path(p) == path else real_stat(p))
    with pytest.raises(SpecialFileError, match="named pipe"):
        read_text_file(path)


def test_a_file_over_the_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"x" * 5000)
    monkeypatch.setattr(textfile, "MAX_TEXT_BYTES", 4096)
    with pytest.raises(NotTextError, match=r"huge\.txt is 5 KB; Penwright opens text files up to"):
        read_text_file(path)


def test_reading_reports_progress_up_to_the_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(textfile, "_READ_CHUNK_BYTES", 1000)
    path = tmp_path / "doc.txt"
    path.write_bytes(b"line\n" * 900)  # 4500 bytes: five chunks
    seen: list[tuple[int, int]] = []
    text, _ = read_text_file(path, progress=lambda done, total: seen.append((done, total)))
    assert text == "line\n" * 900
    assert seen == [(1000, 4500), (2000, 4500), (3000, 4500), (4000, 4500), (4500, 4500)]


def test_a_cancelled_read_raises_and_returns_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(textfile, "_READ_CHUNK_BYTES", 1000)
    path = tmp_path / "doc.txt"
    path.write_bytes(b"x" * 5000)
    cancelled = threading.Event()

    def cancel_after_the_second_chunk(done: int, total: int) -> None:
        if done >= 2000:
            cancelled.set()

    with pytest.raises(ReadCancelled):
        read_text_file(path, progress=cancel_after_the_second_chunk, cancelled=cancelled)


@pytest.mark.parametrize(
    ("text", "codec", "guess", "label"),
    [
        ("Dear diary,\r\ntoday it rained.\r\n", "utf-16-le", "utf-16-le", "UTF-16 LE"),
        ("Dear diary,\ntoday it rained.\n", "utf-16-be", "utf-16-be", "UTF-16 BE"),
    ],
)
def test_utf16_without_a_mark_is_named_and_a_guess_offered(
    tmp_path: Path, text: str, codec: str, guess: str, label: str
) -> None:
    path = tmp_path / "diary.txt"
    path.write_bytes(text.encode(codec))
    with pytest.raises(NotTextError) as caught:
        read_text_file(path)
    assert caught.value.guess == guess
    assert f"it is probably {label} text without a byte-order mark" in str(caught.value)
    assert "Open As…" in str(caught.value)
    assert "binary" not in str(caught.value)


def test_a_png_is_still_called_binary_with_no_guess(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    # A real PNG's start: signature, IHDR chunk of a 1x1 image, then compressed data.
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
        b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05"
        b"\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    with pytest.raises(NotTextError, match=r"photo\.txt looks like a binary file") as caught:
        read_text_file(path)
    assert caught.value.guess is None


def test_legacy_text_gets_a_guess_that_decodes_it(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    original = "Le café était crème, la tête à l'envers, déjà fâché.\n" * 3
    path.write_bytes(original.encode("cp1252"))
    with pytest.raises(NotTextError, match="is not a UTF-8 text file") as caught:
        read_text_file(path)
    assert caught.value.guess is not None  # charset-normalizer's guess: a cp125x or Latin code
    assert "(a guess)" in str(caught.value)
    read_text_file(path, encoding=caught.value.guess)  # the guess opens it


def test_opening_as_utf16_without_a_mark_saves_without_one(tmp_path: Path) -> None:
    path = tmp_path / "nobom.txt"
    original = "one\r\ntwo\r\n".encode("utf-16-le")
    path.write_bytes(original)
    text, fmt = read_text_file(path, encoding="utf-16-le")
    assert text == "one\ntwo\n"
    assert fmt == TextFormat("utf-16-le", "\r\n", bom=False)
    write_text_file(path, text, fmt)
    assert path.read_bytes() == original


def test_opening_as_the_encoding_its_mark_names_keeps_the_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    original = codecs.BOM_UTF16_BE + "hi\n".encode("utf-16-be")
    path.write_bytes(original)
    text, fmt = read_text_file(path, encoding="UTF-16BE")
    assert (text, fmt) == ("hi\n", TextFormat("utf-16-be", "\n"))
    write_text_file(path, text, fmt)
    assert path.read_bytes() == original


def test_opening_in_an_encoding_that_does_not_fit_says_so(tmp_path: Path) -> None:
    path = tmp_path / "utf8.txt"
    path.write_bytes("naïve".encode())
    with pytest.raises(NotTextError, match="is not ASCII text"):
        read_text_file(path, encoding="ascii")
    with pytest.raises(NotTextError, match="not an encoding Penwright knows"):
        read_text_file(path, encoding="klingon")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB file system (tmpfs), so a save meets ENOSPC from the kernel itself."""
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


@posix_only
def test_saving_onto_a_full_disk_names_the_cause_and_the_space_needed(small_disk: Path) -> None:
    path = small_disk / "novel.txt"
    path.write_bytes(b"the old text\n" * 1000)  # 13 KB, the file that must survive
    with pytest.raises(SaveError) as caught:
        write_text_file(path, "a much longer text\n" * 100_000)  # 1.9 MB on a 1 MB disk
    message = str(caught.value)
    assert "novel.txt: the disk is full" in message
    assert "Saving needs 1.8 MB free" in message
    assert "Unknown error" not in message
    # The disk's real free space (counted after the attempt), and what is missing.
    found = re.search(r"and (\d+) KB is free; free at least (\d+) KB or save elsewhere", message)
    assert found is not None, message
    free_kb, missing_kb = int(found[1]), int(found[2])
    assert 500 < free_kb <= 1024
    assert abs(free_kb + missing_kb - 1_900_000 / 1024) <= 1
    assert path.read_bytes() == b"the old text\n" * 1000
    assert [p.name for p in small_disk.iterdir()] == ["novel.txt"]  # no temporary left
