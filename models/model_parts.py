"""Where the parts of a transformers causal LM are: one lookup the engine and the loader share.

Why one place: the engine's decoder-only prefill and between-layer cancel and the loader's
calibration of the output layer all need "the decoder without the output layer", and a model
without one (custom, scripted) must be treated the same way in each.
"""

from __future__ import annotations

from typing import Any

from torch import nn


def decoder_of(model: Any) -> nn.Module | None:
    """The model's decoder stack without its output layer (``get_decoder()``), or None when the
    model has no separate one."""
    get_decoder = getattr(model, "get_decoder", None)
    decoder = get_decoder() if callable(get_decoder) else None
    if not isinstance(decoder, nn.Module) or decoder is model:
        return None
    return decoder


def decoder_layers(model: Any) -> list[nn.Module]:
    """The decoder's layers in order, or [] when it keeps them in no ``layers`` list."""
    layers = getattr(decoder_of(model) or model, "layers", None)
    return list(layers) if isinstance(layers, nn.ModuleList) else []
