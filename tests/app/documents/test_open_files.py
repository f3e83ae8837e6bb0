"""Opening files in the real window: what is not a regular file is refused at once with a
message; a large file is read on a worker with progress (Cancel keeps the writer's text), goes
into the editor whole, without undo history, and above a size the writer is asked first; text
that is not UTF-8 but probably another encoding is offered "Open As"; a PNG stays "binary"."""

from __future__ import annotations

import codecs
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from app_fakes import WAIT_MS
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from penwright.app.documents import file_loading, open_document
from penwright.app.window.main_window import MainWindow
from penwright.models.files import textfile

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX special files")
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def window(make_window: Callable[..., MainWindow]) -> MainWindow:
    window = make_window(load=False)
    window.editor.setPlainText("the writer's own text")
    window.editor.document().setModified(False)
    return window


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make a 300 KB file "large" so the background path runs on a file the test can afford:
    read in 64 KB chunks, shown in 50,000-character slices."""
    monkeypatch.setattr(open_document, "BACKGROUND_ABOVE_BYTES", 100_000)
    monkeypatch.setattr(textfile, "_READ_CHUNK_BYTES", 64 * 1024)
    monkeypatch.setattr(file_loading, "SLICE_CHARS", 50_000)


def big_text() -> str:
    return "".join(f"Line {n}: the harbour woke slowly in winter.\n" for n in range(7000))


def menu_action(window: MainWindow, text: str) -> QAction:
    return next(a for a in window.file_menu.actions() if a.text() == text)


def test_a_named_pipe_is_refused_without_hanging(window: MainWindow, tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("POSIX named pipes")
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    assert not window.open_file(pipe, ask=False)
    assert "pipe.txt is a named pipe, not a regular file" in window.last_notice
    assert window.editor.toPlainText() == "the writer's own text"


@posix_only
def test_dev_zero_and_a_folder_are_refused(window: MainWindow, tmp_path: Path) -> None:
    assert not window.open_file("/dev/zero", ask=False)
    assert "/dev/zero is a device" in window.last_notice
    assert not window.open_file(tmp_path, ask=False)
    assert "is a folder" in window.last_notice
    assert window.editor.toPlainText() == "the writer's own text"
    assert window.file_path is None


@pytest.mark.usefixtures("small_thresholds")
def test_a_large_file_opens_in_the_background_whole_and_without_undo(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "big.txt"
    text = big_text()
    path.write_text(text, encoding="utf-8")
    loading: list[bool] = []
    window.document_loading.connect(lambda: loading.append(window.editor.isReadOnly()))

    with qtbot.waitSignal(window.open_finished, timeout=WAIT_MS) as finished:
        assert window.open_file(path, ask=False)
        assert window.opening
        assert window.editor.isReadOnly()  # nobody types into a half-read file
        assert window.findChild(QProgressDialog) is not None
    assert finished.args == [True]
    assert loading == [True]
    assert window.editor.toPlainText() == text
    assert window.file_path == path.resolve()
    assert not window.editor.document().isModified()
    assert not window.editor.document().isUndoAvailable()  # opening is not an undo step
    assert not window.editor.isReadOnly()
    assert not window.opening
    assert "big.txt" in window.windowTitle()
    assert str(path.resolve()) in window.recent_files()


@pytest.mark.usefixtures("small_thresholds")
def test_cancelling_a_large_opening_keeps_the_writers_text(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.txt"
    path.write_text(big_text(), encoding="utf-8")
    first_chunk_read = threading.Event()
    release = threading.Event()
    real_read = textfile.read_file_bytes

    def read_waiting_after_the_first_chunk(path: Path, **kwargs: object) -> bytes:
        def progress(done: int, total: int) -> None:
            kwargs["progress"](done, total)  # type: ignore[operator]
            first_chunk_read.set()
            release.wait(WAIT_MS / 1000)

        return real_read(path, progress=progress, cancelled=kwargs["cancelled"])  # type: ignore[arg-type]

    monkeypatch.setattr(textfile, "read_file_bytes", read_waiting_after_the_first_chunk)
    with qtbot.waitSignal(window.open_finished, timeout=WAIT_MS) as finished:
        assert window.open_file(path, ask=False)
        qtbot.waitUntil(first_chunk_read.is_set, timeout=WAIT_MS)
        dialog = window.findChild(QProgressDialog)
        assert dialog is not None and dialog.isVisible()
        dialog.findChild(QPushButton).click()  # the writer's Cancel
        release.set()
    assert finished.args == [False]
    assert window.editor.toPlainText() == "the writer's own text"
    assert window.file_path is None
    assert not window.editor.isReadOnly()
    assert "cancelled" in window.statusBar().currentMessage()


def test_above_the_size_limit_the_writer_is_asked_first(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(open_document, "ASK_ABOVE_BYTES", 1000)
    path = tmp_path / "long.txt"
    path.write_text("word " * 1000, encoding="utf-8")  # 5,000 bytes
    asked: list[tuple[str, str]] = []
    answer = False

    def confirm(parent: QWidget | None, name: str, size: str) -> bool:
        asked.append((name, size))
        return answer

    window.confirm_large_file = confirm
    assert not window.open_file(path, ask=False)
    assert asked == [("long.txt", "5 KB")]
    assert window.editor.toPlainText() == "the writer's own text"

    answer = True
    assert window.open_file(path, ask=False)
    assert window.editor.toPlainText() == "word " * 1000


def test_utf16_without_a_mark_is_offered_as_utf16_and_saved_as_it_was(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "diary.txt"
    original = "Dear diary,\r\ntoday it rained.\r\n".encode("utf-16-le")
    path.write_bytes(original)
    offered: list[tuple[str, str]] = []

    def take_the_guess(parent: QWidget | None, message: str, guess: str) -> str:
        offered.append((message, guess))
        return guess

    window.offer_open_as = take_the_guess
    assert window.open_file(path, ask=False)
    [(message, guess)] = offered
    assert "probably UTF-16 LE text without a byte-order mark" in message
    assert "binary" not in message
    assert guess == "utf-16-le"
    assert window.editor.toPlainText() == "Dear diary,\ntoday it rained.\n"

    window.editor.appendPlainText("Sun later.")
    assert window.save()
    assert path.read_bytes() == original + "\r\nSun later.".encode("utf-16-le")  # no BOM added


def test_declining_the_offer_leaves_the_file_closed(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "diary.txt"
    path.write_bytes("Dear diary".encode("utf-16-be"))
    window.offer_open_as = lambda parent, message, guess: None
    assert not window.open_file(path, ask=False)
    assert "probably UTF-16 BE text" in window.last_notice
    assert window.editor.toPlainText() == "the writer's own text"


def test_a_png_is_called_binary_and_nothing_is_offered(window: MainWindow, tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(PNG)
    offered: list[str] = []
    window.offer_open_as = lambda parent, message, guess: offered.append(guess)  # type: ignore[assignment,func-returns-value]
    assert not window.open_file(path, ask=False)
    assert (
        window.last_notice
        == f"{path} looks like a binary file (it contains NUL bytes); not opened."
    )
    assert offered == []


def test_reopen_with_encoding_reads_the_file_again_in_the_chosen_one(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes(codecs.BOM_UTF8 + "naïve café".encode())
    assert window.open_file(path, ask=False)
    chosen: list[tuple[str, str | None]] = []

    def choose(parent: QWidget | None, name: str, suggested: str | None) -> str:
        chosen.append((name, suggested))
        return "cp1252"

    window.choose_encoding = choose
    menu_action(window, "Reopen with &Encoding…").trigger()
    assert chosen == [("old.txt", "utf-8-sig")]
    assert window.editor.toPlainText() == "ï»¿naÃ¯ve cafÃ©"  # the bytes read as Windows-1252
    assert window.file_format.encoding == "cp1252"


def test_reopen_with_encoding_needs_a_file(window: MainWindow) -> None:
    window.choose_encoding = lambda parent, name, suggested: pytest.fail("nothing to reopen")
    menu_action(window, "Reopen with &Encoding…").trigger()
    assert "needs a document that was opened from a file" in window.last_notice


@pytest.mark.usefixtures("small_thresholds")
def test_while_a_large_file_goes_in_half_of_it_is_never_saved_or_left_behind(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    earlier = tmp_path / "earlier.txt"
    earlier.write_text("earlier document", encoding="utf-8")
    assert window.open_file(earlier, ask=False)
    big = tmp_path / "big.txt"
    big.write_text(big_text(), encoding="utf-8")
    small = tmp_path / "small.txt"
    small.write_text("a small file", encoding="utf-8")
    during: list[bool] = []

    def save_and_open_another() -> None:
        during.append(window.save())  # would write part of big.txt over earlier.txt
        during.append(window.open_file(small))  # no question: half a file is nothing to lose

    window.document_loading.connect(save_and_open_another)
    with qtbot.waitSignal(window.document_loading, timeout=WAIT_MS):
        assert window.open_file(big, ask=False)
    assert during == [False, True]
    assert "Wait until the file has opened" in window.last_notice
    assert earlier.read_text(encoding="utf-8") == "earlier document"
    qtbot.waitUntil(lambda: not window.opening, timeout=WAIT_MS)
    assert window.editor.toPlainText() == "a small file"  # the cancelled slices did not return
    assert window.file_path == small.resolve()
    assert not window.editor.isReadOnly()
