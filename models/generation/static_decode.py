"""The GPU decode path: a preallocated KV cache and a decode step compiled once (CUDA graphs).

On a GPU a 270M-parameter model decodes one token in far less time than the host needs to launch
its ~300 kernels one by one, so eager decoding is bound by Python and kernel launches. The cure
(as in gpt-fast, and transformers' own ``cache_implementation="static"``) is to give every decode
step the same shapes and the same tensor addresses, then capture the step once as a CUDA graph and
replay it: one launch a token.

- ``RewindableStaticCache``: every layer a transformers ``StaticLayer`` of ``capacity``
  positions, allocated once. A layer writes new keys/values at its ``cumulative_length`` (a tensor
  with a fixed address, so the graph reads the current length without recompiling), and returns
  the whole buffer; the attention mask, built from the positions, hides everything past the
  current length. So rolling back to a shorter prefix is just lowering the length: nothing is
  copied or freed. Sliding-window layers are full-length buffers here too (transformers'
  ``StaticSlidingWindowLayer`` is a ring that forgets what slid out, so it could not roll back);
  the mask keeps their attention inside the window.
- ``StaticDecoder``: the decode step ``(model, token (1, 1), cache) -> logits (1, V)``, compiled
  with ``mode="reduce-overhead"`` (inductor kernels replayed as CUDA graphs), fullgraph and static
  shapes, so it compiles once per cache capacity. Prefill stays eager: its length varies.
"""

from __future__ import annotations

import os
from typing import Any

import torch
from transformers.cache_utils import Cache, StaticLayer

from penwright.models.generation.forward import cache_argument

# Positions a static cache holds at first; it doubles when a request needs more. A request needs
# its context plus max_new_tokens; the app's default is 2,048 + 48. Growing means a new cache and,
# compiled, a new compilation (tens of seconds), so it happens rarely.
CAPACITY_STEP = 4096


class RewindableStaticCache(Cache):
    """A static KV cache whose length can be rolled back to any shorter prefix (``crop(-n)``)."""

    def __init__(self, num_layers: int, capacity: int) -> None:
        self._static_layers = [StaticLayer(max_cache_len=capacity) for _ in range(num_layers)]
        super().__init__(layers=list(self._static_layers))
        self.capacity = capacity

    def crop(self, max_length: int) -> None:
        """Forget the last ``-max_length`` positions (negative, as ``DynamicLayer.crop`` wants).

        Only the length goes down; the stale keys/values stay in the buffer, masked out, and are
        overwritten by the next update.
        """
        if max_length > 0:
            raise ValueError(f"crop takes a negative count of positions to drop, not {max_length}")
        for layer in self._static_layers:
            if layer.is_initialized:
                layer.cumulative_length.sub_(-max_length)

    def rewind_to_start(self) -> None:
        """Forget everything, keeping the buffers (and so the compiled graph's addresses)."""
        for layer in self._static_layers:
            if layer.is_initialized:
                layer.cumulative_length.zero_()


def supports_static_cache(model: Any) -> bool:
    """Whether every layer is plain full or sliding-window attention (what the static cache
    here stands in for); other kinds (linear attention, chunked, ...) keep the dynamic cache."""
    config = getattr(model, "config", None)
    if config is None:
        return False
    text_config = config.get_text_config(decoder=True)
    layer_types = getattr(text_config, "layer_types", None) or ["full_attention"]
    return set(layer_types) <= {"full_attention", "sliding_attention"} and isinstance(
        getattr(text_config, "num_hidden_layers", None), int
    )


def capacity_for(positions: int, context_length: int) -> int:
    """The cache capacity to allocate for ``positions``: CAPACITY_STEP doubled as often as needed
    (each new capacity costs a compilation, so there are few of them), at most the model's
    context length (a request never needs more)."""
    capacity = CAPACITY_STEP
    while capacity < positions:
        capacity *= 2
    return max(positions, min(capacity, context_length))


