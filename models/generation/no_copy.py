"""No verbatim copies: never the token that would repeat an n-gram already seen.

The rule is transformers' NoRepeatNGramLogitsProcessor (``no_repeat_ngram_size``), which the
tests hold this one to token for token. Its implementation collects every n-gram of the whole
sequence again at each step: with a 2,000-token document that took 15-45 ms a step on the
2-core CPU, as long as the step itself. Here the prompt's n-grams are indexed once per request
(``NgramIndex``, shared by its alternatives) and each alternative adds the n-grams that end in
its own tokens, one a step, so a step costs a dictionary lookup.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from transformers import LogitsProcessor

NextTokens = dict[tuple[int, ...], set[int]]
"""The first size-1 tokens of each n-gram -> the tokens that followed them."""


class NgramIndex:
    """The n-grams of a prompt, indexed on first use."""

    def __init__(self, prompt_ids: Sequence[int], size: int) -> None:
        if size < 1:
            raise ValueError(f"an n-gram has at least one token, not {size}")
        self.prompt_ids = list(prompt_ids)
        self.size = size
        self._next: NextTokens | None = None

    @property
    def next_tokens(self) -> NextTokens:
        if self._next is None:
            self._next = {}
            index_ngrams(self._next, self.prompt_ids, self.size, 0)
        return self._next


def index_ngrams(index: NextTokens, ids: Sequence[int], size: int, first_end: int) -> None:
    """Add the n-grams of ``ids`` that end at position ``first_end`` or later."""
    start = max(first_end, size - 1) - (size - 1)
    # zip builds the n-gram tuples in C; only the dictionary work is left to Python.
    grams = zip(*(ids[start + k :] for k in range(size)), strict=False)
    for gram in grams:
        index.setdefault(gram[:-1], set()).add(gram[-1])


class NoCopy(LogitsProcessor):
    """Forbids completing an n-gram that occurs earlier in the sequence (prompt + generated).

    One instance follows one alternative as it grows from the prompt of ``index``.
    """

    def __init__(self, index: NgramIndex) -> None:
        self._index = index
        self._ids = list(index.prompt_ids)
        self._own: NextTokens = {}  # n-grams that end in generated tokens

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[0] != 1:
            raise ValueError("NoCopy follows one sequence; give each row its own")
        self._catch_up(input_ids[0])
        size = self._index.size
        if len(self._ids) < size - 1:
            return scores
        key = tuple(self._ids[len(self._ids) - size + 1 :])
        banned = self._index.next_tokens.get(key, set()) | self._own.get(key, set())
        if not banned:
            return scores
        ids = torch.tensor(sorted(banned), dtype=torch.long, device=scores.device)
        return scores.index_fill(-1, ids, -torch.inf)  # type: ignore[return-value]

    def _catch_up(self, sequence: torch.Tensor) -> None:
        known = len(self._ids)
        if sequence.shape[0] < known:  # asked about an earlier point: follow it from the prompt
            self._ids, self._own = list(self._index.prompt_ids), {}
            known = len(self._ids)
        new = sequence[known:].tolist()
        if new:
            self._ids.extend(new)
            index_ngrams(self._own, self._ids, self._index.size, known)
