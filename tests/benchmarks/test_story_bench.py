"""The story benchmark's decode-cost line (issue 17): requests with and without the token
alternatives the app asks for alternate, and the figures come back for both (tiny model; the
figures themselves are only printed by the benchmark, never asserted)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from penwright.app.inference.suggestions import TOKEN_ALTERNATIVES
from penwright.benchmarks.story_bench import measure_alternatives
from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams
from penwright.models.results import Delta


class RecordingEngine(Engine):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[int] = []
        self.texts: dict[int, set[str]] = {}

    def stream(
        self, context: str, params: GenerationParams, cancelled: threading.Event | None = None
    ) -> Iterator[Delta]:
        self.asked.append(params.top_alternatives)
        deltas = list(super().stream(context, params, cancelled))
        self.texts.setdefault(params.top_alternatives, set()).add("".join(d.text for d in deltas))
        return iter(deltas)


def test_the_two_cases_alternate_and_write_the_same_greedy_text(tiny_gemma: Any) -> None:
    engine = RecordingEngine()
    engine.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info)
    figures = measure_alternatives(engine, rounds=2, tokens=4)
    assert set(figures) == {
        "decode_tok_s_top0",
        f"decode_tok_s_top{TOKEN_ALTERNATIVES}",
        "pair_ratio_median",
    }
    t = TOKEN_ALTERNATIVES
    assert engine.asked == [0, 0, t, t, 0]  # a warm-up, then each order once
    assert engine.texts[0] == engine.texts[t] and len(engine.texts[0]) == 1
