"""Model folders to damage, and a Hugging Face cache to put them in: shared by the catalogue's
tests and Preferences' tests of damaged entries."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path


def save_tiny_llama(folder: Path) -> Path:
    """A 2-layer Llama with random weights saved as safetensors into ``folder``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
    )  # fmt: skip
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def truncated_copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    weights = target / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    return target


def hf_cache_with(folder: Path, hub: Path, repo_id: str) -> Path:
    """``folder`` laid out as huggingface_hub lays out a download (blobs + snapshot links)."""
    repo = hub / f"models--{repo_id.replace('/', '--')}"
    # A commit hash of its own: huggingface_hub deletes revisions by hash, in every repository.
    commit = hashlib.sha1(repo_id.encode()).hexdigest()
    snapshot = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    for number, file in enumerate(sorted(folder.iterdir())):
        blob = repo / "blobs" / f"blob{number}"
        blob.write_bytes(file.read_bytes())
        os.symlink(os.path.relpath(blob, snapshot), snapshot / file.name)
    return repo
