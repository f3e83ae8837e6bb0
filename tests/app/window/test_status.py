"""Status bar texts: word counting and suggestion speed."""

from __future__ import annotations

from penwright.app.window.status_panel import describe_stats
from penwright.models.prose import count_words
from penwright.models.results import GenerationStats


def test_words_are_runs_with_letters_or_digits() -> None:
    assert count_words("one two -- three") == 3
    assert count_words("  it's 3.14 \n\n next ") == 3
    assert count_words("") == 0


def test_each_cjk_character_is_a_word_and_punctuation_is_not() -> None:
    assert count_words("你好\uff0c世界。") == 4


def test_speed_text_in_milliseconds_and_tokens_per_second() -> None:
    stats = GenerationStats(new_tokens=9, time_to_first_token_s=0.0834, decode_tokens_per_s=41.26)
    assert describe_stats(stats) == "first token 83 ms · 41.3 tokens/s"
    assert describe_stats(GenerationStats()) == ""
