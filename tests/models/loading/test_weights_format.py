"""The weights format comes from every file the model will load, never from "a .safetensors
exists": a pickle behind a safetensors index is refused before torch.load is ever called."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from penwright.models.errors import ModelLoadError
from penwright.models.loading.loader import LoadedModel, load_model
from penwright.models.spec import ModelSpec


class _Payload:
    """A pickle that creates a file when unpickled: what an attacker's checkpoint would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


@pytest.fixture(scope="module")
def tiny_folder(tiny_gemma: LoadedModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-gemma")
    tiny_gemma.model.save_pretrained(folder)
    tiny_gemma.tokenizer.save_pretrained(folder)
    return folder


def evil_folder(tmp_path: Path, tiny_folder: Path, weights_name: str = "evil.bin") -> Path:
    folder = tmp_path / "evil"
    folder.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tiny_folder / name, folder)
    (folder / "dummy.safetensors").write_bytes(b"\0")
    with (folder / weights_name).open("wb") as f:
        pickle.dump({"model.embed_tokens.weight": _Payload(tmp_path / "PWNED")}, f)
    return folder


@pytest.fixture
def torch_load_forbidden(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    calls: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args[0] if args else None)
        raise AssertionError("torch.load was called")

    monkeypatch.setattr(torch, "load", refuse)
    return calls


def write_index(folder: Path, names: list[str]) -> None:
    weight_map = {f"tensor.{i}": name for i, name in enumerate(names)}
    index = {"metadata": {"total_size": 1}, "weight_map": weight_map}
    (folder / "model.safetensors.index.json").write_text(json.dumps(index), encoding="utf-8")


def test_a_safetensors_index_pointing_at_a_pickle_is_refused_before_torch_load(
    tmp_path: Path, tiny_folder: Path, torch_load_forbidden: list[object]
) -> None:
    folder = evil_folder(tmp_path, tiny_folder)
    write_index(folder, ["evil.bin"])
    with pytest.raises(ModelLoadError) as caught:
        load_model(ModelSpec(source=str(folder), device="cpu", precision="fp32"))
    message = str(caught.value)
    assert "pickle" in message and "evil.bin" in message and str(folder) in message
    assert "refuses" in message
    assert torch_load_forbidden == []
    assert not (tmp_path / "PWNED").exists()


def test_one_pickle_shard_among_safetensors_shards_makes_the_checkpoint_a_pickle(
    tmp_path: Path, tiny_folder: Path, torch_load_forbidden: list[object]
) -> None:
    folder = evil_folder(tmp_path, tiny_folder)
    write_index(folder, ["dummy.safetensors", "evil.bin", "dummy.safetensors"])
    with pytest.raises(ModelLoadError, match="pickle"):
        load_model(ModelSpec(source=str(folder), device="cpu", precision="fp32"))
    assert torch_load_forbidden == []


def test_config_transformers_weights_naming_a_pickle_is_refused(
    tmp_path: Path, tiny_folder: Path, torch_load_forbidden: list[object]
) -> None:
    folder = evil_folder(tmp_path, tiny_folder, weights_name="adapter_model.bin")
    shutil.copy(tiny_folder / "model.safetensors", folder)  # a decoy transformers would skip
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["transformers_weights"] = "adapter_model.bin"
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelLoadError, match=r"pickle.*adapter_model\.bin"):
        load_model(ModelSpec(source=str(folder), device="cpu", precision="fp32"))
    assert torch_load_forbidden == []


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["../outside.safetensors"], "outside the model folder"),
        (["missing-00001.safetensors"], "missing-00001.safetensors, which is missing"),
    ],
    ids=["outside", "missing"],
)
def test_an_index_naming_a_bad_shard_is_refused_by_name(
    tmp_path: Path, tiny_folder: Path, names: list[str], expected: str
) -> None:
    folder = evil_folder(tmp_path, tiny_folder)
    (tmp_path / "outside.safetensors").write_bytes(b"\0")
    write_index(folder, names)
    with pytest.raises(ModelLoadError, match=expected):
        load_model(ModelSpec(source=str(folder), device="cpu", precision="fp32"))


def test_an_allowed_pickle_that_needs_code_is_refused_without_torch_advice(
    tmp_path: Path, tiny_folder: Path
) -> None:
    folder = evil_folder(tmp_path, tiny_folder, weights_name="pytorch_model.bin")
    spec = ModelSpec(source=str(folder), device="cpu", precision="fp32", allow_pickle=True)
    with pytest.raises(ModelLoadError) as caught:
        load_model(spec)
    message = str(caught.value)
    assert "pickle" in message and "refuses" in message and str(folder) in message
    assert "weights_only" not in message, "never coach the writer toward the unsafe option"
    assert not (tmp_path / "PWNED").exists()


def test_sharded_safetensors_still_load(
    tmp_path: Path, tiny_gemma: LoadedModel, torch_load_forbidden: list[object]
) -> None:
    folder = tmp_path / "sharded"
    tiny_gemma.model.save_pretrained(folder, max_shard_size="20MB")
    tiny_gemma.tokenizer.save_pretrained(folder)
    assert (folder / "model.safetensors.index.json").is_file()
    loaded = load_model(ModelSpec(source=str(folder), device="cpu", precision="fp32"))
    ids = torch.tensor([[2, 100, 200]])
    with torch.inference_mode():
        torch.testing.assert_close(loaded.model(ids).logits, tiny_gemma.model(ids).logits)
    assert torch_load_forbidden == []