class StaticDecoder:
    """Owns one static cache and the (optionally compiled) decode step for one model.

    The cache is reused by every request (rewound, never reallocated) so the compiled graph
    always sees the same addresses; it is replaced by a larger one only when a request needs more
    room. Same threading contract as the Engine: one owner thread.
    """

    def __init__(
        self, model: Any, context_length: int, compile_step: bool, backend: str = "inductor"
    ) -> None:
        """``backend``: torch.compile's; "inductor" generates kernels and replays them as CUDA
        graphs ("reduce-overhead"); tests trace with "eager" to check the step is one graph."""
        self._model = model
        self._context_length = context_length
        self._num_layers = model.config.get_text_config(decoder=True).num_hidden_layers
        self._cache: RewindableStaticCache | None = None
        self.compiled = compile_step
        self.cuda_graphs = False  # whether warm_up saw the step captured as a CUDA graph
        self._forward = model.forward
        self._cache_argument = cache_argument(model)  # "cache" from transformers 5.24 on
        if compile_step:
            _keep_compiled_kernels()
            mode = "reduce-overhead" if backend == "inductor" else None
            self._forward = torch.compile(
                model.forward, backend=backend, mode=mode, fullgraph=True, dynamic=False
            )

    def empty_cache(self) -> RewindableStaticCache:
        """The cache, rewound to nothing (allocated with the first capacity step on first use)."""
        if self._cache is None:
            self._cache = RewindableStaticCache(
                self._num_layers, capacity_for(CAPACITY_STEP, self._context_length)
            )
        self._cache.rewind_to_start()
        return self._cache

    def has_room(self, positions: int) -> bool:
        return self._cache is not None and self._cache.capacity >= positions

    def grow(self, positions: int) -> None:
        """Make the next ``empty_cache`` hold ``positions``; a compiled step recompiles for it."""
        self._cache = RewindableStaticCache(
            self._num_layers, capacity_for(positions, self._context_length)
        )

    def step(self, model: Any, token: torch.Tensor, kv: Any) -> torch.Tensor:
        """One decode step: token (1, 1) -> logits (1, V), the Engine's ``decode_step`` shape."""
        if self.compiled:
            # A new iteration: the graph may overwrite the outputs of the previous replay.
            torch.compiler.cudagraph_mark_step_begin()
        with torch.inference_mode():
            out = self._forward(
                input_ids=token, use_cache=True, logits_to_keep=1, **{self._cache_argument: kv}
            )
            # A copy: a CUDA graph's output buffer is overwritten by the next replay.
            return out.logits[:, -1, :].clone()

    def warm_up(self, steps: int = 3) -> None:
        """Compile and capture the step now, at load, not on the writer's first request.

        The first call traces and compiles, the second records the CUDA graph, later ones replay
        it. It runs on the cache real requests use, which is left empty again.
        """
        kv = self.empty_cache()
        device = self._model.device
        skipped_before = _cuda_graph_skips()
        with torch.inference_mode():
            prompt = torch.zeros((1, 8), dtype=torch.long, device=device)
            self._model(
                input_ids=prompt, use_cache=True, logits_to_keep=1, **{self._cache_argument: kv}
            )
        token = torch.zeros((1, 1), dtype=torch.long, device=device)
        for _ in range(steps):
            self.step(self._model, token, kv)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        kv.rewind_to_start()
        # Inductor compiles but skips the graph capture when the step does something a graph
        # cannot replay (e.g. a CPU tensor in the step); say so rather than claim graphs.
        self.cuda_graphs = (
            self.compiled and device.type == "cuda" and _cuda_graph_skips() == skipped_before
        )


def _keep_compiled_kernels() -> None:
    """Point inductor's on-disk cache at Penwright's user cache, unless the user chose one.

    Its default is under the temporary folder, which a reboot empties: the next start would
    compile the decode step from scratch again."""
    from penwright.models.files.folders import compiled_kernels_dir

    os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", str(compiled_kernels_dir()))


def _cuda_graph_skips() -> int:
    """How many times inductor has declined to capture a CUDA graph in this process."""
    from torch._dynamo.utils import counters  # the counters PyTorch's own tests read

    return int(counters["inductor"]["cudagraph_skips"])
