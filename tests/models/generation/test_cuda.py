"""The engine on a CUDA GPU with the real default model: static cache and CUDA-graph decode step.

Skipped without a GPU (CI has none); run on one with ``python -m pytest tests/models/test_cuda.py``.
The CPU half of this path is tested in tests/models/test_static_decode.py.
"""

from __future__ import annotations

import pytest
import torch
from reference import STORY, generate_greedy

from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import ModelSpec

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

GREEDY = GenerationParams(temperature=0.0, max_new_tokens=24, stop=StopMode.NONE).plain()


@pytest.fixture(scope="module")
def cuda_fp32() -> Engine:
    """fp32 on the GPU: compiled and eager agree to the last bit far more often than in bf16, so
    token-for-token equality with generate tests the cache and the graph, not rounding."""
    engine = Engine()
    engine.load(ModelSpec(device="cuda", precision="fp32"))
    return engine


def test_load_compiles_the_decode_step_into_a_cuda_graph(cuda_fp32: Engine) -> None:
    assert cuda_fp32.info is not None
    assert cuda_fp32.info.device.startswith("cuda")
    assert cuda_fp32.info.decode_path == "static cache, CUDA graph"


@pytest.mark.parametrize(
    "second",
    [
        STORY + " the keeper could not see the water below.",
        STORY[: len(STORY) // 2],
        "A" + STORY[1:],
    ],
    ids=["append", "delete", "edit-start"],
)
def test_compiled_greedy_equals_generate_with_cache_reuse(cuda_fp32: Engine, second: str) -> None:
    for context in (STORY, second):
        for _ in cuda_fp32.stream(context, GREEDY):
            pass
        prompt_ids = cuda_fp32.last_prompt_ids
        expected = generate_greedy(cuda_fp32.model, prompt_ids, GREEDY.max_new_tokens)
        assert cuda_fp32.last_token_ids == expected


def test_bf16_default_streams_text_and_alternatives() -> None:
    engine = Engine()
    info = engine.load(ModelSpec(device="cuda"))
    assert info.precision == "bf16"
    params = GenerationParams(n=3, seed=1, max_new_tokens=16, stop=StopMode.NONE)
    texts = ["", "", ""]
    for delta in engine.stream(STORY, params):
        texts[delta.alternative] += delta.text
    assert all(texts) and len(set(texts)) > 1
    assert engine.last_stats.decode_tokens_per_s > 0
