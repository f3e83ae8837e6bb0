"""int8 loading: auto means int8 on the CPU, and the int8 entry of the conversion cache.

A converted folder is made from tiny_gemma exactly as models.loading.gguf_cache writes one, inside a
temporary cache; every test gets its own copy.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from reference import STORY, generate_greedy
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

import penwright.models.loading.gguf_cache as gguf_cache
import penwright.models.loading.int8_cache as int8_cache
from penwright.models.errors import ModelLoadError
from penwright.models.files.folders import CACHE_DIR_ENV
from penwright.models.generation.engine import Engine
from penwright.models.loading.loader import LoadedModel, load_model
from penwright.models.loading.output_layer import (
    Int8ActivationLinear,
    integer_kernel_available,
    speed_up_int8_output_layer,
)
from penwright.models.loading.quantize import Int8Embedding, Int8Linear, quantize_int8_weight_only
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import LoadProgress, ModelSpec

PROBE = "The quick brown fox jumps over the lazy dog. 狐狸跳过了懒狗。" * 3
SHA256 = "cd" * 32


def logits_of(model: Any, tokenizer: Any, text: str = PROBE) -> torch.Tensor:
    ids = tokenizer(text, return_tensors="pt").input_ids
    with torch.inference_mode():
        return model(input_ids=ids).logits.float()


@pytest.fixture(scope="module")
def converted_template(tiny_gemma: LoadedModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("converted-template")
    gguf_cache._save_converted(tiny_gemma.model, tiny_gemma.tokenizer, folder)
    return folder


@pytest.fixture
def converted(converted_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A conversion cache entry of tiny_gemma (fp32 safetensors, config, tokenizer)."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    folder = gguf_cache.converted_folder(SHA256)
    shutil.copytree(converted_template, folder)
    assert gguf_cache.is_converted_folder(folder)
    return folder


@pytest.fixture(scope="module")
def fresh_int8(tiny_gemma: LoadedModel) -> Any:
    """tiny_gemma quantized in memory, with the CPU's output layer: what every int8 load must
    equal exactly."""
    model = quantize_int8_weight_only(copy.deepcopy(tiny_gemma.model))
    speed_up_int8_output_layer(model, tiny_gemma.tokenizer)
    return model


def load_int8(folder: Path, reports: list[LoadProgress] | None = None) -> LoadedModel:
    callback = reports.append if reports is not None else None
    return load_model(ModelSpec(source=str(folder), device="cpu", precision="int8"), callback)


def assert_is_int8(loaded: LoadedModel, tiny_gemma: LoadedModel) -> None:
    model = loaded.model
    assert loaded.info.precision == "int8"
    assert not [name for name, m in model.named_modules() if isinstance(m, nn.Linear)]
    embedding, head = model.get_input_embeddings(), model.get_output_embeddings()
    assert isinstance(embedding, Int8Embedding)
    if integer_kernel_available():  # the output layer multiplies int8 by int8
        assert isinstance(head, Int8ActivationLinear)
    else:
        assert isinstance(head, Int8Linear)
        assert head.weight_int8 is embedding.weight_int8, "tied rows are stored once"
    assert loaded.info.parameters == tiny_gemma.info.parameters
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    # torch._weight_int8pack_mm crashes the process on weights off a 64-byte boundary
    assert all(b.data_ptr() % 64 == 0 for b in model.buffers() if b.dtype == torch.int8)


def assert_logits_equal(loaded: LoadedModel, fresh_int8: Any) -> None:
    tokenizer = loaded.tokenizer
    expected = logits_of(fresh_int8, tokenizer)
    torch.testing.assert_close(logits_of(loaded.model, tokenizer), expected, rtol=0, atol=0)


# ---------------------------------------------------------------------------------------------
# "auto" on the CPU


def test_auto_on_the_cpu_loads_a_local_folder_as_int8(
    tiny_gemma: LoadedModel, fresh_int8: Any, tmp_path: Path
) -> None:
    tiny_gemma.model.save_pretrained(tmp_path)
    tiny_gemma.tokenizer.save_pretrained(tmp_path)
    loaded = load_model(ModelSpec(source=str(tmp_path), device="cpu"))
    assert_is_int8(loaded, tiny_gemma)
    assert_logits_equal(loaded, fresh_int8)
    assert not (tmp_path / int8_cache.ENTRY_NAME).exists(), "user folders are not written to"


def test_fp32_and_bf16_stay_selectable(converted: Path, tiny_gemma: LoadedModel) -> None:
    for precision, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        loaded = load_model(ModelSpec(source=str(converted), device="cpu", precision=precision))
        assert loaded.info.precision == precision and loaded.model.dtype == dtype
        assert isinstance(loaded.model.get_output_embeddings(), nn.Linear)
    assert not int8_cache.entry_path(converted).exists()


# ---------------------------------------------------------------------------------------------
# The int8 entry of a converted folder


def test_first_int8_load_quantizes_once_into_the_cache(
    converted: Path, tiny_gemma: LoadedModel, fresh_int8: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers import AutoModelForCausalLM

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the fp32 model is never loaded whole for int8")

    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", never)
    reports: list[LoadProgress] = []
    loaded = load_int8(converted, reports)
    assert_is_int8(loaded, tiny_gemma)
    assert_logits_equal(loaded, fresh_int8)
    stages = list(dict.fromkeys(r.stage for r in reports))
    assert stages == [
        "Loading weights",
        "Quantizing to int8 (first run only)",
        "Loading tokenizer",
        "Ready",
    ]
    percents = [r.percent for r in reports]
    assert percents == sorted(percents)
    with safe_open(str(int8_cache.entry_path(converted)), framework="pt") as f:
        assert f.metadata()["penwright_int8_format"] == int8_cache.FORMAT_VERSION
        assert "lm_head.weight_int8" not in f.keys(), "the tied head is stored once"  # noqa: SIM118
    assert [p.name for p in converted.glob(".*.partial")] == [], "no staging left behind"


def test_later_int8_loads_never_read_the_fp32_weights(
    converted: Path, tiny_gemma: LoadedModel, fresh_int8: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_int8(converted)

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the fp32 weights were quantized again")

    monkeypatch.setattr(int8_cache, "_quantize_checkpoint", never)
    # and the fp32 file is now garbage: reading it would fail loudly
    (converted / int8_cache.SOURCE_WEIGHTS).write_bytes(b"\0" * 64)
    reports: list[LoadProgress] = []
    again = load_int8(converted, reports)
    assert not any("Quantizing" in r.stage for r in reports)
    assert_is_int8(again, tiny_gemma)
    assert_logits_equal(again, fresh_int8)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:1000])


def _older_format(path: Path) -> None:
    with safe_open(str(path), framework="pt") as f:
        metadata = dict(f.metadata())
    metadata["penwright_int8_format"] = "0"
    save_file(load_file(str(path)), str(path), metadata=metadata)


def _wrong_tied_keys(path: Path) -> None:
    with safe_open(str(path), framework="pt") as f:
        metadata = dict(f.metadata())
    metadata["tied"] = json.dumps({})
    save_file(load_file(str(path)), str(path), metadata=metadata)


def _zeroed(path: Path) -> None:
    path.write_bytes(b"\0" * path.stat().st_size)


@pytest.mark.parametrize("damage", [_truncate, _older_format, _wrong_tied_keys, _zeroed])
def test_an_unusable_int8_entry_is_rebuilt(
    damage: Any, converted: Path, fresh_int8: Any, tiny_gemma: LoadedModel
) -> None:
    load_int8(converted)
    entry = int8_cache.entry_path(converted)
    damage(entry)
    reports: list[LoadProgress] = []
    loaded = load_int8(converted, reports)
    assert any("Quantizing" in r.stage for r in reports), "rebuilt"
    assert_is_int8(loaded, tiny_gemma)
    assert_logits_equal(loaded, fresh_int8)
    with safe_open(str(entry), framework="pt") as f:
        assert f.metadata()["penwright_int8_format"] == int8_cache.FORMAT_VERSION


def test_an_unwritable_cache_still_loads_int8(
    converted: Path, fresh_int8: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(int8_cache, "save_file", full_disk)
    loaded = load_int8(converted)
    assert_logits_equal(loaded, fresh_int8)
    assert not (converted / int8_cache.ENTRY_NAME).exists()
    assert [p.name for p in converted.glob(".*.partial")] == []


def test_damaged_fp32_weights_without_an_entry_are_one_clear_error(converted: Path) -> None:
    source = converted / int8_cache.SOURCE_WEIGHTS
    _truncate(source)
    with pytest.raises(ModelLoadError, match="cannot quantize the weights") as caught:
        load_int8(converted)
    assert str(source) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_engine_greedy_on_the_cached_int8_model_equals_its_generate(converted: Path) -> None:
    load_int8(converted)
    loaded = load_int8(converted)  # from the entry
    engine = Engine()
    engine.attach(loaded.model, loaded.tokenizer, loaded.info)
    params = GenerationParams(temperature=0.0, max_new_tokens=12, stop=StopMode.NONE).plain()
    for context in (STORY, STORY + " the keeper could not see the water below."):
        "".join(delta.text for delta in engine.stream(context, params))
        expected = generate_greedy(loaded.model, engine.last_prompt_ids, params.max_new_tokens)
        assert engine.last_token_ids == expected
    assert engine.last_stats.reused_tokens > 0, "the second request reused the prefix cache"


def test_default_model_loads_as_int8_equal_to_quantizing_fp32(default_model: LoadedModel) -> None:
    """auto on the CPU: the bundled model in int8 (from its cache entry, built here if absent),
    exactly the model quantize_int8_weight_only makes of the fp32 one."""
    loaded = load_model(ModelSpec(device="cpu"))
    assert (loaded.info.precision, loaded.info.parameters) == ("int8", 268_098_176)
    assert int8_cache.entry_path(Path(loaded.info.path)).is_file()
    assert "output layer: int8 x int8" in loaded.info.kernels
    fresh = quantize_int8_weight_only(copy.deepcopy(default_model.model))
    speed_up_int8_output_layer(fresh, default_model.tokenizer)
    assert_logits_equal(loaded, fresh)
