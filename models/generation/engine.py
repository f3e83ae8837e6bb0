"""The Engine: owns one loaded model and streams continuations of a text.

Threading contract: an Engine is NOT thread-safe. One thread (the app's inference worker) owns it
and calls every method, including iterating the generator ``stream`` returns. The only object
shared with other threads is the ``cancelled`` Event passed to ``stream``, which any thread may
set; the engine checks it between prefill chunks and before every decode step.

One request: the context budget picks the token ids to show the model, the prefix cache keeps
what the previous request already computed, the rest is prefilled in chunks, then the decode
loop picks one token at a time, detokenizes it incrementally and stops at the requested stop.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch

from penwright.models.errors import EngineError, GenerationError, ParamsError
from penwright.models.generation.context import ContextWindow
from penwright.models.generation.detokenize import IncrementalDetokenizer
from penwright.models.generation.prefix_cache import PrefixCache
from penwright.models.generation.sampling import Sampler
from penwright.models.generation.sliding_cache import rollback_cache
from penwright.models.generation.static_decode import StaticDecoder, supports_static_cache
from penwright.models.generation.stops import StopScanner
from penwright.models.params import GenerationParams
from penwright.models.results import Delta, GenerationStats
from penwright.models.spec import LoadProgress, ModelInfo, ModelSpec

ProgressCallback = Callable[[LoadProgress], None]
DecodeStep = Callable[[Any, torch.Tensor, Any], torch.Tensor]

# Prefill chunk sizes. A cancel waits for the running chunk (DESIGN.md: <= 100 ms); every forward
# also reads all the weights once, so small chunks make prefill slow. Default model on the 2-core
# CPU, int8 (the CPU default), a 1,914-token cold prefill: chunks of 128 took 1.9 s and a cancel
# waited up to 141 ms; 96 took 2.0-2.2 s and at most 72 ms; 64 took 2.3-2.5 s. (fp32 prefills at
# half the speed: ~0.2 s a chunk of 96.) Sizing chunks by time instead was tried: each forward
# has a large fixed cost (reading the weights), so chunk time is far from proportional to size
# and the sizes collapsed to the minimum. GPUs take large chunks in milliseconds.
_PREFILL_CHUNK = {"cpu": 96, "cuda": 512, "mps": 256}


def forward_tokens(model: Any, input_ids: torch.Tensor, kv: Any) -> torch.Tensor:
    """Feed input_ids (1, t) after what ``kv`` holds; return the last position's logits (1, V).

    ``logits_to_keep=1``: the vocabulary projection is the costliest part of a long prefill, and
    only the last position's logits are ever needed.
    """
    with torch.inference_mode():
        out = model(input_ids=input_ids, past_key_values=kv, use_cache=True, logits_to_keep=1)
        return out.logits[:, -1, :]


def decode_step(model: Any, token: torch.Tensor, kv: Any) -> torch.Tensor:
    """One decode step: token (1, 1) -> logits (1, V). Kept separate so it can be swapped for a
    compiled / static-cache version."""
    return forward_tokens(model, token, kv)


def warm_up(model: Any) -> None:
    """Run each kind of forward once, so the writer's first request is not the slow one.

    The first forwards after a load pay one-time costs: reading the (memory-mapped) weights in
    from disk, allocator growth, kernel selection. A multi-token forward (prefill; above
    models.loading.quantize.KERNEL_MAX_ROWS rows int8 takes another kernel) and a one-token forward
    (decode) into a throwaway cache touch every weight and warm both paths.
    """
    prefill_rows = 40
    ids = torch.zeros((1, prefill_rows), dtype=torch.long, device=model.device)
    kv = rollback_cache(getattr(model, "config", None))
    forward_tokens(model, ids, kv)
    forward_tokens(model, ids[:, :1], kv)


@dataclass
class _Timing:
    """Clock readings of one request, all alternatives together."""

    started: float
    first_token: float | None = None
    decode_seconds: float = 0.0
    decode_tokens: int = 0


@dataclass(frozen=True)
class _Request:
    """One ``stream`` call, shared by all its alternatives."""

    prompt_ids: list[int]
    params: GenerationParams
    base_seed: int  # alternative i samples with seed base_seed + i, batched or not
    cancelled: threading.Event
    timing: _Timing


class _Continuation:
    """The text of one alternative: tokens -> stable text -> text up to the stop."""

    def __init__(self, tokenizer: Any, prompt_ids: Sequence[int], params: GenerationParams):
        self.token_ids: list[int] = []
        self.stop_reason = ""
        self.reused_tokens: int | None = None  # prompt tokens the first prefill took from cache
        self._detokenizer = IncrementalDetokenizer(tokenizer, prompt_ids)
        self._scanner = StopScanner(params.stop, params.stop_strings)
        self._shown = 0

    def add(self, token_id: int) -> str:
        """Take one generated token; return the text it makes safe to show."""
        self.token_ids.append(token_id)
        self._detokenizer.push(token_id)
        scan = self._scanner.scan(self._detokenizer.text)
        if scan.stopped:
            self.stop_reason = "stop"
        return self._show_up_to(scan.stable_end)

    def finish(self) -> str:
        """At end of text or the length limit: the rest that was held back."""
        self._detokenizer.flush()
        return self._show_up_to(self._scanner.finish(self._detokenizer.text))

    def _show_up_to(self, end: int) -> str:
        if end <= self._shown:
            return ""
        new_text = self._detokenizer.text[self._shown : end]
        self._shown = end
        return new_text


class Engine:
    """A warm causal language model with a prefix KV cache. See the module docstring for threads."""

    def __init__(self) -> None:
        self._model: Any = None
        self._tokenizer: Any = None
        self._info: ModelInfo | None = None
        self._eos_ids: frozenset[int] = frozenset()
        self._cache = PrefixCache()
        self._window: ContextWindow | None = None
        self._stats = GenerationStats()
        self._last_prompt_ids: list[int] = []
        self._last_alternatives: tuple[list[int], ...] = ()
        self._static: StaticDecoder | None = None
        self.decode_step: DecodeStep = decode_step

    # -- loading --------------------------------------------------------------------------

    def load(
        self,
        spec: ModelSpec,
        progress: ProgressCallback | None = None,
        *,
        static_cache: bool | None = None,
    ) -> ModelInfo:
        """Load the model ``spec`` names and make it the engine's model.

        On failure the error propagates (a ModelLoadError naming the problem) and the model
        loaded before, if any, stays in use. ``static_cache``: see ``attach`` (the benchmark
        turns it off to measure the eager GPU path).
        """
        from penwright.models.loading.loader import (
            load_model,  # loading pulls in GGUF conversion: only on demand
        )

        loaded = load_model(spec, progress)
        warm_up(loaded.model)
        self.attach(
            loaded.model, loaded.tokenizer, loaded.info, static_cache=static_cache,
            progress=progress,
        )  # fmt: skip
        assert self._info is not None
        return self._info

    def attach(
        self,
        model: Any,
        tokenizer: Any,
        info: ModelInfo,
        *,
        static_cache: bool | None = None,
        compile_decode: bool | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Use an already loaded causal LM and its tokenizer (tests attach tiny random models).

        How tokens are decoded (``info.decode_path`` says which):
        - on the CPU (and MPS): a growing dynamic cache and an eager step; compiling measured no
          gain on the CPU (see penwright.models.loading.quantize for what made the CPU fast);
        - on a CUDA GPU: a static cache and a decode step compiled into a CUDA graph
          (models.generation.static_decode), compiled here and now (tens of seconds, reported
          through
          ``progress``), so no request pays for it.
        ``static_cache`` / ``compile_decode`` override the choice; tests use them to run the
        static path on the CPU.
        """
        model.eval()
        on_cuda = getattr(getattr(model, "device", None), "type", None) == "cuda"
        if static_cache is None:
            static_cache = on_cuda and supports_static_cache(model)
        if compile_decode is None:
            compile_decode = static_cache and on_cuda
        self._model = model
        self._tokenizer = tokenizer
        self._eos_ids = _eos_ids(model, tokenizer)
        self._window = ContextWindow(lambda text: tokenizer(text)["input_ids"])
        if static_cache:
            self._static = StaticDecoder(model, info.context_length, compile_step=compile_decode)
            self._cache = PrefixCache(new_kv=self._static.empty_cache)
            self.decode_step = self._static.step
            decode_path = "static cache, CUDA graph" if compile_decode else "static cache"
        else:
            self._static = None
            # Scripted test models have no config.
            self._cache = PrefixCache(getattr(model, "config", None))
            self.decode_step = decode_step
            decode_path = "eager"
        self._info = replace(info, decode_path=decode_path)
        if self._static is not None and self._static.compiled:
            if progress is not None:
                progress(LoadProgress("Compiling the decode step for the GPU", 99.0))
            self._compile_or_stay_eager()

    def _compile_or_stay_eager(self) -> None:
        """Compile and capture the decode step now. If the compiler fails (no Triton for this
        GPU, an unsupported model...), decode eagerly on the same static cache and say why."""
        assert self._static is not None and self._info is not None
        try:
            self._static.warm_up()
            if not self._static.cuda_graphs:
                self._info = replace(
                    self._info, decode_path="static cache, compiled (CUDA graph skipped)"
                )
        except torch.cuda.OutOfMemoryError:
            raise
        except Exception as error:  # any compiler failure: decode uncompiled
            message = f"{type(error).__name__}: {error}".splitlines()[0][:200]
            self.attach(
                self._model, self._tokenizer, self._info, static_cache=True, compile_decode=False
            )
            assert self._info is not None
            self._info = replace(
                self._info, decode_path=f"static cache (compiling failed: {message})"
            )

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    @property
    def model(self) -> Any:
        """The loaded causal LM (None before a load); for diagnostics and benchmarks."""
        return self._model

    @property
    def tokenizer(self) -> Any:
        """The loaded model's tokenizer (None before a load)."""
        return self._tokenizer

    @property
    def last_stats(self) -> GenerationStats:
        return self._stats

    @property
    def last_prompt_ids(self) -> list[int]:
        """Token ids the model saw as context in the last request (after the context budget)."""
        return list(self._last_prompt_ids)

    @property
    def last_token_ids(self) -> list[int]:
        """Generated token ids of the last request's first alternative (eos included if hit)."""
        return list(self._last_alternatives[0]) if self._last_alternatives else []

    @property
    def last_alternative_ids(self) -> tuple[list[int], ...]:
        """Generated token ids of every alternative of the last request."""
        return tuple(list(ids) for ids in self._last_alternatives)

    # -- generation -----------------------------------------------------------------------

    def stream(
        self,
        context: str,
        params: GenerationParams,
        cancelled: threading.Event | None = None,
    ) -> Iterator[Delta]:
        """Continue ``context``; yield Delta(alternative, text) as text becomes stable.

        Checks its arguments at once (ParamsError, EngineError when no model is loaded); the
        generator does the work. ``last_stats`` describes the request once the generator ends.
        With temperature 0 every alternative would be the same, so only one is generated.
        """
        if self._model is None or self._window is None:
            raise EngineError("no model is loaded yet")
        if not isinstance(context, str):
            raise ParamsError(f"the context must be text, not {type(context).__name__}")
        if not isinstance(params, GenerationParams):
            raise ParamsError(f"params must be GenerationParams, not {type(params).__name__}")
        params.validate()
        return self._stream(context, params, cancelled or threading.Event())

    def _stream(
        self, context: str, params: GenerationParams, cancelled: threading.Event
    ) -> Iterator[Delta]:
        timing = _Timing(started=time.perf_counter())
        assert self._window is not None and self._info is not None
        room = self._info.context_length - params.max_new_tokens
        budget = max(1, min(params.context_tokens, room))
        prompt_ids = self._window.select(context, budget)
        if not prompt_ids:
            raise ParamsError("there is no text to continue (and the model has no start token)")
        self._last_prompt_ids = prompt_ids
        base_seed = params.seed if params.seed is not None else secrets.randbits(62)
        request = _Request(prompt_ids, params, base_seed, cancelled, timing)
        alternatives = 1 if params.greedy else params.n
        done = [_Continuation(self._tokenizer, prompt_ids, params) for _ in range(alternatives)]
        try:
            if alternatives == 1 or self._static is not None:
                # The static cache holds one row; rolling it back to the prompt for the next
                # alternative costs nothing, and a CUDA-graph step is quick.
                yield from self._generate_one_by_one(request, done)
            else:
                yield from self._generate_batch(request, done)
        except GeneratorExit:
            raise  # the caller stopped listening at a yield, where the cache is consistent
        except BaseException:
            # A failed (or interrupted) forward may have left the cache half-written.
            self._cache.clear()
            raise
        finally:
            self._last_alternatives = tuple(c.token_ids for c in done)
            self._stats = _stats(prompt_ids, done, timing)

    def _generate(
        self, request: _Request, continuation: _Continuation, index: int
    ) -> Iterator[str]:
        """Alternative ``index``, retried once on the CPU if the GPU runs out of memory."""
        for attempt in range(2):
            try:
                # On the retry, the tokens generated so far are already shown: carry on from them.
                yield from self._decode_loop(request, continuation, request.base_seed + index)
                return
            except torch.cuda.OutOfMemoryError as error:
                if attempt > 0:
                    message = f"out of memory even after moving to the CPU: {error}"
                    raise GenerationError(message) from error
                self._fall_back_to_cpu("the GPU ran out of memory while generating")

    def _generate_batch(
        self, request: _Request, continuations: list[_Continuation]
    ) -> Iterator[Delta]:
        """All alternatives in one batched pass; if the GPU runs out of memory, the unfinished
        ones carry on one after another on the CPU."""
        try:
            yield from self._batch_decode_loop(request, continuations)
            return
        except torch.cuda.OutOfMemoryError:
            self._fall_back_to_cpu("the GPU ran out of memory while generating")
        yield from self._generate_one_by_one(request, continuations)

    def _generate_one_by_one(
        self, request: _Request, continuations: list[_Continuation]
    ) -> Iterator[Delta]:
        """The unfinished alternatives one after another."""
        for index, continuation in enumerate(continuations):
            if continuation.stop_reason:
                continue
            for text in self._generate(request, continuation, index):
                yield Delta(index, text)
            if continuation.stop_reason == "cancelled":
                break

    def _batch_decode_loop(
        self, request: _Request, continuations: list[_Continuation]
    ) -> Iterator[Delta]:
        """Prefill the prompt once, then decode one batch row per alternative.

        The single-row prompt cache is repeated along the batch dimension; rows whose
        alternative has ended are dropped from the batch. Afterwards the cache is cropped back to
        the prompt and one row is kept (every row holds the same prompt keys/values), so the next
        request reuses it as if only one alternative had been generated. Row ``i`` samples with
        seed ``base_seed + i``, as alternative ``i`` of the one-at-a-time path does.
        """
        prompt_ids, params, timing = request.prompt_ids, request.params, request.timing
        logits, reused = self._prefill(prompt_ids, request.cancelled, len(prompt_ids))
        for continuation in continuations:
            continuation.reused_tokens = reused
        if logits is None:
            for continuation in continuations:
                continuation.stop_reason = "cancelled"
            return
        kv = self._cache.kv
        device = logits.device
        samplers = [
            Sampler(params, request.base_seed + i, device) for i in range(len(continuations))
        ]
        active = list(range(len(continuations)))  # the alternative each batch row generates
        kv.batch_repeat_interleave(len(active))
        logits = logits.expand(len(active), -1)  # (rows, vocab)
        capacity = len(prompt_ids) + params.max_new_tokens
        history = torch.zeros((len(active), capacity), dtype=torch.long, device=device)
        history[:, : len(prompt_ids)] = torch.tensor(prompt_ids, dtype=torch.long)
        length = len(prompt_ids)
        decode_started = time.perf_counter()
        decoded = 0
        try:
            while True:
                tokens = torch.cat(
                    [
                        samplers[index].pick(logits[row : row + 1], history[row : row + 1, :length])
                        for row, index in enumerate(active)
                    ]
                )  # (rows, 1)
                token_ids = tokens[:, 0].tolist()  # the one host sync per step
                if timing.first_token is None:
                    timing.first_token = time.perf_counter()
                    decode_started = timing.first_token
                history[:, length] = tokens[:, 0]
                length += 1
                going_on: list[int] = []
                for row, (index, token_id) in enumerate(zip(active, token_ids, strict=True)):
                    for text in self._advance(request, continuations[index], token_id):
                        yield Delta(index, text)
                    if not continuations[index].stop_reason:
                        going_on.append(row)
                if not going_on:
                    break
                if len(going_on) < len(active):
                    rows = torch.tensor(going_on, device=device)
                    kv.batch_select_indices(rows)
                    history, tokens = history[rows], tokens[rows]
                    active = [active[row] for row in going_on]
                logits = self.decode_step(self._model, tokens, kv)
                decoded += len(active)
        finally:
            timing.decode_seconds += time.perf_counter() - decode_started
            timing.decode_tokens += decoded
            # Back to the prompt, one row: what the prefix cache's ids say it holds.
            # crop() takes a negative count (see models.generation.prefix_cache); every row is this
            # long.
            generated = kv.get_seq_length() - len(prompt_ids)
            if generated > 0:
                kv.crop(-generated)
            kv.batch_select_indices(torch.tensor([0], device=device))

    def _advance(
        self, request: _Request, continuation: _Continuation, token_id: int
    ) -> Iterator[str]:
        """Give one alternative its next token; yield the text that makes stable (all of the
        rest once it has ended by end of text or length)."""
        text = continuation.add(token_id)
        if text:
            yield text
        continuation.stop_reason = continuation.stop_reason or _end_reason(
            token_id in self._eos_ids,
            len(continuation.token_ids) >= request.params.max_new_tokens,
            request.cancelled.is_set(),
        )
        if continuation.stop_reason in ("eos", "length"):
            rest = continuation.finish()
            if rest:
                yield rest

    def _decode_loop(
        self, request: _Request, continuation: _Continuation, seed: int
    ) -> Iterator[str]:
        model, params, timing = self._model, request.params, request.timing
        known = request.prompt_ids + continuation.token_ids
        room = len(request.prompt_ids) + params.max_new_tokens
        logits, reused = self._prefill(known, request.cancelled, room)
        if continuation.reused_tokens is None:
            continuation.reused_tokens = reused
        if logits is None:
            continuation.stop_reason = "cancelled"
            return
        device = logits.device
        sampler = Sampler(params, seed, device)
        # Ids so far for the repetition penalty, preallocated so each step is one index write.
        capacity = len(known) + params.max_new_tokens
        history = torch.zeros((1, capacity), dtype=torch.long, device=device)
        history[0, : len(known)] = torch.tensor(known, dtype=torch.long)
        length = len(known)
        decode_started = time.perf_counter()
        decoded = 0
        try:
            while True:
                token = sampler.pick(logits, history[:, :length])  # (1, 1)
                token_id = int(token.item())  # the one host sync per step: text needs the id
                if timing.first_token is None:
                    timing.first_token = time.perf_counter()
                    decode_started = timing.first_token
                history[0, length] = token[0, 0]
                length += 1
                yield from self._advance(request, continuation, token_id)
                if continuation.stop_reason:
                    break
                logits = self.decode_step(model, token, self._cache.kv)
                self._cache.extend((token_id,))
                decoded += 1
        finally:
            timing.decode_seconds += time.perf_counter() - decode_started
            timing.decode_tokens += decoded

    def _prefill(
        self, ids: list[int], cancelled: threading.Event, room: int
    ) -> tuple[torch.Tensor | None, int]:
        """Bring the cache up to ``ids`` in chunks; ``room``: positions the request will fill.

        Returns the last position's logits (None if cancelled) and how many ids the cache held.
        """
        if self._static is not None and not self._static.has_room(room):
            self._static.grow(room)
            self._cache.clear()
        reused = self._cache.reuse(ids)
        device = self._model.device
        chunk = _PREFILL_CHUNK.get(device.type, 256)
        logits = None
        for start in range(reused, len(ids), chunk):
            if cancelled.is_set():
                return None, reused
            piece = ids[start : start + chunk]
            logits = forward_tokens(
                self._model, torch.tensor([piece], device=device), self._cache.kv
            )
            self._cache.extend(piece)
        return logits, reused

    def _fall_back_to_cpu(self, reason: str) -> None:
        assert self._info is not None
        if self._static is not None:
            # The CPU decodes eagerly on the growing cache (see attach).
            if self.decode_step == self._static.step:
                self.decode_step = decode_step
            self._static = None
        self._cache = PrefixCache(getattr(self._model, "config", None))
        self._model.to(device="cpu", dtype=torch.float32)  # half precision is slow on CPUs
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        self._info = replace(
            self._info, device="cpu", precision="fp32", fallback_reason=reason, decode_path="eager"
        )


