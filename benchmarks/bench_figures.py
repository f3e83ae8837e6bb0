"""What one benchmark configuration measured: the record a child process hands back."""

from __future__ import annotations

from dataclasses import dataclass, field

ENGINE = "engine"
ENGINE_EAGER = "engine (eager)"
BASELINE = "baseline generate"
LLAMA_CPP = "llama.cpp"
"""Figures.name of each kind of configuration (the table's row labels start with them)."""


@dataclass
class Figures:
    """One configuration's measurements (seconds, tokens/s, MB) in one round."""

    name: str
    precision: str
    device: str
    load_s: float
    ttft_cold_s: float
    ttft_append_s: float
    decode_tokens_per_s: float
    peak_rss_mb: float
    prompt_tokens: int
    reused_tokens: int = 0  # prompt tokens taken from the cache (append request)
    sampled_tokens_per_s: float | None = None  # engine decode with the app's default sampling
    # Engine: Event.set() -> generator done, median and worst of CANCEL_DELAYS, in prefill ...
    cancel_prefill_ms: tuple[float, float] | None = None
    cancel_decode_ms: tuple[float, float] | None = None  # ... and while decoding
    first_load_s: float | None = None
    round: int = 1  # engine and llama.cpp alternate over rounds (--rounds)
    # Held-out perplexity per language (benchmarks.perplexity_texts), measured in round 1, and
    # how many tokens were scored (the same tokens for every configuration that scored them).
    perplexity: dict[str, float] = field(default_factory=dict)
    perplexity_tokens: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.name} {self.precision}"
