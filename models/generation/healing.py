"""Token healing at the cursor: a half-typed word is completed, never misspelt.

A prompt that ends inside a word ends on a token the model rarely saw there: "the wind rattl"
is "▁ratt" + "l", and after a lone "l" the model writes "led" or "'d" ("rattlled", "rattl'd").
As in guidance's token healing, we take the tokens of the partial word off the prompt and make
the first generated token start with their text: " rattl" allows " rattle", " rattled",
" rattling". The stream then shows only what comes after the removed text, so the writer's
letters stay as typed.

How much to take off: the tokens from the word's start, when some token starts with all of
their text; otherwise fewer, down to the last token alone (a token always starts with itself).
Only tokens that start with the text are allowed, never pieces of it: with pieces, the model
spelt " Lighthouse" as " " "Lig" "ht" "h" "ous" and went on to "Lighthousen".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from transformers import LogitsProcessor

from penwright.models.generation.vocabulary import Vocabulary
from penwright.models.prose import CJK_CHARACTERS

# The partial word: letters, digits and inner apostrophes at the very end of the text. CJK text
# has no partial words to heal (each character is whole), so it is left out.
_PARTIAL_WORD = re.compile(rf"(?:[^\W_{CJK_CHARACTERS}]|['’](?=[^\W_]))+\Z")  # noqa: RUF001


_MAX_TOKENS = 3


@dataclass(frozen=True)
class Healing:
    """The prompt without the partial word's tokens, and the text those tokens wrote."""

    prompt_ids: list[int]
    prefix: str  # "" when nothing was healed


def heal(prompt_ids: list[int], context: str, vocabulary: Vocabulary) -> Healing:
    """Take the tokens of the word the context ends in (if any) off ``prompt_ids``."""
    word = _PARTIAL_WORD.search(context)
    if word is None:
        return Healing(prompt_ids, "")
    pieces: list[str] = []
    # Never the first token (a start-of-text token, or the start of a context window cut).
    for token_id in reversed(prompt_ids[max(1, len(prompt_ids) - _MAX_TOKENS) :]):
        text = vocabulary.text(token_id)
        if text is None or not text.strip() or not context.endswith(text + "".join(pieces)):
            break
        pieces.insert(0, text)
        if len("".join(pieces).lstrip()) >= len(word.group()):
            break  # back at the word's start
    while pieces:
        prefix = "".join(pieces)
        if vocabulary.starting_with(prefix) and prefix.strip():
            return Healing(prompt_ids[: len(prompt_ids) - len(pieces)], prefix)
        pieces.pop(0)
    return Healing(prompt_ids, "")


class HealingConstraint(LogitsProcessor):
    """The first generated token must start with ``prefix``."""

    def __init__(self, prefix: str, prompt_length: int, vocabulary: Vocabulary) -> None:
        self._prompt_length = prompt_length
        self._allowed = torch.tensor(vocabulary.starting_with(prefix), dtype=torch.long)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if input_ids.shape[-1] != self._prompt_length:
            return scores
        allowed = self._allowed.to(scores.device)
        out = torch.full_like(scores, -torch.inf)
        out[:, allowed] = scores[:, allowed]
        return out  # type: ignore[return-value]
