"""The prose rules on the real default model (Gemma 3 270M, CPU, fp32): marked real_model.

What a writer would see go wrong without them, asserted away with them: a half-typed word
misspelt, HTML in an empty document, a line of dialogue cut before its closing quote, the same
alternative three times, and greedy output that no longer equals ``model.generate``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from reference import generate_greedy

from penwright.models.generation.engine import Engine
from penwright.models.generation.quotes import open_quotes
from penwright.models.generation.rules import has_markup
from penwright.models.params import GenerationParams, StopMode

pytestmark = pytest.mark.real_model

SENTENCE = GenerationParams(max_new_tokens=32, stop=StopMode.SENTENCE)


@pytest.fixture(scope="module")
def engine(default_model: Any) -> Engine:
    engine = Engine()
    engine.attach(default_model.model, default_model.tokenizer, default_model.info)
    return engine


def alternatives(engine: Engine, context: str, params: GenerationParams) -> list[str]:
    found: dict[int, str] = {}
    for delta in engine.stream(context, params):
        found[delta.alternative] = found.get(delta.alternative, "") + delta.text
    return [found[i] for i in sorted(found)]


def test_a_half_typed_word_is_completed_as_a_word(engine: Engine) -> None:
    context = "All night the storm went on. Outside, the wind rattl"
    params = GenerationParams(max_new_tokens=8, n=3, seed=1)
    for text in alternatives(engine, context, params):
        completed = "rattl" + re.match(r"[\w']*", text).group()  # type: ignore[union-attr]
        assert completed in {"rattle", "rattled", "rattles", "rattling"}, text


def test_an_empty_document_gets_prose_not_markup(engine: Engine) -> None:
    for seed in range(3):
        params = GenerationParams(max_new_tokens=32, n=3, seed=seed)
        for text in alternatives(engine, "", params):
            assert text.strip() and not has_markup(text) and "<" not in text, text


def test_a_line_of_dialogue_ends_with_its_quote(engine: Engine) -> None:
    context = 'The old man looked up from the nets. "'
    params = GenerationParams(max_new_tokens=48, n=3, seed=2, stop=StopMode.SENTENCE)
    found = alternatives(engine, context, params)
    for text in found:
        if open_quotes(context + text):
            # Still inside the quote: then it ended by length or a line break, never at a
            # sentence end ("I don't remember." with the quote left open).
            assert not re.search(r"[.!?…]\Z", text), text
    assert found


def test_greedy_alternatives_are_three_different_suggestions(engine: Engine) -> None:
    context = "She opened the door and"
    found = alternatives(engine, context, GenerationParams(temperature=0.0, n=3))
    assert len(found) == 3 and len(set(found)) == 3


def test_greedy_with_the_rules_equals_generate_with_the_same_processors(
    engine: Engine, default_model: Any
) -> None:
    from penwright.models.generation.rules import RequestRules, prepare_prompt
    from penwright.models.generation.vocabulary import Vocabulary

    tokenizer = default_model.tokenizer
    context = "The keeper climbed the stairs, trimmed the wick and wrote in the log that the wi"
    params = GenerationParams(temperature=0.0, max_new_tokens=16, stop=StopMode.NONE)
    text = alternatives(engine, context, params)[0]
    vocabulary = Vocabulary.of(tokenizer)
    prompt = prepare_prompt(
        context, tokenizer(context)["input_ids"], params, vocabulary,
        lambda t: tokenizer(t)["input_ids"],
    )  # fmt: skip
    processors = RequestRules(context, prompt, params, vocabulary).processors(0)
    expected = generate_greedy(default_model.model, prompt.ids, 16, logits_processor=processors)
    assert engine.last_token_ids == expected
    assert prompt.healed + text == tokenizer.decode(expected, skip_special_tokens=True)
