"""LoRA adapters: attached with peft for training, merged into plain weights by hand for use.

Training uses peft (``get_peft_model``). What is stored is only the LoRA matrices as plain
safetensors with their rank and scale in the metadata; using a style merges them into the base
model's float weights (W += scale * B @ A) before the loader quantizes the model as it does the
base, so a style decodes exactly as fast as its base model and needs neither peft nor pickle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_PEFT_PREFIX = "base_model.model."


class AdapterError(Exception):
    """An adapter file cannot be merged into this model."""


def attach_lora(model: Any, rank: int, alpha: int) -> Any:
    """The peft model around ``model`` with trainable LoRA matrices on TARGET_MODULES."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=rank,
        lora_alpha=alpha,
        lora_dropout=0.0,  # short runs on small corpora: dropout only slows learning here
        target_modules=list(TARGET_MODULES),
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def adapter_state(peft_model: Any) -> dict[str, torch.Tensor]:
    """The LoRA matrices by module name ("model.layers.0.self_attn.q_proj.lora_A")."""
    state: dict[str, torch.Tensor] = {}
    for name, parameter in peft_model.named_parameters():
        if "lora_" not in name:
            continue
        key = name.removeprefix(_PEFT_PREFIX).replace(".default.weight", "")
        state[key] = parameter.detach().to("cpu", torch.float32).contiguous().clone()
    return state


def save_adapter(path: Path, state: dict[str, torch.Tensor], rank: int, alpha: float) -> None:
    save_file(state, str(path), metadata={"rank": str(rank), "alpha": str(alpha)})


def merge_adapter(model: Any, path: Path) -> int:
    """Add the adapter at ``path`` into the float linears of ``model``; returns how many."""
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            state = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118 (not a dict)
    except (OSError, SafetensorError) as error:
        raise AdapterError(f"the adapter {path} cannot be read: {error}") from None
    try:
        scale = float(metadata["alpha"]) / float(metadata["rank"])
    except (KeyError, ValueError, ZeroDivisionError):
        raise AdapterError(f"the adapter {path} has no rank and alpha in its metadata") from None
    modules = dict(model.named_modules())
    merged = 0
    with torch.no_grad():
        for key in sorted(state):
            if not key.endswith(".lora_A"):
                continue
            name = key.removesuffix(".lora_A")
            module = modules.get(name)
            down, up = state[key], state.get(name + ".lora_B")
            if module is None or up is None or not isinstance(module, torch.nn.Linear):
                raise AdapterError(f"the adapter {path} does not fit this model ({name})")
            delta = (up.float() @ down.float()) * scale
            if delta.shape != module.weight.shape:
                raise AdapterError(f"the adapter {path} does not fit this model ({name} shape)")
            module.weight += delta.to(module.weight.dtype)
            merged += 1
    if not merged:
        raise AdapterError(f"the adapter {path} holds no LoRA matrices")
    return merged
