"""GhostText: the pure suggestion logic (no Qt)."""

from __future__ import annotations

from penwright.app.editor.ghost_text import GhostText, tidy
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


# -- no blanks left at a line end ----------------------------------------------------------


def test_blanks_before_a_line_break_are_not_shown_or_accepted() -> None:
    ghost = make(" she said. \nThe words  \n\ncame.")
    assert ghost.visible == " she said.\nThe words\n\ncame."
    assert ghost.take_sentence() == " she said."
    assert ghost.take_word() == "\nThe"
    assert ghost.take_all() == " words\n\ncame."


def test_a_trailing_blank_waits_for_what_follows_it() -> None:
    ghost = make(" she said. ")
    assert ghost.visible == " she said."  # a space between words, or before a line break?
    assert ghost.take_all() == " she said."
    ghost.append(0, "\nThe end. ")
    assert ghost.visible == "\nThe end."  # no space was accepted before the line break
    ghost.finish()
    assert ghost.visible == "\nThe end."  # a finished suggestion's trailing blank never shows


def test_a_blank_that_words_follow_shows_once_they_arrive() -> None:
    ghost = make(" she said.")
    ghost.append(0, " ")
    assert ghost.visible == " she said."
    ghost.append(0, "Then")
    assert ghost.visible == " she said. Then"


def test_inside_a_line_a_finished_suggestion_keeps_its_final_blank() -> None:
    """ "Hello |world": the blank at the end separates the suggestion from the writer's word."""
    ghost = GhostText(1, 0, mid_line=True)
    ghost.append(0, "there ")
    assert ghost.visible == "there"  # still streaming: it may yet end a line
    ghost.finish()
    assert ghost.visible == "there "


def test_carriage_returns_become_line_breaks() -> None:
    assert tidy("a\r\nb\rc") == "a\nb\nc"


# -- distinct alternatives -----------------------------------------------------------------


def test_an_alternative_repeating_an_earlier_one_drops_out_once_finished() -> None:
    ghost = make(" the same", " the same", " another")
    assert ghost.candidates() == [0, 1, 2]  # still streaming: they may yet differ
    ghost.finish()
    assert ghost.candidates() == [0, 2]
    assert ghost.position() == (1, 2)
    assert ghost.cycle(1) and ghost.visible == " another"
    assert ghost.cycle(1) and ghost.visible == " the same"


def test_alternatives_differing_only_in_trailing_blanks_are_duplicates() -> None:
    ghost = make(" a cat.", " a cat. ")
    ghost.finish()
    assert ghost.candidates() == [0]


def test_the_shown_duplicate_gives_way_to_its_original() -> None:
    ghost = make(" same", " same")
    ghost.cycle(1)
    assert ghost.index == 1
    ghost.finish()
    assert ghost.index == 0 and ghost.visible == " same"


def test_position_and_at_last_follow_the_cycle() -> None:
    ghost = make(" red", " green")
    ghost.finish()
    assert ghost.position() == (1, 2) and not ghost.at_last()
    ghost.cycle(1)
    assert ghost.position() == (2, 2) and ghost.at_last()
    assert make(" only").at_last()


# -- another one, and what was offered before ----------------------------------------------


def test_another_alternative_is_appended_and_shown_when_it_arrives() -> None:
    ghost = make(" red", " green")
    ghost.finish()
    ghost.cycle(1)
    ghost.expect(7)
    assert ghost.streaming and ghost.owns(7) and not ghost.owns(1)
    assert ghost.offered() == (" red", " green")  # what request 7 is asked to avoid
    assert ghost.visible == " green"  # until the new one has something to show
    ghost.append(0, " blue", request_id=7)
    assert ghost.visible == " blue"
    assert ghost.position() == (3, 3)
    ghost.finish(7)
    assert not ghost.streaming
    assert ghost.cycle(1) and ghost.visible == " red"


def test_another_alternative_continues_after_what_was_accepted() -> None:
    ghost = make(" The cat sat.")
    ghost.finish()
    ghost.take_word()  # " The"
    ghost.expect(2)
    assert ghost.offered() == (" cat sat.",)
    ghost.append(0, " dog ran.", request_id=2)
    assert ghost.visible == " dog ran."


def test_another_alternative_that_repeats_one_offered_drops_out() -> None:
    ghost = make(" red")
    ghost.finish()
    ghost.expect(2)
    ghost.append(0, " red", request_id=2)
    ghost.finish(2)
    assert ghost.candidates() == [0]
    assert ghost.visible == " red"


def test_text_from_a_request_that_is_not_streaming_into_it_is_ignored() -> None:
    ghost = make(" red")
    ghost.append(0, " stale", request_id=9)
    assert ghost.candidates() == [0] and ghost.visible == " red"


def test_earlier_suggestions_follow_the_new_one_and_alt_left_brings_the_last_back() -> None:
    ghost = GhostText(2, 0, earlier=(" older", " shown before"))
    assert ghost.visible == ""  # the new one shows first, once it streams
    ghost.append(0, " new")
    assert ghost.visible == " new"
    assert ghost.position() == (1, 3)
    assert ghost.cycle(-1) and ghost.visible == " shown before"
    assert ghost.cycle(-1) and ghost.visible == " older"


def test_the_new_requests_alternatives_come_before_the_earlier_ones() -> None:
    ghost = GhostText(2, 0, earlier=(" old",))
    ghost.append(1, " second new")
    ghost.append(0, " first new")
    ghost.finish()
    texts = []
    for _ in range(3):
        texts.append(ghost.visible)
        ghost.cycle(1)
    assert texts == [" first new", " second new", " old"]


def test_a_new_request_that_brings_nothing_shows_the_earlier_ones() -> None:
    ghost = GhostText(2, 0, earlier=(" old",))
    ghost.finish()
    assert ghost.visible == " old"
    assert not ghost.exhausted


def test_an_earlier_suggestion_the_new_one_repeats_is_shown_once() -> None:
    ghost = GhostText(2, 0, earlier=(" same",))
    ghost.append(0, " same")
    ghost.finish()
    assert ghost.candidates() == [0]


def test_remembered_puts_the_shown_one_last_without_repeats() -> None:
    ghost = make(" a", " b", " a")
    ghost.finish()
    assert ghost.remembered() == (" b", " a")
    ghost.cycle(1)  # " b"
    assert ghost.remembered() == (" a", " b")
