"""What a generation streams out (Delta) and what it reports when done (GenerationStats)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Delta:
    """Newly stable text of one alternative continuation (index 0 .. n-1)."""

    alternative: int
    text: str


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
