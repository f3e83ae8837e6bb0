"""The quality metrics on hand-made strings: what counts as markup, a broken word, a copy, an
unclosed quote and a duplicate."""

from __future__ import annotations

import pytest

from penwright.benchmarks.quality_metrics import (
    Rate,
    completed_word,
    copies_context,
    count,
    duplicate_count,
    has_markup,
    is_broken_word,
    leaves_quote_open,
    open_quotes,
)


@pytest.mark.parametrize(
    "text",
    [
        "<strong><em>The</em></strong> first",
        "the end.</p>",
        "line<br/>next",
        "line<br />next",
        '<h2 class="title">Chapter</h2>',
        "it was&nbsp;cold",
        "don&#8217;t",
        "&#x2019;",
        "<xml:lang>",
    ],
)
def test_tags_and_entities_are_markup(text: str) -> None:
    assert has_markup(text)


@pytest.mark.parametrize(
    "text",
    [
        "She said a < b and b > c.",
        "I <3 you",
        "AT&T and R&D.",
        "Salt & pepper; bread.",
        "\u4ed6\u8bf4\uff1a\u201c\u4eca\u5929\u4e0b\u96e8\u4e86\u3002\u201d",
        "",
        "# A heading in Markdown, *emphasis*",
    ],
)
def test_prose_with_angle_brackets_and_ampersands_is_not_markup(text: str) -> None:
    assert not has_markup(text)


WORDS = {"rattled", "rattle", "don't", "bloomed"}


def known(word: str) -> bool:
    return word.lower() in WORDS


@pytest.mark.parametrize(
    ("partial", "continuation", "word", "broken"),
    [
        ("rattl", "ed the windows", "rattled", False),
        ("rattl", "e.", "rattle", False),
        ("rattl", "led the windows", "rattlled", True),
        ("rattl", "'d and shook", "rattl'd", True),
        ("rattl", "-it-rattles", "rattl", True),
        ("rattl", " the windows", "rattl", True),  # a space: the writer is left with "rattl"
        ("rattl", "", "rattl", True),
        ("do", "n\u2019t go", "don't", False),  # a curly apostrophe reads as the straight one
        ("bloo", "med", "bloomed", False),
        ("Rattl", "ed", "Rattled", False),
    ],
)
def test_the_completed_word_is_the_partial_plus_the_leading_letters(
    partial: str, continuation: str, word: str, broken: bool
) -> None:
    assert completed_word(partial, continuation) == word
    assert is_broken_word(partial, continuation, known) is broken


def test_eight_tokens_in_a_row_from_the_context_are_a_copy() -> None:
    context = list(range(100, 130))
    assert copies_context([1, 2, *range(110, 118), 3], context)  # 110..117: eight in a row
    assert not copies_context([1, 2, *range(110, 117), 3], context)  # seven
    assert not copies_context([*range(110, 114), 9, *range(114, 118)], context)  # broken up
    assert not copies_context(list(range(110, 118))[::-1], context)  # same tokens, other order
    assert copies_context([5, 6, 7], [4, 5, 6, 7], span=3)
    assert not copies_context([], context)
    assert not copies_context(list(range(110, 118)), [])


def test_quotes_open_close_and_nest() -> None:
    assert open_quotes('He said "no') == ['"']
    assert open_quotes('He said "no."') == []
    assert open_quotes("\u201cCome in,\u201d she said. \u201cAnd") == ["\u201c"]
    assert open_quotes("\u300c\u8def\u4e0a\u300e\u5c0f\u5fc3") == ["\u300c", "\u300e"]
    assert open_quotes("\u300c\u8def\u4e0a\u300e\u5c0f\u5fc3\u300f\u300d") == []
    # A closer with nothing open is ignored; closing an outer quote closes the inner too.
    assert open_quotes("\u201d\u300d text") == []
    assert open_quotes("\u300c\u4e00\u300e\u4e8c\u300d") == []
    assert open_quotes("don't it's the dogs\u2019") == []  # apostrophes are not quotes


@pytest.mark.parametrize(
    ("context", "continuation", "left_open"),
    [
        # The example: a sentence stop inside the quotation, left open.
        ("The inspector asked.\n\n\"I don't", " remember.", True),
        ("\"I don't", ' remember."', False),
        ("\"I don't", ' remember." He left.', None),  # the stop is outside the quotation
        ("\"I don't", " remember,", None),  # no sentence end
        ("\"I don't", " remember and", None),
        ("\u201cCome inside,\u201d said her mother. \u201cYou", " will catch a cold!", True),
        ("\u201cCome inside,\u201d said her mother. \u201cYou", " will catch a cold!\u201d", False),
        (
            "\u533b\u751f\u8bf4\uff1a\u300c\u4e0d\u7528\u62c5\u5fc3\uff0c",
            "\u6ca1\u4e8b\u3002",
            True,
        ),
        (
            "\u533b\u751f\u8bf4\uff1a\u300c\u4e0d\u7528\u62c5\u5fc3\uff0c",
            "\u6ca1\u4e8b\u3002\u300d",
            False,
        ),
        ("\u4ed6\u8bf4\uff1a\u201c\u4f60", "\u597d\u3002", True),
        # Opened in the continuation.
        ("She turned.", ' "Wait for me.', True),
        ("She turned.", ' "Wait for me."', False),
        # A quotation left open in an earlier paragraph does not carry over.
        ('"I never said that.\n\nThe rain', " stopped.", None),
        ("No quotes here", " at all.", None),
        ('"Yes', "   ", None),
        ('"Yes', "", None),
        ('"Yes', " it is.  \n", True),  # trailing whitespace is not the ending
    ],
)
def test_sentence_stops_inside_a_quotation(
    context: str, continuation: str, left_open: bool | None
) -> None:
    assert leaves_quote_open(context, continuation) is left_open


def test_duplicates_are_alternatives_equal_to_an_earlier_one() -> None:
    assert duplicate_count(["a", "b", "c"]) == 0
    assert duplicate_count(["a", "a", "a"]) == 2
    assert duplicate_count(["a", "b", "a"]) == 1
    assert duplicate_count([" the end.", "the end.", "The end."]) == 1  # whitespace ignored
    assert duplicate_count(["", ""]) == 1
    assert duplicate_count([]) == 0


def test_rates_add_up_and_say_when_nothing_was_counted() -> None:
    total = count(True) + count(False) + count(None) + Rate(1, 2)
    assert total == Rate(2, 4)
    assert total.share == 0.5
    assert str(total) == "50.0% (2/4)"
    assert Rate().share is None
    assert str(Rate()) == "n/a (0 cases)"
