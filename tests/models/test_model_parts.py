"""The decoder lookup shared by the engine and the loader."""

from __future__ import annotations

from typing import Any

from torch import nn

from penwright.models.model_parts import decoder_layers, decoder_of


def test_a_causal_lm_has_its_decoder_and_layers(tiny_gemma: Any) -> None:
    model = tiny_gemma.model
    decoder = decoder_of(model)
    assert decoder is model.get_decoder()
    assert decoder_layers(model) == list(decoder.layers)
    assert len(decoder_layers(model)) == model.config.num_hidden_layers


def test_a_model_without_a_separate_decoder_has_none() -> None:
    class Scripted(nn.Module):
        def get_decoder(self) -> nn.Module:
            return self

    assert decoder_of(Scripted()) is None
    assert decoder_of(nn.Linear(2, 2)) is None
    assert decoder_layers(nn.Linear(2, 2)) == []
