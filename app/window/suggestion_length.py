"""How long a suggestion is, in the writer's words: "a sentence", "~50 words", mapped to tokens.

The toolbar offers these choices instead of a token count. Each one sets the two engine values
that decide length: max_new_tokens (the hard limit) and the stop mode (where it ends early).
A stored pair that matches no choice (set in Preferences > Generation) is shown as its
approximate word count and kept exactly as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from penwright.models.params import LIMITS, StopMode

TOKENS_PER_WORD = 1.4
"""Tokens per English word for the bundled Gemma tokenizer and most subword vocabularies: about
1.3 for plain prose, more with names, numbers and punctuation. Only the labels use it; the engine
counts tokens."""


@dataclass(frozen=True)
class LengthChoice:
    """One entry of the length control. stop None: keep the stop mode the settings have."""

    label: str
    max_new_tokens: int
    stop: StopMode | None
    hint: str = ""

    def matches(self, max_new_tokens: int, stop: StopMode) -> bool:
        return self.max_new_tokens == max_new_tokens and self.stop in (None, stop)


def tokens_for_words(words: int) -> int:
    return round(words * TOKENS_PER_WORD)


def words_for_tokens(tokens: int) -> int:
    return max(1, round(tokens / TOKENS_PER_WORD))


LENGTH_CHOICES: tuple[LengthChoice, ...] = (
    LengthChoice("a few words", 8, StopMode.SENTENCE, "A handful of words, never past a sentence"),
    # 48 tokens ending at a sentence is GenerationParams' default: it must be one of the choices.
    LengthChoice("a sentence", 48, StopMode.SENTENCE, "Up to the end of the sentence"),
    LengthChoice("a paragraph", 220, StopMode.PARAGRAPH, "Up to the end of the paragraph"),
    LengthChoice("~50 words", tokens_for_words(50), StopMode.NONE, "About 50 words"),
    LengthChoice("~100 words", tokens_for_words(100), StopMode.NONE, "About 100 words"),
)


def choice_for(max_new_tokens: int, stop: StopMode) -> LengthChoice:
    """The named choice for these values, or one that keeps them exactly, labelled in words."""
    for choice in LENGTH_CHOICES:
        if choice.matches(max_new_tokens, stop):
            return choice
    low, high = LIMITS["max_new_tokens"].whole_bounds()
    tokens = min(max(max_new_tokens, low), high)
    return LengthChoice(
        f"~{words_for_tokens(tokens)} words",
        tokens,
        None,
        f"{tokens} tokens, as set in Preferences > Generation",
    )
