"""Stops: where a continuation ends and which tail is held back while streaming."""

from __future__ import annotations

import pytest

from penwright.models.generation.quotes import open_quotes, quotes_after
from penwright.models.generation.stops import StopScanner
from penwright.models.params import StopMode


def streamed(scanner: StopScanner, pieces: list[str]) -> tuple[str, bool]:
    """Feed pieces as tokens would arrive; return the text shown and whether it stopped."""
    text, shown = "", 0
    for piece in pieces:
        text += piece
        scan = scanner.scan(text)
        assert scan.stable_end >= shown, "text already shown must never be taken back"
        shown = scan.stable_end
        if scan.stopped:
            return text[:shown], True
    return text[: scanner.finish(text)], False


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        (["It", " rained", ".", " Then", " it"], "It rained."),
        (["Why", "?", "\u201d", " she", " said"], "Why?\u201d"),
        (["Wait", "!", " No"], "Wait!"),
        (["So", "\u2026", " then"], "So\u2026"),
        (["Pi", " is", " 3", ".", "14", " ok", ".", " More"], "Pi is 3.14 ok."),
        (["今天", "下雨", "。", "明天"], "今天下雨。"),
        (["他说", "：", "「", "好", "！", "」", "然后"], "他说：「好！」"),  # noqa: RUF001
        (["First", " line", "\n", "Second"], "First line"),
        (["Trailing", " space", " ", "\n", "x"], "Trailing space"),
    ],
)
def test_sentence_mode_stops_after_the_sentence_end(pieces: list[str], expected: str) -> None:
    assert streamed(StopScanner(StopMode.SENTENCE), pieces) == (expected, True)


def test_sentence_mode_does_not_stop_on_a_leading_line_break() -> None:
    text, stopped = streamed(StopScanner(StopMode.SENTENCE), ["\n", "\n", "Chapter", " two", "."])
    assert (text, stopped) == ("\n\nChapter two.", False)


def test_sentence_mode_waits_for_what_follows_a_full_stop() -> None:
    scan = StopScanner(StopMode.SENTENCE).scan("Version 2.")
    assert not scan.stopped  # "2.5" may follow


def test_paragraph_mode_stops_before_a_blank_line_only() -> None:
    pieces = ["One.", " Two", "\n", "Three", "\n", " \n", "Next"]
    assert streamed(StopScanner(StopMode.PARAGRAPH), pieces) == ("One. Two\nThree", True)


def test_paragraph_mode_holds_back_a_line_break_that_may_start_a_blank_line() -> None:
    scan = StopScanner(StopMode.PARAGRAPH).scan("Some text\n")
    assert (scan.stable_end, scan.stopped) == (len("Some text"), False)


def test_custom_stop_string_is_excluded_and_its_prefix_held_back() -> None:
    scanner = StopScanner(StopMode.CUSTOM, ["END"])
    assert scanner.scan("words E").stable_end == len("words ")
    assert scanner.scan("words EN").stable_end == len("words ")
    assert scanner.scan("words ENVY").stable_end == len("words ENVY")
    assert streamed(scanner, ["a", " b", " E", "N", "D", " c"]) == ("a b ", True)


def test_custom_mode_ignores_sentence_ends() -> None:
    scanner = StopScanner(StopMode.CUSTOM, ["###"])
    pieces = ["One.", " Two.\n\n", "Three", "##", "#"]
    assert streamed(scanner, pieces) == ("One. Two.\n\nThree", True)


def test_custom_strings_also_apply_in_sentence_mode() -> None:
    scanner = StopScanner(StopMode.SENTENCE, ["--"])
    assert streamed(scanner, ["a", " b", "--", "c."]) == ("a b", True)


def test_none_mode_never_stops_or_holds_back() -> None:
    scanner = StopScanner(StopMode.NONE)
    text = "One. Two!\n\nThree "
    assert (scanner.scan(text).stable_end, scanner.scan(text).stopped) == (len(text), False)
    assert scanner.finish(text) == len(text)


def test_finish_drops_trailing_whitespace_in_sentence_mode() -> None:
    assert StopScanner(StopMode.SENTENCE).finish("cut at the length limit ") == len(
        "cut at the length limit"
    )


# -- dialogue: a sentence stop inside an open quotation waits for its closer --------------------


@pytest.mark.parametrize(
    ("context", "continuation", "shown"),
    [
        ('He said, "', 'I do. Ask Tom." He left. More', 'I do. Ask Tom."'),
        ("He said, “", "Wait. Not yet.” Then", "Wait. Not yet.”"),
        ("他说：「", "好。我走了。」然后", "好。我走了。」"),  # noqa: RUF001
        ('He said, "', "I forget.\nNext", "I forget."),  # the line break ends it anyway
        ("", '"Run." She ran. Far', '"Run."'),  # opened and closed in the continuation
        ('"Fine," he said. ', "She left. Then", "She left."),  # the context's quote is closed
    ],
)
def test_a_sentence_stop_waits_for_the_closing_quote(
    context: str, continuation: str, shown: str
) -> None:
    scanner = StopScanner(StopMode.SENTENCE, (), open_quotes(context))
    assert streamed(scanner, list(continuation)) == (shown, True)


def test_without_dialogue_the_first_sentence_end_stops() -> None:
    scanner = StopScanner(StopMode.SENTENCE, ())
    assert streamed(scanner, list('I forget. Ask Tom." More')) == ("I forget.", True)


def test_quotes_reset_at_a_paragraph_break() -> None:
    assert open_quotes('"An open speech\nA new paragraph') == ()
    assert quotes_after("「他说“好") == ("」", "”")
