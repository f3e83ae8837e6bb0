"""The confidence tint: each word of a suggestion shaded by how likely the model found it.

A word is as sure as its least likely token (a word the model hesitated over anywhere is a word
to look at). Sure words keep the suggestion's muted colour; doubtful ones drift towards a warm
colour, so the eye finds the guesses. Only the colour changes, never the font: the preview must
stay exactly what Tab inserts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtGui import QColor

from penwright.app.editor.ghost_text import PlacedToken

_WORD = re.compile(r"\S+")
WARM = QColor(222, 110, 30)
"""Where an unlikely word's colour goes: an amber that reads on light and dark pages alike."""
SURE = 0.9
"""From this probability on, a word is drawn in the plain suggestion colour."""


@dataclass(frozen=True)
class WordConfidence:
    start: int  # in the visible suggestion, code points
    end: int
    probability: float


def word_confidence(visible: str, tokens: Sequence[PlacedToken]) -> list[WordConfidence]:
    """Each word of visible that tokens cover, with its least likely token's probability."""
    words = []
    for match in _WORD.finditer(visible):
        start, end = match.span()
        overlapping = [t.token.probability for t in tokens if t.start < end and t.end > start]
        if overlapping:
            words.append(WordConfidence(start, end, min(overlapping)))
    return words


def tint(muted: QColor, probability: float) -> QColor:
    """muted for a sure word, towards WARM as the probability falls (fully warm near 0)."""
    doubt = min(max((SURE - probability) / SURE, 0.0), 1.0)
    return QColor(
        round(muted.red() + (WARM.red() - muted.red()) * doubt),
        round(muted.green() + (WARM.green() - muted.green()) * doubt),
        round(muted.blue() + (WARM.blue() - muted.blue()) * doubt),
    )
