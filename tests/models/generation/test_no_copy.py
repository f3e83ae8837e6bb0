"""NoCopy forbids exactly what transformers' NoRepeatNGramLogitsProcessor forbids, step by step."""

from __future__ import annotations

import pytest
import torch
from transformers import NoRepeatNGramLogitsProcessor

from penwright.models.generation.no_copy import NgramIndex, NoCopy


@pytest.mark.parametrize("size", [1, 2, 3, 8])
def test_each_step_bans_what_no_repeat_ngram_bans(size: int) -> None:
    generator = torch.Generator().manual_seed(size)
    vocab = 12  # few tokens, so n-grams repeat often
    prompt = torch.randint(0, vocab, (40,), generator=generator).tolist()
    index = NgramIndex(prompt, size)
    ours = NoCopy(index)
    reference = NoRepeatNGramLogitsProcessor(size)
    sequence = list(prompt)
    for _ in range(30):
        ids = torch.tensor([sequence])
        scores = torch.zeros(1, vocab)
        expected = reference(ids, scores.clone())
        got = ours(ids, scores.clone())
        assert torch.equal(torch.isneginf(got), torch.isneginf(expected))
        allowed = (~torch.isneginf(got[0])).nonzero()[:, 0].tolist() or [0]
        sequence.append(allowed[int(torch.randint(0, len(allowed), (1,), generator=generator))])


def test_alternatives_share_the_prompt_index_but_not_their_own_ngrams() -> None:
    index = NgramIndex([1, 2, 3], 2)
    first, second = NoCopy(index), NoCopy(index)
    first(torch.tensor([[1, 2, 3, 7]]), torch.zeros(1, 10))
    banned = second(torch.tensor([[1, 2, 3, 7]]), torch.zeros(1, 10))
    assert torch.isneginf(banned).sum() == 0  # 7 follows nothing twice yet
    after_seven = first(torch.tensor([[1, 2, 3, 7, 3]]), torch.zeros(1, 10))
    assert torch.isneginf(after_seven[0, 7])  # "3 7" was written by this alternative
    assert not torch.isneginf(second(torch.tensor([[1, 2, 3, 9, 3]]), torch.zeros(1, 10))[0, 9])


def test_asked_about_an_earlier_point_it_forgets_what_came_after() -> None:
    ours = NoCopy(NgramIndex([1, 2, 3], 2))
    assert torch.isneginf(ours(torch.tensor([[1, 2, 3, 4, 3]]), torch.zeros(1, 5))[0, 4])
    assert not torch.isneginf(ours(torch.tensor([[1, 2, 3]]), torch.zeros(1, 5))[0, 4])
