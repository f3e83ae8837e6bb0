"""The page's typeface and the width of its text column, for Latin and CJK text alike.

A typeface is a style (serif or sans serif), not one font: the first installed family of a list
of good text faces, then CJK families of the same style, so Chinese and Japanese text falls back
to a matching Song/Ming (serif) or Hei/Gothic (sans) face instead of whatever fontconfig picks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from enum import StrEnum

from PySide6.QtGui import QFont, QFontDatabase, QFontMetricsF


class Typeface(StrEnum):
    SERIF = "serif"
    SANS = "sans"


_LATIN: dict[Typeface, tuple[str, ...]] = {
    Typeface.SERIF: (
        "Noto Serif",
        "Source Serif 4",
        "Charter",
        "Georgia",
        "Cambria",
        "DejaVu Serif",
        "Liberation Serif",
        "Times New Roman",
        "Nimbus Roman",
    ),
    Typeface.SANS: (
        "Noto Sans",
        "Source Sans 3",
        "Segoe UI",
        "Helvetica Neue",
        "DejaVu Sans",
        "Liberation Sans",
        "Arial",
        "Nimbus Sans",
    ),
}
_CJK: dict[Typeface, tuple[str, ...]] = {
    Typeface.SERIF: ("Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", "SimSun"),
    Typeface.SANS: ("Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei"),
}
_HINTS = {Typeface.SERIF: QFont.StyleHint.Serif, Typeface.SANS: QFont.StyleHint.SansSerif}
FULL_WIDTH_SAMPLE = "中"  # an ideograph: one em wide in every CJK face


def font_families(typeface: Typeface, family: str = "") -> list[str]:
    """The families to ask for, in order: family (when the writer chose one) or the typeface's
    first installed text face, then the CJK faces of the typeface's style, then the other's."""
    installed = set(QFontDatabase.families())
    other = Typeface.SANS if typeface is Typeface.SERIF else Typeface.SERIF
    first = [family] if family else _installed(_LATIN[typeface], installed)[:1]
    cjk = _installed(_CJK[typeface] + _CJK[other], installed)
    return first + [f for f in cjk if f not in first]


def _installed(families: Iterable[str], installed: set[str]) -> list[str]:
    return [f for f in families if f in installed]


def page_font(typeface: Typeface, family: str, size: int) -> QFont:
    """The font to write in: family if given, else the typeface's; CJK falls back in style."""
    font = QFont()
    families = font_families(typeface, family)
    if families:
        font.setFamilies(families)
    else:  # none of the known faces: the platform's text font, asked for in the right style
        font.setFamily(QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont).family())
    font.setStyleHint(_HINTS[typeface])
    font.setPointSize(size)
    return font


def column_width(font: QFont, chars: int) -> int:
    """The width in pixels of a text column `chars` characters wide in font.

    A character is the font's average character width; a full-width CJK character counts as two,
    so the column holds `chars` Latin characters or `chars / 2` ideographs, whichever is wider.
    """
    metrics = QFontMetricsF(font)
    latin = metrics.averageCharWidth() * chars
    full_width = metrics.horizontalAdvance(FULL_WIDTH_SAMPLE) * chars / 2
    return math.ceil(max(latin, full_width))
