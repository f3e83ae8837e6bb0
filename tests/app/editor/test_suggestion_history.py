"""SuggestionHistory: what was offered at the last few places (no Qt)."""

from __future__ import annotations

from penwright.app.editor.suggestion_history import SuggestionHistory


def test_a_place_gives_back_what_was_offered_there() -> None:
    history = SuggestionHistory()
    history.remember("Once upon", (" a time", " a hill"))
    assert history.earlier("Once upon") == (" a time", " a hill")
    assert history.earlier("Once upon a") == ()  # another place


def test_only_the_last_places_are_kept_most_recently_used_last_to_go() -> None:
    history = SuggestionHistory(places=2)
    history.remember("one", (" 1",))
    history.remember("two", (" 2",))
    history.remember("one", (" 1", " again"))  # used again: now the newest
    history.remember("three", (" 3",))
    assert history.earlier("two") == ()
    assert history.earlier("one") == (" 1", " again")
    assert history.earlier("three") == (" 3",)


def test_the_newest_texts_are_kept_when_there_are_too_many() -> None:
    history = SuggestionHistory(texts=2)
    history.remember("x", (" a", " b", " c"))
    assert history.earlier("x") == (" b", " c")


def test_nothing_offered_forgets_nothing() -> None:
    history = SuggestionHistory()
    history.remember("x", (" a",))
    history.remember("x", ("",))
    assert history.earlier("x") == (" a",)
