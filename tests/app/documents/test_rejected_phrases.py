"""Counting the phrases of dismissed suggestions: the third dismissal offers it, once."""

from __future__ import annotations

from penwright.app.documents.rejected_phrases import RejectedPhrases, phrase_of


def test_phrases_are_normalised() -> None:
    assert phrase_of(" The fog, rolled in slowly.") == "the fog rolled"
    assert phrase_of("THE   FOG ROLLED") == "the fog rolled"
    assert phrase_of(" She didn\u2019t stop") == "she didn't stop"
    assert phrase_of(" Yes.") is None  # one word is no phrase to ban
    assert phrase_of("...") is None


def test_the_third_dismissal_offers_the_phrase_once() -> None:
    rejected = RejectedPhrases()
    assert rejected.dismissed(" The fog rolled in.") is None
    assert rejected.dismissed(" the fog rolled over the sea") is None
    assert rejected.dismissed(" A different start") is None
    assert rejected.count(" The fog rolled") == 2
    assert rejected.dismissed(" The fog, rolled!") == "the fog rolled"
    assert rejected.dismissed(" The fog rolled") is None  # offered already
    rejected.forget("the fog rolled")
    assert rejected.count(" The fog rolled") == 0
