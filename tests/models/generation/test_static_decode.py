"""The GPU decode path (static rewindable cache, compiled step), run on the CPU.

CUDA graphs need a GPU, but everything they rest on is checked here on the tiny Gemma 3: greedy
output through the static cache equals ``model.generate`` fresh and after every kind of edit
(rolling back across its sliding-window layers), alternatives rewind to the prompt, the cache
grows when a request needs more room, and the decode step traces into ONE graph that no step,
rewind or new position recompiles. tests/models/test_cuda.py runs the real thing on a GPU.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from reference import STORY, generate_greedy

from penwright.models.files.folders import CACHE_DIR_ENV
from penwright.models.generation import static_decode
from penwright.models.generation.engine import Engine
from penwright.models.generation.forward import cache_argument
from penwright.models.generation.static_decode import (
    RewindableStaticCache,
    StaticDecoder,
    capacity_for,
)
from penwright.models.params import GenerationParams, StopMode

GREEDY = GenerationParams(temperature=0.0, max_new_tokens=12, stop=StopMode.NONE).plain()

LONG_STORY = " ".join(
    f"Row {i} of the harbour book notes a swell of {i % 5} feet." for i in range(50)
)


def static_engine_for(loaded: Any, compile_decode: bool = False, **kwargs: Any) -> Engine:
    """An Engine on ``loaded`` that takes the GPU's decode path (on the CPU)."""
    engine = Engine()
    engine.attach(
        loaded.model, loaded.tokenizer, loaded.info, static_cache=True,
        compile_decode=compile_decode, **kwargs,
    )  # fmt: skip
    return engine


@pytest.fixture
def static_engine(tiny_gemma: Any) -> Engine:
    return static_engine_for(tiny_gemma)


def assert_greedy_matches_generate(engine: Engine, loaded: Any, context: str) -> None:
    "".join(d.text for d in engine.stream(context, GREEDY))
    prompt_ids = loaded.tokenizer(context)["input_ids"]
    assert engine.last_prompt_ids == prompt_ids
    assert engine.last_token_ids == generate_greedy(loaded.model, prompt_ids, GREEDY.max_new_tokens)


def test_attach_picks_the_static_path_only_when_asked_on_the_cpu(tiny_gemma: Any) -> None:
    engine = Engine()
    engine.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info)
    assert engine.info is not None and engine.info.decode_path == "eager"
    engine.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info, static_cache=True)
    assert engine.info is not None and engine.info.decode_path == "static cache"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (STORY, STORY + " the keeper could not see the water below."),  # appended
        (STORY, STORY[: len(STORY) // 2]),  # deleted at the end
        (STORY, "A" + STORY[1:]),  # edited at the very start
        (LONG_STORY, LONG_STORY + " The keeper wrote it all down."),  # beyond the window
        (LONG_STORY, LONG_STORY.replace("Row 3 ", "Line 3 ")),  # early edit of a long text
    ],
    ids=["append", "delete", "edit-start", "long-append", "long-edit-early"],
)
def test_static_cache_greedy_equals_generate_with_cache_reuse(
    static_engine: Engine, tiny_gemma: Any, first: str, second: str
) -> None:
    assert_greedy_matches_generate(static_engine, tiny_gemma, first)
    assert_greedy_matches_generate(static_engine, tiny_gemma, second)
    assert static_engine.last_stats.reused_tokens > 0
    window = tiny_gemma.model.config.sliding_window
    if first is LONG_STORY:  # the long cases roll back across the sliding layers' window
        assert static_engine.last_stats.prompt_tokens > 10 * window


def test_alternatives_rewind_to_the_prompt_and_match_single_requests(
    static_engine: Engine,
) -> None:
    params = GenerationParams(temperature=1.0, max_new_tokens=10, stop=StopMode.NONE, n=3, seed=7)
    texts = ["", "", ""]
    for delta in static_engine.stream(STORY, params):
        texts[delta.alternative] += delta.text
    assert len(set(texts)) > 1
    for index, text in enumerate(texts):
        single = GenerationParams(
            temperature=1.0, max_new_tokens=10, stop=StopMode.NONE, seed=7 + index
        )
        assert "".join(d.text for d in static_engine.stream(STORY, single)) == text


