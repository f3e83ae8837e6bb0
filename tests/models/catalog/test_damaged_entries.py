"""A model that cannot be described is listed as damaged, with the reason; the rest are listed."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
from damaged_models import hf_cache_with, save_tiny_llama, truncated_copy

from penwright.models.catalog.listing import ModelKind, list_models
from penwright.models.catalog.removal import delete_cached_model
from penwright.models.errors import ModelLoadError


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


def test_a_truncated_safetensors_in_a_user_folder_is_listed_as_damaged(
    tiny_model: Path, tmp_path: Path
) -> None:
    damaged = truncated_copy(tiny_model, tmp_path / "damaged")
    entries = list_models(
        [str(damaged), str(tiny_model)], hub_cache=tmp_path / "no-cache", include_bundled=False
    )
    assert [e.source for e in entries] == [str(damaged), str(tiny_model)]
    broken, good = entries
    assert broken.kind is ModelKind.FOLDER
    assert broken.problem is not None and "damaged" in broken.problem
    assert str(damaged) in broken.problem and "deserializing header" in broken.problem
    assert good.problem is None and good.parameters


def test_a_truncated_safetensors_in_the_hf_cache_is_listed_as_damaged(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    damaged = truncated_copy(tiny_model, tmp_path / "damaged")
    hf_cache_with(damaged, tmp_path / "hub", "tester/damaged")
    hf_cache_with(tiny_model, tmp_path / "hub", "tester/good")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))

    broken, good = list_models(include_bundled=False)

    assert (broken.source, broken.kind) == ("tester/damaged", ModelKind.HF_CACHE)
    assert broken.name == "tester/damaged"
    assert broken.problem is not None and "damaged" in broken.problem
    assert Path(broken.path).parent.name == "snapshots", "the snapshot folder, for Remove"
    assert good.problem is None and good.source == "tester/good"


def test_a_describer_that_raises_anything_makes_one_damaged_entry(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import penwright.models.catalog.listing as listing

    def explode(folder: Path) -> str:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(listing, "_folder_licence", explode)
    [entry] = list_models([str(tiny_model)], hub_cache=tmp_path / "none", include_bundled=False)
    assert entry.problem == "damaged: unexpected"


def test_a_pickle_behind_a_safetensors_index_is_listed_without_reading_it(
    tiny_model: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "evil"
    folder.mkdir()
    shutil.copy(tiny_model / "config.json", folder)
    (folder / "dummy.safetensors").write_bytes(b"\0")
    (folder / "evil.bin").write_bytes(pickle.dumps({"x": 1}))
    index = {"weight_map": {"x": "evil.bin"}}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index), encoding="utf-8")
    [entry] = list_models([str(folder)], hub_cache=tmp_path / "none", include_bundled=False)
    assert entry.problem is None, "loadable with the pickle opt-in"
    assert entry.parameters is None


def test_a_damaged_cache_entry_can_be_deleted(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    damaged = truncated_copy(tiny_model, tmp_path / "damaged")
    repo = hf_cache_with(damaged, tmp_path / "hub", "tester/damaged")
    hf_cache_with(tiny_model, tmp_path / "hub", "tester/good")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))

    freed = delete_cached_model("tester/damaged")

    assert freed > 0
    assert not repo.exists()
    assert [e.source for e in list_models(include_bundled=False)] == ["tester/good"]
    with pytest.raises(ModelLoadError, match="not in the Hugging Face cache"):
        delete_cached_model("tester/damaged")


def test_a_model_sharing_its_revision_with_another_is_not_deleted_with_it(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # huggingface_hub matches a shared hash in either repository (set order), so try often.
    for attempt in range(6):
        hub = tmp_path / f"hub{attempt}"
        first = hf_cache_with(tiny_model, hub, "tester/first")
        second = hf_cache_with(tiny_model, hub, "tester/second")
        shared = next((first / "snapshots").iterdir()).name
        next((second / "snapshots").iterdir()).rename(second / "snapshots" / shared)
        (second / "refs" / "main").write_text(shared)
        monkeypatch.setenv("HF_HUB_CACHE", str(hub))
        assert delete_cached_model("tester/first") > 0
        assert not first.exists(), "the model asked for goes"
        assert (second / "snapshots" / shared / "config.json").is_file(), "the other stays"
