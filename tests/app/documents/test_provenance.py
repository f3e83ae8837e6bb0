"""Provenance as pure logic: spans follow edits, typing inside an accepted span marks it edited,
words are counted by origin, and the stored form round-trips or is refused with a reason."""

from __future__ import annotations

import pytest

from penwright.app.documents.provenance import (
    Origin,
    Provenance,
    ProvenanceError,
    Span,
    SuggestionSource,
    utf16_offsets,
)

GEMMA = SuggestionSource("Gemma 3 270M", 0.8, 48)


def accepted(text_before: str, suggestion: str) -> Provenance:
    provenance = Provenance(len(text_before))
    provenance.change(len(text_before), 0, len(suggestion))
    provenance.mark_suggested(len(text_before), len(suggestion), GEMMA)
    return provenance


def test_accepted_text_is_a_suggested_span() -> None:
    provenance = accepted("I wrote this. ", "The model wrote this.")
    assert provenance.spans == (Span(14, 35, Origin.SUGGESTED, GEMMA),)
    assert provenance.length == 35
    assert provenance.origin_at(13) is Origin.TYPED
    assert provenance.origin_at(14) is Origin.SUGGESTED


def test_typing_before_moves_the_span_and_after_leaves_it() -> None:
    provenance = accepted("Start. ", "Middle.")
    provenance.change(0, 0, 3)  # typed at the very start
    assert provenance.spans == (Span(10, 17, Origin.SUGGESTED, GEMMA),)
    provenance.change(17, 0, 5)  # typed right after it
    assert provenance.spans == (Span(10, 17, Origin.SUGGESTED, GEMMA),)
    provenance.change(10, 0, 1)  # typed right before it
    assert provenance.spans == (Span(11, 18, Origin.SUGGESTED, GEMMA),)


def test_typing_inside_splits_the_span_into_edited_parts() -> None:
    provenance = accepted("", "The fog came in.")
    provenance.change(4, 0, 6)  # "The thick fog came in."
    assert provenance.spans == (
        Span(0, 4, Origin.EDITED, GEMMA),
        Span(10, 22, Origin.EDITED, GEMMA),
    )
    assert provenance.origin_at(5) is Origin.TYPED


def test_deleting_part_of_a_span_marks_the_rest_edited() -> None:
    provenance = accepted("Ab ", "cdefgh")  # span 3..9
    provenance.change(5, 2, 0)  # removes "ef"
    assert provenance.spans == (Span(3, 7, Origin.EDITED, GEMMA),)
    provenance.change(0, 3, 0)  # removes the typed "Ab " before it: it only moves
    assert provenance.spans == (Span(0, 4, Origin.EDITED, GEMMA),)
    provenance.change(0, 4, 0)  # all of it
    assert provenance.spans == ()
    assert provenance.length == 0


def test_replacing_a_whole_span_by_typing_leaves_typed_text() -> None:
    provenance = accepted("x ", "suggested")
    provenance.change(2, 9, 5)
    assert provenance.spans == ()
    assert provenance.length == 7


def test_words_by_origin() -> None:
    text = "I typed these four. The model wrote five words here."
    provenance = accepted("I typed these four. ", "The model wrote five words here.")
    counts = provenance.words_by_origin(text)
    assert counts[Origin.TYPED] == 4
    assert counts[Origin.SUGGESTED] == 6
    assert counts[Origin.EDITED] == 0
    # Typing inside the suggestion: the words it split are edited, the typed one typed.
    provenance.change(26, 0, 6)  # inside "model": "The mo dear del wrote..."
    edited_text = text[:26] + " dear " + text[26:]
    counts = provenance.words_by_origin(edited_text)
    assert counts[Origin.TYPED] == 5
    assert counts[Origin.EDITED] == 7  # "mo" and "del" count as two words now
    assert counts[Origin.SUGGESTED] == 0


def test_positions_count_utf16_units() -> None:
    text = "😀 ab"
    assert utf16_offsets(text) == [0, 2, 3, 4, 5]
    # Qt counts the emoji as two units: "ab" starts at 3.
    provenance = Provenance(5, [Span(3, 5, Origin.SUGGESTED, GEMMA)])
    counts = provenance.words_by_origin(text)
    assert counts[Origin.SUGGESTED] == 1 and counts[Origin.TYPED] == 1


def test_round_trip() -> None:
    provenance = accepted("Typed. ", "Suggested one.")
    provenance.change(9, 0, 2)
    stored = provenance.to_dict()
    assert Provenance.from_dict(stored, provenance.length) == provenance


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"version": 99, "length": 3, "spans": []}, "format"),
        ([], "format"),
        ({"version": 1, "spans": []}, "length or spans"),
        (
            {
                "version": 1,
                "length": 4,
                "spans": [
                    {
                        "start": 0,
                        "end": 9,
                        "origin": "suggested",
                        "model": "m",
                        "temperature": 1,
                        "max_new_tokens": 4,
                    }
                ],
            },
            "past the end",
        ),
        (
            {
                "version": 1,
                "length": 9,
                "spans": [
                    {
                        "start": 0,
                        "end": 2,
                        "origin": "alien",
                        "model": "m",
                        "temperature": 1,
                        "max_new_tokens": 4,
                    }
                ],
            },
            "bad",
        ),
        (
            {
                "version": 1,
                "length": 9,
                "spans": [
                    {
                        "start": 0,
                        "end": 2,
                        "origin": "typed",
                        "model": "m",
                        "temperature": 1,
                        "max_new_tokens": 4,
                    }
                ],
            },
            "typed",
        ),
        (
            {
                "version": 1,
                "length": 9,
                "spans": [
                    {
                        "start": 0,
                        "end": 4,
                        "origin": "edited",
                        "model": "m",
                        "temperature": 1,
                        "max_new_tokens": 4,
                    },
                    {
                        "start": 3,
                        "end": 6,
                        "origin": "edited",
                        "model": "m",
                        "temperature": 1,
                        "max_new_tokens": 4,
                    },
                ],
            },
            "overlapping",
        ),
    ],
)
def test_bad_stored_provenance_is_refused_with_a_reason(data: object, reason: str) -> None:
    with pytest.raises(ProvenanceError, match=reason):
        Provenance.from_dict(data)


def test_a_text_changed_elsewhere_is_refused() -> None:
    stored = accepted("a ", "b").to_dict()
    with pytest.raises(ProvenanceError, match="changed outside"):
        Provenance.from_dict(stored, length=10)
