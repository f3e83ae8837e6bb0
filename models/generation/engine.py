"""The Engine: owns one loaded model and streams continuations of a text (a TextSource).

Threading contract: an Engine is NOT thread-safe. One thread (the app's inference worker) owns it
and calls every method, including iterating the generator ``stream`` returns. The only object
shared with other threads is the ``cancelled`` Event passed to ``stream``, which any thread may
set; the engine checks it between prefill chunks and before every decode step. (The contract of
every text source: penwright.models.sources.protocol.)

One request, in two layers:
- tokens (``_decode_tokens``, the one decode loop): the context budget picks the token ids to
  show the model, the prefix cache keeps what the previous request already computed, the rest
  is prefilled in chunks, then every alternative still going gets one token per step: one batch
  row each on the growing cache, or one alternative after another on the GPU's static cache
  (which holds one row) and after a fall-back to the CPU;
- text (``_Continuation``): each alternative's tokens are detokenized incrementally and scanned
  for the requested stop, and only stable text is yielded.

The prose rules (models.generation.rules) shape both: the prompt (healing takes a half-typed
word off it, an empty text gets an opening) and every pick (no markup, no copies, distinct
starts). When text follows the cursor and there are several alternatives, they are generated
first and yielded best first, ranked by how likely the model finds that text after each.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from transformers import LogitsProcessorList

from penwright.models.errors import EngineError, GenerationError, ModelLoadError, ParamsError
from penwright.models.generation.banned import BannedText
from penwright.models.generation.context import ContextWindow
from penwright.models.generation.detokenize import IncrementalDetokenizer
from penwright.models.generation.forward import (
    ForwardCancelled,
    cancellable_layers,
    decode_step,
    forward_all_logits,
    forward_tokens,
    prefill_tokens,
)
from penwright.models.generation.gemma_decode import WRITTEN_OUT_DECODE_PATH, GemmaDecodeStep
from penwright.models.generation.prefix_cache import PrefixCache
from penwright.models.generation.quotes import open_quotes
from penwright.models.generation.rules import Prompt, RequestRules, prepare_prompt
from penwright.models.generation.sampling import Sampler, banned_sequences
from penwright.models.generation.sliding_cache import rollback_cache
from penwright.models.generation.static_decode import StaticDecoder, supports_static_cache
from penwright.models.generation.stops import StopScanner
from penwright.models.generation.vocabulary import Vocabulary
from penwright.models.loading.cpu_kernels import choose_cpu_kernels
from penwright.models.params import GenerationParams
from penwright.models.prose import OPENING
from penwright.models.results import Delta, GenerationStats, TokenChoice, TokenInfo
from penwright.models.spec import LoadProgress, ModelInfo, ModelSpec, ProgressCallback
from penwright.models.story.assembly import (
    AssembledContext,
    PromptPreview,
    StoryAssembler,
    plain_context,
)

logger = logging.getLogger(__name__)

DecodeStep = Callable[[Any, torch.Tensor, Any], torch.Tensor]
"""(model, tokens (rows, 1), kv cache) -> logits (rows, V): forward.decode_step or the static
cache's step; tests swap in faulty ones."""

__all__ = ["DecodeStep", "Engine", "warm_up"]

# Prefill chunk sizes. Every forward reads all the weights once, so small chunks make prefill slow;
# a cancel no longer waits for the chunk (forward.cancellable_layers stops it between layers). The
# default model on the 2-core CPU, a 1,914-token cold prefill, chunks of 96 -> 256: int8 3.8-4.1 s
# -> 2.7-3.4 s, bf16 2.8-3.1 s -> 2.3-2.4 s; 512 was no faster. GPUs take large chunks in
# milliseconds.
_PREFILL_CHUNK = {"cpu": 256, "cuda": 512, "mps": 256}


