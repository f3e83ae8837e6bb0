"""Fixtures shared by tests/models and tests/app: the real default model and a tiny random Gemma.

Both are session-scoped and shared: tests must not modify the models they get (no training, no
``.to(...)`` on the shared object; copy first if a test needs a changed model).
"""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from penwright.models.loading.loader import LoadedModel

# Tests (and the apps and command lines they start) never write into the user's log folder.
os.environ.setdefault("PENWRIGHT_LOG_DIR", tempfile.mkdtemp(prefix="penwright-test-logs-"))

TINY_SLIDING_WINDOW = 16
"""The tiny model's sliding window: a 100-token text already crosses it several times."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests using the real default model real_model (skip them: -m 'not real_model')."""
    for item in items:
        if "default_model" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.real_model)


@pytest.fixture(scope="session")
def default_model() -> LoadedModel:
    """The bundled Gemma 3 270M, loaded by ``load_model`` on the CPU in fp32.

    Uses the normal user cache (or $PENWRIGHT_CACHE_DIR), so only the very first run on a machine
    converts the GGUF (about a minute); later sessions load the converted folder in seconds.
    info: device "cpu", precision "fp32", 268,098,176 parameters, context_length 32768.
    """
    from penwright.models.loading.loader import load_model
    from penwright.models.spec import ModelSpec

    return load_model(ModelSpec(device="cpu", precision="fp32"))


@pytest.fixture(scope="session")
def default_tokenizer() -> Any:
    """The default model's real Gemma 3 tokenizer (262,144 tokens), without loading its weights."""
    from transformers import AutoTokenizer

    from penwright.models.loading.loader import default_model_folder

    return AutoTokenizer.from_pretrained(default_model_folder())


@pytest.fixture(scope="session")
def tiny_gemma(default_tokenizer: Any) -> LoadedModel:
    """A tiny Gemma3ForCausalLM with random weights (seed 0) and the real Gemma 3 tokenizer.

    4 layers (sliding, sliding, full, sliding), hidden size 64, sliding window
    TINY_SLIDING_WINDOW, full 262,144-token vocabulary so real text, Chinese and byte-fallback
    tokens behave as with the real model. fp32 on the CPU, eval mode; decodes in milliseconds.
    Random weights make its greedy output arbitrary but deterministic: compare it with
    ``model.generate``, never with fixed text.
    """
    import torch
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    from penwright.models.loading.loader import LoadedModel
    from penwright.models.spec import ModelInfo

    tokenizer = default_tokenizer
    config = Gemma3TextConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=4,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=32,
        sliding_window=TINY_SLIDING_WINDOW,
        layer_types=[
            "sliding_attention",
            "sliding_attention",
            "full_attention",
            "sliding_attention",
        ],
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng():  # do not disturb the global RNG other tests may seed
        torch.manual_seed(0)
        model = Gemma3ForCausalLM(config)
    model.eval()
    model.requires_grad_(False)
    info = ModelInfo(
        name="tiny random Gemma 3",
        source="tiny_gemma",
        path="",
        device="cpu",
        precision="fp32",
        parameters=sum(p.numel() for p in model.parameters()),
        context_length=config.max_position_embeddings,
    )
    return LoadedModel(model=model, tokenizer=tokenizer, info=info)
