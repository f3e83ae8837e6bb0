"""The journal keeps a buffer's sidecar beside its entry and moves it wherever the entry goes."""

from __future__ import annotations

from pathlib import Path

from penwright.app.documents.journal_store import JournalEntry, JournalStore
from penwright.models.files.textfile import TextFormat


def crashed_store(data: Path, sidecar: bytes | None = b'{"format": 1}') -> JournalStore:
    store = JournalStore(data, "old")
    store.begin_session()
    store.write(JournalEntry("buf1", None, "Untitled", "text", TextFormat(), 1.0))
    if sidecar is not None:
        store.write_sidecar("buf1", sidecar)
    store.close()
    return store


def test_adopting_an_entry_brings_its_sidecar(tmp_path: Path) -> None:
    crashed_store(tmp_path)
    store = JournalStore(tmp_path, "new")
    store.begin_session()
    (item,) = store.scan_recoverable().entries
    store.adopt(item, "buf2")
    assert store.read_sidecar("buf2") == b'{"format": 1}'
    assert not (tmp_path / "journal" / "old").exists()  # nothing left behind


def test_an_entry_without_a_sidecar_is_adopted_without_one(tmp_path: Path) -> None:
    crashed_store(tmp_path, sidecar=None)
    store = JournalStore(tmp_path, "new")
    store.begin_session()
    (item,) = store.scan_recoverable().entries
    store.adopt(item, "buf2")
    assert store.read_sidecar("buf2") is None


def test_removing_or_deleting_the_entry_removes_its_sidecar(tmp_path: Path) -> None:
    crashed_store(tmp_path)
    store = JournalStore(tmp_path, "new")
    store.begin_session()
    (item,) = store.scan_recoverable().entries
    store.delete_recoverable(item)
    assert not (tmp_path / "journal" / "old").exists()

    store.write(JournalEntry("buf3", None, "Untitled", "t", TextFormat(), 1.0))
    store.write_sidecar("buf3", b"{}")
    store.remove("buf3")
    assert store.read_sidecar("buf3") is None
    store.write_sidecar("buf4", b"{}")
    store.write_sidecar("buf4", None)
    assert store.read_sidecar("buf4") is None


def test_a_damaged_entry_is_set_aside_with_its_sidecar(tmp_path: Path) -> None:
    crashed_store(tmp_path)
    (tmp_path / "journal" / "old" / "buf1.entry").write_bytes(b"garbage")
    store = JournalStore(tmp_path, "new")
    scan = store.scan_recoverable()
    assert scan.entries == () and len(scan.problems) == 1
    assert (tmp_path / "journal-damaged" / "old-buf1.sidecar.json").read_bytes() == b'{"format": 1}'