def warm_up(model: Any) -> None:
    """Run each kind of forward once, so the writer's first request is not the slow one.

    The first forwards after a load pay one-time costs: reading the (memory-mapped) weights in
    from disk, allocator growth, kernel selection. A multi-token forward (prefill; above
    models.loading.quantize.KERNEL_MAX_ROWS rows int8 takes another kernel) and a one-token forward
    (decode) into a throwaway cache touch every weight and warm both paths.

    Raises ModelLoadError when either forward gives NaN or infinite logits (damaged weights):
    such a model would otherwise load and fail at the first request with torch's "probability
    tensor contains either inf, nan".
    """
    prefill_rows = 40
    ids = torch.zeros((1, prefill_rows), dtype=torch.long, device=model.device)
    kv = rollback_cache(getattr(model, "config", None))
    for logits in (forward_tokens(model, ids, kv), forward_tokens(model, ids[:, :1], kv)):
        if not bool(torch.isfinite(logits).all()):
            raise ModelLoadError(
                "the model's weights are damaged: its first outputs are NaN or infinite "
                "(a corrupted or badly converted checkpoint); choose another model or "
                "download this one again"
            )


@dataclass
class _Timing:
    """Clock readings of one request, all alternatives together."""

    started: float
    first_token: float | None = None
    decode_seconds: float = 0.0
    decode_tokens: int = 0


_SCORED_AFTER_TOKENS = 32  # of the text after the cursor, for ranking alternatives
_RANKED_CANDIDATES = 3
"""With text after the cursor, at least this many candidates are generated and ranked, even
when one alternative was asked for: the ranking is what makes a mid-paragraph suggestion fit."""


@dataclass(frozen=True)
class _Request:
    """One ``stream`` call, shared by all its alternatives."""

    prompt_ids: list[int]
    rules: RequestRules | None  # None with every prose rule off
    params: GenerationParams
    base_seed: int  # alternative i samples with seed base_seed + i, batched or not
    cancelled: threading.Event
    timing: _Timing
    banned: list[list[int]] = field(default_factory=list)  # token sequences never completed
    banned_text: BannedText | None = None  # the same phrases, however they are spelled


@dataclass
class _Row:
    """One alternative as the decode loop sees it: no text, only tokens and why they ended."""

    alternative: int
    seed: int  # base_seed + alternative, batched or not
    token_ids: list[int] = field(default_factory=list)
    # "eos", "length", "cancelled" (set by the decode loop) or "stop" (by the text layer).
    end: str = ""
    reused_tokens: int | None = None  # prompt tokens the first prefill took from the cache
    # With GenerationParams.top_alternatives: per token, its probability and the best (id,
    # probability) pairs at its place.
    odds: list[tuple[float, list[tuple[int, float]]]] = field(default_factory=list)


TokenText = Callable[[int], str]
"""The text of one token id by itself, for the alternatives a TokenInfo lists."""


