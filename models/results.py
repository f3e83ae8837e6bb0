"""What a generation streams out (Delta, with TokenInfo when asked) and what it reports when
done (GenerationStats)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TokenChoice:
    """One token the model could have written next, and how likely it found it (0..1)."""

    text: str
    probability: float

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "probability": self.probability}


@dataclass(frozen=True)
class TokenInfo:
    """One generated token: its text (its part of the streamed text), its probability, and the
    most likely tokens at its place (``top``, best first; it is usually among them).

    The probability is the one of the distribution the token was drawn from: after the prose
    rules, repetition penalty, temperature, top-k, top-p and min-p. At temperature 0 (greedy) it
    is the softmax of the processed scores at temperature 1, since greedy has no distribution
    of its own. A text source without probabilities sends no TokenInfo at all.
    """

    text: str
    probability: float
    top: tuple[TokenChoice, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "probability": self.probability,
            "top": [choice.to_dict() for choice in self.top],
        }


@dataclass(frozen=True)
class Delta:
    """Newly stable text of one alternative continuation (index 0 .. n-1).

    tokens: when GenerationParams.top_alternatives asks for them, the generated tokens whose
    text is now fully shown, in order. Over a whole stream the tokens' texts of an alternative
    join to exactly its deltas' texts, but one delta's text may end inside a token that comes
    with a later delta (a stop string was still possible there).
    """

    alternative: int
    text: str
    tokens: tuple[TokenInfo, ...] = field(default=())


@dataclass(frozen=True)
class GenerationStats:
    """Figures of the last request, shown in the status bar and recorded by the benchmark."""

    prompt_tokens: int = 0
    reused_tokens: int = 0  # prompt tokens served from the prefix KV cache
    new_tokens: int = 0  # tokens generated, all alternatives together
    time_to_first_token_s: float = 0.0
    decode_tokens_per_s: float = 0.0
    total_s: float = 0.0
    cancelled: bool = False
    stop_reason: str = ""  # "eos", "stop", "length", "cancelled"
