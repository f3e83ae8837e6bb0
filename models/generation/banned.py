"""The ban list at the level of text: a banned phrase is never completed, however it is split.

transformers' NoBadWordsLogitsProcessor (sampling.py) forbids the usual token sequences of a
phrase, but a model can spell the same words with other tokens (" sud" + "den" + "ly"). This
rule reads the text written so far (the prompt's end and the new tokens) and, before each
step, forbids every token whose text would complete a banned phrase starting at a word start:
with the text ending in "… sud", the tokens starting with "denly"; at a word start, the tokens
starting with "suddenly" (or " suddenly" after anything). A phrase is matched as written, with
a capital first letter and with a small one. Tokens that write no whole characters (byte
pieces) are not checked: spelling a banned phrase byte by byte is left to the sequence ban.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import torch
from transformers import LogitsProcessor

from penwright.models.generation.vocabulary import Vocabulary

_TAIL_TOKENS = 24  # the text of this many last tokens is enough to see a phrase's start


class BannedText(LogitsProcessor):
    """Forbids the tokens that would complete a banned phrase. One per request, shared by its
    alternatives (it keeps no state between calls)."""

    def __init__(self, phrases: Sequence[str], vocabulary: Vocabulary) -> None:
        self._vocabulary = vocabulary
        self._forms = sorted(_forms(tuple(phrases)))

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        copied = False
        for row in range(input_ids.shape[0]):
            tail = self._vocabulary.decode(input_ids[row, -_TAIL_TOKENS:].tolist())
            if tail is None:
                continue  # an unknown piece: the sequence ban still holds
            banned = self.completing(tail)
            if banned:
                if not copied:  # the logits may be an inference tensor: never written in place
                    scores, copied = scores.clone(), True
                scores[row, banned] = float("-inf")
        return scores

    def completing(self, tail: str) -> list[int]:
        """Tokens that, written after ``tail``, would complete a banned phrase."""
        banned: list[int] = []
        at_word_start = not tail or not tail[-1].isalnum()
        for form in self._forms:
            banned.extend(self._vocabulary.starting_with(" " + form))
            if at_word_start:
                banned.extend(self._vocabulary.starting_with(form))
            for written in range(1, len(form)):
                start = len(tail) - written
                if start < 0:
                    break
                if tail.endswith(form[:written]) and (start == 0 or not tail[start - 1].isalnum()):
                    banned.extend(self._vocabulary.starting_with(form[written:]))
        return banned


@lru_cache(maxsize=64)
def _forms(phrases: tuple[str, ...]) -> frozenset[str]:
    forms: set[str] = set()
    for phrase in phrases:
        phrase = " ".join(phrase.split())
        if phrase:
            forms.update({phrase, phrase[0].upper() + phrase[1:], phrase[0].lower() + phrase[1:]})
    return frozenset(forms)
