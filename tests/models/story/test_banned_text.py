"""The text-level ban: whatever tokens spell it, a banned phrase is never completed."""

from __future__ import annotations

from typing import Any

from penwright.models.generation.banned import BannedText
from penwright.models.generation.vocabulary import Vocabulary


def written(vocabulary: Vocabulary, ids: list[int]) -> set[str]:
    return {vocabulary.text(i) or "" for i in ids}


def test_the_tokens_that_would_complete_a_phrase_are_banned(default_tokenizer: Any) -> None:
    vocabulary = Vocabulary.of(default_tokenizer)
    ban = BannedText(("suddenly",), vocabulary)
    after_sud = written(vocabulary, ban.completing("And then, sud"))
    assert "denly" in after_sud and "d" not in after_sud  # "d" alone completes nothing yet
    at_start = written(vocabulary, ban.completing("And then, "))
    assert {"Suddenly", " suddenly", " Suddenly"} <= at_start
    # Inside a word the phrase does not start: "pseud" + "denly" is not "suddenly".
    assert "denly" not in written(vocabulary, ban.completing("pseud"))
    # A phrase of several words, split anywhere.
    two = BannedText(("a shiver ran",), vocabulary)
    assert " ran" in written(vocabulary, two.completing("There was a shiver"))
    assert "ran" in written(vocabulary, two.completing("There was a shiver "))
