"""Perplexity in strided, chunked windows equals the cross-entropy computed directly."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from penwright.benchmarks.perplexity_texts import LANGUAGES, held_out_text
from penwright.models.generation.perplexity import evaluate_perplexity, scored_spans


def direct_mean_nll(model: Any, ids: list[int], spans: list[tuple[int, int, int]]) -> float:
    """One plain forward per window, no cache, no chunks: the NLL of the scored positions."""
    total, count = 0.0, 0
    with torch.inference_mode():
        for begin, first, end in spans:
            window = torch.tensor([ids[begin:end]])
            log_probs = torch.log_softmax(model(input_ids=window).logits[0].float(), dim=-1)
            for position in range(first, end):
                total -= float(log_probs[position - begin - 1, ids[position]])
                count += 1
    return total / count


def token_ids(tokenizer: Any, text: str, limit: int) -> list[int]:
    return list(tokenizer(text)["input_ids"][:limit])


def test_windows_score_every_position_once_with_the_stated_context() -> None:
    assert scored_spans(10, window=4, stride=2) == [(0, 1, 4), (2, 4, 6), (4, 6, 8), (6, 8, 10)]
    assert scored_spans(5, window=8, stride=4) == [(0, 1, 5)]
    for length, window, stride in [(2, 2, 1), (100, 16, 5), (257, 64, 64), (1000, 512, 256)]:
        spans = scored_spans(length, window, stride)
        scored = [p for _, first, end in spans for p in range(first, end)]
        assert scored == list(range(1, length))
        assert all(end - begin <= window for begin, _, end in spans)
        assert all(first - begin >= window - stride for begin, first, _ in spans[1:])


def test_bad_arguments_are_refused_clearly(tiny_gemma: Any) -> None:
    with pytest.raises(ValueError, match="at least two tokens"):
        evaluate_perplexity(tiny_gemma.model, [2])
    with pytest.raises(ValueError, match="stride"):
        scored_spans(10, window=4, stride=5)
    with pytest.raises(ValueError, match="chunk"):
        evaluate_perplexity(tiny_gemma.model, [2, 3, 4], chunk=0)


def test_one_window_in_chunks_equals_one_forward_over_the_text(tiny_gemma: Any) -> None:
    ids = token_ids(tiny_gemma.tokenizer, held_out_text("en"), 100)
    result = evaluate_perplexity(tiny_gemma.model, ids, window=512, stride=256, chunk=7)
    expected = direct_mean_nll(tiny_gemma.model, ids, [(0, 1, len(ids))])
    assert result.tokens == len(ids) - 1
    assert result.mean_nll == pytest.approx(expected, rel=1e-5)
    assert result.perplexity == pytest.approx(math.exp(expected), rel=1e-5)


def test_strided_windows_equal_a_direct_forward_per_window(tiny_gemma: Any) -> None:
    # Windows of 40 cross the tiny model's sliding window (16); chunks of 8 cross windows' edges.
    ids = token_ids(tiny_gemma.tokenizer, held_out_text("zh"), 120)
    result = evaluate_perplexity(tiny_gemma.model, ids, window=40, stride=16, chunk=8)
    expected = direct_mean_nll(tiny_gemma.model, ids, scored_spans(len(ids), 40, 16))
    assert result.tokens == len(ids) - 1
    assert result.mean_nll == pytest.approx(expected, rel=1e-5)
    # Less context per token than one long window: a different (here: any other) figure.
    whole = evaluate_perplexity(tiny_gemma.model, ids, window=512, stride=256)
    assert whole.mean_nll != pytest.approx(result.mean_nll, rel=1e-6)


def test_the_real_model_reads_its_held_out_prose_far_better_than_shuffled_tokens(
    default_model: Any,
) -> None:
    ids = token_ids(default_model.tokenizer, held_out_text("en"), 160)
    result = evaluate_perplexity(default_model.model, ids, window=96, stride=48, chunk=40)
    expected = direct_mean_nll(default_model.model, ids, scored_spans(len(ids), 96, 48))
    assert result.mean_nll == pytest.approx(expected, rel=1e-4)
    shuffled = [ids[0], *torch.tensor(ids[1:])[torch.randperm(len(ids) - 1,
                generator=torch.Generator().manual_seed(0))].tolist()]  # fmt: skip
    scrambled = evaluate_perplexity(default_model.model, shuffled, window=96, stride=48)
    assert 1.0 < result.perplexity < 60.0 < scrambled.perplexity


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_shipped_texts_are_about_2500_tokens_of_prose(
    default_tokenizer: Any, language: str
) -> None:
    text = held_out_text(language)
    assert 2200 <= len(default_tokenizer(text)["input_ids"]) <= 2900
    assert "\ufffd" not in text and text.count("\n\n") >= 20  # paragraphs, decoded cleanly


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="choose from en, zh"):
        held_out_text("fr")
