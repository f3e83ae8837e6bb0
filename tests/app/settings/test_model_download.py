"""HubDownload: a download off the GUI thread reports progress and its end by signals."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

import penwright.app.settings.model_download
from penwright.app.settings.model_download import HubDownload
from penwright.app.tasks import detach_loop
from penwright.models.catalog.download import DownloadCancelled, DownloadProgress, ProgressCallback


@pytest.fixture(autouse=True)
def background_loop() -> Iterator[None]:
    yield
    detach_loop()


def test_progress_then_finished_arrive_on_the_gui_thread(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloaded_on: list[threading.Thread] = []

    def fake(repo_id: str, progress: ProgressCallback, cancelled: threading.Event) -> Path:
        downloaded_on.append(threading.current_thread())
        progress(DownloadProgress(50, 100))
        progress(DownloadProgress(100, 100))
        return tmp_path

    monkeypatch.setattr(penwright.app.settings.model_download, "download_model", fake)
    download = HubDownload()
    seen: list[tuple[int, bool]] = []
    main_thread = threading.current_thread()
    download.progress.connect(
        lambda p: seen.append((p.downloaded_bytes, threading.current_thread() is main_thread))
    )
    with qtbot.waitSignal(download.finished, timeout=5000) as finished:
        download.start("tester/tiny")
    download.wait()
    assert finished.args == ["tester/tiny", str(tmp_path)]
    assert seen == [(50, True), (100, True)]
    assert downloaded_on and downloaded_on[0] is not main_thread


def test_shutdown_waits_and_then_reports_nothing(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()

    def fake(repo_id: str, progress: ProgressCallback, cancelled: threading.Event) -> Path:
        started.set()
        cancelled.wait(timeout=10)
        raise DownloadCancelled("download cancelled")

    monkeypatch.setattr(penwright.app.settings.model_download, "download_model", fake)
    download = HubDownload()
    download.start("tester/tiny")
    assert started.wait(timeout=5)
    with qtbot.assertNotEmitted(download.cancelled, wait=200):
        download.shutdown()
    assert not download.running


def test_cancel_ends_with_the_cancelled_signal(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = threading.Event()

    def fake(repo_id: str, progress: ProgressCallback, cancelled: threading.Event) -> Path:
        started.set()
        cancelled.wait(timeout=10)  # the download loop, until Cancel
        raise DownloadCancelled("download cancelled")

    monkeypatch.setattr(penwright.app.settings.model_download, "download_model", fake)
    download = HubDownload()
    with qtbot.waitSignal(download.cancelled, timeout=5000) as cancelled:
        download.start("tester/tiny")
        assert started.wait(timeout=5)
        assert download.running
        download.cancel()
    download.wait()
    assert cancelled.args == ["tester/tiny"]
    assert not download.running
