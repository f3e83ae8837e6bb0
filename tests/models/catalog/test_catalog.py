"""The model catalogue: what it lists, the figures it reads from headers, the memory estimate."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from penwright.models.catalog.listing import (
    BUNDLED_LICENCE,
    ModelKind,
    describe_path,
    estimate_memory,
    format_parameters,
    list_models,
)
from penwright.models.spec import DEFAULT_MODEL


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A 2-layer Llama with random weights saved as safetensors; returns (folder, parameters)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
    )
    model = LlamaForCausalLM(config)
    folder = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(folder)
    (folder / "README.md").write_text("---\nlicense: apache-2.0\n---\n# tiny\n", encoding="utf-8")
    return folder, sum(p.numel() for p in model.parameters())


def _disk_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_a_user_folder_is_listed_with_its_parameter_count_size_and_context(
    tiny_model: tuple[Path, int],
) -> None:
    folder, parameters = tiny_model
    [entry] = list_models([str(folder)], hub_cache=folder / "no-cache", include_bundled=False)
    assert entry.kind is ModelKind.FOLDER
    assert entry.source == str(folder)
    assert entry.parameters == parameters
    assert entry.size_bytes == _disk_size(folder)
    assert entry.context_length == 256
    assert (entry.layers, entry.kv_heads, entry.head_dim) == (2, 2, 8)
    assert entry.licence == "apache-2.0"
    assert entry.problem is None


def test_models_in_the_hf_cache_are_found_through_hf_home(
    tiny_model: tuple[Path, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, parameters = tiny_model
    repo = tmp_path / "hf-home" / "hub" / "models--tester--tiny-llama"
    snapshot = repo / "snapshots" / "0123abcd"
    (repo / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    for number, file in enumerate(sorted(folder.iterdir())):
        blob = repo / "blobs" / f"blob{number}"
        blob.write_bytes(file.read_bytes())
        os.symlink(os.path.relpath(blob, snapshot), snapshot / file.name)
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))

    [entry] = list_models(include_bundled=False)

    assert entry.kind is ModelKind.HF_CACHE
    assert entry.source == entry.name == "tester/tiny-llama"
    assert entry.parameters == parameters
    assert entry.size_bytes == _disk_size(folder)


def test_the_bundled_default_comes_first_with_gemma_terms(tmp_path: Path) -> None:
    entries = list_models(hub_cache=tmp_path)
    bundled = entries[0]
    assert bundled.source == DEFAULT_MODEL
    assert bundled.kind is ModelKind.BUNDLED
    assert bundled.parameters == 268_098_176  # Gemma 3 270M, as llama.cpp counts it
    assert bundled.context_length == 32768
    assert 240_000_000 < bundled.size_bytes < 270_000_000
    assert bundled.licence == BUNDLED_LICENCE


def test_a_gguf_file_is_described_from_its_header(tmp_path: Path) -> None:
    import gguf

    path = tmp_path / "mini.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("Mini")
    writer.add_context_length(4096)
    writer.add_block_count(3)
    writer.add_head_count(4)
    writer.add_head_count_kv(1)
    writer.add_embedding_length(64)
    writer.add_string("general.license", "mit")
    writer.add_token_list(["a", "b", "c"])  # an array the reader must skip
    writer.add_tensor("token_embd.weight", np.zeros((10, 64), dtype=np.float32))
    writer.add_tensor("output.weight", np.zeros((10, 64), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    entry = describe_path(str(path))

    assert entry.kind is ModelKind.GGUF
    assert (entry.name, entry.parameters, entry.context_length) == ("Mini", 1280, 4096)
    assert (entry.layers, entry.kv_heads, entry.head_dim) == (3, 1, 16)
    assert entry.licence == "mit"
    assert entry.size_bytes == path.stat().st_size


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("missing", None, "model folder not found"),
        ("missing.gguf", None, "GGUF file not found"),
        ("broken.gguf", b"not a gguf at all", "not a valid GGUF file"),
        ("empty-folder", b"", "has no config.json"),
    ],
)
def test_a_broken_user_path_is_listed_with_its_problem(
    tmp_path: Path, name: str, content: bytes | None, problem: str
) -> None:
    path = tmp_path / name
    if content == b"":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    entry = describe_path(str(path))
    assert entry.problem is not None and problem in entry.problem
    assert entry.parameters is None


def test_memory_estimate_scales_with_precision_and_counts_the_kv_cache(
    tiny_model: tuple[Path, int],
) -> None:
    folder, parameters = tiny_model
    entry = describe_path(str(folder))
    fp32 = estimate_memory(entry, "cpu", "fp32", context_tokens=128)
    bf16 = estimate_memory(entry, "cuda", "auto", context_tokens=128)
    int8 = estimate_memory(entry, "cpu", "auto", context_tokens=128)
    assert fp32 is not None and bf16 is not None and int8 is not None
    assert fp32.weights_bytes == 4 * parameters
    assert bf16.weights_bytes == 2 * parameters
    assert int8.weights_bytes == parameters  # auto on the CPU is int8
    assert int8.kv_cache_bytes == bf16.kv_cache_bytes  # an int8 model computes in bf16
    # K and V, 2 layers, 2 KV heads of 8 dims, 128 tokens, 4 bytes each
    assert fp32.kv_cache_bytes == 2 * 2 * 2 * 8 * 128 * 4
    longer = estimate_memory(entry, "cpu", "fp32", context_tokens=10_000)
    assert longer is not None and longer.kv_cache_bytes == fp32.kv_cache_bytes * 2  # capped at 256
    assert fp32.total_bytes > fp32.weights_bytes + fp32.kv_cache_bytes


def test_parameter_counts_read_like_model_names() -> None:
    assert format_parameters(268_098_176) == "268M"
    assert format_parameters(1_500_000_000) == "1.5B"
    assert format_parameters(None) == "unknown"
