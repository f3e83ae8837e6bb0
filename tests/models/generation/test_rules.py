"""The prose rules (models.generation.rules): healing, no markup, no copies, distinct
alternatives, the opening of an empty text, ranking by the text after the cursor.

On the tiny random Gemma 3 with the real tokenizer, greedy decoding with the rules must equal
``model.generate`` given the same processors; scripted models check that a rule overrides what
the model wants most.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import torch
from reference import STORY, generate_greedy
from scripted import ScriptedLM

from penwright.models.generation.engine import Engine
from penwright.models.generation.healing import heal
from penwright.models.generation.rules import OPENING, RequestRules, has_markup, prepare_prompt
from penwright.models.generation.vocabulary import Vocabulary
from penwright.models.params import GenerationParams, StopMode
from penwright.models.spec import ModelInfo

GREEDY = GenerationParams(temperature=0.0, max_new_tokens=10, stop=StopMode.NONE)
REPETITIVE = " ".join(["The tide came in and the tide went out and the gulls cried."] * 6)


@pytest.fixture
def vocabulary(default_tokenizer: Any) -> Vocabulary:
    return Vocabulary.of(default_tokenizer)


@pytest.fixture
def engine(tiny_gemma: Any) -> Engine:
    engine = Engine()
    engine.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info)
    return engine


def texts(engine: Engine, context: str, params: GenerationParams) -> dict[int, str]:
    found: dict[int, str] = {}
    for delta in engine.stream(context, params):
        found[delta.alternative] = found.get(delta.alternative, "") + delta.text
    return found


def rules_for(engine: Engine, tokenizer: Any, context: str, params: GenerationParams) -> Any:
    """The processors the engine runs for alternative 0, built the same way it builds them."""
    vocabulary = Vocabulary.of(tokenizer)
    selected = tokenizer(context)["input_ids"]
    prompt = prepare_prompt(
        context, selected, params, vocabulary, lambda text: tokenizer(text)["input_ids"]
    )
    return prompt, RequestRules(context, prompt, params, vocabulary)


# -- the vocabulary ---------------------------------------------------------------------------


def test_vocabulary_gives_each_token_its_text(vocabulary: Vocabulary, default_tokenizer: Any):
    (rattled,) = default_tokenizer(" rattled", add_special_tokens=False)["input_ids"]
    assert vocabulary.text(rattled) == " rattled"
    assert vocabulary.text(default_tokenizer.eos_token_id) is None  # special: no text
    assert vocabulary.text(default_tokenizer.convert_tokens_to_ids("<0x0A>")) == "\n"
    assert vocabulary.text(default_tokenizer.convert_tokens_to_ids("<0xE4>")) is None
    assert {vocabulary.text(i) for i in vocabulary.starting_with(" rattl")} >= {
        " rattle",
        " rattled",
        " rattling",
    }
    assert all(
        (vocabulary.text(i) or "").startswith(" rattl") for i in vocabulary.starting_with(" rattl")
    )


# -- healing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "healed"),
    [
        ("Outside the wind rattl", " rattl"),  # "▁ratt" + "l": the whole partial word
        ("She opened the door and", " and"),  # a whole word may still go on ("andante")
        ("The Lighthouse", " Lighthouse"),
        ('He said, "I don', " don"),
    ],
)
def test_healing_takes_the_partial_word_off_the_prompt(
    vocabulary: Vocabulary, default_tokenizer: Any, context: str, healed: str
) -> None:
    ids = default_tokenizer(context)["input_ids"]
    healing = heal(ids, context, vocabulary)
    assert healing.prefix == healed
    kept = default_tokenizer.decode(healing.prompt_ids, skip_special_tokens=True)
    assert kept + healed == context


@pytest.mark.parametrize("context", ["The wind rattled ", "It rained.", "他站在窗前", "Wait…", ""])
def test_nothing_is_healed_after_a_space_punctuation_or_cjk(
    vocabulary: Vocabulary, default_tokenizer: Any, context: str
) -> None:
    ids = default_tokenizer(context)["input_ids"]
    assert heal(ids, context, vocabulary).prefix == ""


def test_healed_greedy_equals_generate_with_the_same_processors(
    engine: Engine, tiny_gemma: Any
) -> None:
    context = "Outside the wind rattl"
    params = GenerationParams(temperature=0.0, max_new_tokens=10, stop=StopMode.NONE, prose=False)
    text = texts(engine, context, params)[0]
    prompt, rules = rules_for(engine, tiny_gemma.tokenizer, context, params)
    assert prompt.healed == " rattl"
    assert engine.last_prompt_ids == prompt.ids
    expected = generate_greedy(
        tiny_gemma.model, prompt.ids, 10, logits_processor=rules.processors(0)
    )
    assert engine.last_token_ids == expected
    # What streams is what follows the writer's letters: the generated text minus " rattl".
    written = tiny_gemma.tokenizer.decode(expected, skip_special_tokens=True)
    assert written.startswith(" rattl")
    assert text == written[len(" rattl") :]


def test_healing_overrides_the_token_the_model_wants(default_tokenizer: Any) -> None:
    # The scripted model wants "l" + "led" ("rattlled"); healing allows only tokens starting
    # with " rattl", so the model's favourite is out and the stream never repeats the "l".
    context = "Outside the wind rattl"
    script = default_tokenizer("led the shutters", add_special_tokens=False)["input_ids"]
    model = ScriptedLM(script, len(default_tokenizer), default_tokenizer.eos_token_id)
    model.prompt_length = len(default_tokenizer(context)["input_ids"]) - 2
    engine = Engine()
    engine.attach(model, default_tokenizer, _scripted_info())
    params = GenerationParams(temperature=0.0, max_new_tokens=3, stop=StopMode.NONE)
    text = texts(engine, context, params)[0]
    first = default_tokenizer.decode(engine.last_token_ids[:1])
    assert first.startswith(" rattl")
    assert not text.startswith("l")


# -- markup -----------------------------------------------------------------------------------


def _scripted_engine(tokenizer: Any, context: str, continuation: str) -> Engine:
    script = tokenizer(continuation, add_special_tokens=False)["input_ids"]
    model = ScriptedLM(script, len(tokenizer), tokenizer.eos_token_id)
    model.prompt_length = len(tokenizer(context)["input_ids"])
    engine = Engine()
    engine.attach(model, tokenizer, _scripted_info())
    return engine


def _scripted_info() -> ModelInfo:
    return ModelInfo(
        name="scripted", source="test", path="", device="cpu", precision="fp32", parameters=0,
        context_length=100_000,
    )  # fmt: skip


def test_markup_is_never_generated_in_a_prose_document(default_tokenizer: Any) -> None:
    context = "The keeper trimmed the wick. "
    engine = _scripted_engine(default_tokenizer, context, "<strong>Night</strong> fell.")
    params = GenerationParams(temperature=0.0, max_new_tokens=12, stop=StopMode.NONE)
    shown = texts(engine, context, params).get(0, "")
    assert "<" not in shown and ">" not in shown
    plain = texts(
        _scripted_engine(default_tokenizer, context, "<strong>Night"), context, params.plain()
    )
    assert plain[0].startswith("<strong>")  # the model did want the tag


def test_a_document_with_markup_keeps_markup_allowed(default_tokenizer: Any) -> None:
    context = "<p>The keeper trimmed the wick.</p>\n"
    engine = _scripted_engine(default_tokenizer, context, "<p>Night fell.</p>")
    params = GenerationParams(temperature=0.0, max_new_tokens=12, stop=StopMode.NONE)
    assert texts(engine, context, params)[0].startswith("<p>Night")


def test_has_markup_knows_tags_and_entities_from_prose() -> None:
    assert has_markup("a <em>word</em>") and has_markup("fish &amp; chips")
    assert not has_markup("3 < 4 and 5 > 2, Smith & Sons, <- arrows")


def test_an_empty_document_opens_as_a_book(engine: Engine, tiny_gemma: Any) -> None:
    texts(engine, "", GREEDY)
    prompt = tiny_gemma.tokenizer.decode(engine.last_prompt_ids, skip_special_tokens=True)
    assert prompt == OPENING
    texts(engine, "", GREEDY.plain())
    assert engine.last_prompt_ids == [tiny_gemma.tokenizer.bos_token_id]


# -- copies -----------------------------------------------------------------------------------


def test_no_copy_greedy_equals_generate_with_no_repeat_ngrams(
    engine: Engine, tiny_gemma: Any
) -> None:
    context = REPETITIVE + " The tide came in and the tide"
    plain = GenerationParams(temperature=0.0, max_new_tokens=16, stop=StopMode.NONE).plain()
    params = replace(plain, no_copy_tokens=4)
    texts(engine, context, params)
    prompt_ids = tiny_gemma.tokenizer(context)["input_ids"]
    expected = generate_greedy(tiny_gemma.model, prompt_ids, 16, no_repeat_ngram_size=4)
    assert engine.last_token_ids == expected


def test_a_copy_the_model_wants_is_cut_short(default_tokenizer: Any) -> None:
    sentence = " The tide came in and the tide went out and the gulls cried."
    context = "Long ago." + sentence + " Then"
    engine = _scripted_engine(default_tokenizer, context, sentence)
    params = GenerationParams(temperature=0.0, max_new_tokens=20, stop=StopMode.NONE)
    assert sentence not in texts(engine, context, params).get(0, "")
    assert texts(engine, context, params.plain())[0] == sentence  # plain copies it


# -- distinct alternatives ----------------------------------------------------------------------


def test_greedy_alternatives_are_distinct_and_the_first_is_plain_greedy(
    engine: Engine, tiny_gemma: Any
) -> None:
    params = GenerationParams(temperature=0.0, max_new_tokens=8, stop=StopMode.NONE, n=3)
    found = texts(engine, STORY, params)
    assert len(found) == 3 and len(set(found.values())) == 3
    plain = texts(engine, STORY, replace(params, distinct=False, n=1))
    assert found[0] == plain[0]


def test_alternatives_that_would_be_the_same_open_differently(engine: Engine) -> None:
    # top_k=1 makes every sampled row the greedy one: only the rule can make them differ.
    params = GenerationParams(temperature=1.0, top_k=1, max_new_tokens=6, stop=StopMode.NONE, n=3)
    found = texts(engine, STORY + " ", params)
    assert len(set(found.values())) == 3
    assert len(set(texts(engine, STORY + " ", params.plain()).values())) == 1


def test_another_alternative_avoids_what_was_offered(engine: Engine) -> None:
    params = GenerationParams(temperature=0.0, max_new_tokens=8, stop=StopMode.NONE)
    first = texts(engine, STORY, params)[0]
    again = replace(params, avoid=(first,))
    second = texts(engine, STORY, again)[0]
    assert second and second != first


def test_healed_alternatives_may_share_the_completed_word(default_tokenizer: Any) -> None:
    vocabulary = Vocabulary.of(default_tokenizer)
    context = "Outside the wind rattl"
    params = GenerationParams(temperature=0.0, n=3)
    ids = default_tokenizer(context)["input_ids"]
    prompt = prepare_prompt(
        context, ids, params, vocabulary, lambda text: default_tokenizer(text)["input_ids"]
    )
    rules = RequestRules(context, prompt, params, vocabulary)
    (rattled,) = default_tokenizer(" rattled", add_special_tokens=False)["input_ids"]
    (comma,) = default_tokenizer(",", add_special_tokens=False)["input_ids"]
    rules.record(0, [rattled])
    rules.record(0, [rattled, comma])
    assert rules.taken_openings(1) == [" rattled,"]
    # Alternative 1 may write " rattled" too, but then not the comma.
    scores = torch.zeros(1, len(vocabulary))
    processors = rules.processors(1)
    prompt_ids = torch.tensor([prompt.ids])
    after_word = processors(torch.cat([prompt_ids, torch.tensor([[rattled]])], dim=1), scores)
    assert torch.isneginf(after_word[0, comma])
    at_start = processors(prompt_ids, torch.zeros(1, len(vocabulary)))
    assert not torch.isneginf(at_start[0, rattled])


# -- text after the cursor ----------------------------------------------------------------------


def test_alternatives_are_ranked_by_how_well_the_text_after_follows(
    engine: Engine, tiny_gemma: Any
) -> None:
    after = " the keeper lit the lamp again."
    params = GenerationParams(
        temperature=1.0, max_new_tokens=6, stop=StopMode.NONE, n=3, seed=4, text_after=after
    )
    ranked = texts(engine, STORY, params)
    assert sorted(ranked) == [0, 1, 2]
    tokenizer, model = tiny_gemma.tokenizer, tiny_gemma.model
    after_ids = tokenizer(after, add_special_tokens=False)["input_ids"]

    def score(text: str) -> float:
        # Independently of the engine's cache: one plain forward over the whole text.
        ids = tokenizer(STORY)["input_ids"] + tokenizer(text, add_special_tokens=False)["input_ids"]
        full = torch.tensor([ids + after_ids])
        with torch.inference_mode():
            logits = model(full).logits[0].float().log_softmax(-1)
        start = len(ids)
        return float(
            torch.stack([logits[start - 1 + i, t] for i, t in enumerate(after_ids)]).mean()
        )

    scores = [score(ranked[i]) for i in range(3)]
    assert scores == sorted(scores, reverse=True)


def test_text_after_gets_several_candidates_even_when_one_is_asked_for(engine: Engine) -> None:
    params = GenerationParams(
        temperature=0.0, max_new_tokens=6, stop=StopMode.NONE, text_after=" the lamp went out."
    )
    assert len(texts(engine, STORY, params)) == 3
    assert len(texts(engine, STORY, params.plain())) == 1  # plain greedy: one, unranked


def test_without_text_after_alternatives_stream_in_their_own_order(engine: Engine) -> None:
    params = GenerationParams(temperature=1.0, max_new_tokens=6, stop=StopMode.NONE, n=2, seed=4)
    stream = engine.stream(STORY, params)
    first = next(iter(stream))
    assert first.text  # streamed at once, not after a ranking pass
    stream.close()  # type: ignore[attr-defined]


def test_openings_ignore_the_blanks_before_them(default_tokenizer: Any) -> None:
    # "\n\n书店…" and "书店…" are the same suggestion to a writer: the second may not follow.
    vocabulary = Vocabulary.of(default_tokenizer)
    context = "雨下了整整一夜。"
    params = GenerationParams(temperature=0.0, n=2)
    ids = default_tokenizer(context)["input_ids"]
    prompt = prepare_prompt(
        context, ids, params, vocabulary, lambda text: default_tokenizer(text)["input_ids"]
    )
    rules = RequestRules(context, prompt, params, vocabulary)
    first = default_tokenizer("\n\n书店的牌匾", add_special_tokens=False)["input_ids"]
    for end in range(1, len(first) + 1):
        rules.record(0, first[:end])
    (opening,) = rules.taken_openings(1)
    assert opening.startswith("书") and not opening.startswith("\n")
    processors = rules.processors(1)
    prompt_ids = torch.tensor([prompt.ids])
    (book,) = default_tokenizer("书", add_special_tokens=False)["input_ids"]
    (blank,) = default_tokenizer("\n\n", add_special_tokens=False)["input_ids"]
    assert torch.isneginf(processors(prompt_ids, torch.zeros(1, len(vocabulary)))[0, book])
    after_blank = torch.cat([prompt_ids, torch.tensor([[blank]])], dim=1)
    assert torch.isneginf(processors(after_blank, torch.zeros(1, len(vocabulary)))[0, book])


def test_byte_pieces_count_as_the_text_they_spell(
    vocabulary: Vocabulary, default_tokenizer: Any
) -> None:
    pieces = default_tokenizer.convert_tokens_to_ids(["<0xE3>", "<0x80>", "<0x80>"])
    assert vocabulary.decode(pieces) == "\u3000"
    assert vocabulary.decode(pieces[:2]) == ""  # an incomplete character is left out


def test_the_text_does_not_end_inside_an_open_quotation(default_tokenizer: Any) -> None:
    context = 'The old man looked up. "'
    engine = _scripted_engine(default_tokenizer, context, "Fine.")  # then end of text
    params = GenerationParams(temperature=0.0, max_new_tokens=6, stop=StopMode.NONE)
    texts(engine, context, params.plain())
    assert engine.last_stats.stop_reason == "eos"
    texts(engine, context, params)
    assert engine.last_stats.stop_reason == "length"  # it may not end before the quote closes


def test_a_line_of_dialogue_does_not_break_before_its_closing_quote(
    default_tokenizer: Any,
) -> None:
    context = 'The old man looked up. "'
    engine = _scripted_engine(default_tokenizer, context, "I forget.\nNext day")
    params = GenerationParams(temperature=0.0, max_new_tokens=5, stop=StopMode.NONE)
    assert "\n" in texts(engine, context, params.plain())[0]
    assert "\n" not in texts(engine, context, params)[0]


def test_prose_has_at_most_one_blank_line_in_a_row(default_tokenizer: Any) -> None:
    context = "The Lighthouse\n\n"
    engine = _scripted_engine(default_tokenizer, context, "\n\n\n\u3000\u3000\n\u3000\u3000\n")
    params = GenerationParams(temperature=0.0, max_new_tokens=6, stop=StopMode.NONE)
    assert texts(engine, context, params.plain())[0].startswith("\n")
    shown = texts(engine, context, params).get(0, "")
    assert "\n" not in shown and len(shown) < 8


def test_an_opening_spelt_in_byte_pieces_is_not_spelt_again(default_tokenizer: Any) -> None:
    vocabulary = Vocabulary.of(default_tokenizer)
    context = "秋天的信\n"
    params = GenerationParams(temperature=0.0, n=2)
    ids = default_tokenizer(context)["input_ids"]
    prompt = prepare_prompt(
        context, ids, params, vocabulary, lambda text: default_tokenizer(text)["input_ids"]
    )
    rules = RequestRules(context, prompt, params, vocabulary)
    pieces = default_tokenizer.convert_tokens_to_ids(["<0xE3>", "<0x81>", "<0x80>"])  # U+3040
    for end in range(1, 4):
        rules.record(0, pieces[:end])
    assert rules.taken_openings(1) == ["\u3040"]
    banned = rules.processors(1)(torch.tensor([prompt.ids]), torch.zeros(1, len(vocabulary)))
    assert torch.isneginf(banned[0, pieces[0]])
    midway = torch.tensor([[*prompt.ids, pieces[0]]])  # half a character: its bytes go on
    going_on = rules.processors(2)(midway, torch.zeros(1, len(vocabulary)))
    assert not torch.isneginf(going_on[0, pieces[1]])


def test_a_rule_that_would_leave_a_row_without_tokens_is_skipped_for_that_row_only() -> None:
    from penwright.models.generation.rules import _Guarded

    def block_row_zero(input_ids: Any, scores: torch.Tensor) -> torch.Tensor:
        out = scores.clone()
        out[0] = -torch.inf
        out[1, 0] = -torch.inf
        return out

    def block_token_two(input_ids: Any, scores: torch.Tensor) -> torch.Tensor:
        out = scores.clone()
        out[:, 2] = -torch.inf
        return out

    scores = torch.arange(8.0).reshape(2, 4)
    out = _Guarded([block_row_zero, block_token_two])(torch.zeros(2, 1, dtype=torch.long), scores)
    # Row 0 skipped the first rule (it would have blocked everything), not the second.
    assert out[0].tolist() == [0.0, 1.0, -torch.inf, 3.0]
    assert out[1].tolist() == [-torch.inf, 5.0, -torch.inf, 7.0]
