"""Token probabilities on the Delta stream (GenerationParams.top_alternatives), on the tiny
random Gemma 3: they are the distribution the engine samples from, checked against a softmax of
the model's own logits, and asking for them changes no token."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import torch
from reference import STORY, generate_greedy

from penwright.models.errors import ParamsError
from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams, StopMode
from penwright.models.results import Delta, TokenInfo

GREEDY = GenerationParams(temperature=0.0, max_new_tokens=10, stop=StopMode.NONE).plain()


@pytest.fixture
def engine(tiny_gemma: Any) -> Engine:
    engine = Engine()
    engine.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info)
    return engine


def tokens_of(deltas: list[Delta], alternative: int = 0) -> list[TokenInfo]:
    return [t for d in deltas if d.alternative == alternative for t in d.tokens]


def next_token_softmax(model: Any, ids: list[int], temperature: float = 1.0) -> torch.Tensor:
    with torch.inference_mode():
        logits = model(torch.tensor([ids])).logits[0, -1].float()
    return torch.softmax(logits / temperature, dim=-1)


def test_no_odds_unless_asked(engine: Engine) -> None:
    deltas = list(engine.stream(STORY, GREEDY))
    assert deltas and all(d.tokens == () for d in deltas)


def test_greedy_odds_are_the_models_softmax_and_change_no_token(
    engine: Engine, tiny_gemma: Any
) -> None:
    params = GenerationParams(
        temperature=0.0, max_new_tokens=10, stop=StopMode.NONE, top_alternatives=5
    ).plain()
    deltas = list(engine.stream(STORY, params))
    prompt_ids = tiny_gemma.tokenizer(STORY)["input_ids"]
    generated = engine.last_token_ids
    assert generated == generate_greedy(tiny_gemma.model, prompt_ids, 10)
    tokens = tokens_of(deltas)
    # Every token has text here (no stop, no healing); their texts join to the stream's text.
    assert "".join(t.text for t in tokens) == "".join(d.text for d in deltas)
    assert len(tokens) == len(generated)
    for step, token in enumerate(tokens):
        probs = next_token_softmax(tiny_gemma.model, prompt_ids + generated[:step])
        chosen = generated[step]
        assert token.probability == pytest.approx(float(probs[chosen]), rel=1e-4, abs=1e-7)
        best = torch.topk(probs, 5)
        assert [c.probability for c in token.top] == pytest.approx(best.values.tolist(), rel=1e-4)
        assert [c.text for c in token.top] == [
            tiny_gemma.tokenizer.decode([i], skip_special_tokens=True)
            for i in best.indices.tolist()
        ]
        # Greedy chose the most likely token.
        assert token.top[0].probability == pytest.approx(token.probability)


def test_sampled_odds_are_the_tempered_top_k_distribution(engine: Engine, tiny_gemma: Any) -> None:
    """temperature 0.7, top-k 8: the probabilities renormalised over the 8 best scores."""
    params = GenerationParams(
        temperature=0.7,
        top_k=8,
        top_p=1.0,
        max_new_tokens=8,
        seed=11,
        stop=StopMode.NONE,
        top_alternatives=12,
    ).plain()
    deltas = list(engine.stream(STORY, params))
    prompt_ids = tiny_gemma.tokenizer(STORY)["input_ids"]
    generated = engine.last_token_ids
    tokens = tokens_of(deltas)
    assert len(tokens) == len(generated)
    for step, token in enumerate(tokens):
        probs = next_token_softmax(tiny_gemma.model, prompt_ids + generated[:step], 0.7)
        kept = torch.topk(probs, 8)
        renormalised = kept.values / kept.values.sum()
        chosen = generated[step]
        assert chosen in kept.indices.tolist()
        where = kept.indices.tolist().index(chosen)
        assert token.probability == pytest.approx(float(renormalised[where]), rel=1e-3)
        # Only the 8 survivors of top-k are offered, though 12 were asked for.
        assert len(token.top) == 8
        assert sum(c.probability for c in token.top) == pytest.approx(1.0, rel=1e-4)


def test_sampling_with_odds_draws_the_same_tokens(engine: Engine) -> None:
    params = GenerationParams(
        temperature=1.1, top_k=0, top_p=0.9, max_new_tokens=12, seed=5, stop=StopMode.NONE
    ).plain()
    plain = "".join(d.text for d in engine.stream(STORY, params))
    ids = engine.last_token_ids
    with_odds = list(engine.stream(STORY, replace(params, top_alternatives=3)))
    assert engine.last_token_ids == ids
    assert "".join(d.text for d in with_odds) == plain


def test_a_stop_cuts_the_tokens_with_the_text(engine: Engine) -> None:
    """With a sentence stop and several alternatives, every alternative's tokens still join to
    exactly its text (the token crossing the stop keeps only its part before it)."""
    params = GenerationParams(
        temperature=1.0,
        top_k=0,
        top_p=1.0,
        max_new_tokens=40,
        seed=2,
        n=3,
        stop=StopMode.SENTENCE,
        top_alternatives=2,
    )
    deltas = list(engine.stream(STORY, params))
    for alternative in {d.alternative for d in deltas}:
        text = "".join(d.text for d in deltas if d.alternative == alternative)
        assert "".join(t.text for t in tokens_of(deltas, alternative)) == text
        assert all(0.0 < t.probability <= 1.0 for t in tokens_of(deltas, alternative))


def test_ranked_alternatives_carry_their_tokens(engine: Engine) -> None:
    params = GenerationParams(
        temperature=0.9,
        max_new_tokens=10,
        seed=4,
        stop=StopMode.NONE,
        text_after=" and the keeper slept.",
        top_alternatives=2,
    )
    deltas = list(engine.stream(STORY, params))
    assert deltas
    for delta in deltas:
        assert "".join(t.text for t in delta.tokens) == delta.text


def test_top_alternatives_is_validated() -> None:
    with pytest.raises(ParamsError, match="top_alternatives"):
        GenerationParams(top_alternatives=21)
    with pytest.raises(ParamsError, match="top_alternatives"):
        GenerationParams(top_alternatives=-1)
