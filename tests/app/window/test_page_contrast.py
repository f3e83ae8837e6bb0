"""The page, the ghost text and focus mode's dimmed paragraphs stay legible in both themes:
WCAG 2 contrast ratios of the colours the editor really draws with."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QPalette

from penwright.app.editor.focus_mode import dimmed_colour
from penwright.app.editor.ghost_drawing import muted_colour
from penwright.app.window.theme import dark_palette, light_palette

Role = QPalette.ColorRole


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: QColor) -> float:
    r, g, b = (_channel(v) for v in (colour.red(), colour.green(), colour.blue()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio, 1 (none) to 21 (black on white)."""
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_wcag_s_anchors() -> None:
    assert contrast(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert contrast(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("palette", [light_palette(), dark_palette()], ids=["light", "dark"])
def test_text_ghost_and_dimmed_paragraphs_are_legible(palette: QPalette) -> None:
    text, base = palette.color(Role.Text), palette.color(Role.Base)
    ghost = muted_colour(palette)
    dimmed = dimmed_colour(palette)
    assert contrast(text, base) >= 7  # WCAG AAA for body text
    assert contrast(ghost, base) >= 3  # a suggestion reads without effort
    assert contrast(ghost, text) >= 2  # and never passes for text already written
    assert contrast(dimmed, base) >= 1.8  # focus mode's other paragraphs stay readable
    assert contrast(ghost, base) > 1.5 * contrast(dimmed, base)  # but step well behind ghosts
