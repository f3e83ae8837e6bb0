"""Generation parameters: one frozen value object, validated once at the boundary."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from models.errors import ParamsError


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

    def __post_init__(self) -> None:
        # Accept a plain string for stop ("sentence") and a list for stop_strings.
        if not isinstance(self.stop, StopMode):
            try:
                object.__setattr__(self, "stop", StopMode(str(self.stop)))
            except ValueError:
                choices = ", ".join(m.value for m in StopMode)
                raise ParamsError(f"stop must be one of {choices}, not {self.stop!r}") from None
        if not isinstance(self.stop_strings, tuple):
            object.__setattr__(self, "stop_strings", tuple(self.stop_strings))
        self.validate()

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0

    def validate(self) -> None:
        """Raise ParamsError naming the first parameter that is out of range."""
        _number("temperature", self.temperature, 0.0, 5.0)
        _integer("top_k", self.top_k, 0, 1_000_000)
        _number("top_p", self.top_p, 0.0, 1.0, low_open=True)
        _number("min_p", self.min_p, 0.0, 1.0)
        _number("repetition_penalty", self.repetition_penalty, 0.0, 10.0, low_open=True)
        _integer("max_new_tokens", self.max_new_tokens, 1, 8192)
        _integer("n", self.n, 1, 16)
        _integer("context_tokens", self.context_tokens, 16, 1_000_000)
        if self.seed is not None:
            _integer("seed", self.seed, 0, 2**63 - 1)
        for s in self.stop_strings:
            if not isinstance(s, str) or not s:
                raise ParamsError(f"stop strings must be non-empty text, not {s!r}")
        if self.stop is StopMode.CUSTOM and not self.stop_strings:
            raise ParamsError("stop mode 'custom' needs at least one stop string")


def _number(name: str, value: object, low: float, high: float, low_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ParamsError(f"{name} must be a number, not {value!r}")
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        bracket = "(" if low_open else "["
        raise ParamsError(f"{name} must be in {bracket}{low}, {high}], not {value}")


def _integer(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamsError(f"{name} must be a whole number, not {value!r}")
    if not low <= value <= high:
        raise ParamsError(f"{name} must be between {low} and {high}, not {value}")
