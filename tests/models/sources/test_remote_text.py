"""The text-level prose rules a remote source applies to what a server sends (plain strings)."""

from __future__ import annotations

from penwright.models.params import GenerationParams
from penwright.models.sources.remote_text import (
    RemoteContinuation,
    budget_context,
    remote_prompt,
)


def _shown(pieces: list[str], context: str = "Once", **params: object) -> tuple[list[str], str]:
    continuation = RemoteContinuation(context, GenerationParams(**params))  # type: ignore[arg-type]
    shown = [continuation.push(piece) for piece in pieces]
    if not continuation.stopped:
        shown.append(continuation.finish())
    return shown, continuation.text


def test_a_sentence_stop_waits_for_the_closing_quote_in_dialogue() -> None:
    _, text = _shown([' "I know.', " Go", ' home." She', " left."], context="He said")
    assert text == ' "I know. Go home."'


def test_markup_is_held_back_until_it_is_known_and_then_ends_the_text() -> None:
    shown, text = _shown([" a", " <", "b", "> c"], stop="none")
    assert shown == [" a", "", "", ""]  # " <" might have become a tag: it did
    assert text == " a"
    _, text = _shown([" 3", " <", " 4 is true"], stop="none")
    assert text == " 3 < 4 is true"  # a "<" that never became markup is shown


def test_an_entity_is_markup_too_unless_the_context_has_markup() -> None:
    assert _shown([" fish &", "amp;", " chips"], stop="none")[1] == " fish"
    assert _shown([" fish &amp; chips"], context="<p>Once", stop="none")[1] == " fish &amp; chips"


def test_a_partial_custom_stop_string_is_held_back() -> None:
    shown, text = _shown([" one EN", "D two"], stop="custom", stop_strings=("END",))
    assert shown[0] == " one "
    assert text == " one "


def test_the_context_budget_cuts_at_a_paragraph_start() -> None:
    text = "First paragraph, long ago.\n\nSecond one here. And more of it."
    assert budget_context(text, 40) == "Second one here. And more of it."
    assert budget_context(text, 1000) == text
    assert remote_prompt("Hi", "Hi", GenerationParams()) == ("Chapter One\n\nHi", "Chapter One\n\n")
    assert remote_prompt("Hi", "Hi", GenerationParams(prose=False)) == ("Hi", "")
    # The opening follows what the rules read (a story's memory counts), not the kept end.
    assert remote_prompt("A long memory of many words here. Hi", "Hi", GenerationParams()) == (
        "Hi",
        "",
    )
