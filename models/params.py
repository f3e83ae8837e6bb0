"""Generation parameters: one frozen value object, validated once at the boundary.

``LIMITS`` is the one declaration of every parameter's range: validation here, the settings
store, Preferences, the toolbar and the command line all read it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import StrEnum

from penwright.models.errors import ParamsError
from penwright.models.story.story import StoryContext


@dataclass(frozen=True)
class Limit:
    """The accepted range of one parameter, both ends included."""

    low: float
    high: float

    def bounds(self) -> tuple[float, float]:
        return self.low, self.high

    def whole_bounds(self) -> tuple[int, int]:
        """For whole-number parameters (and spin boxes)."""
        return int(self.low), int(self.high)

    def span(self, joiner: str = " and ") -> str:
        """For people: "0.01 and 1", "0 to 9223372036854775807" (never 9.22e+18)."""
        return f"{_plain(self.low)}{joiner}{_plain(self.high)}"


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


LIMITS: dict[str, Limit] = {
    "temperature": Limit(0.0, 5.0),
    "top_k": Limit(0, 1000),
    "top_p": Limit(0.01, 1.0),
    "min_p": Limit(0.0, 1.0),
    "repetition_penalty": Limit(0.5, 3.0),
    "max_new_tokens": Limit(1, 2048),
    "n": Limit(1, 8),
    "context_tokens": Limit(64, 131_072),
    "seed": Limit(0, 2**63 - 1),
    "no_copy_tokens": Limit(0, 64),
}
"""Ranges a writer (or a program) may ask for. max_new_tokens 2048 is about three pages of
prose; context_tokens 131,072 is the longest context of the models Penwright lists."""


TOP_ALTERNATIVES = Limit(0, 20)
"""How many alternatives per token a request may ask for. Not in LIMITS: it is no writer's
setting (the app asks for what its views show), so the settings store does not keep it."""


MAX_CONTEXT_CHARS = 20_000
"""How much text before the cursor a request carries. The engine trims further to its token
budget; this bound only keeps the snapshot (and the copy made for the queued signal) small."""


class StopMode(StrEnum):
    """Where a continuation ends, besides max_new_tokens and end-of-text."""

    NONE = "none"
    SENTENCE = "sentence"
    PARAGRAPH = "paragraph"
    CUSTOM = "custom"  # only the strings in GenerationParams.stop_strings


@dataclass(frozen=True)
class GenerationParams:
    """How to continue a text. Immutable so it can cross threads safely.

    temperature 0 means greedy decoding; top_k 0, top_p 1.0 and min_p 0.0 switch those filters
    off; repetition_penalty 1.0 is none. seed None draws a fresh seed. n is the number of
    alternative continuations. context_tokens bounds how much of the text before the cursor the
    model sees (trimmed at a paragraph boundary when possible).

    The prose rules (models.generation.rules), each on by default and off for a plain sampler:
    - heal: when the text ends inside or right after a word, the model re-reads that word and
      must extend it ("rattl" continues as "rattled", never "rattlled"); the streamed text
      starts after what the writer typed.
    - prose: no HTML/XML tags or entities unless the context itself contains markup, and an
      empty or near-empty text gets a prose opening instead of the web's boilerplate.
    - no_copy_tokens: no span of this many tokens is copied from the context or from the
      continuation itself (transformers' no-repeat n-gram rule); 0 allows copies.
    - distinct: alternatives start with different tokens, so they never repeat one another; at
      temperature 0 alternative i continues greedily from the i-th most likely first token.
    - dialogue: a sentence stop inside an open quotation waits for its closing quote.
    avoid: continuations already offered here; new alternatives start differently.
    story: the document's memory, author's note and lore (models.story), which the engine
    places around the text before the cursor (models.story.assembly); None: the text alone.
    banned_phrases: phrases the model must never write (as written, after a space, and with a
    capital first letter), for the document's ban list.
    text_after: the rest of the cursor's paragraph; then at least three candidates (n or more)
    are generated and ranked by how well this text follows them, the best first.
    top_alternatives: when above 0, every generated token comes with its probability and this
    many most likely tokens at its place (models.results.TokenInfo on each Delta); 0 computes
    nothing extra.
    """

    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    max_new_tokens: int = 48
    stop: StopMode = StopMode.SENTENCE
    stop_strings: tuple[str, ...] = field(default_factory=tuple)
    seed: int | None = None
    n: int = 1
    context_tokens: int = 2048
    heal: bool = True
    prose: bool = True
    no_copy_tokens: int = 8
    distinct: bool = True
    dialogue: bool = True
    avoid: tuple[str, ...] = field(default_factory=tuple)
    text_after: str = ""
    top_alternatives: int = 0
    story: StoryContext | None = None
    banned_phrases: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # Accept a plain string for stop ("sentence") and a list for stop_strings.
        if not isinstance(self.stop, StopMode):
            try:
                object.__setattr__(self, "stop", StopMode(str(self.stop)))
            except ValueError:
                choices = ", ".join(m.value for m in StopMode)
                raise ParamsError(f"stop must be one of {choices}, not {self.stop!r}") from None
        for name in ("stop_strings", "avoid", "banned_phrases"):
            if not isinstance(getattr(self, name), tuple):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        self.validate()

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0

    def plain(self) -> GenerationParams:
        """The same request with every prose rule off: what a bare sampler would do (the
        quality benchmark's baseline, and the reference for model.generate comparisons)."""
        return replace(
            self, heal=False, prose=False, no_copy_tokens=0, distinct=False, dialogue=False
        )

    def validate(self) -> None:
        """Raise ParamsError naming the first parameter that is out of range."""
        for name in ("temperature", "top_p", "min_p", "repetition_penalty"):
            _number(name, getattr(self, name), LIMITS[name])
        for name in ("top_k", "max_new_tokens", "n", "context_tokens", "no_copy_tokens"):
            _integer(name, getattr(self, name), LIMITS[name])
        _integer("top_alternatives", self.top_alternatives, TOP_ALTERNATIVES)
        if self.seed is not None:
            _integer("seed", self.seed, LIMITS["seed"])
        for s in self.stop_strings:
            if not isinstance(s, str) or not s:
                raise ParamsError(f"stop strings must be non-empty text, not {s!r}")
        for name in ("heal", "prose", "distinct", "dialogue"):
            if not isinstance(getattr(self, name), bool):
                raise ParamsError(f"{name} must be true or false, not {getattr(self, name)!r}")
        for text in (*self.avoid, self.text_after):
            if not isinstance(text, str):
                raise ParamsError(f"avoid and text_after must be text, not {text!r}")
        for phrase in self.banned_phrases:
            if not isinstance(phrase, str) or not phrase.strip():
                raise ParamsError(f"banned phrases must be non-empty text, not {phrase!r}")
        if self.story is not None and not isinstance(self.story, StoryContext):
            raise ParamsError(f"story must be a StoryContext, not {type(self.story).__name__}")
        if self.stop is StopMode.CUSTOM and not self.stop_strings:
            raise ParamsError("stop mode 'custom' needs at least one stop string")


def _number(name: str, value: object, limit: Limit) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ParamsError(f"{name} must be a number, not {value!r}")
    if not limit.low <= value <= limit.high:
        raise ParamsError(f"{name} must be between {limit.span()}, not {value}")


def _integer(name: str, value: object, limit: Limit) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamsError(f"{name} must be a whole number, not {value!r}")
    if not limit.low <= value <= limit.high:
        raise ParamsError(f"{name} must be between {limit.span()}, not {value}")
