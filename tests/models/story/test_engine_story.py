"""The engine reads exactly the assembled story context, and never writes a banned phrase
(the tiny random Gemma with the real tokenizer; the real model in test_story_real.py)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from reference import generate_greedy

from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams, StopMode
from penwright.models.story.story import LoreEntry, StoryContext

GREEDY = GenerationParams(temperature=0.0, max_new_tokens=10, stop=StopMode.NONE).plain()
STORY = StoryContext(
    memory="The Pequod sails from Nantucket. Ishmael tells the tale.",
    note="[Style: long sentences, the sea everywhere]",
    note_depth=2,
    lore=(
        LoreEntry("Ahab", ("ahab", "/the captain/"), "Ahab: the captain, one leg of whalebone."),
        LoreEntry("Queequeg", ("queequeg",), "Queequeg: a harpooneer from the South Seas."),
    ),
)
TEXT = (
    "Call me Ishmael.\n\nSome years ago I went to sea.\n\n"
    "The captain stood on the quarterdeck and looked at the rattl"
)


@pytest.fixture
def engine(tiny_gemma: Any) -> Engine:
    engine = Engine()
    engine.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info)
    return engine


def run(engine: Engine, context: str, params: GenerationParams) -> list[str]:
    texts: dict[int, str] = {}
    for delta in engine.stream(context, params):
        texts[delta.alternative] = texts.get(delta.alternative, "") + delta.text
    return [texts.get(i, "") for i in range(max(texts, default=-1) + 1)]


@pytest.mark.parametrize(
    "params",
    [
        GenerationParams(max_new_tokens=6, seed=1, story=STORY),  # every prose rule: healing
        replace(GREEDY, story=STORY),
        GenerationParams(max_new_tokens=6, seed=1, story=STORY, context_tokens=64),  # cut
        GenerationParams(max_new_tokens=6, seed=1),  # no story: the plain budget
    ],
)
def test_the_preview_is_exactly_what_the_engine_feeds_the_model(
    engine: Engine, tiny_gemma: Any, params: GenerationParams
) -> None:
    preview = engine.preview(TEXT, params)
    run(engine, TEXT, params)
    assert list(preview.prompt_ids) == engine.last_prompt_ids
    # Its parts, as text, are the prompt: decoding the ids gives them back (less the word
    # healing takes off the end, which the model re-types).
    decoded = tiny_gemma.tokenizer.decode(list(preview.prompt_ids), skip_special_tokens=True)
    assert decoded + preview.healed == preview.opening + preview.assembled.text
    if params.story is not None:
        labels = [part.label for part in preview.assembled.parts]
        assert labels[:2] == ["memory", "lore: Ahab"]  # "The captain" brought Ahab in
        assert "note" in labels and "lore: Queequeg" not in labels
    if params.context_tokens == 64:
        assert len(preview.assembled.ids) <= 64
        assert preview.assembled.cut and preview.assembled.cut[-1].startswith("story:")


def test_greedy_with_a_story_equals_generate_on_the_assembled_text(
    engine: Engine, tiny_gemma: Any
) -> None:
    params = replace(GREEDY, story=STORY)
    run(engine, TEXT, params)
    text = engine.preview(TEXT, params).assembled.text
    ids = tiny_gemma.tokenizer(text)["input_ids"]
    assert engine.last_prompt_ids == ids
    assert engine.last_token_ids == generate_greedy(tiny_gemma.model, ids, GREEDY.max_new_tokens)


def test_an_empty_story_changes_nothing(engine: Engine) -> None:
    plain = run(engine, TEXT, GREEDY)
    plain_ids = engine.last_prompt_ids
    assert run(engine, TEXT, replace(GREEDY, story=StoryContext())) == plain
    assert engine.last_prompt_ids == plain_ids


# Ends with a whole sentence: nothing to heal, so every continuation starts a new word.
BAN_TEXT = "Call me Ishmael.\n\nSome years ago I went to sea. The captain looked at me."


def sampled_words(engine: Engine, params: GenerationParams, rounds: int) -> list[str]:
    words: list[str] = []
    for seed in range(rounds):
        for text in run(engine, BAN_TEXT, replace(params, seed=seed)):
            words.extend(re.findall(r"\b[a-z]{3,}\b", text.lower()))
    return words


def test_banned_phrases_never_appear_over_many_sampled_suggestions(engine: Engine) -> None:
    params = GenerationParams(max_new_tokens=10, n=4, stop=StopMode.NONE, temperature=1.0)
    # The words this model writes most often without a ban: the ban has something to do.
    common = [w for w, _ in Counter(sampled_words(engine, params, 4)).most_common(3)]
    assert common
    banned = replace(params, banned_phrases=tuple(common))
    texts: list[str] = []
    for seed in range(12):
        texts.extend(run(engine, TEXT, replace(banned, seed=seed)))
    assert sum(len(text) for text in texts) > 300  # it did write
    for text in texts:
        for phrase in common:
            assert not re.search(rf"\b{re.escape(phrase)}\b", text, re.IGNORECASE), (
                phrase,
                text,
            )


def test_a_banned_phrase_of_several_tokens_is_never_completed(engine: Engine) -> None:
    greedy = replace(GREEDY, max_new_tokens=16)
    written = run(engine, TEXT, greedy)[0]
    words = written.split()
    assert len(words) >= 3
    phrase = " ".join(words[1:3])  # what greedy decoding writes, two words long
    again = run(engine, TEXT, replace(greedy, banned_phrases=(phrase,)))[0]
    assert phrase not in again
    assert again != written
