"""The held-out texts the benchmark scores perplexity on: ``penwright/resources/perplexity/``.

Original narrative fiction written for Penwright (an English and a Chinese story of about 2,500
Gemma tokens each), so no model can have seen them in training: their perplexity measures how
much a precision costs in quality, not what the model memorised.
"""

from __future__ import annotations

from importlib import resources

TEXTS_PACKAGE = "penwright.resources"
TEXTS_FOLDER = "perplexity"
LANGUAGES = ("en", "zh")


def held_out_text(language: str) -> str:
    """The shipped text for ``language`` (one of LANGUAGES)."""
    if language not in LANGUAGES:
        raise ValueError(f"no held-out text for {language!r}: choose from {', '.join(LANGUAGES)}")
    path = resources.files(TEXTS_PACKAGE).joinpath(TEXTS_FOLDER, f"{language}.txt")
    return path.read_text(encoding="utf-8")
