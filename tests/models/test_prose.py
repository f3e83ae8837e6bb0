"""models.prose: the engine's sentence stop and the editor's Ctrl+Down end a sentence at the
same place, closers and CJK included."""

from __future__ import annotations

import pytest

from penwright.models.generation.stops import StopScanner
from penwright.models.params import StopMode
from penwright.models.prose import CLOSERS, count_words, next_word, to_sentence_end


def _engine_sentence(text: str) -> str:
    result = StopScanner(StopMode.SENTENCE).scan(text)
    assert result.stopped, f"no sentence end found in {text!r}"
    return text[: result.stable_end]


@pytest.mark.parametrize(
    "text",
    [
        "他说：「好。」】然后",  # noqa: RUF001
        '"I do not remember." She left.',
        " It costs 3.14 dollars. Next",
        "你好世界。再见",
        "Wait!) and then",
    ],
)
def test_engine_stop_and_ctrl_down_end_the_sentence_at_the_same_place(text: str) -> None:
    assert to_sentence_end(text) == _engine_sentence(text)


@pytest.mark.parametrize("closer", list(CLOSERS))
def test_every_closer_stays_with_its_sentence(closer: str) -> None:
    text = f"He said so.{closer} Then"
    assert to_sentence_end(text) == f"He said so.{closer}"
    assert _engine_sentence(text) == f"He said so.{closer}"


def test_each_cjk_character_counts_as_a_word_and_punctuation_does_not() -> None:
    assert count_words("你好\uff0c世界。") == 4
    assert count_words("かな カナ") == 4
    assert count_words("one two -- three") == 3


@pytest.mark.parametrize(
    ("text", "word"),
    [
        (" It's late", " It's"),
        (" don't, he said", " don't,"),
        (" rock\u2019n\u2019roll band", " rock\u2019n\u2019roll"),
        (" the dogs' bowls", " the"),
        (" dogs' bowls", " dogs'"),  # a closing apostrophe stays glued, like a comma
        (" 'Hello,' she said", " 'Hello,'"),
        (" o'clock.", " o'clock."),
    ],
)
def test_internal_apostrophes_keep_a_word_whole(text: str, word: str) -> None:
    assert next_word(text) == word


def test_each_cjk_character_is_a_word_for_accept_a_word() -> None:
    assert next_word("你好世界。") == "你"
    assert next_word("界。然后") == "界。"  # the full stop is glued to its character
    assert next_word("「好」") == "「好」"
    assert next_word("AI模型") == "AI"
    assert next_word("ですね") == "で"
