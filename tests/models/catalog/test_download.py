"""Downloading a hub model: never touches the network in tests."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import huggingface_hub
import pytest

from penwright.models.catalog.download import (
    DownloadCancelled,
    DownloadError,
    DownloadProgress,
    download_model,
)


def test_offline_without_a_cached_copy_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DownloadError, match="HF_HUB_OFFLINE is set and it is not in the local"):
        download_model("tester/not-cached", cache_dir=tmp_path)


def test_an_unreachable_hub_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*args: object, **kwargs: object) -> str:
        raise huggingface_hub.errors.LocalEntryNotFoundError("connection refused")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", unreachable)
    with pytest.raises(DownloadError, match="the Hugging Face Hub cannot be reached"):
        download_model("tester/tiny", cache_dir=tmp_path)


def test_a_malformed_id_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="'not a valid id' is not a Hugging Face model id"):
        download_model("not a valid id", cache_dir=tmp_path)


def _fake_download(folder: Path, chunks: int, cancel_after: threading.Event | None = None) -> Any:
    """Drives tqdm_class the way huggingface_hub does: one aggregated byte bar."""

    def fake(repo_id: str, *, tqdm_class: Any, **kwargs: object) -> str:
        files = tqdm_class(desc="Fetching 1 files", total=1)
        bar = tqdm_class(desc="Reconstructing (incomplete total...)", total=0, unit="B")
        bar.total = 100 * chunks
        for number in range(chunks):
            bar.update(100)
            if cancel_after is not None and number == 0:
                cancel_after.set()
        files.update(1)
        return str(folder)

    return fake


def test_progress_is_reported_in_bytes_of_the_whole_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(huggingface_hub, "snapshot_download", _fake_download(tmp_path, 3))
    reports: list[DownloadProgress] = []
    assert download_model("tester/tiny", progress=reports.append) == tmp_path
    assert [r.downloaded_bytes for r in reports] == [100, 200, 300]
    assert reports[-1].percent == 100.0


def test_cancel_stops_the_download_at_the_next_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cancelled = threading.Event()
    fake = _fake_download(tmp_path, 5, cancel_after=cancelled)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake)
    reports: list[DownloadProgress] = []
    with pytest.raises(DownloadCancelled):
        download_model("tester/tiny", progress=reports.append, cancelled=cancelled)
    assert len(reports) == 1
