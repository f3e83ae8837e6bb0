"""The CPU's fastest layers for a loaded model, chosen in one place: a CPU load (models.loading
.loader) and a GPU model falling back to the CPU (models.generation.engine) get the same ones."""

from __future__ import annotations

from typing import Any

from penwright.models.loading.cpu_features import cpu_features
from penwright.models.loading.decode_attention import use_packed_decode_attention
from penwright.models.loading.fused_norms import fuse_gemma_norms
from penwright.models.loading.output_layer import fold_output_layer, speed_up_int8_output_layer


def choose_cpu_kernels(model: Any, tokenizer: Any) -> str:
    """Give a CPU model its fastest output layer (models.loading.output_layer), decode
    attention (models.loading.decode_attention) and norms (models.loading.fused_norms);
    returns what was chosen and why, with the CPU it rests on, for Diagnostics."""
    if fold_output_layer(model):
        chosen = "output layer: float, 2-D product"
    else:
        chosen = speed_up_int8_output_layer(model, tokenizer)
    if use_packed_decode_attention(model):
        chosen += "; decode attention: grouped queries packed per key/value head"
    if fuse_gemma_norms(model):
        chosen += "; RMSNorm: fused"
    return f"{chosen}; CPU: {cpu_features().describe()}"
