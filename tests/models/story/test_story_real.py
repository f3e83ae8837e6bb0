"""The real default model: the preview is what it reads, and banned phrases never appear."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams, StopMode
from penwright.models.story.story import LoreEntry, StoryContext

TEXT = "The old lighthouse keeper climbed the stairs every evening. At the top, he"


def test_banned_phrases_never_appear_in_the_real_model_s_suggestions(default_model: Any) -> None:
    engine = Engine()
    engine.attach(default_model.model, default_model.tokenizer, default_model.info)
    greedy = GenerationParams(temperature=0.0, max_new_tokens=12, stop=StopMode.NONE)
    written = "".join(d.text for d in engine.stream(TEXT, greedy))
    words = re.findall(r"[A-Za-z]{3,}", written)
    assert words
    banned = (words[0], words[-1])  # what the model would write first, and later
    sampled = GenerationParams(max_new_tokens=12, n=4, stop=StopMode.NONE, temperature=0.9)
    texts: list[str] = []
    for seed in range(3):
        alternatives: dict[int, str] = {}
        for delta in engine.stream(TEXT, replace(sampled, seed=seed, banned_phrases=banned)):
            alternatives[delta.alternative] = alternatives.get(delta.alternative, "") + delta.text
        texts.extend(alternatives.values())
    assert sum(len(text) for text in texts) > 100
    for text in texts:
        for phrase in banned:
            assert not re.search(rf"\b{re.escape(phrase)}\b", text, re.IGNORECASE), (phrase, text)


def test_the_real_model_reads_exactly_the_preview(default_model: Any) -> None:
    engine = Engine()
    engine.attach(default_model.model, default_model.tokenizer, default_model.info)
    story = StoryContext(
        memory="A quiet story about a lighthouse.",
        note="[Tone: calm]",
        lore=(LoreEntry("Keeper", ("keeper",), "The keeper: seventy, a widower."),),
    )
    params = GenerationParams(max_new_tokens=4, seed=3, story=story)
    preview = engine.preview(TEXT, params)
    list(engine.stream(TEXT, params))
    assert engine.last_prompt_ids == list(preview.prompt_ids)
    assert [part.label for part in preview.assembled.parts][:2] == ["memory", "lore: Keeper"]
