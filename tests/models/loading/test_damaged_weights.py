"""A model whose weights make NaN or infinite logits is refused at load, with a clear message."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from penwright.models.errors import ModelLoadError
from penwright.models.generation.engine import Engine
from penwright.models.loading.loader import LoadedModel
from penwright.models.spec import ModelSpec


def save_with_one_bad_weight(tiny_gemma: LoadedModel, folder: Path, value: float) -> Path:
    model = copy.deepcopy(tiny_gemma.model)  # the shared fixture must stay intact
    with torch.no_grad():
        model.model.layers[1].mlp.down_proj.weight[0, 0] = value
    model.save_pretrained(folder)
    tiny_gemma.tokenizer.save_pretrained(folder)
    return folder


@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_a_model_with_a_nan_or_inf_weight_is_refused_at_load(
    tiny_gemma: LoadedModel, tmp_path: Path, value: float
) -> None:
    folder = save_with_one_bad_weight(tiny_gemma, tmp_path / "bad", value)
    engine = Engine()
    with pytest.raises(ModelLoadError, match="NaN or infinite") as caught:
        engine.load(ModelSpec(source=str(folder), device="cpu", precision="fp32"))
    assert "probability tensor" not in str(caught.value)
    assert engine.info is None, "the damaged model is not attached"


def test_the_same_model_without_the_bad_weight_loads(
    tiny_gemma: LoadedModel, tmp_path: Path
) -> None:
    folder = save_with_one_bad_weight(tiny_gemma, tmp_path / "good", 0.5)
    engine = Engine()
    info = engine.load(ModelSpec(source=str(folder), device="cpu", precision="fp32"))
    assert info.path == str(folder)