def _eos_ids(model: Any, tokenizer: Any) -> frozenset[int]:
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids = set(configured if isinstance(configured, list) else [configured])
    ids.add(getattr(tokenizer, "eos_token_id", None))
    return frozenset(i for i in ids if isinstance(i, int))


def _end_reason(eos: bool, at_length_limit: bool, cancelled: bool) -> str:
    if eos:
        return "eos"
    if at_length_limit:
        return "length"
    return "cancelled" if cancelled else ""


def _stats(prompt_ids: list[int], done: list[_Continuation], timing: _Timing) -> GenerationStats:
    now = time.perf_counter()
    # An alternative without a reason was abandoned (the caller closed the generator).
    reasons = [c.stop_reason or "cancelled" for c in done] or ["cancelled"]
    stop_reason = "cancelled" if "cancelled" in reasons else reasons[0]
    return GenerationStats(
        prompt_tokens=len(prompt_ids),
        reused_tokens=(done[0].reused_tokens or 0) if done else 0,
        new_tokens=sum(len(c.token_ids) for c in done),
        time_to_first_token_s=(timing.first_token or now) - timing.started,
        decode_tokens_per_s=(
            timing.decode_tokens / timing.decode_seconds if timing.decode_seconds > 0 else 0.0
        ),
        total_s=now - timing.started,
        cancelled=stop_reason == "cancelled",
        stop_reason=stop_reason,
    )
