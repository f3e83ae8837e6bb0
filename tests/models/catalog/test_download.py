"""Downloading a hub model through huggingface_hub's real code, from a Hub on 127.0.0.1.

The server (catalog/hub_server.py) answers the requests snapshot_download makes; nothing here
replaces huggingface_hub's functions, so the progress, Cancel and error paths are the ones a
download from huggingface.co takes.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from catalog.hub_server import COMMIT, HubRepo, HubServer, etag
from huggingface_hub import constants, file_download
from safetensors.numpy import save

from penwright.models.catalog.download import (
    DownloadCancelled,
    DownloadError,
    DownloadProgress,
    download_model,
)

REPO = "tester/tiny"
CHUNK = 64 * 1024  # huggingface_hub reads 10 MiB chunks; a 1 MiB file then arrives in one


def tiny_repo() -> HubRepo:
    weights = save({"embed": np.random.default_rng(0).standard_normal((512, 512), np.float32)})
    config = {"model_type": "llama", "hidden_size": 512, "vocab_size": 512,
              "num_hidden_layers": 0, "num_attention_heads": 8}
    return HubRepo(REPO, {
        "config.json": json.dumps(config).encode(),
        "model.safetensors": weights,  # about 1 MiB: 16 chunks
        "tokenizer_config.json": b'{"model_max_length": 512}',
        "model.gguf": b"GGUF not wanted",  # download_model skips .gguf files
    })


def point_huggingface_hub_at(monkeypatch: pytest.MonkeyPatch, url: str, cache: Path) -> None:
    """HF_ENDPOINT and HF_HUB_CACHE as a user would set them, plus the constants
    huggingface_hub already read from them when it was imported."""
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                        url + "/{repo_id}/resolve/{revision}/{filename}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", True)  # no token leaves
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", CHUNK)


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "hub-cache"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, cache: Path) -> Iterator[HubServer]:
    with HubServer(tiny_repo()) as server:
        point_huggingface_hub_at(monkeypatch, server.url, cache)
        yield server


def wanted_bytes(hub: HubServer) -> int:
    return sum(len(data) for name, data in hub.repo.files.items() if name != "model.gguf")


def partial_files(cache: Path) -> list[Path]:
    return list(cache.rglob("*.incomplete"))


def test_progress_grows_to_the_total_and_the_files_land_in_the_cache(
    hub: HubServer, cache: Path
) -> None:
    reports: list[DownloadProgress] = []

    folder = download_model(REPO, progress=reports.append)

    assert folder == cache / "models--tester--tiny" / "snapshots" / COMMIT
    for name, data in hub.repo.files.items():
        if name != "model.gguf":
            assert (folder / name).read_bytes() == data
    assert not (folder / "model.gguf").exists()
    assert "model.gguf" not in hub.log.fetched()
    weights = hub.repo.files["model.safetensors"]
    assert (cache / "models--tester--tiny" / "blobs" / etag(weights)).stat().st_size == len(weights)

    done = [report.downloaded_bytes for report in reports]
    assert len(reports) >= len(weights) // CHUNK  # reported chunk by chunk, not once at the end
    assert done == sorted(done) and done[0] < wanted_bytes(hub)
    assert reports[-1] == DownloadProgress(wanted_bytes(hub), wanted_bytes(hub))
    assert reports[-1].percent == 100.0


def test_a_second_download_is_served_from_the_cache(hub: HubServer) -> None:
    first = download_model(REPO)
    fetched = len(hub.log.fetched())

    assert download_model(REPO) == first
    assert len(hub.log.fetched()) == fetched  # no file asked for again


def test_cancel_stops_the_download_in_the_middle_of_a_file(hub: HubServer, cache: Path) -> None:
    cancelled = threading.Event()
    weights = len(hub.repo.files["model.safetensors"])
    reports: list[DownloadProgress] = []
    reports_after_cancel: list[DownloadProgress] = []

    def report(progress: DownloadProgress) -> None:
        (reports_after_cancel if cancelled.is_set() else reports).append(progress)
        if progress.downloaded_bytes >= weights // 4:  # the weights are partly on disk
            cancelled.set()

    with pytest.raises(DownloadCancelled):
        download_model(REPO, progress=report, cancelled=cancelled)

    assert reports_after_cancel == []  # the next chunk raised before it could be reported
    assert weights // 4 <= reports[-1].downloaded_bytes < weights
    snapshot = cache / "models--tester--tiny" / "snapshots" / COMMIT
    assert not (snapshot / "model.safetensors").exists()
    assert partial_files(cache) == []  # huggingface_hub drops the half-written file

    # A later download (Cancel not pressed) fetches everything.
    assert (download_model(REPO) / "model.safetensors").stat().st_size == weights


def test_a_server_that_stops_mid_file_gives_a_clear_error(
    hub: HubServer, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights = len(hub.repo.files["model.safetensors"])
    hub.cut_at["model.safetensors"] = weights // 3
    # huggingface_hub resumes a broken stream five times, a second apart; the pause is all
    # this skips (file_download uses its `time` module for nothing else).
    monkeypatch.setattr(file_download, "time", SimpleNamespace(sleep=lambda _seconds: None))

    with pytest.raises(DownloadError, match="the download of tester/tiny broke off") as raised:
        download_model(REPO)

    assert not isinstance(raised.value, DownloadCancelled)
    assert hub.log.fetched().count("model.safetensors") == 6  # the first try and five resumes
    snapshot = cache / "models--tester--tiny" / "snapshots" / COMMIT
    assert not (snapshot / "model.safetensors").exists()
    assert partial_files(cache) == []


def test_an_unknown_model_is_named_in_the_error(hub: HubServer) -> None:
    with pytest.raises(DownloadError, match="there is no model tester/missing on the Hugging"):
        download_model("tester/missing")


def test_an_unreachable_hub_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    point_huggingface_hub_at(monkeypatch, f"http://127.0.0.1:{port}", tmp_path / "hub-cache")
    with pytest.raises(DownloadError, match="the Hugging Face Hub cannot be reached"):
        download_model(REPO)


def test_offline_without_a_cached_copy_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DownloadError, match="HF_HUB_OFFLINE is set and it is not in the local"):
        download_model("tester/not-cached", cache_dir=tmp_path)


def test_a_malformed_id_is_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match="'not a valid id' is not a Hugging Face model id"):
        download_model("not a valid id", cache_dir=tmp_path)
