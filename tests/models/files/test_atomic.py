"""models.files.atomic: a write replaces the whole file or nothing; a failure at any step leaves
the old file byte-for-byte as it was, no temporary behind, and an error naming the file."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from original_file import only_original_left

from penwright.models.files.atomic import sync_directory, write_atomically


def test_a_new_file_is_created_with_the_data(tmp_path: Path) -> None:
    path = tmp_path / "new.bin"
    write_atomically(path, b"\x00\x01 all the bytes\r\n")
    assert path.read_bytes() == b"\x00\x01 all the bytes\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["new.bin"]


def test_an_existing_file_is_replaced_whole(existing_file: Path) -> None:
    write_atomically(existing_file, b"short")
    assert existing_file.read_bytes() == b"short"
    assert [p.name for p in existing_file.parent.iterdir()] == [existing_file.name]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saving_keeps_the_file_permissions(existing_file: Path) -> None:
    existing_file.chmod(0o640)
    write_atomically(existing_file, b"new")
    assert stat.S_IMODE(existing_file.stat().st_mode) == 0o640


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_read_only_file_is_replaced_and_stays_read_only(existing_file: Path) -> None:
    existing_file.chmod(0o444)
    write_atomically(existing_file, b"new")
    assert existing_file.read_bytes() == b"new"
    assert stat.S_IMODE(existing_file.stat().st_mode) == 0o444


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_new_file_gets_the_usual_permissions_not_a_temporary_files(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "new.txt", b"x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644


def test_writing_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write_atomically(link, b"new")
    assert link.is_symlink()
    assert target.read_bytes() == b"new"


def test_a_full_disk_midway_leaves_the_old_file(
    existing_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write

    def write_half_then_fail(descriptor: int, data: bytes) -> int:
        if len(data) > 4:
            return real_write(descriptor, data[: len(data) // 2])  # a short write: retried
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", write_half_then_fail)
    with pytest.raises(OSError, match="No space left") as caught:
        write_atomically(existing_file, b"A completely different text\n" * 100)
    assert caught.value.errno == errno.ENOSPC
    assert caught.value.filename == str(existing_file)  # the file, not the temporary
    only_original_left(existing_file)


def test_short_writes_are_continued_until_everything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real_write(fd, bytes(data[:3])))
    write_atomically(tmp_path / "slow.txt", b"0123456789" * 5)
    assert (tmp_path / "slow.txt").read_bytes() == b"0123456789" * 5


def test_a_failed_sync_leaves_the_old_file(
    existing_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_fsync(descriptor: int) -> None:
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError) as caught:
        write_atomically(existing_file, b"replacement")
    assert caught.value.errno == errno.EIO and caught.value.filename == str(existing_file)
    only_original_left(existing_file)


def test_a_failed_rename_leaves_the_old_file(
    existing_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing_replace(source: object, target: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(PermissionError) as caught:
        write_atomically(existing_file, b"replacement")
    assert caught.value.filename == str(existing_file)
    only_original_left(existing_file)


def test_an_interrupt_midway_removes_the_temporary_and_propagates(
    existing_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(descriptor: int, data: bytes) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(existing_file, b"replacement")
    only_original_left(existing_file)


def test_a_missing_folder_is_a_file_not_found_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "no-such-folder" / "draft.txt"
    with pytest.raises(FileNotFoundError) as caught:
        write_atomically(path, b"text")
    assert caught.value.filename == str(path)


def test_a_file_in_place_of_the_folder_is_an_oserror(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_bytes(b"")
    with pytest.raises(OSError):
        write_atomically(blocker / "draft.txt", b"text")


@pytest.mark.skipif(os.name != "posix", reason="folders are synced on POSIX only")
def test_the_data_is_synced_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def recording_fsync(descriptor: int) -> None:
        events.append("sync folder" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "sync file")
        real_fsync(descriptor)

    def recording_replace(source: str, target: str) -> None:
        events.append("rename")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    monkeypatch.setattr(os, "replace", recording_replace)
    write_atomically(tmp_path / "kept.txt", b"kept through a power cut")
    assert events == ["sync file", "rename", "sync folder"]


def test_syncing_a_folder_that_cannot_be_opened_does_not_raise(tmp_path: Path) -> None:
    sync_directory(tmp_path / "gone")
    sync_directory(tmp_path)


def test_the_temporary_over_a_private_file_is_never_readable_by_others(
    existing_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing_file.chmod(0o600)
    created: list[int] = []
    real_open = os.open

    def recording_open(path: str | os.PathLike[str], flags: int, mode: int = 0o777) -> int:
        if flags & os.O_CREAT:
            created.append(mode)
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", recording_open)
    write_atomically(existing_file, b"secret draft")
    assert created == [0o600]
    assert stat.S_IMODE(existing_file.stat().st_mode) == 0o600


def test_a_drive_that_refuses_permissions_still_saves(
    existing_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(descriptor: int, mode: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "fchmod", refuse)
    write_atomically(existing_file, b"new text")
    assert existing_file.read_bytes() == b"new text"