class _Continuation:
    """The text of one alternative: its row's tokens -> stable text -> text up to the stop."""

    def __init__(
        self,
        row: _Row,
        tokenizer: Any,
        prompt: Prompt,
        params: GenerationParams,
        context: str,
        token_text: TokenText | None = None,
    ):
        self.row = row
        self._token_text = token_text
        self._detokenizer = IncrementalDetokenizer(tokenizer, prompt.ids)
        quotes = open_quotes(context) if params.dialogue else None
        self._scanner = StopScanner(params.stop, params.stop_strings, quotes)
        self._healed = len(prompt.healed)  # the writer's own letters, written again first
        self._shown = 0
        self.text = ""  # everything shown so far
        # Tokens (with odds) whose text is not all shown yet: (where their text ends, odds).
        self._pending: list[tuple[int, tuple[float, list[tuple[int, float]]]]] = []
        self._released_end = 0
        self.tokens: list[TokenInfo] = []  # every token released so far

    def take_tokens(self) -> tuple[TokenInfo, ...]:
        """The tokens whose text became fully shown since the last call (all the rest once the
        row ended), each with its part of the shown text; tokens with no text of their own (a
        healed letter, half a character, beyond a stop) are left out."""
        released = []
        ended = bool(self.row.end)
        while self._pending and (ended or self._pending[0][0] <= self._shown):
            end, (probability, top) = self._pending.pop(0)
            end = min(max(end, self._released_end), self._shown)
            text = self.text[self._released_end : end]
            self._released_end = end
            if not text or self._token_text is None:
                continue
            choices = tuple(TokenChoice(self._token_text(i), p) for i, p in top if p > 0.0)
            released.append(TokenInfo(text, probability, choices))
        self.tokens.extend(released)
        return tuple(released)

    def take_token(self) -> str:
        """Take the row's newest token; return the text it makes safe to show (all the rest
        when the row ended by end of text or length). A stop found ends the row."""
        row = self.row
        self._detokenizer.push(row.token_ids[-1])
        if len(row.odds) == len(row.token_ids):
            # Its text ends where the text decoded so far ends (or, held back, a later one's).
            self._pending.append((len(self._new_text()), row.odds[-1]))
        scan = self._scanner.scan(self._new_text())
        if scan.stopped:
            row.end = "stop"
            return self._show_up_to(scan.stable_end)
        text = self._show_up_to(scan.stable_end)
        if row.end in ("eos", "length"):
            self._detokenizer.flush()
            text += self._show_up_to(self._scanner.finish(self._new_text()))
        return text

    def _new_text(self) -> str:
        """The continuation after the healed letters (which the constraint made it start with)."""
        return self._detokenizer.text[self._healed :]

    def _show_up_to(self, end: int) -> str:
        if end <= self._shown:
            return ""
        new_text = self._new_text()[self._shown : end]
        self._shown = end
        self.text += new_text
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
        self._assembler: StoryAssembler | None = None
        self._stats = GenerationStats()
        self._last_prompt_ids: list[int] = []
        self._last_alternatives: tuple[list[int], ...] = ()
        self._static: StaticDecoder | None = None
        self._vocabulary: Vocabulary | None = None
        self._token_texts: dict[int, str] = {}  # of this tokenizer, as TokenChoice shows them
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
        Vocabulary.of(loaded.tokenizer)  # for the prose rules, now rather than at the first request
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
          gain on the CPU (see penwright.models.loading.quantize for what made the CPU fast).
          An int8 Gemma 3 on the CPU gets its step written out (models.generation.gemma_decode):
          the same logits, without transformers' per-step bookkeeping;
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
        self._vocabulary = None  # built at the first request that needs it
        self._token_texts = {}
        self._eos_ids = _eos_ids(model, tokenizer)
        self._window = ContextWindow(lambda text: tokenizer(text)["input_ids"])
        self._assembler = StoryAssembler(lambda text: tokenizer(text)["input_ids"])
        if static_cache:
            self._static = StaticDecoder(model, info.context_length, compile_step=compile_decode)
            self._cache = PrefixCache(new_kv=self._static.empty_cache)
            self.decode_step = self._static.step
            decode_path = "static cache, CUDA graph" if compile_decode else "static cache"
        else:
            self._static = None
            # Scripted test models have no config.
            self._cache = PrefixCache(getattr(model, "config", None))
            written_out = GemmaDecodeStep.for_model(model)
            self.decode_step = written_out or decode_step
            decode_path = WRITTEN_OUT_DECODE_PATH if written_out else "eager"
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
            logger.warning("compiling the decode step failed; decoding uncompiled", exc_info=True)
            message = f"{type(error).__name__}: {error}".splitlines()[0][:200]
            self.attach(
                self._model, self._tokenizer, self._info, static_cache=True, compile_decode=False
            )
            assert self._info is not None
            self._info = replace(
                self._info, decode_path=f"static cache (compiling failed: {message})"
            )

    def close(self) -> None:
        """Free the model: drop it, its tokenizer, its KV caches and compiled step, and give a
        GPU's memory back. Safe to call twice; ``stream`` refuses until the next load."""
        on_cuda = getattr(getattr(self._model, "device", None), "type", None) == "cuda"
        self._model = self._tokenizer = self._info = self._window = None
        self._assembler = None
        self._static = None
        self._vocabulary = None
        self._cache = PrefixCache()
        self.decode_step = decode_step
        self._eos_ids = frozenset()
        if on_cuda and torch.cuda.is_available():
            torch.cuda.empty_cache()

    @property
    def reports_token_probabilities(self) -> bool:
        """Deltas carry TokenInfo when GenerationParams.top_alternatives asks for them."""
        return True

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
        With temperature 0 and ``distinct`` off every alternative would be the same, so only one
        is generated.
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
        context, selected = self._assembled(context, params)
        if not selected:
            raise ParamsError("there is no text to continue (and the model has no start token)")
        rules = self._rules(context, selected, params)
        prompt = rules.prompt if rules is not None else Prompt(selected)
        prompt_ids = prompt.ids
        self._last_prompt_ids = prompt_ids
        base_seed = params.seed if params.seed is not None else secrets.randbits(62)
        request = _Request(
            prompt_ids,
            rules,
            params,
            base_seed,
            cancelled,
            timing,
            self._banned(params),
            self._banned_text(params),
        )
        alternatives = 1 if params.greedy and not params.distinct else params.n
        ranking = bool(params.text_after.strip()) and (params.distinct or not params.greedy)
        if ranking:
            alternatives = max(alternatives, _RANKED_CANDIDATES)
        token_text = self._token_text if params.top_alternatives else None
        done = [
            _Continuation(
                _Row(i, base_seed + i), self._tokenizer, prompt, params, context, token_text
            )
            for i in range(alternatives)
        ]
        try:
            if ranking:
                done = self._ranked(request, prompt, done)
                for rank, continuation in enumerate(done):
                    if continuation.text:
                        yield Delta(rank, continuation.text, tuple(continuation.tokens))
                return
            yield from self._generate(request, done)
        except GeneratorExit:
            raise  # the caller stopped listening at a yield, where the cache is consistent
        except BaseException:
            # A failed (or interrupted) forward may have left the cache half-written.
            self._cache.clear()
            raise
        finally:
            self._last_alternatives = tuple(c.row.token_ids for c in done)
            self._stats = _stats(prompt_ids, [c.row for c in done], timing)

    def _token_text(self, token_id: int) -> str:
        """A token's text by itself, leading space included (Gemma's tokenizer keeps it)."""
        text = self._token_texts.get(token_id)
        if text is None:
            text = self._tokenizer.decode([token_id], skip_special_tokens=True)
            self._token_texts[token_id] = text
        return text

    def preview(self, context: str, params: GenerationParams) -> PromptPreview:
        """What ``stream(context, params)`` would feed the model, without generating: the
        marked parts (memory, lore, note, story), what was cut, and the exact prompt ids.
        Keeps the same sticky cuts ``stream`` does, so calling it changes nothing."""
        if self._model is None or self._window is None:
            raise EngineError("no model is loaded yet")
        params.validate()
        assembled = self._assemble(context, params)
        text = assembled.text if _has_story(params) else context
        rules = self._rules(text, list(assembled.ids), params)
        prompt = rules.prompt if rules is not None else Prompt(list(assembled.ids))
        opening = OPENING if prompt.opening else ""
        return PromptPreview(assembled, tuple(prompt.ids), prompt.healed, opening)

    def _budget(self, params: GenerationParams) -> int:
        assert self._info is not None
        room = self._info.context_length - params.max_new_tokens
        return max(1, min(params.context_tokens, room))

    def _assemble(self, context: str, params: GenerationParams) -> AssembledContext:
        """The parts the model reads: the story's (models.story.assembly) when there is one,
        else the end of the text the context budget keeps."""
        assert self._window is not None and self._assembler is not None
        budget = self._budget(params)
        if _has_story(params):
            assert params.story is not None
            return self._assembler.assemble(context, params.story, budget)
        start, ids = self._window.select_with_start(context, budget)
        special = len(self._tokenizer("")["input_ids"])
        return plain_context(context, start, ids, budget, special)

    def _assembled(self, context: str, params: GenerationParams) -> tuple[str, list[int]]:
        """The text the prose rules read (the whole text before the cursor, or the assembled
        story) and the token ids of the context."""
        assembled = self._assemble(context, params)
        return (assembled.text if _has_story(params) else context), list(assembled.ids)

    def _banned(self, params: GenerationParams) -> list[list[int]]:
        if not params.banned_phrases:
            return []
        tokenizer = self._tokenizer

        def encode(text: str) -> list[int]:
            return list(tokenizer(text, add_special_tokens=False)["input_ids"])

        return banned_sequences(params.banned_phrases, encode)

    def _banned_text(self, params: GenerationParams) -> BannedText | None:
        if not params.banned_phrases:
            return None
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.of(self._tokenizer)
        return BannedText(params.banned_phrases, self._vocabulary)

    def _rules(
        self, context: str, selected: list[int], params: GenerationParams
    ) -> RequestRules | None:
        if params == params.plain():
            return None
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.of(self._tokenizer)
        tokenizer = self._tokenizer
        prompt = prepare_prompt(
            context, selected, params, self._vocabulary, lambda text: tokenizer(text)["input_ids"]
        )
        return RequestRules(context, prompt, params, self._vocabulary, self._eos_ids)

    def _ranked(
        self, request: _Request, prompt: Prompt, continuations: list[_Continuation]
    ) -> list[_Continuation]:
        """Generate every alternative, then order them by how likely the model finds the text
        after the cursor following each (mean log-probability of its first tokens)."""
        for _ in self._generate(request, continuations):
            pass  # the text accumulates in each continuation
        after = self._tokenizer(request.params.text_after, add_special_tokens=False)["input_ids"]
        after = list(after[:_SCORED_AFTER_TOKENS])
        if request.cancelled.is_set() or not after:
            return continuations
        scores = {}
        for continuation in continuations:
            if request.cancelled.is_set():
                return continuations
            scores[id(continuation)] = self._follow_score(prompt, continuation.text, after)
        return sorted(continuations, key=lambda c: -scores[id(c)])

    def _follow_score(self, prompt: Prompt, text: str, after: list[int]) -> float:
        """Mean log-probability of ``after`` once ``text`` follows the prompt."""
        middle = self._tokenizer(prompt.healed + text, add_special_tokens=False)["input_ids"]
        ids = prompt.ids + list(middle) + after
        if self._static is not None and not self._static.has_room(len(ids)):
            return 0.0  # no room to score on the GPU's static cache: keep the order
        reused = self._cache.reuse(ids)
        fed = ids[reused:]
        device = self._model.device
        # The logits that predict each token of ``after``: from the position before it on.
        keep = len(after) + 1
        logits = forward_all_logits(
            self._model, torch.tensor([fed], device=device), self._cache.kv, keep
        )
        self._cache.extend(fed)
        predictions = torch.log_softmax(logits[0, -keep:-1].float(), dim=-1)
        targets = torch.tensor(after, device=predictions.device)
        return float(predictions.gather(-1, targets[:, None]).mean())

    def _generate(self, request: _Request, continuations: list[_Continuation]) -> Iterator[Delta]:
        """Every alternative: in one batch on the growing cache, one after another on the static
        cache (it holds one row; rolling it back to the prompt costs nothing). If the GPU runs out
        of memory, the engine moves to the CPU and the unfinished alternatives carry on there,
        one after another, from the tokens they have (already shown)."""
        batched = self._static is None
        fell_back = False
        while True:
            try:
                pending = [c for c in continuations if not c.row.end]
                if batched and len(pending) > 1:
                    yield from self._decode_text(request, pending)
                    return
                for continuation in pending:
                    yield from self._decode_text(request, [continuation])
                    if continuation.row.end == "cancelled":
                        break
                return
            except torch.cuda.OutOfMemoryError as error:
                if fell_back:
                    message = f"out of memory even after moving to the CPU: {error}"
                    raise GenerationError(message) from error
                self._fall_back_to_cpu("the GPU ran out of memory while generating")
                fell_back, batched = True, False

    def _decode_text(
        self, request: _Request, continuations: list[_Continuation]
    ) -> Iterator[Delta]:
        """The text layer over the decode loop: each new token becomes stable text."""
        by_alternative = {c.row.alternative: c for c in continuations}
        for stepped in self._decode_tokens(request, [c.row for c in continuations]):
            for row in stepped:
                continuation = by_alternative[row.alternative]
                text = continuation.take_token()
                tokens = continuation.take_tokens()
                if text or tokens:
                    yield Delta(row.alternative, text, tokens)

    def _decode_tokens(self, request: _Request, rows: list[_Row]) -> Iterator[list[_Row]]:
        """The one decode loop: prefill, then one token for every row still going per step.

        After each step it yields the rows that got a token (``row.token_ids[-1]``), having
        ended those that hit end of text or the length limit; a row the caller ends meanwhile
        (``row.end = "stop"``) leaves the batch before the next step. The cancel is checked
        before every step (and between prefill chunks, see ``_prefill``).

        One row: the prompt and any tokens the row already has (carrying on after a move to the
        CPU) are prefilled, and the prefix cache keeps the generated tokens too. Several rows
        (none with tokens yet): the prompt is prefilled once and the single-row cache repeated
        along the batch dimension; rows that end are dropped from the batch; afterwards the cache
        is cropped back to the prompt, one row, so the next request reuses it as if one
        alternative had been generated. Row ``i`` samples with its own seed either way.
        """
        prompt_ids, params, timing = request.prompt_ids, request.params, request.timing
        batched = len(rows) > 1
        if batched:
            assert not any(row.token_ids for row in rows), "a batch starts from the prompt"
        known = prompt_ids + (rows[0].token_ids if not batched else [])
        logits, reused = self._prefill(
            known, request.cancelled, len(prompt_ids) + params.max_new_tokens
        )
        for row in rows:
            if row.reused_tokens is None:
                row.reused_tokens = reused
        if logits is None:
            for row in rows:
                row.end = "cancelled"
            return
        kv = self._cache.kv
        device = logits.device
        rules = request.rules
        samplers = [
            Sampler(
                params, row.seed, device, self._processors(request, row.alternative), request.banned
            )
            for row in rows
        ]
        active = list(range(len(rows)))  # the row each batch row generates
        top = params.top_alternatives
        if batched:
            kv.batch_repeat_interleave(len(rows))
            logits = logits.expand(len(rows), -1)  # (rows, vocab)
        # Ids so far for the repetition penalty, preallocated so each step is one index write.
        history = torch.zeros(
            (len(rows), len(known) + params.max_new_tokens), dtype=torch.long, device=device
        )
        history[:, : len(known)] = torch.tensor(known, dtype=torch.long)
        length = len(known)
        decode_started = time.perf_counter()
        decoded = 0
        try:
            while True:
                picks = []
                odds = []
                for b, index in enumerate(active):
                    if top:
                        pick, *row_odds = samplers[index].pick_with_odds(
                            logits[b : b + 1], history[b : b + 1, :length], top
                        )
                        odds.append(row_odds)
                    else:
                        pick = samplers[index].pick(logits[b : b + 1], history[b : b + 1, :length])
                    picks.append(pick)
                    row = rows[index]
                    if rules is not None and rules.needs_record(row.alternative):
                        # The alternatives after this one must open differently.
                        rules.record(row.alternative, [*row.token_ids, int(pick)])
                tokens = picks[0] if len(picks) == 1 else torch.cat(picks)  # (rows, 1)
                token_ids = tokens[:, 0].tolist()  # the one host sync per step: text needs ids
                if timing.first_token is None:
                    timing.first_token = time.perf_counter()
                    decode_started = timing.first_token
                history[:, length] = tokens[:, 0]
                length += 1
                stepped = [rows[index] for index in active]
                for row, row_odds in zip(stepped, odds, strict=False):
                    row.odds.append(_odds_on_host(row_odds))
                for row, token_id in zip(stepped, token_ids, strict=True):
                    row.token_ids.append(token_id)
                    if token_id in self._eos_ids:
                        row.end = "eos"
                    elif len(row.token_ids) >= params.max_new_tokens:
                        row.end = "length"
                yield stepped
                going_on = [b for b, row in enumerate(stepped) if not row.end]
                if not going_on:
                    break
                if request.cancelled.is_set():
                    for b in going_on:
                        stepped[b].end = "cancelled"
                    break
                if len(going_on) < len(active):
                    keep = torch.tensor(going_on, device=device)
                    kv.batch_select_indices(keep)
                    history, tokens = history[keep], tokens[keep]
                    active = [active[b] for b in going_on]
                logits = self.decode_step(self._model, tokens, kv)
                if not batched:
                    self._cache.extend(token_ids)
                decoded += len(active)
        finally:
            timing.decode_seconds += time.perf_counter() - decode_started
            timing.decode_tokens += decoded
            if batched:
                # Back to the prompt, one row: what the prefix cache's ids say it holds. crop()
                # takes a negative count (see models.generation.prefix_cache); every row is this
                # long.
                generated = kv.get_seq_length() - len(prompt_ids)
                if generated > 0:
                    kv.crop(-generated)
                kv.batch_select_indices(torch.tensor([0], device=device))

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
        # A cancel lands between layers (the static cache's positions cannot be cropped per
        # layer, and GPU chunks take milliseconds anyway).
        watch = (
            cancellable_layers(self._model, cancelled) if self._static is None else nullcontext()
        )
        with watch:
            for start in range(reused, len(ids), chunk):
                if cancelled.is_set():
                    return None, reused
                piece = ids[start : start + chunk]
                piece_ids = torch.tensor([piece], device=device)
                try:
                    if start + chunk < len(ids):  # only the last chunk's prediction is read
                        prefill_tokens(self._model, piece_ids, self._cache.kv)
                    else:
                        logits = forward_tokens(self._model, piece_ids, self._cache.kv)
                except ForwardCancelled:
                    self._cache.drop_unrecorded()
                    return None, reused
                self._cache.extend(piece)
        return logits, reused

    def _fall_back_to_cpu(self, reason: str) -> None:
        assert self._info is not None
        # The CPU decodes an fp32 model eagerly on the growing cache (see attach): neither the
        # static cache's step nor the written-out one (models.generation.gemma_decode, int8
        # only) fits it. A step put in by hand (tests inject failing ones) stays.
        static_step = self._static.step if self._static is not None else None
        if self.decode_step == static_step or isinstance(self.decode_step, GemmaDecodeStep):
            self.decode_step = decode_step
        self._static = None
        self._cache = PrefixCache(getattr(self._model, "config", None))
        self._model.to(device="cpu", dtype=torch.float32)  # half precision is slow on CPUs
        # The CPU's layers, as a CPU load gets them (models.loading.cpu_kernels).
        kernels = choose_cpu_kernels(self._model, self._tokenizer)
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        self._info = replace(
            self._info,
            device="cpu",
            precision="fp32",
            fallback_reason=reason,
            decode_path="eager",
            kernels=kernels,
        )

    @staticmethod
    def _processors(request: _Request, alternative: int) -> LogitsProcessorList | None:
        """The prose rules of one alternative, and the text-level ban list."""
        rules = request.rules
        processors = rules.processors(alternative) if rules is not None else None
        if request.banned_text is None:
            return processors
        return LogitsProcessorList([*(processors or ()), request.banned_text])