def test_cache_grows_when_a_request_needs_more_room(
    tiny_gemma: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(static_decode, "CAPACITY_STEP", 64)
    engine = static_engine_for(tiny_gemma)
    assert_greedy_matches_generate(engine, tiny_gemma, STORY)  # ~45 tokens + 12: fits in 64
    assert_greedy_matches_generate(engine, tiny_gemma, LONG_STORY)  # ~700 tokens: grows
    assert_greedy_matches_generate(engine, tiny_gemma, STORY)


@pytest.mark.skipif(shutil.which("c++") is None, reason="inductor needs a C++ compiler on a CPU")
def test_the_real_compile_keeps_greedy_equal_to_generate(
    tiny_gemma: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The decode step exactly as the GPU compiles it (inductor, "reduce-overhead"); on the CPU
    inductor generates C++ and skips the CUDA-graph capture, and says so. The generated kernels
    are kept in Penwright's cache folder, for the next start."""
    import torch._dynamo

    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    torch._dynamo.reset()
    try:
        engine = static_engine_for(tiny_gemma, compile_decode=True)
        assert engine.info is not None
        assert engine.info.decode_path == "static cache, compiled (CUDA graph skipped)"
        assert_greedy_matches_generate(engine, tiny_gemma, STORY)
        assert_greedy_matches_generate(engine, tiny_gemma, STORY[: len(STORY) // 2])
        assert any((tmp_path / "torchinductor").rglob("*.py")), "kernels kept in the cache"
    finally:
        torch._dynamo.reset()


def test_a_failing_compiler_leaves_the_uncompiled_step_and_says_why(
    tiny_gemma: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_compiler(self: StaticDecoder, steps: int = 3) -> None:
        raise RuntimeError("Cannot find a working triton installation.\nMore details...")

    monkeypatch.setattr(StaticDecoder, "warm_up", no_compiler)
    stages: list[str] = []
    engine = static_engine_for(
        tiny_gemma, compile_decode=True, progress=lambda report: stages.append(report.stage)
    )
    assert stages == ["Compiling the decode step for the GPU"]
    assert engine.info is not None
    assert engine.info.decode_path == (
        "static cache (compiling failed: RuntimeError: Cannot find a working triton installation.)"
    )
    assert_greedy_matches_generate(engine, tiny_gemma, STORY)


def test_capacity_doubles_and_stops_at_the_context_length() -> None:
    step = static_decode.CAPACITY_STEP
    assert capacity_for(10, 32768) == step
    assert capacity_for(step + 1, 32768) == 2 * step
    assert capacity_for(2 * step + 1, 32768) == 4 * step
    assert capacity_for(step + 1, step + 100) == step + 100
    assert capacity_for(50, 40) == 50  # never less than asked


def test_crop_rewinds_and_replay_gives_the_logits_of_a_fresh_forward(tiny_gemma: Any) -> None:
    model = tiny_gemma.model
    ids = torch.tensor([tiny_gemma.tokenizer(LONG_STORY)["input_ids"][:80]])
    kv = RewindableStaticCache(model.config.num_hidden_layers, 128)
    with torch.inference_mode():
        model(input_ids=ids, use_cache=True, **{cache_argument(model): kv})
        kv.crop(-30)
        assert int(kv.get_seq_length()) == 50
        replayed = model(
            input_ids=ids[:, 50:60], use_cache=True, **{cache_argument(model): kv}
        ).logits
        fresh = model(input_ids=ids[:, :60]).logits[:, 50:60]
    torch.testing.assert_close(replayed, fresh, rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="negative"):
        kv.crop(5)


def test_compiled_step_is_one_graph_that_steps_and_rewinds_never_recompile(
    tiny_gemma: Any,
) -> None:
    """The CUDA-graph preconditions: fullgraph (no graph breaks) and static shapes, so one
    compilation serves every position. Traced with the "eager" backend to stay quick on the CPU;
    a recompile raises (error_on_recompile)."""
    import torch._dynamo

    model = tiny_gemma.model
    context = tiny_gemma.info.context_length
    plain = StaticDecoder(model, context, compile_step=False)
    compiled = StaticDecoder(model, context, compile_step=True, backend="eager")
    ids = torch.tensor([tiny_gemma.tokenizer(STORY)["input_ids"]])
    torch._dynamo.reset()
    with torch._dynamo.config.patch(error_on_recompile=True):
        caches = [plain.empty_cache(), compiled.empty_cache()]
        with torch.inference_mode():
            for kv in caches:
                model(
                    input_ids=ids, use_cache=True, logits_to_keep=1, **{cache_argument(model): kv}
                )
        token = torch.tensor([[ids[0, -1].item()]])
        for step in range(12):
            if step == 6:  # roll both back, as the prefix cache does after an edit
                for kv in caches:
                    kv.crop(-4)
            expected = plain.step(model, token, caches[0])
            got = compiled.step(model, token, caches[1])
            torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
            token = expected.argmax(dim=-1, keepdim=True)
    torch._dynamo.reset()
