"""GhostText: the pure suggestion logic (no Qt)."""

from __future__ import annotations

from penwright.app.editor.ghost_text import GhostText
from penwright.models.prose import next_word, to_sentence_end


def make(*alternatives: str) -> GhostText:
    ghost = GhostText(request_id=1, anchor=0)
    for index, text in enumerate(alternatives):
        ghost.append(index, text)
    return ghost


def test_deltas_accumulate_into_the_visible_text() -> None:
    ghost = make()
    ghost.append(0, " once")
    ghost.append(0, " upon")
    assert ghost.visible == " once upon"


def test_next_word_takes_blanks_word_and_glued_punctuation() -> None:
    assert next_word(" world, and more") == " world,"
    assert next_word(" (note) x") == " (note)"


def test_next_word_takes_one_cjk_character() -> None:
    assert next_word("你好世界。") == "你"


def test_sentence_end_includes_terminator_and_closing_quote() -> None:
    assert to_sentence_end(' He said "hi." Then left.') == ' He said "hi."'
    assert to_sentence_end(" It costs 3.14 dollars. Next") == " It costs 3.14 dollars."
    assert to_sentence_end("你好世界。再见") == "你好世界。"


def test_sentence_end_stops_at_the_end_of_the_line() -> None:
    assert to_sentence_end(" first line\nsecond. x") == " first line"
    assert to_sentence_end("\nsecond. x") == "\nsecond."


def test_sentence_end_without_terminator_takes_everything() -> None:
    assert to_sentence_end(" no end in sight") == " no end in sight"


def test_partial_accepts_leave_the_rest_visible() -> None:
    ghost = make(" The cat sat. The dog ran.")
    assert ghost.take_word() == " The"
    assert ghost.take_sentence() == " cat sat."
    assert ghost.visible == " The dog ran."
    assert ghost.take_all() == " The dog ran."
    assert ghost.visible == ""


def test_type_through_consumes_only_matching_text() -> None:
    ghost = make(" hello")
    assert ghost.type_through(" ")
    assert ghost.type_through("h")
    assert ghost.visible == "ello"
    assert not ghost.type_through("x")
    assert ghost.visible == "ello"


def test_cycling_wraps_around_alternatives() -> None:
    ghost = make(" red", " green", " blue")
    assert ghost.cycle(1) and ghost.visible == " green"
    assert ghost.cycle(1) and ghost.visible == " blue"
    assert ghost.cycle(1) and ghost.visible == " red"
    assert ghost.cycle(-1) and ghost.visible == " blue"


def test_alternatives_that_disagree_with_accepted_text_drop_out() -> None:
    ghost = make(" red car", " red bus", " blue car")
    ghost.take_word()  # " red"
    assert ghost.candidates() == [0, 1]
    assert ghost.cycle(1) and ghost.visible == " bus"


def test_single_alternative_does_not_cycle() -> None:
    assert not make(" only").cycle(1)


def test_exhausted_only_after_streaming_finished() -> None:
    ghost = make(" a")
    ghost.take_all()
    assert not ghost.exhausted
    ghost.finish()
    assert ghost.exhausted
