"""The sampler's top-k fast path draws from the same distribution as the plain processor chain."""

from __future__ import annotations

import pytest
import torch
from transformers import (
    LogitsProcessorList,
    MinPLogitsWarper,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from penwright.models.generation.sampling import Sampler
from penwright.models.params import GenerationParams

VOCAB = 5000


def plain_chain_probabilities(
    params: GenerationParams, logits: torch.Tensor, history: torch.Tensor
) -> torch.Tensor:
    """What ``generate``'s processors give over the whole vocabulary, in generate's order."""
    chain = LogitsProcessorList()
    if params.repetition_penalty != 1.0:
        chain.append(RepetitionPenaltyLogitsProcessor(params.repetition_penalty))
    chain.append(TemperatureLogitsWarper(params.temperature))
    if params.top_k:
        chain.append(TopKLogitsWarper(params.top_k))
    if params.top_p < 1.0:
        chain.append(TopPLogitsWarper(params.top_p))
    if params.min_p > 0.0:
        chain.append(MinPLogitsWarper(params.min_p))
    # transformers annotates input_ids as LongTensor, a type tensors never have at runtime.
    return torch.softmax(chain(history, logits.clone()), dim=-1)  # type: ignore[arg-type]


CASES = [
    GenerationParams(temperature=0.8, top_k=40, top_p=0.95),
    GenerationParams(temperature=1.3, top_k=200, top_p=0.5, repetition_penalty=1.3),
    GenerationParams(temperature=0.7, top_k=50, top_p=1.0, min_p=0.05),
    GenerationParams(temperature=1.0, top_k=0, top_p=0.9),  # no top-k: the full path
]


@pytest.mark.parametrize("params", CASES, ids=lambda p: f"k{p.top_k}-p{p.top_p}-m{p.min_p}")
def test_fast_path_gives_the_plain_chains_distribution(params: GenerationParams) -> None:
    generator = torch.Generator().manual_seed(7)
    for _ in range(5):
        logits = torch.randn((1, VOCAB), generator=generator) * 4
        history = torch.randint(0, VOCAB, (1, 30), generator=generator)
        expected = plain_chain_probabilities(params, logits, history)
        got = Sampler(params, seed=0, device=torch.device("cpu")).probabilities(logits, history)
        torch.testing.assert_close(got, expected)
        assert int((got > 0).sum()) <= (params.top_k or VOCAB)


def test_ties_at_the_kth_score_keep_every_tied_token_like_top_k_warper() -> None:
    params = GenerationParams(temperature=1.0, top_k=3, top_p=1.0)
    logits = torch.full((1, 10), -5.0)
    logits[0, :5] = 2.0  # five tokens tie for the top 3 places: TopKLogitsWarper keeps all five
    history = torch.zeros((1, 0), dtype=torch.long)
    got = Sampler(params, seed=0, device=torch.device("cpu")).probabilities(logits, history)
    torch.testing.assert_close(got, plain_chain_probabilities(params, logits, history))
    assert int((got > 0).sum()) == 5


def test_picks_only_top_k_tokens_and_a_seed_repeats_them() -> None:
    params = GenerationParams(temperature=1.0, top_k=4, top_p=1.0)
    logits = torch.randn((1, VOCAB), generator=torch.Generator().manual_seed(3))
    allowed = set(torch.topk(logits, 4).indices[0].tolist())
    history = torch.zeros((1, 0), dtype=torch.long)

    def draws(seed: int) -> list[int]:
        sampler = Sampler(params, seed=seed, device=torch.device("cpu"))
        return [int(sampler.pick(logits, history)) for _ in range(40)]

    first = draws(11)
    assert set(first) <= allowed
    assert len(set(first)) > 1  # it samples, it does not always take the best
    assert draws(11) == first


def test_greedy_takes_the_argmax_after_the_repetition_penalty() -> None:
    params = GenerationParams(temperature=0.0, repetition_penalty=3.0)
    logits = torch.tensor([[1.0, 2.5, 2.0]])
    history = torch.tensor([[1]])  # token 1 was seen: 2.5 / 3 < 2.0
    token = Sampler(params, seed=0, device=torch.device("cpu")).pick(logits, history)
    assert token.tolist() == [[2]]


def test_bf16_logits_full_of_ties_give_the_plain_chains_distribution() -> None:
    # top_p 1.0: a top-p cut would drop the tied tokens at the bottom of the top 40 and hide a
    # sampler that forgets them.
    params = GenerationParams(temperature=0.8, top_k=40, top_p=1.0)
    generator = torch.Generator().manual_seed(9)
    logits = (torch.randn((1, 262_144), generator=generator) * 3).to(torch.bfloat16).float()
    history = torch.zeros((1, 0), dtype=torch.long)
    kth_score = torch.topk(logits, params.top_k).values[0, -1]
    assert int((logits == kth_score).sum()) > 1  # the case under test: a tie at the k-th score
    expected = plain_chain_probabilities(params, logits, history)
    got = Sampler(params, seed=0, device=torch.device("cpu")).probabilities(logits, history)
    torch.testing.assert_close(got, expected)
    # Every token tied with the k-th score can be drawn, as with TopKLogitsWarper: more than k.
    assert int((got > 0).sum()) == int((logits >= kth_score).sum()) > params.top_k