def _odds_on_host(odds: list[torch.Tensor]) -> tuple[float, list[tuple[int, float]]]:
    """(chosen (1, 1), best probabilities (1, t), their ids (1, t)) -> plain numbers."""
    chosen, best, best_ids = odds
    return float(chosen), list(zip(best_ids[0].tolist(), best[0].tolist(), strict=True))


def _has_story(params: GenerationParams) -> bool:
    return params.story is not None and not params.story.empty


def _eos_ids(model: Any, tokenizer: Any) -> frozenset[int]:
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids = set(configured if isinstance(configured, list) else [configured])
    ids.add(getattr(tokenizer, "eos_token_id", None))
    return frozenset(i for i in ids if isinstance(i, int))


def _stats(prompt_ids: list[int], done: list[_Row], timing: _Timing) -> GenerationStats:
    now = time.perf_counter()
    # An alternative without a reason was abandoned (the caller closed the generator).
    reasons = [row.end or "cancelled" for row in done] or ["cancelled"]
    stop_reason = "cancelled" if "cancelled" in reasons else reasons[0]
    return GenerationStats(
        prompt_tokens=len(prompt_ids),
        reused_tokens=(done[0].reused_tokens or 0) if done else 0,
        new_tokens=sum(len(row.token_ids) for row in done),
        time_to_first_token_s=(timing.first_token or now) - timing.started,
        decode_tokens_per_s=(
            timing.decode_tokens / timing.decode_seconds if timing.decode_seconds > 0 else 0.0
        ),
        total_s=now - timing.started,
        cancelled=stop_reason == "cancelled",
        stop_reason=stop_reason,
    )
