"""Choosing the next token: transformers' logits processors plus a seeded torch.Generator.

The processors run in the order ``model.generate`` uses (repetition penalty, then temperature,
top-k, top-p, min-p), so temperature 0 with a repetition penalty still matches ``generate``.

Top-k fast path: the vocabulary has 262,144 entries, and top-p sorts all of them, which took
10-14 ms of a ~30 ms decode step on the 2-core CPU. When top-k is on, only the k best tokens can
ever be drawn, so we take them with ``torch.topk`` and run top-p, min-p and the softmax on those
k scores alone. The distribution is the same (the tokens outside the top k would get probability
0 anyway); only the random draws index a shorter list, so a fixed seed picks different tokens
than the full path would. When tokens tie with the k-th score, TopKLogitsWarper keeps all of them,
and so do we (with bf16 logits that happens on most steps: falling back to the full path then
cost ~10 ms a step).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from transformers import (
    LogitsProcessorList,
    MinPLogitsWarper,
    NoBadWordsLogitsProcessor,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from penwright.models.params import GenerationParams


class Sampler:
    """Picks tokens for one alternative (one batch row). Everything stays on the model's device;
    the top-k fast path costs one host sync for its tie count."""

    def __init__(
        self,
        params: GenerationParams,
        seed: int,
        device: torch.device,
        rules: LogitsProcessorList | None = None,
        banned: Sequence[Sequence[int]] = (),
    ) -> None:
        """``rules``: the prose rules of models.generation.rules, run first (they only forbid
        tokens, so where they run among the processors changes nothing). ``banned``: token
        sequences never to complete (``banned_sequences``)."""
        self._greedy = params.greedy
        self._top_k = params.top_k
        bans = [NoBadWordsLogitsProcessor([list(ids) for ids in banned])] if banned else []
        self._before_top_k = LogitsProcessorList([*(rules or ()), *bans, *_before_top_k(params)])
        self._after_top_k = _after_top_k(params)
        self._generator = torch.Generator(device=device)
        self._generator.manual_seed(seed)

    def pick(self, logits: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
        """logits (1, vocab) of the last position, input_ids (1, seq) so far -> token (1, 1)."""
        if self._greedy:
            # transformers annotates input_ids as LongTensor, a type tensors never have at runtime.
            scores = self._before_top_k(input_ids, logits.float())  # type: ignore[arg-type]
            return scores.argmax(dim=-1, keepdim=True)
        scores, token_ids = self._filtered(logits, input_ids)
        probs = torch.softmax(scores, dim=-1)
        choice = torch.multinomial(probs, num_samples=1, generator=self._generator)
        return choice if token_ids is None else token_ids.gather(-1, choice)

    def pick_with_odds(
        self, logits: torch.Tensor, input_ids: torch.Tensor, top: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``pick`` (the same token, the same random draw), plus how likely the token was.

        Returns the token (1, 1), its probability (1, 1), and the ``top`` most likely tokens'
        probabilities (1, t) and ids (1, t), best first (t is top, or the k of top-k when that
        is fewer; tokens the filters removed have probability 0 there, for the caller to leave
        out). The distribution is the one the token is drawn from: after the rules, the
        penalty, temperature, top-k, top-p and min-p. Greedy picks have none, so there it is the
        softmax of the processed scores at temperature 1: how likely the model itself found the
        token. Everything stays on the device; the caller syncs once for all rows.
        """
        if self._greedy:
            scores = self._before_top_k(input_ids, logits.float())  # type: ignore[arg-type]
            token = scores.argmax(dim=-1, keepdim=True)
            probs = torch.softmax(scores, dim=-1)
            return _odds(token, probs, token, None, top)
        scores, token_ids = self._filtered(logits, input_ids)
        probs = torch.softmax(scores, dim=-1)
        choice = torch.multinomial(probs, num_samples=1, generator=self._generator)
        token = choice if token_ids is None else token_ids.gather(-1, choice)
        return _odds(token, probs, choice, token_ids, top)

    def probabilities(self, logits: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
        """The distribution (1, vocab) ``pick`` draws from (sampling only; for tests)."""
        scores, token_ids = self._filtered(logits, input_ids)
        probs = torch.softmax(scores, dim=-1)
        if token_ids is None:
            return probs
        return torch.zeros_like(logits, dtype=probs.dtype).scatter_(-1, token_ids, probs)

    def _filtered(
        self, logits: torch.Tensor, input_ids: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Warped scores, either (1, vocab) with None, or (1, k) with their token ids (1, k)."""
        scores = self._before_top_k(input_ids, logits.float())  # type: ignore[arg-type]
        candidates = self._top_k_candidates(scores)
        if candidates is None:
            if self._top_k > 0:
                scores = TopKLogitsWarper(self._top_k)(input_ids, scores)
            return self._after_top_k(input_ids, scores), None  # type: ignore[arg-type]
        top_scores, top_ids = candidates
        return self._after_top_k(input_ids, top_scores), top_ids  # type: ignore[arg-type]

    def _top_k_candidates(self, scores: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The k best scores (1, k or more on ties) and their ids; None when top-k is off."""
        if not 0 < self._top_k < scores.shape[-1]:
            return None
        top_scores, top_ids = torch.topk(scores, self._top_k, dim=-1)
        tied_or_better = int((scores >= top_scores[..., -1:]).sum())
        if tied_or_better > self._top_k:
            # TopKLogitsWarper keeps every token tied with the k-th score, and ties are common:
            # bf16 logits (int8 and bf16 models) have 8 significant bits over 262k entries.
            top_scores, top_ids = torch.topk(scores, tied_or_better, dim=-1)
        return top_scores, top_ids


def _odds(
    token: torch.Tensor,
    probs: torch.Tensor,
    choice: torch.Tensor,
    token_ids: torch.Tensor | None,
    top: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """probs over the vocabulary (token_ids None) or over token_ids; choice indexes probs."""
    chosen = probs.gather(-1, choice)
    best, where = torch.topk(probs, min(top, probs.shape[-1]), dim=-1)
    best_ids = where if token_ids is None else token_ids.gather(-1, where)
    return token, chosen, best, best_ids


def banned_sequences(
    phrases: Sequence[str], encode: Callable[[str], Sequence[int]]
) -> list[list[int]]:
    """The token sequences of each banned phrase as a model would write it: as given, after a
    space (most words follow one), and with a capital first letter (starting a sentence).
    ``encode`` adds no special tokens. transformers' NoBadWordsLogitsProcessor then forbids the
    last token of any sequence whose others were just generated."""
    sequences: list[list[int]] = []
    for phrase in phrases:
        phrase = phrase.strip()
        if not phrase:
            continue
        for form in {phrase, phrase[0].upper() + phrase[1:], phrase[0].lower() + phrase[1:]}:
            for variant in (form, " " + form):
                ids = list(encode(variant))
                if ids and ids not in sequences:
                    sequences.append(ids)
    return sequences


def _before_top_k(params: GenerationParams) -> LogitsProcessorList:
    """Processors that need the whole vocabulary: the penalty reads the history's scores, and
    temperature runs first because dividing can round two scores to a tie top-k must see."""
    chain = LogitsProcessorList()
    if params.repetition_penalty != 1.0:
        chain.append(RepetitionPenaltyLogitsProcessor(params.repetition_penalty))
    if not params.greedy and params.temperature != 1.0:
        chain.append(TemperatureLogitsWarper(params.temperature))
    return chain


def _after_top_k(params: GenerationParams) -> LogitsProcessorList:
    """Warpers after top-k; they give the same result on the k survivors as on the whole
    vocabulary with the rest at -inf (those have probability 0 in their softmax)."""
    chain = LogitsProcessorList()
    if params.top_p < 1.0:
        chain.append(TopPLogitsWarper(params.top_p))
    if params.min_p > 0.0:
        chain.append(MinPLogitsWarper(params.min_p))
    return chain
